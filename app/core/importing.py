"""Import recording files into the cache: one file, one transaction.

Everything that can fail on bad input (reading, parsing, normalising, masking) happens before
the transaction opens; a failure while writing (a full disk, say) rolls the file back. Either
way the cache holds exactly what it held before that file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.core.cache.assets import store_asset
from app.core.cache.database import Cache
from app.core.cache.models import RecordedSession
from app.core.cache.writing import get_or_create_project, get_or_create_visitor, write_session
from app.core.privacy import DEFAULT_POLICY, PrivacyPolicy, mask_recording_events
from app.core.recording.chunks import build_chunks
from app.core.recording.errors import RecordingError
from app.core.recording.formats import RawRecording, read_recording_file
from app.core.recording.inlined import inlined_images
from app.core.recording.normalize import Recording, normalize
from app.core.recording.rrweb import EventType
from app.core.recording.summary import summarize
from app.core.tasks import CancelToken, ProgressCallback, collector_paused, no_progress

DEFAULT_ORGANIZATION = "Local"
DEFAULT_PROJECT = "Imported"


@dataclass
class ImportResult:
    path: Path
    status: str  # imported | duplicate | rejected
    message: str
    session_id: str | None = None
    event_count: int = 0
    duration_ms: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status != "rejected"


def prepare(raw: RawRecording, policy: PrivacyPolicy = DEFAULT_POLICY) -> Recording:
    """Normalise and mask a parsed recording; refuse one with nothing to replay."""
    recording = normalize(raw)
    if not recording.events:
        raise RecordingError(raw.source, "not a recording: no event has a type and a timestamp")
    if not any(e["type"] in (EventType.FULL_SNAPSHOT, EventType.META,
                             EventType.INCREMENTAL_SNAPSHOT) for e in recording.events):
        raise RecordingError(raw.source, "not a recording: no snapshot or page events in it")
    mask_recording_events(recording.events, recording.windows, policy)
    return recording


def import_file(cache: Cache, path: Path, project_name: str = DEFAULT_PROJECT,
                organization_name: str = DEFAULT_ORGANIZATION,
                policy: PrivacyPolicy = DEFAULT_POLICY) -> ImportResult:
    """Import one recording file."""
    with collector_paused():
        return _import_file(cache, path, project_name, organization_name, policy)


def _import_file(cache: Cache, path: Path, project_name: str, organization_name: str,
                 policy: PrivacyPolicy) -> ImportResult:
    try:
        raw = read_recording_file(path)
        raw_size = path.stat().st_size
    except RecordingError as exc:
        return ImportResult(path, "rejected", str(exc))
    except OSError as exc:
        return ImportResult(path, "rejected", f"{path.name}: cannot read file ({exc})")
    return _import_raw(cache, raw, raw_size, path, project_name, organization_name, policy)


def import_raw(cache: Cache, raw: RawRecording, raw_size: int, path: Path | None = None,
               project_name: str = DEFAULT_PROJECT,
               organization_name: str = DEFAULT_ORGANIZATION,
               policy: PrivacyPolicy = DEFAULT_POLICY) -> ImportResult:
    """Import an already parsed recording (a file's, or one generated in memory)."""
    with collector_paused():
        return _import_raw(cache, raw, raw_size, path or Path(raw.source), project_name,
                           organization_name, policy)


def _import_raw(cache: Cache, raw: RawRecording, raw_size: int, path: Path, project_name: str,
                organization_name: str, policy: PrivacyPolicy) -> ImportResult:
    name = raw.source
    try:
        recording = prepare(raw, policy)
    except RecordingError as exc:
        return ImportResult(path, "rejected", str(exc))
    except RecursionError:
        return ImportResult(path, "rejected", f"{name}: the recording nests too deeply")
    chunked = build_chunks(recording.events, recording.windows)
    session_id = chunked.digest[:32]  # stable: importing the same recording finds the first copy
    summary = summarize(recording)
    kind = "mobile" if _has_wireframes(recording) else "web"
    result = ImportResult(path, "imported", "", session_id, summary.event_count,
                          summary.duration_ms, recording.notes)
    try:
        with cache.session() as session:
            if session.scalar(select(RecordedSession.id).where(RecordedSession.id == session_id)):
                result.status = "duplicate"
                result.message = f"{name}: already in the cache as session {session_id}"
                return result
            project = get_or_create_project(session, organization_name, project_name, kind)
            uid, visitor_name, email = _visitor_identity(recording, session_id)
            visitor = get_or_create_visitor(session, project.id, uid, visitor_name, email)
            write_session(session, project, session_id, recording, chunked.chunks, summary,
                          visitor, source=name, raw_size=raw_size)
            if chunked.has_inlined_images:
                for url, mime, data in inlined_images(recording.events):
                    store_asset(session, url, data, mime)
    except SQLAlchemyError as exc:
        original = getattr(exc, "orig", None) or exc
        return ImportResult(path, "rejected",
                            f"{name}: could not write to the cache ({original}); "
                            "nothing from this recording was kept")
    result.message = (f"{name}: imported session {session_id} "
                      f"({summary.event_count} events, {summary.duration_ms / 1000:.1f} s)")
    return result


def import_files(cache: Cache, paths: Sequence[Path], project_name: str = DEFAULT_PROJECT,
                 organization_name: str = DEFAULT_ORGANIZATION,
                 policy: PrivacyPolicy = DEFAULT_POLICY,
                 progress: ProgressCallback = no_progress,
                 cancel: CancelToken | None = None) -> list[ImportResult]:
    """Import each file in turn; stops between files when `cancel` is set."""
    results = []
    for done, path in enumerate(paths):
        if cancel is not None and cancel.cancelled:
            break
        progress(done, len(paths), f"Importing {path.name}")
        results.append(import_file(cache, path, project_name, organization_name, policy))
    progress(len(results), len(paths), "Import finished")
    return results


def _visitor_identity(recording: Recording,
                      session_id: str) -> tuple[str, str | None, str | None]:
    """(uid, name, e-mail) of the identified user, else an anonymous id for this session."""
    for event in recording.events:
        data = event.get("data")
        if event["type"] == EventType.CUSTOM and isinstance(data, dict) \
                and data.get("tag") == "identify" and isinstance(data.get("payload"), dict):
            payload = data["payload"]
            uid = payload.get("uid") or payload.get("id")
            if uid:
                return str(uid), _str_or_none(payload.get("name")), \
                    _str_or_none(payload.get("email"))
    return "anon-" + hashlib.sha256(session_id.encode()).hexdigest()[:16], None, None


def _str_or_none(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) and value != "" else None


def _has_wireframes(recording: Recording) -> bool:
    return any(e["type"] == EventType.FULL_SNAPSHOT and isinstance(e.get("data"), dict)
               and "wireframes" in e["data"] for e in recording.events)
