"""Reading sessions for the API: filters, cursor pagination, plain response objects."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

from app.server.models import RecordingSession, Visitor
from app.server.schemas import SessionOut, VisitorOut

MAX_PAGE = 1000


@dataclass(frozen=True)
class SessionFilter:
    after: int = 0
    limit: int = 100
    from_ms: int | None = None
    to_ms: int | None = None
    visitor: str | None = None
    device_type: str | None = None
    browser: str | None = None
    os: str | None = None
    country: str | None = None
    url: str | None = None
    min_duration_ms: int | None = None
    has_errors: bool | None = None
    include_deleted: bool = False


def list_sessions(session: Session, project_id: int,
                  query: SessionFilter) -> tuple[list[SessionOut], bool]:
    """Sessions changed after the cursor, oldest change first; and whether more remain."""
    statement = select(RecordingSession).join(Visitor).where(
        RecordingSession.project_id == project_id, RecordingSession.change_seq > query.after)
    if not query.include_deleted:
        statement = statement.where(RecordingSession.deleted_ms.is_(None))
    if query.from_ms is not None:
        statement = statement.where(RecordingSession.start_ms >= query.from_ms)
    if query.to_ms is not None:
        statement = statement.where(RecordingSession.start_ms < query.to_ms)
    if query.visitor:
        statement = statement.where(or_(Visitor.anonymous_id == query.visitor,
                                        Visitor.uid == query.visitor,
                                        func.lower(Visitor.email) == query.visitor.lower()))
    if query.device_type:
        statement = statement.where(RecordingSession.device_type == query.device_type)
    if query.browser:
        statement = statement.where(func.lower(RecordingSession.browser)
                                    .startswith(query.browser.lower(), autoescape=True))
    if query.os:
        statement = statement.where(func.lower(RecordingSession.os)
                                    .startswith(query.os.lower(), autoescape=True))
    if query.country:
        statement = statement.where(RecordingSession.country == query.country.upper())
    if query.url:
        statement = statement.where(func.lower(cast(RecordingSession.pages, Text))
                                    .contains(query.url.lower(), autoescape=True))
    if query.min_duration_ms is not None:
        statement = statement.where(RecordingSession.duration_ms >= query.min_duration_ms)
    if query.has_errors is not None:
        statement = statement.where((RecordingSession.error_count > 0) == query.has_errors)
    limit = max(1, min(query.limit, MAX_PAGE))
    rows = list(session.scalars(statement.order_by(RecordingSession.change_seq)
                                .limit(limit + 1)).unique())
    return [session_out(row) for row in rows[:limit]], len(rows) > limit


def session_out(row: RecordingSession) -> SessionOut:
    visitor = row.visitor
    return SessionOut(
        id=row.id, project_id=row.project_id, change_seq=row.change_seq,
        deleted=row.deleted_ms is not None,
        visitor=VisitorOut(anonymous_id=visitor.anonymous_id, uid=visitor.uid,
                           name=visitor.name, email=visitor.email,
                           properties=visitor.properties) if visitor else None,
        start_ms=row.start_ms, end_ms=row.end_ms, duration_ms=row.duration_ms,
        active_ms=row.active_ms, pages=row.pages, page_count=row.page_count,
        landing_page=row.landing_page, exit_page=row.exit_page, referrer=row.referrer,
        device_type=row.device_type, os=row.os, browser=row.browser,
        viewport_width=row.viewport_width, viewport_height=row.viewport_height,
        country=row.country, event_count=row.event_count, click_count=row.click_count,
        input_count=row.input_count, error_count=row.error_count,
        custom_count=row.custom_count, chunk_count=row.chunk_count,
        stored_size=row.stored_size, window_ids=row.window_ids, updated_ms=row.updated_ms)
