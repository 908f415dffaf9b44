"""Reviews of practice sessions: the learned utterance coder and what is measured on real counseling data."""
