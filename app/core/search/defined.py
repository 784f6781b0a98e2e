"""Where a filter finds the sessions holding an event defined by name (issue #5 part 2).

A defined event's rule (a selector matched against the clicked element's ancestors, a text,
a URL) is not a test of the events index's columns, so a filter does not compile it: it asks
here for the ids of the sessions where the event happened, as a subquery, and the definitions
store answers however it keeps its matches. Until that store exists no event is defined, and
a filter naming one is refused with the name.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from app.core.search.errors import FilterError


def defined_event_sessions(session: Session, name: str) -> Select[Any]:
    """A SELECT of the ids of the sessions holding the event defined as `name`; FilterError
    when no event is defined so."""
    raise FilterError(f"no event is defined as {name!r}")
