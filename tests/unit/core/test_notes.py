"""Notes at moments of a session: kept in order, edited, deleted, refused when empty."""

from __future__ import annotations

import pytest

from app.core.cache.database import Cache
from app.core.demo import load_demo_sessions
from app.core.notes import NoteError, add_note, delete_note, edit_note, list_notes


def test_notes_are_kept_in_time_order_and_can_be_edited_and_deleted(cache: Cache) -> None:
    session_id = load_demo_sessions(cache, 1)[0].session_id
    with cache.session() as session:
        later = add_note(session, session_id, 40_000, "  Pays twice  ")
        first = add_note(session, session_id, 5_000, "Lands on the sale banner")
        add_note(session, session_id, -10, "Before the start is the start")
    with cache.session() as session:
        notes = list_notes(session, session_id)
        assert [(n.offset_ms, n.text) for n in notes] == [
            (0, "Before the start is the start"), (5_000, "Lands on the sale banner"),
            (40_000, "Pays twice")]
        edited = edit_note(session, later.id, "Pays twice: the button stays enabled")
        assert edited.updated_ms >= later.updated_ms and edited.created_ms == later.created_ms
        delete_note(session, first.id)
    with cache.read_session() as session:
        assert [n.text for n in list_notes(session, session_id)] == [
            "Before the start is the start", "Pays twice: the button stays enabled"]


@pytest.mark.parametrize("text, says", [("   ", "needs some text"),
                                        ("x" * 5_001, "longer than 5,000")])
def test_notes_without_text_or_too_long_are_refused(cache: Cache, text: str,
                                                    says: str) -> None:
    session_id = load_demo_sessions(cache, 1)[0].session_id
    with cache.session() as session, pytest.raises(NoteError, match=says):
        add_note(session, session_id, 0, text)
    with cache.session() as session, pytest.raises(NoteError, match="no longer exists"):
        edit_note(session, 12345, "text")
