"""Reviews of practice conversations: the review model's answer and its rules, the offline coder, rubrics,
teacher versions, agreement and progress. Flows (take a Database): review_service.request_review/get_or_create; the rest are building blocks."""
