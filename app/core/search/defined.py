"""Where a filter finds the sessions holding an event defined by name (issue #5 part 2).

A defined event's rule (a selector matched against the clicked element's ancestors, a text,
a URL) is not a test of the events index's columns, so a filter does not compile it: it asks
the definitions store for the sessions where the event happened, which it keeps as hits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from app.core.cache.models import DefinedEventHit
from app.core.definitions.store import find_definition
from app.core.search.errors import FilterError


def defined_event_sessions(session: Session, name: str) -> Select[Any]:
    """A SELECT of the ids of the sessions holding the event defined as `name`; FilterError
    when no event is defined so."""
    row = find_definition(session, name)
    if row is None:
        raise FilterError(f"no event is defined as {name!r}")
    return select(DefinedEventHit.session_id).where(DefinedEventHit.defined_event_id == row.id)
