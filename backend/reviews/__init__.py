"""Reviews: the model's review and its rules, the offline coder, rubrics, teacher versions, agreement.
Flows (take a Database, open their own units of work): review_service.start_review (a backend job
running create_review), review_job and create_review; the rest take a session or none."""
