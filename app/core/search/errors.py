"""The one error a filter can raise, whichever way it came in (shell, JSON, GUI)."""

from __future__ import annotations


class FilterError(ValueError):
    """A filter that cannot be built or run; the message names the bad part and says why."""
