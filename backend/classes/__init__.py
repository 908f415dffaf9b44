"""Classes: sections, enrolment, rosters and published assignments.
Building blocks only: every function takes the caller's SQLAlchemy session and leaves the commit to it."""
