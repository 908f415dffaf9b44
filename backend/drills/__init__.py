"""Drills: short one-skill exercises (sets, the built-in bank, attempts coded at once, results).
Flows (open their own units of work around a model call): generation; the rest take a session."""
