"""Funnels: ordered steps, a conversion window, and who converted or dropped off at each step,
computed in the database over every cached session (steps.py defines them, compute.py counts
them: sources.py reads each step's events, window_funnel.py or levels.py walks them into
results.py's; store.py saves them, export.py writes them out)."""
