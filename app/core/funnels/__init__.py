"""Funnels: ordered steps, a conversion window, and who converted or dropped off at each step,
computed in the database over every cached session (steps.py defines them, compute.py counts
them, store.py saves them, export.py writes them out)."""
