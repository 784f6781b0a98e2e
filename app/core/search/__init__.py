"""Session search: filters (conditions that must all hold), their shell syntax and JSON form,
the SQL they become, and segments (filters saved under a name)."""
