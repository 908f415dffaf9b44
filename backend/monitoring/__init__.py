"""Monitoring: the admin dashboard's metrics and the health of the database and the model API.
Flows (take a Database): health_service. Building blocks (take a session): metrics_service."""
