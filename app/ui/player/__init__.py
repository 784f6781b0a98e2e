"""The replay player: a sandboxed web view, its controls and its timeline."""
