"""Practice: conversations and streamed replies, the output guard, students' ratings, history.
Flows (take a Database, open their own units of work): conversation_service; the rest take a session."""
