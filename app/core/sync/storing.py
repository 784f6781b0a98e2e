"""Write what a sync fetched: one transaction per session, the cursor moving in the same one.

A session (its row, chunks, events index, assets and sync record) and the project's cursor
past it are committed together, so a sync killed at any moment leaves each session either
as it was or fully updated, and the next sync resumes right after the last one written. A
session that changed since the last sync is replaced as a whole: it is never there twice.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.cache.assets import store_asset, url_key
from app.core.cache.database import Cache
from app.core.cache.models import (
    AssetBlob,
    AssetUrl,
    DefinedEventHit,
    Event,
    Note,
    PagePoints,
    Project,
    RecordedSession,
    RecordingChunk,
    SyncedSession,
    SyncState,
)
from app.core.cache.writing import now_ms, write_session
from app.core.notes import put_back, take_notes
from app.core.privacy import PrivacyPolicy
from app.core.sync.fetching import PreparedSession, read_basis
from app.core.sync.mirror import mirror_visitor
from app.core.sync.policy import mask_emails


class StaleBasis(Exception):
    """The cache changed under a prepared session (another sync wrote it): prepare again."""


def store_session(cache: Cache, project_id: int, prepared: PreparedSession,
                  policy: PrivacyPolicy) -> bool:
    """Write a prepared session and move the cursor past it; True if it was new here."""
    listed, detail = prepared.listed, prepared.detail
    with cache.session() as session:
        if read_basis(session, listed.session_id, project_id) != prepared.basis:
            raise StaleBasis(listed.session_id)
        previous_added_ms = session.scalar(select(RecordedSession.added_ms).where(
            RecordedSession.id == listed.session_id))
        notes = take_notes(session, listed.session_id)  # the user's: they outlive updates
        if previous_added_ms is not None:
            _delete_session(session, listed.session_id)
        project = session.get_one(Project, project_id)
        visitor = mirror_visitor(session, project_id, detail.get("visitor"))
        row = write_session(session, project, listed.session_id, prepared.recording,
                            prepared.chunked.chunks, prepared.summary, visitor,
                            source=prepared.recording.source, raw_size=prepared.raw_size)
        # What the recording cannot tell: it came from the request, at the server.
        row.referrer = mask_emails(_text(detail.get("referrer")), policy)
        row.os = _text(detail.get("os"), 64)
        row.browser = _text(detail.get("browser"), 64)
        row.country = _text(detail.get("country"), 2)
        row.device_type = prepared.summary.device_type or _text(detail.get("device_type"), 16)
        if previous_added_ms is not None:
            row.added_ms = previous_added_ms
        for url, mime, data in prepared.inlined:
            store_asset(session, url, data, mime)
        for asset in prepared.assets:
            if asset.data is not None:
                store_asset(session, asset.url, asset.data, asset.mime)
            else:
                _link_asset(session, asset.url, asset.sha256)
        session.add(SyncedSession(session_id=listed.session_id,
                                  change_seq=int(detail.get("change_seq") or listed.change_seq),
                                  chunk_count=prepared.remote_chunk_count,
                                  chunks_sha256=prepared.chunks_sha256))
        put_back(session, notes)
        advance_cursor(session, project_id, listed.cursor)
    return previous_added_ms is None


def store_tombstone(cache: Cache, project_id: int, session_id: str, cursor: str) -> bool:
    """Delete a session the server deleted and move the cursor past it; True if it was here."""
    with cache.session() as session:
        found = session.scalar(select(RecordedSession.id).where(
            RecordedSession.id == session_id, RecordedSession.project_id == project_id))
        if found is not None:
            _delete_session(session, session_id)
        advance_cursor(session, project_id, cursor)
    return found is not None


def store_cursor(cache: Cache, project_id: int, cursor: str) -> None:
    with cache.session() as session:
        advance_cursor(session, project_id, cursor)


def advance_cursor(session: Session, project_id: int, cursor: str) -> None:
    session.execute(update(SyncState).where(SyncState.project_id == project_id)
                    .values(cursor=cursor, last_sync_ms=now_ms()))


def _delete_session(session: Session, session_id: str) -> None:
    # Explicit, not left to ON DELETE CASCADE: SQLite only cascades with foreign_keys on.
    for model in (DefinedEventHit, Event, Note, PagePoints, RecordingChunk, SyncedSession):
        session.execute(delete(model).where(model.session_id == session_id))
    session.execute(delete(RecordedSession).where(RecordedSession.id == session_id))


def _link_asset(session: Session, url: str, blob_sha256: str) -> None:
    """Make `url` serve bytes the cache already holds."""
    if session.get(AssetBlob, blob_sha256) is None:
        return
    key = url_key(url)
    row = session.get(AssetUrl, key)
    if row is None:
        session.add(AssetUrl(url_sha256=key, url=url, blob_sha256=blob_sha256,
                             added_ms=now_ms()))
    else:
        row.blob_sha256 = blob_sha256


def _text(value: object, limit: int = 2000) -> str | None:
    return str(value)[:limit] if isinstance(value, str) and value else None
