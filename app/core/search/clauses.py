"""A `SessionFilter` as WHERE clauses on the session table.

Each clause stands on `session` alone (events and visitors are reached through subqueries),
so the clauses fit the session list's query, its count, or any other SELECT of sessions, on
SQLite and PostgreSQL alike. What is written the way it is was measured with
tests/benchmarks/bench_filters.py (100,000 sessions, 5,000,000 events, SQLite):

* Cheap tests of the session's own columns come first and subqueries last: SQLite tries the
  terms of an AND in the order written and stops at the first that fails.
* "Performed an event" is a semi-join, written one of two ways. ``session.id IN (SELECT
  session_id FROM event WHERE kind = ...)`` reads just the matching events, off the (kind,
  session_id) index: a count takes ~35 ms for 20,000 of them, seconds for millions (clicks).
  ``EXISTS (SELECT ... WHERE event.session_id = session.id ...)`` probes that index once per
  session: 120-250 ms to count whatever the kind, and a first page stops as soon as it has
  its rows (~20 ms), where IN fetches and sorts every matching session first (~230 ms for
  20,000). So a count takes IN up to `COUNT_IN_LIMIT` events and a page up to
  `PAGE_IN_LIMIT` (when the matches are so few that EXISTS would walk most of the list to
  fill a page); a bounded count of the events, a few milliseconds, tells which.
* A duration range hides its index (``duration_ms + 0``). Without ANALYZE statistics SQLite
  takes any range for selective, walks that index and sorts every match, even for
  "longer than a minute", which is most sessions: ~250 ms for a first page that walking the
  list's own order, testing each row, fills in ~5 ms.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from sqlalchemy import ColumnElement, and_, func, or_, select, text
from sqlalchemy.orm import Session

from app.core.cache.models import Event, RecordedSession, Visitor
from app.core.search.conditions import (
    AttributeIs,
    Condition,
    DefinedEvent,
    DurationBetween,
    EventRule,
    PerformedEvent,
    SessionFilter,
    StartedBetween,
    VisitedUrl,
    VisitorMatches,
)
from app.core.search.defined import defined_event_clause
from app.core.search.urls import LIKE_ESCAPE, like_pattern

# The most events of a kind (and name) for which IN beats EXISTS (see the module's doc).
COUNT_IN_LIMIT = 50_000
PAGE_IN_LIMIT = 2_000

# (session, name, IN limit) -> the clause of the sessions holding the event defined as name
DefinedEventClause = Callable[[Session, str, int], ColumnElement[bool]]

ATTRIBUTE_COLUMNS = {
    "device": RecordedSession.device_type,
    "os": RecordedSession.os,
    "browser": RecordedSession.browser,
    "country": RecordedSession.country,
}
# Evaluation order: the session's own columns, then its visitor, then its events.
COST = {StartedBetween: 0, DurationBetween: 0, AttributeIs: 1, VisitedUrl: 2,
        VisitorMatches: 3, PerformedEvent: 4}


def filter_clauses(session: Session, search: SessionFilter, counting: bool = False,
                   defined: DefinedEventClause = defined_event_clause,
                   ) -> list[ColumnElement[bool]]:
    """WHERE clauses (to AND) selecting the sessions that match `search`.

    `session` is asked how common an event is, to pick how to look for it; `counting` says
    the clauses will count sessions rather than fetch the first of an order; `defined`
    gives the sessions holding an event defined by name.
    """
    in_limit = COUNT_IN_LIMIT if counting else PAGE_IN_LIMIT
    ordered = sorted(search.conditions, key=lambda condition: COST[type(condition)])
    return [_clause(session, condition, in_limit, defined) for condition in ordered]


def _clause(session: Session, condition: Condition, in_limit: int,
            defined: DefinedEventClause) -> ColumnElement[bool]:
    match condition:
        case StartedBetween(after_ms, before_ms):
            return and_(*_bounds(RecordedSession.start_ms, after_ms, before_ms, inclusive=False))
        case DurationBetween(min_ms, max_ms):
            return and_(*_bounds(RecordedSession.duration_ms + 0, min_ms, max_ms,
                                 inclusive=True))
        case AttributeIs(attribute, values):
            return func.lower(ATTRIBUTE_COLUMNS[attribute]).in_(
                sorted({value.strip().lower() for value in values}))
        case VisitedUrl(rule, url):
            return RecordedSession.page_keys.like(like_pattern(rule, url), escape=LIKE_ESCAPE)
        case VisitorMatches(text):
            visitors = select(Visitor.id).where(or_(
                Visitor.uid.icontains(text.strip(), autoescape=True),
                Visitor.name.icontains(text.strip(), autoescape=True),
                Visitor.email.icontains(text.strip(), autoescape=True)))
            # Not the visitor the session list joins: this subquery has its own.
            return RecordedSession.visitor_id.in_(visitors.correlate(None))
        case PerformedEvent(DefinedEvent(name)):
            return defined(session, name, in_limit)
        case PerformedEvent(EventRule() as rule):
            return _performed(session, rule, in_limit)
    raise TypeError(f"not a filter condition: {condition!r}")


def _bounds(column: ColumnElement[int], low: int | None, high: int | None,
            inclusive: bool) -> list[ColumnElement[bool]]:
    terms = []
    if low is not None:
        terms.append(column >= low)
    if high is not None:
        terms.append(column <= high if inclusive else column < high)
    return terms


KIND_SESSION_INDEX = "ix_event_kind_session_id"
_PROBES = itertools.count()


def _performed(session: Session, rule: EventRule, in_limit: int) -> ColumnElement[bool]:
    matching = [Event.kind == rule.kind]
    if rule.name is not None:
        matching.append(Event.name == rule.name)
    if _at_most(session, matching, in_limit):
        return RecordedSession.id.in_(select(Event.session_id).where(*matching).correlate(None))
    return _probe(session, rule, matching)


def _probe(session: Session, rule: EventRule,
           matching: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    """Whether the session has such an event: a seek of (kind, session_id) per session.
    Without statistics SQLite would take the (kind, name, ...) index, which holds the
    session too, and read every event of the name once per session: it is told which."""
    if session.get_bind().dialect.name != "sqlite":
        return select(Event.id).where(Event.session_id == RecordedSession.id,
                                      *matching).exists()
    number = next(_PROBES)  # parameter names of their own: a filter may hold several
    values = {f"probe_kind_{number}": rule.kind}
    name = ""
    if rule.name is not None:
        values[f"probe_name_{number}"] = rule.name
        name = f" AND event.name = :probe_name_{number}"
    return and_(text(f"EXISTS (SELECT 1 FROM event INDEXED BY {KIND_SESSION_INDEX} WHERE "
                     f"event.session_id = session.id AND event.kind = :probe_kind_{number}"
                     f"{name})").bindparams(**values))


def _at_most(session: Session, terms: list[ColumnElement[bool]], limit: int) -> bool:
    """Whether at most `limit` events match `terms`, reading no more than limit + 1."""
    rows = select(Event.id).where(*terms).limit(limit + 1).subquery()
    return (session.scalar(select(func.count()).select_from(rows)) or 0) <= limit
