"""Operations: open a database (migrated), export and import a course, seed the demo.
open_database builds a Database; backup_service and demo_service take the caller's session (the CLI commits)."""
