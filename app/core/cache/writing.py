"""Write a prepared recording into the cache."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.core.analytics.events import IndexedEvent
from app.core.analytics.extract import EXTRACTION_VERSION, extract_events
from app.core.cache.models import (
    Event,
    Organization,
    Project,
    RecordedSession,
    RecordingChunk,
    Visitor,
)
from app.core.definitions.store import match_session
from app.core.heatmaps.store import store_points
from app.core.recording.chunks import Chunk
from app.core.recording.normalize import Recording
from app.core.recording.summary import SessionSummary
from app.core.search.urls import page_keys

PROJECT_KINDS = ("web", "mobile", "combined")


def now_ms() -> int:
    return int(time.time() * 1000)


def new_project_key() -> str:
    return "tvk_" + secrets.token_urlsafe(24)


def get_or_create_project(session: Session, organization_name: str, project_name: str,
                          kind: str = "web") -> Project:
    if kind not in PROJECT_KINDS:
        raise ValueError(f"project kind must be one of {', '.join(PROJECT_KINDS)}, not {kind!r}")
    organization = session.scalar(select(Organization).where(
        Organization.name == organization_name))
    if organization is None:
        organization = Organization(name=organization_name, created_ms=now_ms())
        session.add(organization)
        session.flush()
    project = session.scalar(select(Project).where(
        Project.organization_id == organization.id, Project.name == project_name))
    if project is None:
        project = Project(organization_id=organization.id, name=project_name, kind=kind,
                          key=new_project_key(), created_ms=now_ms())
        session.add(project)
        session.flush()
    return project


def get_or_create_visitor(session: Session, project_id: int, uid: str, name: str | None = None,
                          email: str | None = None) -> Visitor:
    visitor = session.scalar(select(Visitor).where(Visitor.project_id == project_id,
                                                   Visitor.uid == uid))
    if visitor is None:
        visitor = Visitor(project_id=project_id, uid=uid, name=name, email=email, properties={})
        session.add(visitor)
        session.flush()
    else:
        visitor.name = name or visitor.name
        visitor.email = email or visitor.email
    return visitor


def write_session(session: Session, project: Project, session_id: str, recording: Recording,
                  chunks: list[Chunk], summary: SessionSummary, visitor: Visitor | None,
                  source: str, raw_size: int) -> RecordedSession:
    """Add one session with its chunks and indexed events (the caller owns the transaction)."""
    row = RecordedSession(
        id=session_id,
        project_id=project.id,
        visitor_id=visitor.id if visitor else None,
        start_ms=summary.start_ms,
        end_ms=summary.end_ms,
        duration_ms=summary.duration_ms,
        active_ms=summary.active_ms,
        pages=summary.pages,
        page_keys=page_keys(summary.pages),
        page_count=len(summary.pages),
        landing_page=summary.landing_page,
        exit_page=summary.exit_page,
        referrer=None,
        device_type=summary.device_type,
        os=None,
        browser=None,
        viewport_width=summary.viewport_width,
        viewport_height=summary.viewport_height,
        country=None,
        event_count=summary.event_count,
        click_count=summary.click_count,
        input_count=summary.input_count,
        error_count=summary.error_count,
        source=source,
        window_ids=[w or "" for w in recording.window_ids],
        raw_size=raw_size,
        stored_size=sum(len(c.data) for c in chunks),
        added_ms=now_ms(),
        events_version=EXTRACTION_VERSION,
    )
    session.add(row)
    session.flush()
    # Plain bulk inserts: ORM objects for thousands of rows cost more than the rows.
    session.execute(insert(RecordingChunk), [
        {"session_id": session_id, "seq": c.seq, "start_ms": c.start_ms, "end_ms": c.end_ms,
         "event_count": c.event_count, "starts_with_full_snapshot": c.starts_with_full_snapshot,
         "raw_size": c.raw_size, "data": c.data} for c in chunks])
    found = index_events(session, session_id, recording.events, recording.windows)
    # Errors as the events index found them (uncaught, console, older recorders', Sentry's),
    # so the list's Errors column agrees with the "has errors" filter.
    row.error_count = count_errors(found)
    return row


def index_events(session: Session, session_id: str, events: Sequence[dict[str, Any]],
                 windows: Sequence[int] | None) -> list[IndexedEvent]:
    """What the cache derives from a session's (masked) events, written or extracted again:
    the events index, the defined events found in it and its heatmap points. The session's
    old index rows must be gone (the caller owns the transaction)."""
    found = extract_events(events, windows)
    insert_events(session, session_id, found)
    match_session(session, session_id)
    store_points(session, session_id, events, windows, found)
    return found


def count_errors(events: list[IndexedEvent]) -> int:
    return sum(1 for event in events if event.kind == "error")


def insert_events(session: Session, session_id: str, events: list[IndexedEvent]) -> None:
    if events:
        visitor_id = session.scalar(select(RecordedSession.visitor_id).where(
            RecordedSession.id == session_id))
        session.execute(insert(Event), [
            {"session_id": session_id, "ts_ms": e.ts_ms, "kind": e.kind, "name": e.name,
             "url": e.url, "node_id": e.node_id, "x": e.x, "y": e.y,
             "properties": e.properties, "selector": e.selector, "text": e.text,
             "window_index": e.window, "visitor_id": visitor_id} for e in events])
