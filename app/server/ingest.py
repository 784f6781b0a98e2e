"""Ingest: a tracker's batch of rrweb events becomes masked, chunked, indexed session data.

Everything that can fail on bad input (shape, types, timestamps) is checked before the
database transaction opens, so a malformed batch changes nothing. Inside the transaction a
batch is cut where sessions end (15 minutes without events, 60 minutes in all), each part is
masked with the project's policy (the masker's node mirror carried over from the previous
batch), appended as new immutable chunks, summarised into the session's metadata and indexed.
A session's change number is bumped last, under the project row's lock, so change numbers
become visible in the order they were handed out and a sync cursor never skips one.

Batches arrive out of order (a retry overtaken by the next batch, a first batch that is late),
so a batch naming the tracker's session joins the server session that holds it wherever its
events fall in time, as far as the cutting rules allow. Chunks never change, so events older
than the stored ones go into a new chunk that starts before its predecessor ends; readers
merge chunks by timestamp (API.md), and the metadata is kept as if they had come in order.
"""

from __future__ import annotations

import hashlib
import itertools
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import zstandard
from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.analytics.extract import extract_events
from app.core.privacy import EMAIL_RE, Masker, PrivacyPolicy, stars
from app.core.recording.chunks import build_chunks, iter_chunk_events
from app.core.recording.formats import RawRecording, Window
from app.core.recording.inlined import inlined_images
from app.core.recording.mirror import DomMirror
from app.core.recording.normalize import Recording, canonical_bytes, normalize
from app.core.recording.rrweb import USER_ACTIVITY_SOURCES, EventType, Source
from app.core.recording.summary import ACTIVE_GAP_MS, summarize
from app.server.database import ServerDatabase
from app.server.errors import Invalid, NotFound
from app.server.models import (
    Asset,
    AssetBlob,
    IngestBatch,
    Project,
    RecordingChunk,
    RecordingSession,
    SessionAsset,
    SessionEvent,
    Visitor,
)
from app.server.privacy_settings import policy_from_json

INACTIVITY_MS = 15 * 60 * 1000
MAX_SESSION_MS = 60 * 60 * 1000
MAX_EVENTS_PER_BATCH = 50_000
MAX_ASSET_BYTES = 5 * 1024 * 1024
MAX_PAGES_KEPT = 500
# Timestamps must be milliseconds since 1970 between 2000 and a day from now: seconds or a
# broken clock would otherwise make sessions decades long.
EARLIEST_MS = 946_684_800_000
FUTURE_SLACK_MS = 24 * 3600 * 1000
# The events the read API lists (API.md): what a recording says outright. Rage and dead clicks
# and submits are judged on what follows a click, which the next batch may hold; the desktop
# cache extracts all of them from the whole session.
INDEXED_KINDS = frozenset({"pageview", "click", "dblclick", "contextmenu", "input", "error",
                           "custom", "identify"})


@dataclass
class Batch:
    visitor_id: str
    events: list[dict[str, Any]]
    session_id: str | None = None
    window_id: str | None = None
    referrer: str | None = None
    raw_size: int = 0


@dataclass(frozen=True)
class ClientInfo:
    """What the request (not the recording) says about the visitor. Never an IP address."""

    browser: str | None = None
    os: str | None = None
    device_type: str | None = None
    country: str | None = None


@dataclass
class IngestResult:
    session_ids: list[str]
    event_count: int
    duplicate: bool = False


@dataclass
class _Segment:
    """The part of a batch that goes to one session."""

    session: RecordingSession | None  # None: a new session
    events: list[dict[str, Any]] = field(default_factory=list)
    # Events that rebuild the page the continued session left (already masked).
    resumed: list[dict[str, Any]] = field(default_factory=list)


def check_batch_events(events: Any) -> list[dict[str, Any]]:
    """Refuse anything that is not a list of rrweb events, naming the first bad one."""
    if not isinstance(events, list) or not events:
        raise Invalid("'events' must be a non-empty array of rrweb events")
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise Invalid(f"a batch holds at most {MAX_EVENTS_PER_BATCH} events, not {len(events)};"
                      " send smaller batches")
    latest = int(time.time() * 1000) + FUTURE_SLACK_MS
    for index, event in enumerate(events):
        if not isinstance(event, dict):
            raise Invalid(f"events[{index}] is not an object")
        kind, ts = event.get("type"), event.get("timestamp")
        if not isinstance(kind, int) or isinstance(kind, bool) or kind < 0:
            raise Invalid(f"events[{index}]: 'type' must be an rrweb event type (an integer)")
        if not isinstance(ts, int | float) or isinstance(ts, bool) or ts != ts:
            raise Invalid(f"events[{index}]: 'timestamp' must be a number (ms since 1970)")
        if not EARLIEST_MS <= ts <= latest:
            raise Invalid(f"events[{index}]: timestamp {ts} is not a time in milliseconds "
                          "since 1970 between the year 2000 and now")
        if kind in (EventType.FULL_SNAPSHOT, EventType.INCREMENTAL_SNAPSHOT, EventType.META) \
                and not isinstance(event.get("data"), dict):
            raise Invalid(f"events[{index}]: an event of type {kind} needs a 'data' object")
    return events


def ingest(db: ServerDatabase, project_id: int, batch: Batch, client: ClientInfo) -> IngestResult:
    """Store one batch; a batch received before (a tracker's retry) is recognised, not added."""
    events = check_batch_events(batch.events)
    recording = normalize(RawRecording("ingest", [Window(batch.window_id, events)]))
    digest = _batch_digest(batch, recording.events)
    with db.write() as session:
        project = session.get(Project, project_id)
        if project is None:
            raise NotFound("the project of this key no longer exists")
        visitor = _lock_visitor(session, project.id, batch.visitor_id[:200],
                                recording.start_ms)
        # Looked for under the visitor's lock: a retry racing its first attempt waits for it.
        if session.get(IngestBatch, (project.id, digest)) is not None:
            return IngestResult([], 0, duplicate=True)
        writer = _SessionWriter(session, project, visitor, batch, client,
                                policy_from_json(project.privacy))
        touched = writer.write(recording.events)
        _identify(visitor, recording.events)
        visitor.first_seen_ms = min(visitor.first_seen_ms, recording.start_ms)
        visitor.last_seen_ms = max(visitor.last_seen_ms, recording.end_ms)
        _bump_change_numbers(session, project.id, touched)
        session.add(IngestBatch(project_id=project.id, digest=digest, received_ms=_now_ms()))
    return IngestResult([row.id for row in touched], len(recording.events))


class _SessionWriter:
    """Appends one batch's events to the sessions they belong to."""

    def __init__(self, session: Session, project: Project, visitor: Visitor, batch: Batch,
                 client: ClientInfo, policy: PrivacyPolicy) -> None:
        self.session, self.project, self.visitor = session, project, visitor
        self.batch, self.client, self.policy = batch, client, policy
        self.window_key = batch.window_id or ""

    def write(self, events: list[dict[str, Any]]) -> list[RecordingSession]:
        first_ts, last_ts = events[0]["timestamp"], events[-1]["timestamp"]
        before = self._session_before(first_ts)
        if self.batch.session_id is None:
            candidates = [before] if before is not None else []
        else:
            candidates = self._tracker_sessions(first_ts, last_ts)
        segments = _segments(candidates, events)
        masker = self._restore_masker(segments[0].session or before)
        touched: list[RecordingSession] = []
        # A new session goes on from the one before it (same tab): page and mirror carry over.
        previous = before
        for segment in segments:
            row = segment.session or self._new_session(segment, previous)
            self._append(row, segment, masker)
            touched.append(row)
            previous = row
        return touched

    # -- where the events go -------------------------------------------------------------------

    def _visitor_sessions(self) -> Select[tuple[RecordingSession]]:
        """The visitor's live sessions (in the tracker's own session, when it names one)."""
        query = select(RecordingSession).where(
            RecordingSession.project_id == self.project.id,
            RecordingSession.visitor_id == self.visitor.id,
            RecordingSession.deleted_ms.is_(None))
        if self.batch.session_id is not None:
            query = query.where(RecordingSession.client_session_id == self.batch.session_id)
        return query

    def _session_before(self, first_ts: int) -> RecordingSession | None:
        """The latest session that began before this batch: a batch without a tracker session
        id goes on with it, and a session cut out of the same tab continues its page."""
        return self.session.scalar(self._visitor_sessions().where(
            RecordingSession.start_ms <= first_ts
        ).order_by(RecordingSession.start_ms.desc()).limit(1))

    def _tracker_sessions(self, first_ts: int, last_ts: int) -> list[RecordingSession]:
        """The tracker session's server sessions that some event of this batch might join,
        by start (a late batch may belong before a session's first event)."""
        return list(self.session.scalars(self._visitor_sessions().where(
            RecordingSession.end_ms >= first_ts - INACTIVITY_MS,
            RecordingSession.start_ms <= last_ts + INACTIVITY_MS,
        ).order_by(RecordingSession.start_ms)))

    def _new_session(self, segment: _Segment,
                     continues: RecordingSession | None) -> RecordingSession:
        ts = segment.events[0]["timestamp"]
        now = _now_ms()
        row = RecordingSession(
            id=uuid.uuid4().hex, project_id=self.project.id, visitor_id=self.visitor.id,
            client_session_id=self.batch.session_id, start_ms=ts, end_ms=ts, duration_ms=0,
            active_ms=0, last_activity_ms=None, pages=[], page_count=0, landing_page=None,
            exit_page=None, referrer=self._masked_referrer(), device_type=None,
            os=self.client.os, browser=self.client.browser, viewport_width=None,
            viewport_height=None, country=self.client.country, event_count=0, click_count=0,
            input_count=0, error_count=0, custom_count=0, chunk_count=0, raw_size=0,
            stored_size=0, window_ids=[], masker_state=None, change_seq=0, created_ms=now,
            updated_ms=now, deleted_ms=None)
        self.session.add(row)
        self.session.flush()
        if continues is not None:
            segment.resumed = self._resume_page(continues, segment.events)
        return row

    # -- masking -------------------------------------------------------------------------------

    def _restore_masker(self, previous: RecordingSession | None) -> Masker:
        """Go on with the masker of the session this batch continues (the same tab's node
        ids); a visitor's first session starts afresh. A batch holds one window, so the
        masker sees it as window 0; states are kept per window id."""
        state = _masker_states(previous).get(self.window_key)
        return Masker.from_state(self.policy, state) if state else Masker(self.policy)

    def _masked_referrer(self) -> str | None:
        referrer = (self.batch.referrer or "")[:2000] or None
        if referrer and self.policy.mask_emails:
            return EMAIL_RE.sub(lambda m: stars(m.group()), referrer)
        return referrer

    def _resume_page(self, previous: RecordingSession,
                     events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Meta and FullSnapshot events that rebuild the page as the previous session left it,
        so a session cut out of a running tab replays from its first moment. The previous
        session's stored events are already masked, so the rebuilt page is too."""
        first = next((e["type"] for e in events if e["type"] in (
            EventType.FULL_SNAPSHOT, EventType.INCREMENTAL_SNAPSHOT)), None)
        if first == EventType.FULL_SNAPSHOT:
            return []  # the tracker took a new snapshot itself
        if self.window_key not in previous.window_ids:
            return []
        window = previous.window_ids.index(self.window_key)
        mirror, meta = DomMirror(), None
        for event, event_window in self._stored_events(previous):
            if event_window != window:
                continue
            mirror.apply(event)
            if event.get("type") == EventType.META and isinstance(event.get("data"), dict):
                meta = event["data"]
        root = mirror.serialize()
        if root is None:
            return []
        ts = events[0]["timestamp"]
        left, top = mirror.scroll.get(root.get("id"), (0, 0))  # type: ignore[arg-type]
        resumed = [{"type": int(EventType.FULL_SNAPSHOT), "timestamp": ts,
                    "data": {"node": root, "initialOffset": {"left": left, "top": top}}}]
        if meta is not None:
            resumed.insert(0, {"type": int(EventType.META), "timestamp": ts, "data": meta})
        return resumed

    def _stored_events(self, row: RecordingSession) -> Iterator[tuple[dict[str, Any], int]]:
        """(event, window index) of a session in time order. Chunks are read one at a time
        unless a late batch's chunk overlaps an earlier one; then all are merged, stably."""
        bounds = self.session.execute(select(RecordingChunk.start_ms, RecordingChunk.end_ms)
                                      .where(RecordingChunk.session_id == row.id)
                                      .order_by(RecordingChunk.seq)).all()
        blobs = self.session.scalars(select(RecordingChunk.data).where(
            RecordingChunk.session_id == row.id).order_by(RecordingChunk.seq))
        events = iter_chunk_events(iter(blobs))
        if all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(bounds)):
            return events
        return iter(sorted(events, key=lambda item: item[0]["timestamp"]))

    # -- storing -------------------------------------------------------------------------------

    def _append(self, row: RecordingSession, segment: _Segment, masker: Masker) -> None:
        # Events from before the session's last one (a late batch): where they fall among
        # the stored pages is only known from the index.
        late = segment.events[0]["timestamp"] < row.end_ms
        if self.window_key not in row.window_ids:
            row.window_ids = [*row.window_ids, self.window_key]
        window = row.window_ids.index(self.window_key)
        for event in segment.events:
            masker.mask_event(event, 0)
        # The resumed page is not masked again: a full snapshot would reset the masker's
        # mirror, forgetting which node ids belong to excluded elements.
        events = segment.resumed + segment.events
        windows = [window] * len(events)
        chunked = build_chunks(events, windows)
        offset = row.chunk_count
        now = _now_ms()
        self.session.add_all(RecordingChunk(
            session_id=row.id, seq=offset + chunk.seq, start_ms=chunk.start_ms,
            end_ms=chunk.end_ms, event_count=chunk.event_count,
            starts_with_full_snapshot=chunk.starts_with_full_snapshot, raw_size=chunk.raw_size,
            size=len(chunk.data), sha256=hashlib.sha256(chunk.data).hexdigest(),
            data=chunk.data, created_ms=now) for chunk in chunked.chunks)
        self._index_events(row, events, [(offset + c.seq, c.event_count)
                                         for c in chunked.chunks],
                           self._page_at(row, events[0]["timestamp"]) if late else row.exit_page)
        self._store_assets(row, events)
        self._summarise(row, events, windows, late)
        row.chunk_count = offset + len(chunked.chunks)
        row.stored_size += sum(len(c.data) for c in chunked.chunks)
        row.raw_size += self.batch.raw_size
        states = {**_masker_states(row), self.window_key: masker.export_state()}
        row.masker_state = zstandard.ZstdCompressor().compress(orjson.dumps(states))
        row.updated_ms = now
        self.session.flush()

    def _index_events(self, row: RecordingSession, events: list[dict[str, Any]],
                      chunks: list[tuple[int, int]], url: str | None) -> None:
        rows = []
        start = 0
        for seq, count in chunks:
            for item in extract_events(events[start:start + count]):
                if item.kind not in INDEXED_KINDS:
                    continue
                if item.kind == "pageview":
                    url = item.url
                rows.append(SessionEvent(
                    session_id=row.id, chunk_seq=seq, ts_ms=item.ts_ms, kind=item.kind,
                    name=item.name, url=item.url or url, node_id=item.node_id, x=item.x,
                    y=item.y, properties=item.properties))
            start += count
        self.session.add_all(rows)

    def _store_assets(self, row: RecordingSession, events: list[dict[str, Any]]) -> None:
        insert = pg_insert if self.session.get_bind().dialect.name == "postgresql" \
            else sqlite_insert
        for url, mime, data in inlined_images(events):
            if len(data) > MAX_ASSET_BYTES:
                continue
            digest = hashlib.sha256(data).hexdigest()
            url_key = hashlib.sha256(url.encode()).hexdigest()
            self.session.execute(insert(AssetBlob).values(
                sha256=digest, mime=mime[:100], size=len(data), data=data
            ).on_conflict_do_nothing())
            self.session.execute(insert(Asset).values(
                project_id=self.project.id, url_sha256=url_key, url=url, blob_sha256=digest,
                added_ms=_now_ms()).on_conflict_do_update(
                index_elements=["project_id", "url_sha256"], set_={"blob_sha256": digest}))
            self.session.execute(insert(SessionAsset).values(
                session_id=row.id, url_sha256=url_key).on_conflict_do_nothing())

    def _page_at(self, row: RecordingSession, ts: int) -> str | None:
        """The page the session showed at `ts`, by its indexed pageviews."""
        return self.session.scalar(select(SessionEvent.url).where(
            SessionEvent.session_id == row.id, SessionEvent.kind == "pageview",
            SessionEvent.ts_ms <= ts).order_by(SessionEvent.ts_ms.desc(),
                                               SessionEvent.id.desc()).limit(1))

    def _indexed_pages(self, row: RecordingSession) -> list[str]:
        """The session's pages in time order, from its indexed pageviews."""
        urls = self.session.scalars(select(SessionEvent.url).where(
            SessionEvent.session_id == row.id, SessionEvent.kind == "pageview"
        ).order_by(SessionEvent.ts_ms, SessionEvent.id))
        return _extend_pages([], [url for url in urls if url])

    def _summarise(self, row: RecordingSession, events: list[dict[str, Any]],
                   windows: list[int], late: bool) -> None:
        summary = summarize(Recording("ingest", events, windows, row.window_ids))
        row.start_ms = min(row.start_ms, summary.start_ms)
        row.end_ms = max(row.end_ms, summary.end_ms)
        row.duration_ms = row.end_ms - row.start_ms
        activity = activity_times(events)
        bridge = activity[0] - row.last_activity_ms \
            if activity and row.last_activity_ms is not None else None
        row.active_ms += summary.active_ms + (bridge if bridge and 0 < bridge <= ACTIVE_GAP_MS
                                              else 0)
        if activity:
            row.last_activity_ms = max(activity[-1], row.last_activity_ms or 0)
        pages = self._indexed_pages(row) if late else _extend_pages(row.pages, summary.pages)
        row.pages = pages[:MAX_PAGES_KEPT]
        row.page_count = len(pages)
        row.landing_page = pages[0] if pages else None
        row.exit_page = pages[-1] if pages else None
        if row.viewport_width is None and summary.viewport_width is not None:
            row.viewport_width = summary.viewport_width
            row.viewport_height = summary.viewport_height
        row.device_type = summary.device_type or row.device_type or self.client.device_type
        row.browser = row.browser or self.client.browser
        row.os = row.os or self.client.os
        row.country = row.country or self.client.country
        row.referrer = row.referrer or self._masked_referrer()
        row.event_count += summary.event_count
        row.click_count += summary.click_count
        row.input_count += summary.input_count
        row.error_count += summary.error_count
        row.custom_count += summary.custom_count


def _segments(candidates: list[RecordingSession],
              events: list[dict[str, Any]]) -> list[_Segment]:
    """Cut the batch where sessions end; each part joins the known session it fits, or
    starts a new one. A session is joined at most once: the events only move forward."""
    segments: list[_Segment] = []
    start = end = 0
    for event in events:
        ts = event["timestamp"]
        if not segments or not _fits(start, end, ts):
            used = [segment.session for segment in segments]
            row = _fitting([c for c in candidates if c not in used], ts)
            segments.append(_Segment(row))
            start, end = (row.start_ms, row.end_ms) if row is not None else (ts, ts)
        segments[-1].events.append(event)
        start, end = min(start, ts), max(end, ts)
    return segments


def _fits(start: int, end: int, ts: int) -> bool:
    """Whether an event at `ts` may join a session spanning `start`..`end`: no 15 minutes
    without events on either side, 60 minutes in all."""
    return (start - INACTIVITY_MS <= ts <= end + INACTIVITY_MS
            and max(end, ts) - min(start, ts) < MAX_SESSION_MS)


def _fitting(candidates: list[RecordingSession], ts: int) -> RecordingSession | None:
    """The session an event at `ts` joins: the latest that began before it, else the first
    that begins after it (the event came late)."""
    fitting = [row for row in candidates if _fits(row.start_ms, row.end_ms, ts)]
    started = [row for row in fitting if row.start_ms <= ts]
    if started:
        return started[-1]
    return fitting[0] if fitting else None


def _extend_pages(pages: list[str], more: list[str]) -> list[str]:
    """`pages` then `more`, without a page repeated right after itself (a reload)."""
    pages = list(pages)
    for page in more:
        if not pages or pages[-1] != page:
            pages.append(page)
    return pages


def _masker_states(row: RecordingSession | None) -> dict[str, Any]:
    if row is None or row.masker_state is None:
        return {}
    return orjson.loads(zstandard.ZstdDecompressor().decompress(row.masker_state))


def activity_times(events: list[dict[str, Any]]) -> list[int]:
    """When the person did something (as `summary.active_time` counts it), sorted."""
    times: list[int] = []
    for event in events:
        data = event.get("data")
        if event["type"] != EventType.INCREMENTAL_SNAPSHOT or not isinstance(data, dict) \
                or data.get("source") not in USER_ACTIVITY_SOURCES:
            continue
        positions = data.get("positions")
        if data.get("source") in (Source.MOUSE_MOVE, Source.TOUCH_MOVE, Source.DRAG) \
                and isinstance(positions, list):
            for position in positions:
                offset = position.get("timeOffset", 0) if isinstance(position, dict) else 0
                times.append(event["timestamp"]
                             + (offset if isinstance(offset, int | float) else 0))
        else:
            times.append(event["timestamp"])
    return sorted(times)


def _lock_visitor(session: Session, project_id: int, anonymous_id: str, ts: int) -> Visitor:
    """The visitor row, created if new and locked (PostgreSQL) so that two batches of one
    visitor are stored one after the other, never interleaved."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(Visitor).values(
        project_id=project_id, anonymous_id=anonymous_id, properties={}, first_seen_ms=ts,
        last_seen_ms=ts).on_conflict_do_nothing())
    return session.scalars(select(Visitor).where(
        Visitor.project_id == project_id, Visitor.anonymous_id == anonymous_id
    ).with_for_update().execution_options(populate_existing=True)).one()


def _identify(visitor: Visitor, events: list[dict[str, Any]]) -> None:
    """identify(uid, {name, email, ...}): the identity the site chose to share."""
    for event in events:
        data = event.get("data")
        if event["type"] != EventType.CUSTOM or not isinstance(data, dict) \
                or data.get("tag") != "identify" or not isinstance(data.get("payload"), dict):
            continue
        payload = data["payload"]
        uid = payload.get("uid") or payload.get("id")
        if isinstance(uid, str | int) and uid != "":
            visitor.uid = str(uid)[:200]
        for key, limit in (("name", 200), ("email", 320)):
            if isinstance(payload.get(key), str) and payload[key]:
                setattr(visitor, key, payload[key][:limit])
        extra = {k: v for k, v in payload.items() if k not in ("uid", "id", "name", "email")}
        if extra:
            visitor.properties = {**visitor.properties, **extra}


def _bump_change_numbers(session: Session, project_id: int,
                         rows: list[RecordingSession]) -> None:
    """Give each changed session the project's next change number. The UPDATE takes the
    project row's lock until commit, so numbers are committed in the order given."""
    last = session.execute(update(Project).where(Project.id == project_id).values(
        change_seq=Project.change_seq + len(rows)).returning(Project.change_seq)).scalar_one()
    for offset, row in enumerate(rows):
        row.change_seq = last - len(rows) + 1 + offset


def _batch_digest(batch: Batch, events: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for part in (batch.visitor_id, batch.session_id or "", batch.window_id or ""):
        digest.update(part.encode() + b"\0")
    for event in events:
        digest.update(canonical_bytes(event))
    return digest.hexdigest()


def _now_ms() -> int:
    return int(time.time() * 1000)
