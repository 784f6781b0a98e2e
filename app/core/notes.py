"""Reviewers' notes at moments of a session: what QA or support saw there, kept in the cache
with the session (and kept when a sync replaces the session with a longer recording)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.cache.models import Note

TEXT_LIMIT = 5_000


class NoteError(ValueError):
    """A note that cannot be kept; the message says why."""


@dataclass(frozen=True)
class NoteInfo:
    id: int
    session_id: str
    offset_ms: int
    text: str
    created_ms: int
    updated_ms: int

    def to_json(self) -> dict[str, object]:
        return dict(self.__dict__)


def add_note(session: Session, session_id: str, offset_ms: int, text: str) -> NoteInfo:
    now = _now_ms()
    row = Note(session_id=session_id, offset_ms=max(0, offset_ms), text=_clean(text),
               created_ms=now, updated_ms=now)
    session.add(row)
    session.flush()
    return _info(row)


def edit_note(session: Session, note_id: int, text: str) -> NoteInfo:
    row = session.get(Note, note_id)
    if row is None:
        raise NoteError(f"note {note_id} no longer exists")
    row.text, row.updated_ms = _clean(text), _now_ms()
    return _info(row)


def delete_note(session: Session, note_id: int) -> None:
    session.execute(delete(Note).where(Note.id == note_id))


def list_notes(session: Session, session_id: str) -> list[NoteInfo]:
    return [_info(row) for row in session.scalars(
        select(Note).where(Note.session_id == session_id).order_by(Note.offset_ms, Note.id))]


def take_notes(session: Session, session_id: str) -> list[NoteInfo]:
    """Lift a session's notes out before the session is replaced; `put_back` after."""
    notes = list_notes(session, session_id)
    session.execute(delete(Note).where(Note.session_id == session_id))
    return notes


def put_back(session: Session, notes: list[NoteInfo]) -> None:
    for note in notes:
        session.add(Note(id=note.id, session_id=note.session_id, offset_ms=note.offset_ms,
                         text=note.text, created_ms=note.created_ms,
                         updated_ms=note.updated_ms))


def _clean(text: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise NoteError("a note needs some text")
    if len(cleaned) > TEXT_LIMIT:
        raise NoteError(f"a note is longer than {TEXT_LIMIT:,} characters")
    return cleaned


def _info(row: Note) -> NoteInfo:
    return NoteInfo(row.id, row.session_id, row.offset_ms, row.text, row.created_ms,
                    row.updated_ms)


def _now_ms() -> int:
    return int(time.time() * 1000)
