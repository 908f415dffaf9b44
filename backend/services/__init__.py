"""Domain services: stateless functions taking a SQLAlchemy session first. The only place that
enforces permissions; they return pydantic read models, never ORM objects."""
