"""Who a session's visitor is, and the visitor's other sessions (the player's visitor panel).

A visitor is one person within a project (a `combined` project shares it between web and
app), so "other sessions" are the sessions of the same visitor row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.models import Organization, Project, RecordedSession, Visitor
from app.core.cache.queries import SessionInfo, session_info

OTHER_SESSIONS_LIMIT = 200
# What importing names a visitor it knows nothing about (`importing._visitor_identity`).
ANONYMOUS_PREFIX = "anon-"


@dataclass(frozen=True)
class VisitorInfo:
    uid: str
    name: str | None
    email: str | None
    properties: dict[str, Any]
    session_count: int  # all of them, this one included
    first_seen_ms: int | None
    last_seen_ms: int | None

    @property
    def identified(self) -> bool:
        return bool(self.name or self.email) or not self.uid.startswith(ANONYMOUS_PREFIX)


@dataclass(frozen=True)
class VisitorSessions:
    """A session's visitor (None when the cache knows none) and their other sessions, newest
    first, at most OTHER_SESSIONS_LIMIT of them."""

    visitor: VisitorInfo | None
    others: list[SessionInfo] = field(default_factory=list)


def visitor_sessions(session: Session, session_id: str,
                     limit: int = OTHER_SESSIONS_LIMIT) -> VisitorSessions:
    visitor_id = session.scalar(select(RecordedSession.visitor_id).where(
        RecordedSession.id == session_id))
    visitor = session.get(Visitor, visitor_id) if visitor_id is not None else None
    if visitor is None:
        return VisitorSessions(None)
    count, first, last = session.execute(
        select(func.count(), func.min(RecordedSession.start_ms),
               func.max(RecordedSession.start_ms))
        .where(RecordedSession.visitor_id == visitor.id)).one()
    rows = session.execute(
        select(RecordedSession, Project.name, Organization.name)
        .join(Project, RecordedSession.project_id == Project.id)
        .join(Organization, Project.organization_id == Organization.id)
        .where(RecordedSession.visitor_id == visitor.id, RecordedSession.id != session_id)
        .order_by(RecordedSession.start_ms.desc(), RecordedSession.id.desc()).limit(limit))
    return VisitorSessions(
        VisitorInfo(visitor.uid, visitor.name, visitor.email, dict(visitor.properties or {}),
                    count, first, last),
        [session_info(row, project, organization, visitor.uid, visitor.name, visitor.email)
         for row, project, organization in rows])

