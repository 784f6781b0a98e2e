"""Where a filter finds the sessions holding an event defined by name (issue #5 part 2).

A defined event's rule (a selector matched against the clicked element's ancestors, a text,
a URL) is not a test of the events index's columns, so a filter does not compile it: it asks
the definitions store, which keeps the matches as hits. As for built-in events (clauses.py),
a rare event is looked up with IN over its hits and a common one with EXISTS probing the
(defined event, session) index once per listed session, which stops at a page's end.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.core.cache.models import DefinedEventHit, RecordedSession
from app.core.definitions.store import find_definition
from app.core.search.errors import FilterError


def defined_event_clause(session: Session, name: str, in_limit: int) -> ColumnElement[bool]:
    """The sessions holding the event defined as `name`; FilterError when none is."""
    row = find_definition(session, name)
    if row is None:
        raise FilterError(f"no event is defined as {name!r}")
    of_event = DefinedEventHit.defined_event_id == row.id
    few = select(DefinedEventHit.event_id).where(of_event).limit(in_limit + 1).subquery()
    if (session.scalar(select(func.count()).select_from(few)) or 0) <= in_limit:
        return RecordedSession.id.in_(
            select(DefinedEventHit.session_id).where(of_event).correlate(None))
    return select(DefinedEventHit.event_id).where(
        of_event, DefinedEventHit.session_id == RecordedSession.id).exists()
