"""Read-side queries. They return plain dataclasses, never ORM rows, so results can cross
threads (a worker reads, the GUI shows) without lazy loads hitting the database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from app.core.cache.models import (
    Event,
    Organization,
    Project,
    RecordedSession,
    RecordingChunk,
    Visitor,
)
from app.core.recording.chunks import iter_chunk_events
from app.core.search.clauses import filter_clauses
from app.core.search.conditions import SessionFilter

SortKey = Literal["start", "duration", "active", "pages", "events", "clicks", "errors",
                  "project", "visitor", "landing", "device"]

SORT_COLUMNS = {
    "start": RecordedSession.start_ms,
    "duration": RecordedSession.duration_ms,
    "active": RecordedSession.active_ms,
    "pages": RecordedSession.page_count,
    "events": RecordedSession.event_count,
    "clicks": RecordedSession.click_count,
    "errors": RecordedSession.error_count,
    "project": Project.name,
    "visitor": Visitor.uid,
    "landing": RecordedSession.landing_page,
    "device": RecordedSession.device_type,
}


@dataclass(frozen=True)
class ProjectInfo:
    id: int
    organization: str
    name: str
    kind: str
    session_count: int


@dataclass(frozen=True)
class SessionQuery:
    """What the session list shows: a project (or all), a free-text filter, the conditions
    of a search (search/conditions.py) and an order."""

    project_id: int | None = None
    text: str = ""
    filter: SessionFilter = field(default_factory=SessionFilter)
    sort: SortKey = "start"
    descending: bool = True


@dataclass
class SessionInfo:
    id: str
    project: str
    organization: str
    start_ms: int
    end_ms: int
    duration_ms: int
    active_ms: int
    page_count: int
    landing_page: str | None
    exit_page: str | None
    event_count: int
    click_count: int
    input_count: int
    error_count: int
    device_type: str | None
    viewport_width: int | None
    viewport_height: int | None
    visitor: str | None
    visitor_name: str | None
    visitor_email: str | None
    source: str
    pages: list[str] = field(default_factory=list)
    referrer: str | None = None
    os: str | None = None
    browser: str | None = None
    country: str | None = None
    window_count: int = 1
    raw_size: int = 0
    stored_size: int = 0

    def to_json(self) -> dict[str, Any]:
        from datetime import UTC, datetime

        data = dict(self.__dict__)
        data["start"] = datetime.fromtimestamp(self.start_ms / 1000, UTC).isoformat()
        data["duration_s"] = round(self.duration_ms / 1000, 3)
        return data


_COLUMNS = (RecordedSession, Project.name, Organization.name, Visitor.uid, Visitor.name,
            Visitor.email)


def _base_select(session: Session, query: SessionQuery) -> Select[Any]:
    statement = (select(*_COLUMNS)
                 .join(Project, RecordedSession.project_id == Project.id)
                 .join(Organization, Project.organization_id == Organization.id)
                 .outerjoin(Visitor, RecordedSession.visitor_id == Visitor.id))
    return _filtered(session, statement, query)


def _filtered(session: Session, statement: Select[Any], query: SessionQuery,
              counting: bool = False) -> Select[Any]:
    if query.project_id is not None:
        statement = statement.where(RecordedSession.project_id == query.project_id)
    text = query.text.strip()
    if text:
        pattern = f"%{_escape_like(text)}%"
        statement = statement.where(or_(
            RecordedSession.id.like(f"{_escape_like(text)}%", escape="\\"),
            RecordedSession.landing_page.like(pattern, escape="\\"),
            RecordedSession.exit_page.like(pattern, escape="\\"),
            Visitor.uid.like(pattern, escape="\\"),
            Visitor.name.like(pattern, escape="\\"),
            Visitor.email.like(pattern, escape="\\"),
            RecordedSession.source.like(pattern, escape="\\"),
        ))
    # Last: SQLite tests an AND's terms in order, and these include the costly ones.
    return statement.where(*filter_clauses(session, query.filter, counting))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_sessions(session: Session, query: SessionQuery = SessionQuery(), offset: int = 0,
                  limit: int | None = None) -> list[SessionInfo]:
    column = SORT_COLUMNS[query.sort]
    order = column.desc() if query.descending else column.asc()
    tie = RecordedSession.id.desc() if query.descending else RecordedSession.id.asc()
    statement = _base_select(session, query).order_by(order, tie).offset(offset)
    if limit is not None:
        statement = statement.limit(limit)
    return [session_info(*row) for row in session.execute(statement)]


def count_sessions(session: Session, query: SessionQuery = SessionQuery()) -> int:
    statement = select(func.count(RecordedSession.id))
    if query.text.strip():
        statement = statement.outerjoin(Visitor, RecordedSession.visitor_id == Visitor.id)
    return session.scalar(_filtered(session, statement, query, counting=True)) or 0


def find_session(session: Session, id_or_prefix: str) -> SessionInfo | None:
    """Look a session up by id or by an unambiguous id prefix (as git does for commits)."""
    statement = _base_select(session, SessionQuery()).where(
        RecordedSession.id.like(f"{_escape_like(id_or_prefix)}%", escape="\\")).limit(2)
    rows = session.execute(statement).all()
    if len(rows) != 1:
        exact = [row for row in rows if row[0].id == id_or_prefix]
        rows = exact
    return session_info(*rows[0]) if len(rows) == 1 else None


def list_projects(session: Session) -> list[ProjectInfo]:
    counts = (select(RecordedSession.project_id, func.count().label("n"))
              .group_by(RecordedSession.project_id).subquery())
    statement = (select(Project.id, Organization.name, Project.name, Project.kind,
                        func.coalesce(counts.c.n, 0))
                 .join(Organization, Project.organization_id == Organization.id)
                 .outerjoin(counts, counts.c.project_id == Project.id)
                 .order_by(Organization.name, Project.name))
    return [ProjectInfo(*row) for row in session.execute(statement)]


def find_project_id(session: Session, name_or_id: str) -> int | None:
    """A project by its name or id, as the shell's --project gives it (the first in the
    order `list_projects` lists them when names repeat across organizations)."""
    wanted = [Project.name == name_or_id]
    if name_or_id.isdigit():
        wanted.append(Project.id == int(name_or_id))
    return session.scalars(
        select(Project.id).join(Organization, Project.organization_id == Organization.id)
        .where(or_(*wanted)).order_by(Organization.name, Project.name).limit(1)).first()


@dataclass
class EventInfo:
    """One row of a session's events index, timed from the session's start."""

    offset_ms: int
    ts_ms: int
    kind: str
    name: str | None
    selector: str | None
    text: str | None
    url: str | None
    node_id: int | None
    x: float | None
    y: float | None
    window: int
    properties: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def list_events(session: Session, session_id: str) -> list[EventInfo]:
    """A session's indexed events in time order (as extraction ordered them)."""
    start = session.scalar(select(RecordedSession.start_ms).where(
        RecordedSession.id == session_id))
    if start is None:
        return []
    rows = session.execute(
        select(Event.ts_ms, Event.kind, Event.name, Event.selector, Event.text, Event.url,
               Event.node_id, Event.x, Event.y, Event.window_index, Event.properties)
        .where(Event.session_id == session_id).order_by(Event.ts_ms, Event.id))
    return [EventInfo(row.ts_ms - start, *row) for row in rows]


def iter_session_events(session: Session, session_id: str) -> Iterator[tuple[dict[str, Any], int]]:
    """Stream a session's events with their window index, one chunk in memory at a time."""
    seqs = session.scalars(select(RecordingChunk.seq).where(
        RecordingChunk.session_id == session_id).order_by(RecordingChunk.seq)).all()

    def blobs() -> Iterator[bytes]:
        for seq in seqs:
            yield session.scalar(select(RecordingChunk.data).where(
                RecordingChunk.session_id == session_id, RecordingChunk.seq == seq))  # type: ignore[misc]

    return iter_chunk_events(blobs())


def read_session_events(session: Session,
                        session_id: str) -> tuple[list[dict[str, Any]], list[int]]:
    """A session's whole event stream and each event's window index, as extraction takes
    them (`extract_events(events, windows)`)."""
    events: list[dict[str, Any]] = []
    windows: list[int] = []
    for event, window in iter_session_events(session, session_id):
        events.append(event)
        windows.append(window)
    return events, windows


def load_replay_chunks(session: Session, session_id: str) -> tuple[list[Any], list[str]]:
    """A session's compressed chunks (as `StoredChunk`) and its window ids, for replay."""
    from app.core.replay.session import StoredChunk

    rows = session.execute(select(RecordingChunk.start_ms, RecordingChunk.end_ms,
                                  RecordingChunk.event_count, RecordingChunk.data)
                           .where(RecordingChunk.session_id == session_id)
                           .order_by(RecordingChunk.seq)).all()
    windows = session.scalar(select(RecordedSession.window_ids).where(
        RecordedSession.id == session_id)) or []
    return [StoredChunk(*row) for row in rows], list(windows)


def session_info(row: RecordedSession, project: str, organization: str, visitor: str | None,
                 visitor_name: str | None, visitor_email: str | None) -> SessionInfo:
    """The session list's row for a session row and the names it refers to."""
    return SessionInfo(
        id=row.id, project=project, organization=organization, start_ms=row.start_ms,
        end_ms=row.end_ms, duration_ms=row.duration_ms, active_ms=row.active_ms,
        page_count=row.page_count, landing_page=row.landing_page, exit_page=row.exit_page,
        event_count=row.event_count, click_count=row.click_count, input_count=row.input_count,
        error_count=row.error_count, device_type=row.device_type,
        viewport_width=row.viewport_width, viewport_height=row.viewport_height,
        visitor=visitor, visitor_name=visitor_name, visitor_email=visitor_email,
        source=row.source, pages=list(row.pages or []), referrer=row.referrer, os=row.os,
        browser=row.browser, country=row.country, window_count=max(1, len(row.window_ids or [])),
        raw_size=row.raw_size, stored_size=row.stored_size)
