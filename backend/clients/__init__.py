"""Client profiles: authoring, which students may practise which client, and the client's system prompt.
Building blocks only: every function takes the caller's SQLAlchemy session and leaves the commit to it."""
