"""Operations: open a database, back up and restore an installation, seed a demo.
Flows: database_service.open_database; building blocks (take a session): backup_service, demo_service."""
