"""Where each step's events are, and which of them count: what both ways of walking a funnel
read (compute.py).

Which events match a step is decided through indexes: a custom event by (kind, name); a
defined event by its stored hits; a pageview by its URL (`event.name`) and a click by its
text: the distinct URLs or texts are listed off the index, the step's rule is applied to
each in Python (search/urls.py's `url_matches`, so funnels, filters and heatmaps agree on
every URL; texts fold as defined events fold them), and the events with the chosen ones are
read through the index. A click by CSS selector is matched as a defined event would be
(definitions/rules.py) into `funnel_hit`. Sessions a filter or project leaves out are listed in
`funnel_session`, and their events are passed over.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    case,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session

from app.core.cache.models import DefinedEventHit, Event, RecordedSession
from app.core.definitions.rules import RuleMatcher
from app.core.definitions.store import find_definition
from app.core.funnels.results import FunnelQuery
from app.core.funnels.steps import (
    ClickStep,
    CustomEventStep,
    DefinedEventStep,
    FunnelError,
    PageviewStep,
    Step,
)
from app.core.search.clauses import filter_clauses
from app.core.search.urls import url_matches
from app.core.selectors import parse_selector

BREAKDOWN_COLUMNS = {"device": RecordedSession.device_type, "browser": RecordedSession.browser}
SELECTOR_BATCH = 20_000


def temporary_table(connection: Connection, metadata: MetaData, name: str,
                    *columns: Column[Any], **options: Any) -> Table:
    """A temporary table made anew on `connection` (one a failed computation left is
    dropped first)."""
    table = Table(name, metadata, *columns, prefixes=["TEMPORARY"], **options)
    table.drop(connection, checkfirst=True)
    table.create(connection)
    return table


class SourceTables:
    """The temporary tables the steps' events are read through, on the session's
    connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        metadata = MetaData()
        self.value = temporary_table(connection, metadata, "funnel_value",
                                     Column("step", Integer), Column("value", Text))
        self.session = temporary_table(connection, metadata, "funnel_session",
                                       Column("id", Text, primary_key=True))
        # The clicks a selector step matched (in Python, by the defined events' matcher).
        self.hit = temporary_table(
            connection, metadata, "funnel_hit", Column("step", Integer, primary_key=True),
            Column("id", Integer, primary_key=True), Column("visitor_id", Integer),
            Column("session_id", Text), Column("ts", BigInteger))
        self.distinct: dict[str, list[str]] = {}  # pageview URLs, click texts: listed once

    def drop(self) -> None:
        for table in (self.value, self.session, self.hit):
            table.drop(self.connection, checkfirst=True)


@contextmanager
def step_sources(session: Session, query: FunnelQuery) -> Iterator[list[Source]]:
    """Where each step's events are (the temporary tables they are read through live as
    long as the `with`)."""
    tables = SourceTables(session.connection())
    try:
        allowed = _allowed_sessions(session, query, tables)
        yield [_step_source(session, tables, index, step, allowed)
               for index, step in enumerate(query.funnel.steps)]
    finally:
        tables.drop()


@dataclass(frozen=True)
class Source:
    """Where a step's events are (the events index, a defined event's hits, the clicks a
    selector matched), with the conditions that pick them out."""

    table: Any
    conditions: tuple[ColumnElement[bool], ...]
    id: Any
    visitor: Any
    session: Any
    ts: Any


def _allowed_sessions(session: Session, query: FunnelQuery,
                      tables: SourceTables) -> Any:
    """The sessions whose events count (project and filter), or None for every one."""
    clauses = filter_clauses(session, query.filter, counting=True)
    if query.project_id is None and not clauses:
        return None
    chosen = select(RecordedSession.id).where(*clauses)
    if query.project_id is not None:
        chosen = chosen.where(RecordedSession.project_id == query.project_id)
    session.connection().execute(insert(tables.session).from_select(["id"], chosen))
    return select(tables.session.c.id)


def _step_source(session: Session, tables: SourceTables, index: int, step: Step,
                 allowed: Any) -> Source:
    """Where step `index`'s events are, and which of them count."""
    match step:
        case PageviewStep(url, rule):
            urls = _values(session, tables, index, "name", "pageview",
                           lambda name: url_matches(rule, url, name))
            conditions: list[ColumnElement[bool]] = [Event.kind == "pageview",
                                                     Event.name.in_(urls)]
        case ClickStep(None, text, text_match) if text is not None:
            wanted = _fold(text)
            texts = _values(session, tables, index, "text", "click",
                            (lambda found: _fold(found) == wanted) if text_match == "exact"
                            else (lambda found: wanted in _fold(found)))
            # The kind written out: only `kind = 'click'` lets SQLite use the index of click
            # texts (a partial index), not a parameter.
            conditions = [Event.kind == literal_column("'click'"), Event.text.in_(texts)]
        case CustomEventStep(name, properties):
            conditions = [Event.kind == "custom", Event.name == name,
                          *(_property_text(session, key) == value
                            for key, value in properties)]
        case ClickStep():
            _find_clicks(session, tables, index, step)
            return _hit_source(tables, index, allowed)
        case DefinedEventStep(name):
            defined = find_definition(session, name)
            if defined is None:
                raise FunnelError(f"step {index + 1}: no event is defined as {name!r}")
            hits = [DefinedEventHit.defined_event_id == defined.id]
            if allowed is not None:
                hits.append(DefinedEventHit.session_id.in_(allowed))
            return Source(DefinedEventHit.__table__, tuple(hits), DefinedEventHit.event_id,
                           DefinedEventHit.visitor_id, DefinedEventHit.session_id,
                           DefinedEventHit.ts_ms)
        case _:
            raise TypeError(f"not a funnel step: {step!r}")
    if allowed is not None:
        conditions.append(Event.session_id.in_(allowed))
    return Source(Event.__table__, tuple(conditions), Event.id, Event.visitor_id,
                   Event.session_id, Event.ts_ms)


def _hit_source(tables: SourceTables, index: int, allowed: Any) -> Source:
    hit = tables.hit.c
    conditions = [hit.step == index]
    if allowed is not None:
        conditions.append(hit.session_id.in_(allowed))
    return Source(tables.hit, tuple(conditions), hit.id, hit.visitor_id, hit.session_id,
                   hit.ts)


def within_dates(events: Select[Any], source: Source, query: FunnelQuery) -> Select[Any]:
    """Only the events within the query's dates: where a funnel is entered."""
    if query.after_ms is not None:
        events = events.where(source.ts >= query.after_ms)
    if query.before_ms is not None:
        events = events.where(source.ts < query.before_ms)
    return events


def _values(session: Session, tables: SourceTables, index: int, column: str, kind: str,
            wanted: Callable[[str], bool]) -> Select[Any]:
    """The distinct values of an event column (of events of a kind) that `wanted` picks,
    as a subquery of a temporary table: the test runs once per distinct URL or text, in
    Python, and the events are then found through the column's index."""
    values = tables.distinct.get(column)
    if values is None:
        values = tables.distinct[column] = list(session.scalars(_distinct_values(column, kind)))
    picked = [{"step": index, "value": value} for value in values if wanted(value)]
    if picked:
        session.connection().execute(insert(tables.value), picked)
    return select(tables.value.c.value).where(tables.value.c.step == index)


def _fold(text: str) -> str:
    """A text as clicks are compared: spacing folded, case ignored (definitions/rules.py)."""
    return " ".join(text.split()).casefold()


def _find_clicks(session: Session, tables: SourceTables, index: int, step: ClickStep) -> None:
    """The clicks a selector step matches, by the defined events' matcher: an SQL
    substring test first (every word the selector requires), then the element path."""
    rule = step.rule()
    matcher = RuleMatcher(rule)
    terms: list[ColumnElement[bool]] = []
    words = parse_selector(rule.selector or "").required_words()
    if words and all(words):
        as_text = cast(Event.properties, Text)
        terms.append(or_(*(as_text.contains(word, autoescape=True) for word in words)))
    if rule.text:
        terms.append(Event.text.icontains(" ".join(rule.text.split()), autoescape=True))
    rows = session.execute(
        select(Event.id, Event.text, Event.properties, Event.visitor_id, Event.session_id,
               Event.ts_ms)
        .where(Event.kind == "click", *terms).order_by(Event.id)
        .execution_options(yield_per=SELECTOR_BATCH))
    connection = session.connection()
    for batch in rows.partitions():
        found = [{"step": index, "id": row.id, "visitor_id": row.visitor_id,
                  "session_id": row.session_id, "ts": row.ts_ms} for row in batch
                 if matcher.matches(None, row.text, row.properties)]
        if found:
            connection.execute(insert(tables.hit), found)


def _property_text(session: Session, key: str) -> ColumnElement[Any]:
    """A custom event's property as text, as the tracker sent it (true, 49, pro)."""
    if session.get_bind().dialect.name == "sqlite":
        path = "$." + json.dumps(key)
        kind = func.json_type(Event.properties, path)
        return case((kind == "true", "true"), (kind == "false", "false"),
                    else_=cast(func.json_extract(Event.properties, path), Text))
    return Event.properties[key].as_string()


def _distinct_values(column: str, kind: str) -> Any:
    """Every distinct value of an indexed event column among events of a kind, one index
    seek each ("loose index scan"): far fewer reads than the events themselves, on SQLite
    and PostgreSQL alike. For pageview URLs (event.name) and click texts."""
    return text(f"""
WITH RECURSIVE found(value) AS (
    SELECT MIN({column}) FROM event WHERE kind = '{kind}'
    UNION ALL
    SELECT (SELECT MIN({column}) FROM event WHERE kind = '{kind}' AND {column} > found.value)
    FROM found WHERE found.value IS NOT NULL
)
SELECT value FROM found WHERE value IS NOT NULL""")
