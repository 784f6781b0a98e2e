"""A funnel walked as SQL statements, level by level into temporary tables, for all actors
at once: the same on SQLite and PostgreSQL (compute.py says what is counted; on SQLite the
compiled aggregate, window_funnel.py, is used where it is loaded).

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
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.core.cache.models import RecordedSession
from app.core.funnels.results import Breakdown, Counted, FunnelQuery, GroupResult, Moment
from app.core.funnels.sources import BREAKDOWN_COLUMNS, Source, temporary_table, within_dates
from app.core.funnels.steps import Funnel


def count_by_levels(connection: Connection, sources: list[Source], query: FunnelQuery,
                    breakdown: Breakdown | None) -> Counted:
    """The levels, each actor's best chain, then sums and sorts of those."""
    steps = len(sources)
    # Only a breakdown needs the actors who took the first step alone, one by one.
    with _walked(connection, sources, query, breakdown,
                 lowest=0 if breakdown else 1) as tables:
        actors = tables.actor
        reached = [_actors_in(connection, tables.levels[0]),
                   *_reached(connection, actors, range(1, steps))]
        medians = [None, *(_median(connection, actors, step - 1, step, reached[step])
                           for step in range(1, steps))]
        return Counted(reached, medians,
                       _median(connection, actors, 0, steps - 1, reached[-1]),
                       _groups(connection, actors, steps) if breakdown else ())


def list_by_levels(connection: Connection, sources: list[Source], query: FunnelQuery,
                   step_index: int, *, dropped: bool, breakdown: Breakdown | None,
                   group: str | None, limit: int | None, offset: int) -> list[Moment]:
    """The actors behind a bar (compute.py's `funnel_actors`), off their best chains."""
    with _walked(connection, sources, query, breakdown,
                 lowest=min(step_index, 1)) as tables:
        actors = tables.actor
        moment_ts, moment_event = actors.c[f"t_{step_index}"], actors.c[f"i_{step_index}"]
        statement = (
            select(actors.c.av, moment_event, moment_ts, actors.c.reached - 1)
            .where(actors.c.reached == step_index + 1 if dropped
                   else actors.c.reached > step_index)
            .order_by(moment_ts, moment_event).offset(offset))
        if breakdown is not None:
            statement = statement.where(actors.c.attribute.is_(None) if group is None
                                        else actors.c.attribute == group)
        if limit is not None:
            statement = statement.limit(limit)
        return [tuple(row) for row in connection.execute(statement)]


class _LevelTables:
    """The levels and `funnel_actor` of one computation, on its connection."""

    def __init__(self, connection: Connection, steps: int) -> None:
        self.connection = connection
        self.sqlite = connection.dialect.name == "sqlite"
        metadata = MetaData()

        def actor_key(*more: Column[Any]) -> tuple[Column[Any], ...]:
            return (Column("av", Integer, primary_key=True),
                    Column("asess", Text, primary_key=True), *more)

        # Level k: one row per chain that took step k, keyed by its actor and its start
        # (t_0, i_0), with the time and event of each step so far (t_k, i_k: step k). An
        # actor's rows in the order of their starts take step k in that order too, so the
        # seek for the next step reads the actor's last rows only.
        self.levels = [temporary_table(
            connection, metadata, f"funnel_level_{step}",
            *actor_key(*_chain_columns(step, key=True)),
            *((Column("s_0", Text),) if step == 0 else ()),  # a start's session: breakdowns
            sqlite_with_rowid=False)
            for step in range(steps)]
        # Per actor, its best chain (the steps beyond `reached` are NULL).
        self.actor = temporary_table(
            connection, metadata, "funnel_actor", *actor_key(), Column("reached", Integer),
            *_chain_columns(steps - 1), Column("attribute", Text), sqlite_with_rowid=False)

    def drop(self) -> None:
        for table in (*self.levels, self.actor):
            table.drop(self.connection, checkfirst=True)


@contextmanager
def _walked(connection: Connection, sources: list[Source], query: FunnelQuery,
            breakdown: Breakdown | None, *, lowest: int) -> Iterator[_LevelTables]:
    """The levels, and `funnel_actor`: per actor whose best chain took step `lowest` or
    further, how far it reached and when it took each step, with which event (the tables
    live as long as the `with`)."""
    tables = _LevelTables(connection, len(sources))
    try:
        starts = _starts(sources[0], query, with_session=breakdown is not None)
        connection.execute(insert(tables.levels[0]).from_select(
            [column.name for column in starts.selected_columns], starts))
        for step in range(1, len(sources)):
            _reach(connection, tables, step,
                   _steps_taken(sources[step], tables, step, query.funnel))
        _choose_best(connection, tables, lowest)
        if breakdown is not None:
            _break_down(connection, tables, breakdown)
        yield tables
    finally:
        tables.drop()


def _chain_columns(last: int, *, key: bool = False) -> list[Column[Any]]:
    """The time and event of steps 0..`last` of a chain; with `key`, the first step's are
    part of the primary key."""
    return [Column(f"{name}_{step}", BigInteger if name == "t" else Integer,
                   primary_key=key and step == 0)
            for name in ("t", "i") for step in range(last + 1)]


def _actor(source: Source, funnel: Funnel) -> tuple[Any, Any]:
    """An event's actor as two key columns: its visitor (0: none) and its session ('' when
    the visitor stands for all its sessions). A session without a visitor is an actor of its
    own, and so is every session when the funnel counts sessions."""
    own_session = source.visitor.is_(None) if funnel.by == "visitor" else literal(True)
    return (func.coalesce(source.visitor, 0).label("av"),
            case((own_session, source.session), else_=literal("")).label("asess"))


def _starts(source: Source, query: FunnelQuery, *, with_session: bool) -> Select[Any]:
    """Every event of the first step within the range: where chains start (with its
    session, for a breakdown)."""
    columns = [*_actor(source, query.funnel), source.ts.label("t_0"), source.id.label("i_0")]
    if with_session:
        columns.append(source.session.label("s_0"))
    return within_dates(select(*columns).select_from(source.table).where(*source.conditions),
                         source, query)


def _steps_taken(source: Source, tables: _LevelTables, step: int,
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


def _reach(connection: Connection, tables: _LevelTables, step: int, taken: Select[Any]) -> None:
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


def _choose_best(connection: Connection, tables: _LevelTables, lowest: int) -> None:
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


def _break_down(connection: Connection, tables: _LevelTables, breakdown: Breakdown) -> None:
    """Each actor's device type or browser: that of the session of its first step."""
    actor, start = tables.actor.c, tables.levels[0].c
    connection.execute(update(tables.actor).values(attribute=(
        select(BREAKDOWN_COLUMNS[breakdown])
        .join_from(tables.levels[0], RecordedSession, RecordedSession.id == start.s_0)
        .where(start.av == actor.av, start.asess == actor.asess, start.t_0 == actor.t_0,
               start.i_0 == actor.i_0).scalar_subquery())))


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
                              .group_by(actors.c.attribute))
    return tuple(GroupResult(row[0], tuple(int(n) for n in row[1:])) for row in rows)
