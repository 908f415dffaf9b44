"""Client checks: scripted probe conversations, checked by rules and a judge model, scored.
Flow (takes a Database, opens its own units of work): check_service.run_check; the rest take a session or none."""
