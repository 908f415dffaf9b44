"""Client checks: scripted probe conversations judged for staying in character before an assignment.
Flows (own their transactions, take a Database): check_service.run_check and friends. Building blocks: check_judge."""
