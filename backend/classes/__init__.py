"""Classes: sections, join codes, enrolment and rosters, assignments and their publishing.
Building blocks only: every function takes the caller's session and leaves the commit to it."""
