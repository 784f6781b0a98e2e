"""Extract cached sessions' events again, from the (masked) chunks the cache already holds.

A session written by an older Tapeview has event rows of an older extraction
(`session.events_version` below `EXTRACTION_VERSION`; a cache upgraded to schema 0006 has all
its sessions at 0). No re-import is needed: `tapeview reindex` extracts every such session
again, and `ensure_current_events` does it for one session when its events are about to be
shown (`tapeview events`, the player's inspector). Each session is one transaction, so an
interrupted reindex keeps what it finished and the next one goes on with the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.analytics.extract import EXTRACTION_VERSION
from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession
from app.core.cache.queries import read_session_events
from app.core.cache.sweep import sweep_sessions
from app.core.cache.writing import count_errors, index_events
from app.core.tasks import CancelToken, ProgressCallback, collector_paused, no_progress


@dataclass
class ReindexReport:
    sessions: int = 0
    events: int = 0
    seconds: float = 0.0
    cancelled: bool = False

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def stale_session_ids(session: Session) -> list[str]:
    return list(session.scalars(
        select(RecordedSession.id).where(RecordedSession.events_version < EXTRACTION_VERSION)
        .order_by(RecordedSession.start_ms, RecordedSession.id)))


def reindex_session(session: Session, session_id: str) -> int:
    """Replace one session's event rows (the caller owns the transaction); how many now."""
    events, windows = read_session_events(session, session_id)
    session.execute(delete(Event).where(Event.session_id == session_id))
    found = index_events(session, session_id, events, windows)
    session.execute(update(RecordedSession).where(RecordedSession.id == session_id)
                    .values(events_version=EXTRACTION_VERSION, error_count=count_errors(found)))
    return len(found)


def reindex(cache: Cache, everything: bool = False, progress: ProgressCallback = no_progress,
            cancel: CancelToken | None = None) -> ReindexReport:
    """Extract again the sessions indexed by an older extraction (or all of them)."""
    with cache.read_session() as session:
        ids = list(session.scalars(select(RecordedSession.id).order_by(
            RecordedSession.start_ms, RecordedSession.id))) if everything \
            else stale_session_ids(session)
    sweep = sweep_sessions(cache, ids, reindex_session, progress, cancel,
                           lambda _done, _total, next_id: f"Indexing events of session "
                                                          f"{next_id[:12]}", "Events indexed")
    return ReindexReport(sweep.sessions, sweep.found, sweep.seconds, sweep.cancelled)


def ensure_current_events(cache: Cache, session_id: str) -> bool:
    """Extract one session's events again if an older extraction indexed them; True if so."""
    with cache.read_session() as session:
        version = session.scalar(select(RecordedSession.events_version).where(
            RecordedSession.id == session_id))
    if version is None or version >= EXTRACTION_VERSION:
        return False
    with cache.session() as session, collector_paused():
        reindex_session(session, session_id)
    return True
