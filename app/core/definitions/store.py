"""Defined events in the cache: define one and it is found in all cached history at once;
every session written later (import, sync, reindex) is matched against all of them.

Matches are kept as hits (`defined_event_hit`: event row, session, time), so filters,
funnels and timelines ask the database for a defined event as cheaply as for a built-in
one. Defining is one transaction: an event is either defined with every hit, or not at all
(a cancelled definition leaves nothing behind).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Text, cast, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.cache.models import DefinedEvent, DefinedEventHit, Event
from app.core.definitions.rules import NAME_LENGTH, DefinitionError, DefinitionRule, RuleMatcher
from app.core.selectors import parse_selector
from app.core.tasks import Cancelled, CancelToken, ProgressCallback, no_progress

BATCH = 20_000


@dataclass(frozen=True)
class DefinitionInfo:
    id: int
    name: str
    rule: DefinitionRule
    sessions: int  # cached sessions with at least one hit
    hits: int

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "rule": self.rule.to_json(),
                "description": self.rule.describe(), "sessions": self.sessions,
                "hits": self.hits}


@dataclass(frozen=True)
class SessionHit:
    """A defined event found in one session, for its timeline and event feed."""

    ts_ms: int
    name: str
    description: str  # the rule, described


def define_event(cache: Cache, name: str, rule: DefinitionRule,
                 progress: ProgressCallback = no_progress,
                 cancel: CancelToken | None = None) -> DefinitionInfo:
    """Define `name` by `rule` and find it in every cached session (one transaction)."""
    name = _clean_name(name)
    started = time.monotonic()
    with cache.session() as session:
        if session.scalar(select(DefinedEvent.id).where(DefinedEvent.name == name)):
            raise DefinitionError(f"an event named {name!r} is already defined; delete it "
                                  "or choose another name")
        row = DefinedEvent(name=name, rule=rule.to_json(), created_ms=int(time.time() * 1000))
        session.add(row)
        try:
            session.flush()
        except IntegrityError:  # defined meanwhile by another window on this cache
            raise DefinitionError(f"an event named {name!r} is already defined") from None
        total = session.scalar(select(func.count()).select_from(Event)
                               .where(Event.kind.in_(rule.event_kinds))) or 0
        matcher, done = RuleMatcher(rule), 0
        progress(0, total, f"Looking for “{name}” in the cached sessions")
        for rows in _batches(session, rule, None):
            if cancel is not None and cancel.cancelled:
                raise Cancelled  # the transaction rolls back: nothing was defined
            _insert_hits(session, row.id, matcher, rows)
            done += len(rows)
            progress(done, total, f"Looking for “{name}”: {done:,} of {total:,} events")
        info = _info(session, row)
    progress(total, total, f"“{name}” found in {info.sessions:,} session(s) "
                           f"({info.hits:,} times) in {time.monotonic() - started:.1f} s")
    return info


def match_session(session: Session, session_id: str) -> None:
    """(Re)find every defined event in one session whose events were just written (the
    caller owns the transaction)."""
    session.execute(delete(DefinedEventHit).where(DefinedEventHit.session_id == session_id))
    for row in session.scalars(select(DefinedEvent)):
        rule = DefinitionRule.from_json(row.rule)
        for rows in _batches(session, rule, session_id):
            _insert_hits(session, row.id, RuleMatcher(rule), rows)


def list_definitions(session: Session) -> list[DefinitionInfo]:
    return [_info(session, row) for row in
            session.scalars(select(DefinedEvent).order_by(DefinedEvent.name))]


def session_hits(session: Session, session_id: str,
                 window: int | None = None) -> list[SessionHit]:
    """The defined events found in one session (in one of its windows), in time order."""
    statement = (select(DefinedEventHit.ts_ms, DefinedEvent.name, DefinedEvent.rule)
                 .join(DefinedEvent, DefinedEvent.id == DefinedEventHit.defined_event_id)
                 .where(DefinedEventHit.session_id == session_id)
                 .order_by(DefinedEventHit.ts_ms, DefinedEvent.name))
    if window is not None:
        statement = statement.join(Event, Event.id == DefinedEventHit.event_id) \
            .where(Event.window_index == window)
    descriptions: dict[str, str] = {}
    hits = []
    for ts_ms, name, rule in session.execute(statement):
        if name not in descriptions:
            descriptions[name] = DefinitionRule.from_json(rule).describe()
        hits.append(SessionHit(ts_ms, name, descriptions[name]))
    return hits


def find_definition(session: Session, name: str) -> DefinedEvent | None:
    return session.scalar(select(DefinedEvent).where(DefinedEvent.name == name.strip()))


def delete_definition(cache: Cache, name: str) -> None:
    with cache.session() as session:
        row = _named(session, name)
        session.execute(delete(DefinedEventHit).where(
            DefinedEventHit.defined_event_id == row.id))
        session.delete(row)


def rename_definition(cache: Cache, name: str, new_name: str) -> None:
    new_name = _clean_name(new_name)
    with cache.session() as session:
        row = _named(session, name)
        if new_name != row.name and find_definition(session, new_name) is not None:
            raise DefinitionError(f"an event named {new_name!r} is already defined")
        row.name = new_name


def _named(session: Session, name: str) -> DefinedEvent:
    row = find_definition(session, name)
    if row is None:
        raise DefinitionError(f"no event is defined as {name!r}")
    return row


def _batches(session: Session, rule: DefinitionRule,
             session_id: str | None) -> Iterable[list[Row]]:
    columns = [Event.id, Event.session_id, Event.ts_ms, Event.visitor_id, Event.url,
               Event.text]
    if rule.selector:
        columns.append(Event.properties)  # the element path: only selectors need it
    statement = select(*columns).where(Event.kind.in_(rule.event_kinds), *_prefilter(rule))
    if session_id is not None:
        statement = statement.where(Event.session_id == session_id)
    result = session.execute(statement.order_by(Event.id).execution_options(yield_per=BATCH))
    yield from result.partitions()


def _prefilter(rule: DefinitionRule) -> list[ColumnElement[bool]]:
    """Cheap SQL tests that every match passes (a substring of what the rule asks for), so
    only likely rows are fetched and matched in Python: on millions of clicks the difference
    between seconds and minutes. Each is a superset: the matcher decides."""
    terms: list[ColumnElement[bool]] = []
    if rule.text:
        # Extraction stores texts with their spacing folded, as the matcher compares them.
        terms.append(Event.text.icontains(" ".join(rule.text.split()), autoescape=True))
    if rule.url:
        value = rule.url.strip()
        if rule.url_match == "simple":
            value = value.split("?", 1)[0].split("#", 1)[0].rstrip("/").removeprefix("www.")
            value = value.split("://", 1)[-1]
        if value:
            terms.append(Event.url.icontains(value, autoescape=True))
    if rule.selector:
        words = parse_selector(rule.selector).required_words()
        if all(words):
            as_text = cast(Event.properties, Text)
            terms.append(or_(*(as_text.contains(word, autoescape=True) for word in words)))
    return terms


def _insert_hits(session: Session, defined_id: int, matcher: RuleMatcher,
                 rows: list[Row]) -> None:
    selector = matcher.rule.selector is not None
    hits = [{"defined_event_id": defined_id, "event_id": row.id, "session_id": row.session_id,
             "ts_ms": row.ts_ms, "visitor_id": row.visitor_id} for row in rows
            if matcher.matches(row.url, row.text, row.properties if selector else None)]
    if hits:
        session.execute(insert(DefinedEventHit), hits)


def _info(session: Session, row: DefinedEvent) -> DefinitionInfo:
    hits, sessions = session.execute(
        select(func.count(), func.count(DefinedEventHit.session_id.distinct()))
        .where(DefinedEventHit.defined_event_id == row.id)).one()
    return DefinitionInfo(row.id, row.name, DefinitionRule.from_json(row.rule), sessions,
                          hits)


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise DefinitionError("a defined event needs a name")
    if len(cleaned) > NAME_LENGTH:
        raise DefinitionError(f"a defined event's name is longer than {NAME_LENGTH} "
                              "characters")
    return cleaned
