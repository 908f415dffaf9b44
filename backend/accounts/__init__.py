"""Accounts: sign-up, sign-in, passwords, remembered devices, institution sign-in domains and the
words a log-in keeps unsent (`unsent_service`).
Building blocks only: every function takes the caller's session and leaves the commit to it."""
