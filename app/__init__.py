"""Tapeview: a desktop session-replay viewer for rrweb recordings."""

__version__ = "0.1.0"
