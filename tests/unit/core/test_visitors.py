"""A session's visitor and their other sessions, for the player's visitor panel."""

from __future__ import annotations

from pathlib import Path

from app.core.cache.database import Cache
from app.core.cache.visitors import visitor_sessions
from app.core.importing import import_file
from app.core.recording.synthetic import generate_recording, write_recording

ANN = {"uid": "cust-1", "name": "Ann Lee", "email": "ann@example.org", "plan": "pro"}


def add(cache: Cache, tmp_path: Path, seed: int, identity: dict[str, str] | None) -> str:
    path = tmp_path / f"visit-{seed}.json"
    write_recording(path, generate_recording(60, 500, seed=seed,
                                             start_ms=1_700_000_000_000 + seed * 86_400_000,
                                             identity=identity))
    result = import_file(cache, path)
    assert result.ok, result.message
    return result.session_id


def test_lists_the_visitors_other_sessions_newest_first(cache: Cache, tmp_path: Path) -> None:
    first, second, third = (add(cache, tmp_path, seed, ANN) for seed in (1, 2, 3))
    stranger = add(cache, tmp_path, 4, {"uid": "cust-2"})

    with cache.read_session() as session:
        found = visitor_sessions(session, second)
        alone = visitor_sessions(session, stranger)

    assert found.visitor is not None
    assert (found.visitor.uid, found.visitor.name, found.visitor.email) \
        == ("cust-1", "Ann Lee", "ann@example.org")
    assert found.visitor.identified and found.visitor.session_count == 3
    assert [info.id for info in found.others] == [third, first]
    assert all(info.visitor == "cust-1" for info in found.others)
    assert alone.others == [] and alone.visitor is not None
    assert alone.visitor.session_count == 1


def test_an_anonymous_visitor_is_not_identified(cache: Cache, tmp_path: Path) -> None:
    session_id = add(cache, tmp_path, 5, None)

    with cache.read_session() as session:
        found = visitor_sessions(session, session_id)

    assert found.visitor is not None and not found.visitor.identified
    assert found.others == []


def test_an_unknown_session_has_no_visitor(cache: Cache) -> None:
    with cache.read_session() as session:
        assert visitor_sessions(session, "nope").visitor is None
