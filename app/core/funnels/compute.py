"""Counting a funnel in the database: who reached each step, who dropped off, how fast.

An actor (a visitor, or a session; a session without a visitor is its own visitor) reaches
step k when it has events e1 < e2 < ... < ek matching steps 1..k, in the order of (time,
event id), with ek at most the window after e1. Every e1 is tried, and from each the earliest
match of each next step is taken (no later choice can reach further), so a step repeated or
taken out of order counts only where it follows the step before, and one event is never two
steps of one chain. Per visitor, a chain may cross the visitor's sessions.

Counts are taken in the database, reading each step's events once off their index. On
SQLite, where the compiled aggregate is loaded (window_funnel.py), each step's events are
handed to it and it walks every actor's events at once, in C (ClickHouse's windowFunnel is
such an aggregate), and lists the actors behind a bar: about six times faster than the SQL
below. Elsewhere the same walk runs as SQL, alike on SQLite and PostgreSQL, level by level
into temporary tables (all actors at once):

1. `funnel_level_0`: one row per event of the first step (within the dates): a chain's
   start, keyed by its actor and its (time, id).
2. `funnel_level_k`: each event of step k seeks, among its actor's chains in level k-1 that
   took step k-1 before it, the one that started last, and continues it if that start is
   within the window; each chain keeps the earliest event that continued it. A later start
   never reaches less than an earlier one with the same steps before the event, so this
   finds every actor's furthest step, and each kept chain is the earliest-next-step walk
   from its start. Rows carry the time and event of every step so far.
3. `funnel_actor`: per actor, its first chain (in order of start) at the highest level it
   has: the one reaching furthest that takes its last step first. Those who took the first
   step alone are left out unless a breakdown or that step's list needs them: the first
   step's count is that of the actors in level 0.
4. Counts, medians and breakdowns aggregate `funnel_actor`; the lists of actors behind a
   bar read it, and find the session of the step's event.

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
from dataclasses import dataclass, field
from typing import Any, Literal

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
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.cache.models import DefinedEventHit, Event, RecordedSession, Visitor
from app.core.definitions.rules import RuleMatcher
from app.core.definitions.store import find_definition
from app.core.funnels import window_funnel
from app.core.funnels.steps import (
    ClickStep,
    CustomEventStep,
    DefinedEventStep,
    Funnel,
    FunnelError,
    PageviewStep,
    Step,
)
from app.core.search.clauses import filter_clauses
from app.core.search.conditions import SessionFilter, StartedBetween
from app.core.search.urls import url_matches
from app.core.selectors import parse_selector

Breakdown = Literal["device", "browser"]
BREAKDOWN_COLUMNS = {"device": RecordedSession.device_type, "browser": RecordedSession.browser}
SELECTOR_BATCH = 20_000
PLACED_BATCH = 10_000  # events looked up at once: under SQLite's limit of bound parameters


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


@dataclass(frozen=True)
class FunnelQuery:
    """A funnel over the sessions of a project (any when None) that match `filter`, entered
    (its first step taken) at or after `after_ms` and before `before_ms`; later steps may
    follow within the window."""

    funnel: Funnel
    after_ms: int | None = None
    before_ms: int | None = None
    filter: SessionFilter = field(default_factory=SessionFilter)
    project_id: int | None = None

    def __post_init__(self) -> None:
        if self.after_ms is not None or self.before_ms is not None:
            StartedBetween(self.after_ms, self.before_ms)  # checks the range as a filter would


@dataclass(frozen=True)
class StepResult:
    """One bar: how many actors reached the step, and how they came and went."""

    label: str
    actors: int
    of_first: float | None  # share of the first step's actors, 0..1 (None: nobody entered)
    of_previous: float | None  # share of the previous step's actors (None at the first)
    dropped: int  # reached this step but not the next (0 at the last step)
    median_from_previous_ms: float | None  # None at the first step, or when nobody came

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class GroupResult:
    """The actors reaching each step among those whose first step was in sessions of one
    device type or browser (`value` None: unknown)."""

    value: str | None
    actors: tuple[int, ...]


@dataclass(frozen=True)
class FunnelResult:
    funnel: Funnel
    steps: tuple[StepResult, ...]
    median_to_convert_ms: float | None  # first step to last, of those who converted
    breakdown: Breakdown | None = None
    groups: tuple[GroupResult, ...] = ()

    @property
    def entered(self) -> int:
        return self.steps[0].actors

    @property
    def converted(self) -> int:
        return self.steps[-1].actors

    @property
    def conversion(self) -> float | None:
        """Overall conversion, 0..1 (None when nobody entered)."""
        return self.steps[-1].of_first

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "by": self.funnel.by, "window_ms": self.funnel.window_ms,
            "entered": self.entered, "converted": self.converted,
            "conversion": self.conversion, "median_to_convert_ms": self.median_to_convert_ms,
            "steps": [step.to_json() for step in self.steps]}
        if self.breakdown is not None:
            data["breakdown"] = {"by": self.breakdown, "groups": [
                {"value": group.value, "actors": list(group.actors)} for group in self.groups]}
        return data


@dataclass(frozen=True)
class FunnelActor:
    """A visitor (or session) behind a bar, and where to replay it: the moment it took the
    step asked about (for one that dropped off after it, its last step)."""

    visitor_id: int | None
    visitor: str | None  # the visitor's name, else its id as the tracker sent it
    session_id: str
    ts_ms: int
    offset_ms: int  # from the start of `session_id`
    furthest_step: int  # index of the furthest step it reached


def compute_funnel(session: Session, query: FunnelQuery,
                   breakdown: Breakdown | None = None) -> FunnelResult:
    """Count `query`'s funnel over every cached session it covers; FunnelError (a
    FilterError) for a step or filter that cannot be used."""
    funnel = query.funnel
    connection = session.connection()
    with _step_sources(session, query) as (tables, sources):
        if window_funnel.loaded(connection):
            counted = _count_in_one_pass(connection, sources, query, breakdown)
        else:
            counted = _count_by_levels(connection, tables, sources, query, breakdown)
    reached = counted.reached
    steps = []
    for index, step in enumerate(funnel.steps):
        count = reached[index]
        steps.append(StepResult(
            label=step.label(), actors=count,
            of_first=count / reached[0] if reached[0] else None,
            of_previous=(count / reached[index - 1] if reached[index - 1] else None)
            if index else None,
            dropped=count - reached[index + 1] if index + 1 < len(reached) else 0,
            median_from_previous_ms=counted.medians[index]))
    return FunnelResult(funnel, tuple(steps), counted.to_convert, breakdown, counted.groups)


@dataclass(frozen=True)
class _Counted:
    """What a count found, before it is put in words: actors at each step, the median time
    from the step before (None at the first), from first to last, and the groups."""

    reached: list[int]
    medians: list[float | None]
    to_convert: float | None
    groups: tuple[GroupResult, ...]


def _count_in_one_pass(connection: Connection, sources: list[_Source], query: FunnelQuery,
                       breakdown: Breakdown | None) -> _Counted:
    """The compiled `window_funnel` functions: every step's events added, then walked at
    once."""
    _add_events(connection, sources, query, breakdown)
    counted = json.loads(connection.execute(select(func.window_funnel_result())).scalar_one())
    groups = sorted(counted.get("groups", ()), key=lambda group: (
        -group["reached"][0], group["value"] is not None, group["value"] or ""))
    return _Counted(counted["reached"], counted["medians"], counted["to_convert"],
                    tuple(GroupResult(group["value"], tuple(group["reached"]))
                          for group in groups))


def _add_events(connection: Connection, sources: list[_Source], query: FunnelQuery,
                breakdown: Breakdown | None) -> None:
    """Hand each step's events to `window_funnel`, straight off its index (each event once
    per step it matches; the first step's within the dates, with its session for a
    breakdown), and for a breakdown every session's device or browser."""
    funnel = query.funnel
    connection.execute(select(func.window_funnel_start(
        len(sources), funnel.window_ms, funnel.by == "session", breakdown is not None)))
    for index, source in enumerate(sources):
        columns = [literal(index, Integer), source.visitor, source.session, source.ts,
                   source.id]
        if breakdown is not None:
            columns.append(source.session if index == 0 else literal(None, Text))
        added = select(func.window_funnel_add(*columns)).select_from(source.table) \
            .where(*source.conditions)
        connection.execute(_within_dates(added, source, query) if index == 0 else added)
    if breakdown is not None:
        connection.execute(select(func.window_funnel_value(
            RecordedSession.id, BREAKDOWN_COLUMNS[breakdown])))


def _count_by_levels(connection: Connection, tables: _TempTables, sources: list[_Source],
                     query: FunnelQuery, breakdown: Breakdown | None) -> _Counted:
    """The same count as SQL statements: the levels, each actor's best chain, then sums and
    sorts of those."""
    steps = len(sources)
    # Only a breakdown needs the actors who took the first step alone, one by one.
    _walk_levels(connection, tables, sources, query, breakdown,
                 lowest=0 if breakdown else 1)
    actors = tables.actor
    reached = [_actors_in(connection, tables.levels[0]),
               *_reached(connection, actors, range(1, steps))]
    medians = [None, *(_median(connection, actors, step - 1, step, reached[step])
                       for step in range(1, steps))]
    return _Counted(reached, medians, _median(connection, actors, 0, steps - 1, reached[-1]),
                    _groups(connection, actors, steps) if breakdown else ())


def funnel_actors(session: Session, query: FunnelQuery, step_index: int, *,
                  dropped: bool = False, breakdown: Breakdown | None = None,
                  group: str | None = None, limit: int | None = None,
                  offset: int = 0) -> list[FunnelActor]:
    """The actors that reached step `step_index` (0: the first), or with `dropped` those that
    reached it and not the next, in the order they took it; with `breakdown`, only those of
    one `group` (a device type or browser; None: unknown)."""
    if not 0 <= step_index < len(query.funnel.steps):
        raise FunnelError(f"the funnel has no step {step_index + 1}")
    connection = session.connection()
    with _step_sources(session, query) as (tables, sources):
        if window_funnel.loaded(connection):
            _add_events(connection, sources, query, breakdown)
            listing = [step_index, dropped, offset, -1 if limit is None else limit]
            found = connection.execute(select(func.window_funnel_actors(
                *listing, *((group,) if breakdown is not None else ())))).scalar_one()
            return _placed(connection, json.loads(found))
        _walk_levels(connection, tables, sources, query, breakdown,
                     lowest=min(step_index, 1))
        actors = tables.actor
        moment_ts, moment_event = actors.c[f"t_{step_index}"], actors.c[f"i_{step_index}"]
        visitor = func.nullif(actors.c.av, 0)
        statement = (
            select(visitor, func.coalesce(Visitor.name, Visitor.uid),
                   Event.session_id, moment_ts, moment_ts - RecordedSession.start_ms,
                   actors.c.reached - 1)
            .join(Event, Event.id == moment_event)
            .join(RecordedSession, RecordedSession.id == Event.session_id)
            .outerjoin(Visitor, Visitor.id == visitor)
            .where(actors.c.reached == step_index + 1 if dropped
                   else actors.c.reached > step_index)
            .order_by(moment_ts, moment_event).offset(offset))
        if breakdown is not None:
            statement = statement.where(actors.c.attribute.is_(None) if group is None
                                        else actors.c.attribute == group)
        if limit is not None:
            statement = statement.limit(limit)
        return [FunnelActor(*row) for row in connection.execute(statement)]


def _placed(connection: Connection, found: list[list[int]]) -> list[FunnelActor]:
    """The actors `window_funnel_actors` listed ([visitor, event, time, furthest step]),
    each with its visitor's name, and its event's session and offset in it."""
    where: dict[int, tuple[str, int, str | None]] = {}
    for first in range(0, len(found), PLACED_BATCH):
        events = [event for _visitor, event, _ts, _furthest in found[first:first + PLACED_BATCH]]
        where.update((event, (session_id, start_ms, name)) for event, session_id, start_ms, name
                     in connection.execute(
            select(Event.id, Event.session_id, RecordedSession.start_ms,
                   func.coalesce(Visitor.name, Visitor.uid))
            .join(RecordedSession, RecordedSession.id == Event.session_id)
            .outerjoin(Visitor, Visitor.id == Event.visitor_id).where(Event.id.in_(events))))
    actors = []
    for visitor, event, ts, furthest in found:
        session_id, start_ms, name = where[event]
        actors.append(FunnelActor(visitor or None, name, session_id, ts, ts - start_ms,
                                  furthest))
    return actors


@contextmanager
def _step_sources(session: Session, query: FunnelQuery
                  ) -> Iterator[tuple[_TempTables, list[_Source]]]:
    """The temporary tables of a computation, and where each step's events are (the tables
    live as long as the `with`)."""
    tables = _TempTables(session.connection(), len(query.funnel.steps))
    try:
        allowed = _allowed_sessions(session, query, tables)
        yield tables, [_step_source(session, tables, index, step, allowed)
                       for index, step in enumerate(query.funnel.steps)]
    finally:
        tables.drop()


def _walk_levels(connection: Connection, tables: _TempTables, sources: list[_Source],
                 query: FunnelQuery, breakdown: Breakdown | None, *, lowest: int) -> None:
    """Fill the levels, and `funnel_actor`: per actor whose best chain took step `lowest`
    or further, how far it reached and when it took each step, with which event."""
    starts = _starts(sources[0], query, with_session=breakdown is not None)
    connection.execute(insert(tables.levels[0]).from_select(
        [column.name for column in starts.selected_columns], starts))
    for step in range(1, len(sources)):
        _reach(connection, tables, step, _steps_taken(sources[step], tables, step, query.funnel))
    _choose_best(connection, tables, lowest)
    if breakdown is not None:
        _break_down(connection, tables, breakdown)


def _chain_columns(last: int, *, key: bool = False) -> list[Column[Any]]:
    """The time and event of steps 0..`last` of a chain; with `key`, the first step's are
    part of the primary key."""
    return [Column(f"{name}_{step}", BigInteger if name == "t" else Integer,
                   primary_key=key and step == 0)
            for name in ("t", "i") for step in range(last + 1)]


class _TempTables:
    """The temporary tables of one computation, on the session's connection."""

    def __init__(self, connection: Connection, steps: int) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        metadata = MetaData()

        def temporary(name: str, *columns: Column[Any], **options: Any) -> Table:
            table = Table(name, metadata, *columns, prefixes=["TEMPORARY"], **options)
            table.drop(connection, checkfirst=True)  # left by a computation that failed
            table.create(connection)
            return table

        def actor_key(*more: Column[Any]) -> tuple[Column[Any], ...]:
            return (Column("av", Integer, primary_key=True),
                    Column("asess", Text, primary_key=True), *more)

        self.value = temporary("funnel_value", Column("step", Integer), Column("value", Text))
        self.session = temporary("funnel_session", Column("id", Text, primary_key=True))
        # The clicks a selector step matched (in Python, by the defined events' matcher).
        self.hit = temporary(
            "funnel_hit", Column("step", Integer, primary_key=True),
            Column("id", Integer, primary_key=True), Column("visitor_id", Integer),
            Column("session_id", Text), Column("ts", BigInteger))
        # Level k: one row per chain that took step k, keyed by its actor and its start
        # (t_0, i_0), with the time and event of each step so far (t_k, i_k: step k). An
        # actor's rows in the order of their starts take step k in that order too, so the
        # seek for the next step reads the actor's last rows only.
        self.levels = [temporary(
            f"funnel_level_{step}", *actor_key(*_chain_columns(step, key=True)),
            *((Column("s_0", Text),) if step == 0 else ()),  # a start's session: breakdowns
            sqlite_with_rowid=False)
            for step in range(steps)]
        # Per actor, its best chain (the steps beyond `reached` are NULL).
        self.actor = temporary(
            "funnel_actor", *actor_key(), Column("reached", Integer),
            *_chain_columns(steps - 1), Column("attribute", Text), sqlite_with_rowid=False)
        self._tables = (self.value, self.session, self.hit, *self.levels, self.actor)
        self.distinct: dict[str, list[str]] = {}  # pageview URLs, click texts: listed once

    def drop(self) -> None:
        for table in self._tables:
            table.drop(self.connection, checkfirst=True)


@dataclass(frozen=True)
class _Source:
    """Where a step's events are (the events index, a defined event's hits, the clicks a
    selector matched), with the conditions that pick them out."""

    table: Any
    conditions: tuple[ColumnElement[bool], ...]
    id: Any
    visitor: Any
    session: Any
    ts: Any


def _allowed_sessions(session: Session, query: FunnelQuery,
                      tables: _TempTables) -> Any:
    """The sessions whose events count (project and filter), or None for every one."""
    clauses = filter_clauses(session, query.filter, counting=True)
    if query.project_id is None and not clauses:
        return None
    chosen = select(RecordedSession.id).where(*clauses)
    if query.project_id is not None:
        chosen = chosen.where(RecordedSession.project_id == query.project_id)
    session.connection().execute(insert(tables.session).from_select(["id"], chosen))
    return select(tables.session.c.id)


def _step_source(session: Session, tables: _TempTables, index: int, step: Step,
                 allowed: Any) -> _Source:
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
            return _Source(DefinedEventHit.__table__, tuple(hits), DefinedEventHit.event_id,
                           DefinedEventHit.visitor_id, DefinedEventHit.session_id,
                           DefinedEventHit.ts_ms)
        case _:
            raise TypeError(f"not a funnel step: {step!r}")
    if allowed is not None:
        conditions.append(Event.session_id.in_(allowed))
    return _Source(Event.__table__, tuple(conditions), Event.id, Event.visitor_id,
                   Event.session_id, Event.ts_ms)


def _hit_source(tables: _TempTables, index: int, allowed: Any) -> _Source:
    hit = tables.hit.c
    conditions = [hit.step == index]
    if allowed is not None:
        conditions.append(hit.session_id.in_(allowed))
    return _Source(tables.hit, tuple(conditions), hit.id, hit.visitor_id, hit.session_id,
                   hit.ts)


def _actor(source: _Source, funnel: Funnel) -> tuple[Any, Any]:
    """An event's actor as two key columns: its visitor (0: none) and its session ('' when
    the visitor stands for all its sessions). A session without a visitor is an actor of its
    own, and so is every session when the funnel counts sessions."""
    own_session = source.visitor.is_(None) if funnel.by == "visitor" else literal(True)
    return (func.coalesce(source.visitor, 0).label("av"),
            case((own_session, source.session), else_=literal("")).label("asess"))


def _starts(source: _Source, query: FunnelQuery, *, with_session: bool) -> Select[Any]:
    """Every event of the first step within the range: where chains start (with its
    session, for a breakdown)."""
    columns = [*_actor(source, query.funnel), source.ts.label("t_0"), source.id.label("i_0")]
    if with_session:
        columns.append(source.session.label("s_0"))
    return _within_dates(select(*columns).select_from(source.table).where(*source.conditions),
                         source, query)


def _within_dates(events: Select[Any], source: _Source, query: FunnelQuery) -> Select[Any]:
    """Only the events within the query's dates: where a funnel is entered."""
    if query.after_ms is not None:
        events = events.where(source.ts >= query.after_ms)
    if query.before_ms is not None:
        events = events.where(source.ts < query.before_ms)
    return events


def _steps_taken(source: _Source, tables: _TempTables, step: int,
                 funnel: Funnel) -> Select[Any]:
    """Each event of `step` that continues a chain, as a row of level `step`: the chain is
    the one of its actor, among those that took the previous step before it (by time, then
    id), that started last; it must have started within the window before the event. One
    seek per event in the previous level, in the join's condition: evaluated once, and its
    (start time, start event) is the previous level's key."""
    previous = tables.levels[step - 1].c
    event = select(*_actor(source, funnel), source.ts.label("ts"), source.id.label("id")) \
        .select_from(source.table).where(*source.conditions).subquery("event")
    q = tables.levels[step - 1].alias("q").c
    before_ts, before_id = q[f"t_{step - 1}"], q[f"i_{step - 1}"]
    chain = (select(q.t_0, q.i_0)
             .where(q.av == event.c.av, q.asess == event.c.asess,
                    or_(before_ts < event.c.ts,
                        and_(before_ts == event.c.ts, before_id < event.c.id)),
                    q.t_0 >= event.c.ts - funnel.window_ms)
             .order_by(q.t_0.desc(), q.i_0.desc()).limit(1).scalar_subquery())
    return (select(event.c.av, event.c.asess,
                   *(previous[f"t_{before}"] for before in range(step)),
                   event.c.ts.label(f"t_{step}"),
                   *(previous[f"i_{before}"] for before in range(step)),
                   event.c.id.label(f"i_{step}"))
            .join_from(event, tables.levels[step - 1], and_(
                previous.av == event.c.av, previous.asess == event.c.asess,
                tuple_(previous.t_0, previous.i_0) == chain))
            .where(literal(True)))  # SQLite: no ON CONFLICT right after a join's ON


def _reach(connection: Connection, tables: _TempTables, step: int, taken: Select[Any]) -> None:
    """Level `step`: of the events that continue one chain, the earliest (a later one
    reaches no further)."""
    level = tables.levels[step]
    columns = [c.name for c in level.c]
    when, event = level.c[f"t_{step}"], level.c[f"i_{step}"]
    if tables.sqlite:
        statement = sqlite_insert(level).from_select(columns, taken)
        later = statement.excluded
        connection.execute(statement.on_conflict_do_update(
            index_elements=list(level.primary_key), set_={when: later[when.name],
                                                          event: later[event.name]},
            where=or_(later[when.name] < when,
                      and_(later[when.name] == when, later[event.name] < event))))
    else:  # PostgreSQL refuses to update a row twice in one statement
        rows = taken.subquery("rows").c
        key = [rows[c.name] for c in level.primary_key]
        connection.execute(insert(level).from_select(columns, select(rows).ext(
            distinct_on(*key)).order_by(*key, rows[when.name], rows[event.name])))


def _choose_best(connection: Connection, tables: _TempTables, lowest: int) -> None:
    """`funnel_actor`: per actor that reached level `lowest`, the chain that reaches
    furthest and, of those, takes its last step first: an actor's first row (in the order
    of its chains' starts) at the highest level it has."""
    actor = tables.actor
    for step in reversed(range(lowest, len(tables.levels))):
        level = tables.levels[step].c
        chains = select(level.av, level.asess, literal(step + 1, Integer).label("reached"),
                        *(level[f"{name}_{before}"] for name in ("t", "i")
                          for before in range(step + 1)))
        columns = [column.name for column in chains.selected_columns]
        order = (level.av, level.asess, level.t_0, level.i_0)
        if tables.sqlite:  # rows go in in this order: the first of an actor stays
            statement = sqlite_insert(actor).from_select(
                columns, chains.where(literal(True)).order_by(*order))
        else:
            statement = postgresql_insert(actor).from_select(
                columns, chains.ext(distinct_on(level.av, level.asess)).order_by(*order))
        connection.execute(statement.on_conflict_do_nothing(index_elements=["av", "asess"]))


def _break_down(connection: Connection, tables: _TempTables, breakdown: Breakdown) -> None:
    """Each actor's device type or browser: that of the session of its first step."""
    actor, start = tables.actor.c, tables.levels[0].c
    connection.execute(update(tables.actor).values(attribute=(
        select(BREAKDOWN_COLUMNS[breakdown])
        .join_from(tables.levels[0], RecordedSession, RecordedSession.id == start.s_0)
        .where(start.av == actor.av, start.asess == actor.asess, start.t_0 == actor.t_0,
               start.i_0 == actor.i_0).scalar_subquery())))


def _values(session: Session, tables: _TempTables, index: int, column: str, kind: str,
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


def _find_clicks(session: Session, tables: _TempTables, index: int, step: ClickStep) -> None:
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


def _actors_in(connection: Connection, level: Table) -> int:
    """How many actors have a chain at `level`: its rows are in the order of their actors."""
    actors = select(level.c.av).group_by(level.c.av, level.c.asess).subquery()
    return connection.execute(select(func.count()).select_from(actors)).scalar_one()


def _reached(connection: Connection, actors: Table, steps: range) -> list[int]:
    """How many of `actors` reached each of `steps`."""
    row = connection.execute(select(*(
        func.coalesce(func.sum(case((actors.c.reached > step, 1), else_=0)), 0)
        for step in steps))).one()
    return [int(count) for count in row]


def _median(connection: Connection, actors: Table, first: int, last: int,
            count: int) -> float | None:
    """The median time from step `first` to step `last` of the `count` actors that reached
    `last` (the middle one, or the mean of the middle two), sorted in the database."""
    if not count:
        return None
    took = (actors.c[f"t_{last}"] - actors.c[f"t_{first}"]).label("took")
    middle = (select(took).where(actors.c.reached > last).order_by(took)
              .limit(2 - count % 2).offset((count - 1) // 2).subquery())
    return float(connection.execute(select(func.avg(middle.c.took))).scalar_one())


def _groups(connection: Connection, actors: Table, steps: int) -> tuple[GroupResult, ...]:
    counts = [func.sum(case((actors.c.reached > step, 1), else_=0)) for step in range(steps)]
    rows = connection.execute(select(actors.c.attribute, *counts)
                              .group_by(actors.c.attribute)
                              .order_by(counts[0].desc(), actors.c.attribute))
    return tuple(GroupResult(row[0], tuple(int(n) for n in row[1:])) for row in rows)

