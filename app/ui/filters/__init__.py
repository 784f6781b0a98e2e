"""The session list's filter bar: conditions as chips, their editors, saved segments."""
