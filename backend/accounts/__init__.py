"""Accounts: sign-up, sign-in, passwords, remembered devices and institution sign-in domains.
Building blocks only: every function takes the caller's session and leaves the commit to it."""
