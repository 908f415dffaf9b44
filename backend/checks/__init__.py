"""Client checks: scripted probe conversations, checked by rules and a judge model, scored.
Flows (take a Database, open their own units of work): check_service.start_check, cancel_check,
check_job and run_check (the job's work); the rest take a session or none."""
