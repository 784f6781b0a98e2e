"""Fetch one changed session and prepare it for the cache (runs on the sync's worker threads).

Only the chunks the cache lacks are downloaded (chunks never change once listed, a live
session only gains chunks at the end). They are merged with the events the cache already
holds and put through the import pipeline (normalise, mask, summarise, chunk), so a synced
session replays exactly like an imported one and its events are masked by the local policy
whatever the server did. For the same reason the server's events index is not used: the
cache's is extracted from the masked events when the session is written, as on import.
Nothing here writes to the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.cache.assets import MAX_ASSET_BYTES
from app.core.cache.database import Cache
from app.core.cache.models import AssetBlob, RecordedSession, SyncedSession
from app.core.cache.queries import iter_session_events
from app.core.importing import prepare
from app.core.privacy import PrivacyPolicy
from app.core.recording.chunks import ChunkedRecording, build_chunks, decode_chunk
from app.core.recording.errors import RecordingError
from app.core.recording.formats import RawRecording, Window
from app.core.recording.inlined import inlined_images
from app.core.recording.normalize import Recording
from app.core.recording.summary import SessionSummary, summarize
from app.core.sync.client import SyncClient
from app.core.sync.errors import NotFoundError, ProtocolError

Event = dict[str, Any]


@dataclass(frozen=True)
class Listed:
    """A session as the change listing names it."""

    session_id: str
    change_seq: int
    deleted: bool
    stored_size: int = 0  # bytes of its chunks on the server: what fetching it costs

    @property
    def cursor(self) -> str:
        # API.md: a page's `next_cursor` is the change_seq of its last session, so this is
        # the cursor that resumes right after this session.
        return str(self.change_seq)


@dataclass(frozen=True)
class LocalBasis:
    """What the cache held of a session when it was fetched."""

    change_seq: int
    chunk_count: int
    chunks_sha256: str


@dataclass
class FetchedAsset:
    url: str
    sha256: str
    mime: str
    data: bytes | None  # None: the cache already holds these bytes under another URL


@dataclass
class PreparedSession:
    """A session ready to be written in one transaction."""

    listed: Listed
    basis: LocalBasis | None
    detail: dict[str, Any]
    recording: Recording
    chunked: ChunkedRecording
    summary: SessionSummary
    inlined: list[tuple[str, str, bytes]]
    assets: list[FetchedAsset]
    remote_chunk_count: int
    chunks_sha256: str
    raw_size: int
    chunks_downloaded: int = 0
    chunk_bytes: int = 0
    asset_bytes: int = 0


@dataclass
class Skipped:
    """A listed session that needs no write: unchanged, gone since listing, or unusable."""

    listed: Listed
    reason: str  # unchanged | gone | unreplayable
    message: str = ""


@dataclass
class FetchContext:
    """What every fetch of one project's sessions shares."""

    client: SyncClient
    cache: Cache
    downloads: Executor
    project_local_id: int
    project_remote_id: str
    policy: PrivacyPolicy
    source: str


def chunk_list_digest(chunks: Iterable[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(str(chunk["sha256"]).encode() + b"\n")
    return digest.hexdigest()


def read_basis(session: Session, session_id: str, project_id: int) -> LocalBasis | None:
    row = session.execute(
        select(SyncedSession.change_seq, SyncedSession.chunk_count, SyncedSession.chunks_sha256)
        .join(RecordedSession, RecordedSession.id == SyncedSession.session_id)
        .where(SyncedSession.session_id == session_id,
               RecordedSession.project_id == project_id)).first()
    return LocalBasis(*row) if row else None


def fetch_session(context: FetchContext, listed: Listed) -> PreparedSession | Skipped:
    """Download what is new of `listed` and prepare the whole session for writing."""
    with context.cache.read_session() as session:
        basis = read_basis(session, listed.session_id, context.project_local_id)
    if basis is not None and basis.change_seq >= listed.change_seq:
        return Skipped(listed, "unchanged")
    client, project = context.client, context.project_remote_id
    try:
        detail = client.session(project, listed.session_id)
        chunks = sorted(detail.get("chunks") or (), key=lambda c: c["seq"])
        held = _held_chunks(basis, chunks)
        blobs = list(context.downloads.map(
            lambda c: client.chunk(project, listed.session_id, c["seq"], c["sha256"]),
            chunks[held:]))
    except NotFoundError:
        return Skipped(listed, "gone", f"session {listed.session_id} was deleted while syncing")
    windows = _held_events(context.cache, listed.session_id, held)
    _add_remote_events(windows, blobs, detail.get("window_ids") or [], listed.session_id)
    raw = RawRecording(context.source, [Window(key or None, events)
                                        for key, events in windows.items()])
    try:
        recording = prepare(raw, context.policy)
    except RecordingError as exc:
        return Skipped(listed, "unreplayable", f"session {listed.session_id}: {exc.problem}")
    except RecursionError:
        return Skipped(listed, "unreplayable", f"session {listed.session_id} nests too deeply")
    inlined = list(inlined_images(recording.events))
    prepared = PreparedSession(
        listed=listed, basis=basis, detail=detail, recording=recording,
        chunked=build_chunks(recording.events, recording.windows),
        summary=summarize(recording), inlined=inlined, assets=[],
        remote_chunk_count=len(chunks), chunks_sha256=chunk_list_digest(chunks),
        raw_size=sum(int(c.get("raw_size") or 0) for c in chunks),
        chunks_downloaded=len(blobs), chunk_bytes=sum(len(b) for b in blobs))
    if blobs or basis is None:  # assets only arrive with events
        prepared.assets = _fetch_assets(context, listed.session_id,
                                        {hashlib.sha256(data).hexdigest()
                                         for _, _, data in inlined})
        prepared.asset_bytes = sum(len(a.data or b"") for a in prepared.assets)
    return prepared


def _held_chunks(basis: LocalBasis | None, chunks: list[dict[str, Any]]) -> int:
    """How many of the listed chunks the cache holds; 0 (fetch all again) unless the server
    still lists exactly the chunks the cache was built from."""
    if basis is None or basis.chunk_count > len(chunks):
        return 0
    if chunk_list_digest(chunks[:basis.chunk_count]) != basis.chunks_sha256:
        return 0
    return basis.chunk_count


def _held_events(cache: Cache, session_id: str, held: int) -> dict[str, list[Event]]:
    """The cached events of a session, by window id ("" for a recording's only window)."""
    windows: dict[str, list[Event]] = {}
    if not held:
        return windows
    with cache.read_session() as session:
        window_ids = session.scalar(select(RecordedSession.window_ids).where(
            RecordedSession.id == session_id)) or []
        for event, index in iter_session_events(session, session_id):
            key = window_ids[index] if index < len(window_ids) else ""
            windows.setdefault(key or "", []).append(event)
    return windows


def _add_remote_events(windows: dict[str, list[Event]], blobs: list[bytes],
                       window_ids: list[str], session_id: str) -> None:
    for blob in blobs:
        try:
            events, indexes = decode_chunk(blob)
        except Exception as exc:  # zstd and JSON raise several types for damaged data
            raise ProtocolError(f"a chunk of session {session_id} cannot be read "
                                f"({type(exc).__name__}: {exc})") from exc
        if indexes is None:
            indexes = [0] * len(events)
        for event, index in zip(events, indexes, strict=True):
            key = window_ids[index] if isinstance(index, int) and 0 <= index < len(window_ids) \
                else ""
            windows.setdefault(key or "", []).append(event)


def _fetch_assets(context: FetchContext, session_id: str,
                  inlined: set[str]) -> list[FetchedAsset]:
    """The session's listed assets the cache lacks (bytes the recording carried inline are
    stored from the events themselves)."""
    client, project = context.client, context.project_remote_id
    try:
        listed = client.session_assets(project, session_id)
    except NotFoundError:
        return []
    wanted = [a for a in listed if a.get("sha256") not in inlined
              and int(a.get("size") or 0) <= MAX_ASSET_BYTES]
    with context.cache.read_session() as session:
        held = set(session.scalars(select(AssetBlob.sha256).where(
            AssetBlob.sha256.in_({a["sha256"] for a in wanted}))))

    def fetch(asset: dict[str, Any]) -> FetchedAsset | None:
        if asset["sha256"] in held:
            return FetchedAsset(asset["url"], asset["sha256"], asset.get("mime") or "", None)
        try:
            data, mime = client.asset(project, asset["url"], asset["sha256"])
        except NotFoundError:
            return None
        return FetchedAsset(asset["url"], asset["sha256"], asset.get("mime") or mime, data)

    return [a for a in context.downloads.map(fetch, wanted) if a is not None]
