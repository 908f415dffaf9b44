"""Monitoring: the admin dashboard's metrics and the health of the database, Redis and the API.
Flows (take a Database): health_service's database_health, api_health, all_health; metrics_service takes a session."""
