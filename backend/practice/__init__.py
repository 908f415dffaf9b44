"""Practice conversations: turns and streamed replies, the output guard, students' ratings and history.
Flows (own their transactions, take a Database): conversation_service. Building blocks (take a session): the rest."""
