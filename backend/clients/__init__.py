"""Client profiles: authoring, which students may practise which client, the system prompt.
Building blocks only: functions take the caller's session (prompt_service needs none)."""
