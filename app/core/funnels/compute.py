"""Counting a funnel in the database: who reached each step, who dropped off, how fast.

An actor (a visitor, or a session; a session without a visitor is its own visitor) reaches
step k when it has events e1 < e2 < ... < ek matching steps 1..k, in the order of (time,
event id), with ek at most the window after e1. Every e1 is tried, and from each the earliest
match of each next step is taken (no later choice can reach further), so a step repeated or
taken out of order counts only where it follows the step before, and one event is never two
steps of one chain. Per visitor, a chain may cross the visitor's sessions. An actor's best
chain reaches furthest and, of those, takes its last step first; counts, medians, breakdowns
and the lists behind the bars are of best chains.

Each step's events are read once off their index (sources.py), and walked one of two ways,
with the same results: on SQLite, by the compiled `window_funnel` aggregate where it is
loaded (window_funnel.py: every actor's events walked at once, in C, the way ClickHouse's
windowFunnel aggregate walks them), else as SQL statements level by level (levels.py:
PostgreSQL, or an install that could not compile the aggregate), about six times slower.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from app.core.cache.models import Event, RecordedSession, Visitor
from app.core.funnels import levels, window_funnel
from app.core.funnels.results import (
    Breakdown,
    FunnelActor,
    FunnelQuery,
    FunnelResult,
    Moment,
    StepResult,
)
from app.core.funnels.sources import step_sources
from app.core.funnels.steps import FunnelError

PLACED_BATCH = 10_000  # events looked up at once: under SQLite's limit of bound parameters


def compute_funnel(session: Session, query: FunnelQuery,
                   breakdown: Breakdown | None = None) -> FunnelResult:
    """Count `query`'s funnel over every cached session it covers; FunnelError (a
    FilterError) for a step or filter that cannot be used."""
    funnel = query.funnel
    connection = session.connection()
    with step_sources(session, query) as sources:
        walk = window_funnel.count_in_one_pass if window_funnel.loaded(connection) \
            else levels.count_by_levels
        counted = walk(connection, sources, query, breakdown)
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
    groups = sorted(counted.groups, key=lambda group: (
        -group.actors[0], group.value is not None, group.value or ""))
    return FunnelResult(funnel, tuple(steps), counted.to_convert, breakdown, tuple(groups))


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
    with step_sources(session, query) as sources:
        listed = window_funnel.list_in_one_pass if window_funnel.loaded(connection) \
            else levels.list_by_levels
        return _placed(connection, listed(
            connection, sources, query, step_index, dropped=dropped, breakdown=breakdown,
            group=group, limit=limit, offset=offset))


def _placed(connection: Connection, moments: list[Moment]) -> list[FunnelActor]:
    """The actors a walk listed, each with its visitor's name, and the session of the
    step's event and the offset in it to replay from."""
    where: dict[int, tuple[str, int, str | None]] = {}
    for first in range(0, len(moments), PLACED_BATCH):
        events = [event for _visitor, event, _ts, _furthest in moments[first:first + PLACED_BATCH]]
        where.update((event, (session_id, start_ms, name)) for event, session_id, start_ms, name
                     in connection.execute(
            select(Event.id, Event.session_id, RecordedSession.start_ms,
                   func.coalesce(Visitor.name, Visitor.uid))
            .join(RecordedSession, RecordedSession.id == Event.session_id)
            .outerjoin(Visitor, Visitor.id == Event.visitor_id).where(Event.id.in_(events))))
    actors = []
    for visitor, event, ts, furthest in moments:
        session_id, start_ms, name = where[event]
        actors.append(FunnelActor(visitor or None, name, session_id, ts, ts - start_ms,
                                  furthest))
    return actors
