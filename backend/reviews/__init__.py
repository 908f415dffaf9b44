"""Reviews: the model's review and its rules, the offline coder, rubrics, teacher versions, agreement.
Flow (takes a Database, opens its own units of work): review_service.create_review; the rest take a session or none."""
