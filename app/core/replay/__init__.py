"""Replay planning without a browser: timelines, checkpoints and what to apply on a seek."""
