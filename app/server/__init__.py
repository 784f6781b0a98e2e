"""Tapeview's reference server: recordings in through ingest, out through the read API.

Optional (the `server` extra): the desktop app never imports it. It keeps its own database
schema, separate from the desktop cache, and reuses `app.core` for parsing, masking,
extracting and chunking, so the desktop and the server agree on every format.
"""
