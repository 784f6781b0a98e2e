"""The read API the desktop app syncs from: sessions, their chunks, events and assets."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.cache.writing import now_ms
from app.server.auth import Db, ProjectGrant, project_access
from app.server.errors import Invalid, NotFound
from app.server.models import (
    Asset,
    AssetBlob,
    Project,
    RecordingChunk,
    RecordingSession,
    SessionAsset,
    SessionEvent,
)
from app.server.queries import MAX_PAGE, SessionFilter, list_sessions, session_out
from app.server.roles import ProjectAction
from app.server.schemas import (
    AssetOut,
    ChunkOut,
    ErrorOut,
    EventOut,
    SessionDetail,
    SessionPage,
)

CHUNK_MEDIA_TYPE = "application/zstd"
ERRORS = {401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}}

router = APIRouter(prefix="/api/v1/projects/{project_id}", tags=["recordings"],
                   responses=ERRORS)
Viewer = Annotated[ProjectGrant, Depends(project_access(ProjectAction.VIEW))]
Editor = Annotated[ProjectGrant, Depends(project_access(ProjectAction.EDIT_CONTENT))]


@router.get("/sessions", response_model=SessionPage, summary="Sessions, by change")
def get_sessions(
        grant: Viewer, db: Db,
        after: Annotated[str | None, Query(description="Cursor: only sessions changed after "
                                                       "it (a `next_cursor` from before).")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        from_ms: Annotated[int | None, Query(description="Sessions starting at or after")] = None,
        to_ms: Annotated[int | None, Query(description="Sessions starting before")] = None,
        visitor: Annotated[str | None, Query(description="Anonymous id, uid or e-mail")] = None,
        device_type: str | None = None,
        browser: Annotated[str | None, Query(description="Name prefix, e.g. 'Chrome'")] = None,
        os: Annotated[str | None, Query(description="Name prefix, e.g. 'Android'")] = None,
        country: str | None = None,
        url: Annotated[str | None, Query(description="Text in any page URL")] = None,
        min_duration_ms: int | None = None,
        has_errors: bool | None = None,
        include_deleted: Annotated[bool, Query(description="Include tombstones of deleted "
                                                           "sessions (for sync)")] = False,
) -> SessionPage:
    """Sessions of the project in the order they last changed. A session that receives more
    events (it is live) or is deleted moves to the end with a new `change_seq`, so asking
    again with the last `next_cursor` returns exactly what changed since."""
    cursor = _parse_cursor(after)
    query = SessionFilter(after=cursor, limit=limit, from_ms=from_ms, to_ms=to_ms,
                          visitor=visitor, device_type=device_type, browser=browser, os=os,
                          country=country, url=url, min_duration_ms=min_duration_ms,
                          has_errors=has_errors, include_deleted=include_deleted)
    with db.read() as session:
        rows, has_more = list_sessions(session, grant.project_id, query)
        if rows:
            next_cursor: int | None = rows[-1].change_seq
        else:
            # Nothing new: hand back the cursor as it was, so a poller keeps its place.
            next_cursor = cursor if after is not None else None
    return SessionPage(sessions=rows, has_more=has_more,
                       next_cursor=str(next_cursor) if next_cursor is not None else None)


@router.get("/sessions/{session_id}", response_model=SessionDetail,
            summary="One session with its chunk list")
def get_session(grant: Viewer, db: Db, session_id: str) -> SessionDetail:
    with db.read() as session:
        row = _live_session(session, grant, session_id)
        chunks = _chunks(session, session_id)
        return SessionDetail(**session_out(row).model_dump(), chunks=chunks)


@router.delete("/sessions/{session_id}", status_code=204, summary="Delete a session")
def delete_session(grant: Editor, db: Db, session_id: str) -> Response:
    """Removes the recording, events and asset links; a tombstone stays so sync clients
    learn of the deletion (listed with `include_deleted=true`)."""
    with db.write() as session:
        row = _live_session(session, grant, session_id)
        for model in (RecordingChunk, SessionEvent, SessionAsset):
            session.execute(delete(model).where(model.session_id == session_id))
        last = session.execute(update(Project).where(Project.id == grant.project_id).values(
            change_seq=Project.change_seq + 1).returning(Project.change_seq)).scalar_one()
        row.deleted_ms = row.updated_ms = now_ms()
        row.change_seq = last
        row.masker_state = None
        row.chunk_count = row.stored_size = 0
    return Response(status_code=204)


@router.get("/sessions/{session_id}/chunks", response_model=list[ChunkOut],
            summary="A session's chunk list")
def get_chunks(grant: Viewer, db: Db, session_id: str) -> list[ChunkOut]:
    """Chunks in order. A chunk never changes once listed; a live session only gains
    chunks at the end."""
    with db.read() as session:
        _live_session(session, grant, session_id)
        return _chunks(session, session_id)


@router.get("/sessions/{session_id}/chunks/{seq}", summary="One chunk's data",
            response_class=Response,
            responses={200: {"content": {CHUNK_MEDIA_TYPE: {}},
                             "description": "zstd-compressed JSON `{\"e\": [rrweb events], "
                                            "\"w\": [window index per event] | null}`."}})
def get_chunk(grant: Viewer, db: Db, session_id: str, seq: int) -> Response:
    with db.read() as session:
        _live_session(session, grant, session_id)
        chunk = session.get(RecordingChunk, (session_id, seq))
        if chunk is None:
            raise NotFound(f"session {session_id} has no chunk {seq}")
        return Response(chunk.data, media_type=CHUNK_MEDIA_TYPE, headers={
            "ETag": f'"{chunk.sha256}"', "X-Chunk-Sha256": chunk.sha256,
            "Cache-Control": "private, max-age=31536000, immutable"})


@router.get("/sessions/{session_id}/events", response_model=list[EventOut],
            summary="Events found in a session")
def get_events(grant: Viewer, db: Db, session_id: str,
               from_chunk: Annotated[int, Query(ge=0, description="Only events in chunks "
                                                "from this seq on (fetch what is new).")] = 0,
               ) -> list[EventOut]:
    with db.read() as session:
        _live_session(session, grant, session_id)
        rows = session.scalars(select(SessionEvent).where(
            SessionEvent.session_id == session_id, SessionEvent.chunk_seq >= from_chunk)
            .order_by(SessionEvent.chunk_seq, SessionEvent.ts_ms, SessionEvent.id))
        return [EventOut.model_validate(row) for row in rows]


@router.get("/sessions/{session_id}/assets", response_model=list[AssetOut],
            summary="Assets a session's recording carried")
def get_session_assets(grant: Viewer, db: Db, session_id: str) -> list[AssetOut]:
    with db.read() as session:
        _live_session(session, grant, session_id)
        rows = session.execute(
            select(Asset.url, AssetBlob.sha256, AssetBlob.mime, AssetBlob.size)
            .join(SessionAsset, (SessionAsset.url_sha256 == Asset.url_sha256)
                  & (SessionAsset.session_id == session_id))
            .join(AssetBlob, AssetBlob.sha256 == Asset.blob_sha256)
            .where(Asset.project_id == grant.project_id).order_by(Asset.url))
        return [AssetOut(url=url, sha256=sha, mime=mime, size=size)
                for url, sha, mime, size in rows]


@router.get("/assets", summary="An asset's bytes, by URL", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}},
                             "description": "The asset, with its recorded MIME type."}})
def get_asset(grant: Viewer, db: Db,
              url: Annotated[str, Query(description="The URL as the recording names it")],
              ) -> Response:
    with db.read() as session:
        row = session.execute(
            select(AssetBlob.mime, AssetBlob.data, AssetBlob.sha256)
            .join(Asset, Asset.blob_sha256 == AssetBlob.sha256)
            .where(Asset.project_id == grant.project_id,
                   Asset.url_sha256 == hashlib.sha256(url.encode()).hexdigest())).first()
    if row is None:
        raise NotFound("no asset with that URL in this project")
    return Response(row.data, media_type=row.mime, headers={
        "ETag": f'"{row.sha256}"', "X-Content-Type-Options": "nosniff"})


def _parse_cursor(after: str | None) -> int:
    if after is None or after == "":
        return 0
    if not after.isdigit():
        raise Invalid(f"'after' must be a cursor this API returned, not {after!r}")
    return int(after)


def _live_session(session: Session, grant: ProjectGrant, session_id: str) -> RecordingSession:
    row = session.get(RecordingSession, session_id)
    if row is None or row.project_id != grant.project_id or row.deleted_ms is not None:
        raise NotFound(f"no session {session_id} in this project")
    return row


def _chunks(session: Session, session_id: str) -> list[ChunkOut]:
    rows = session.execute(select(
        RecordingChunk.seq, RecordingChunk.start_ms, RecordingChunk.end_ms,
        RecordingChunk.event_count, RecordingChunk.starts_with_full_snapshot,
        RecordingChunk.raw_size, RecordingChunk.size, RecordingChunk.sha256,
    ).where(RecordingChunk.session_id == session_id).order_by(RecordingChunk.seq))
    return [ChunkOut.model_validate(row, from_attributes=True) for row in rows]
