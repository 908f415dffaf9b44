"""Reviews of practice conversations: the review model's answer and its rules, the offline coder, rubrics,
teacher versions, agreement and progress. Flows (take a Database): review_service.start_review (a backend job) and create_review; the rest are building blocks."""
