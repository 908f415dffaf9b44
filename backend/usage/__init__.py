"""Usage and money: token usage and cost per call and per day, and the budgets that stop spending.
Building blocks only: every function takes the caller's session and leaves the commit to it."""
