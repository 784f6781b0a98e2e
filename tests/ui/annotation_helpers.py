"""Shared steps for the tests of defined events and notes in the player: a cache of demo
sessions and a player opened on one of them with its feed, notes and defined events read."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.demo import load_demo_sessions
from app.ui.main_window import MainWindow
from app.ui.player.player_widget import PlayerWidget

LOAD_MS = 30_000


def demo_cache(path: Path, count: int) -> list[str]:
    """Fill the cache at `path` with demo sessions (before a window opens it); their ids."""
    cache = Cache(path)
    try:
        return [result.session_id for result in load_demo_sessions(cache, count)]
    finally:
        cache.close()


def open_session(qtbot: QtBot, window: MainWindow, session_id: str) -> PlayerWidget:
    """Replay one listed session and wait until everything beside the replay is read."""
    qtbot.waitUntil(lambda: window.sessions.row_of(session_id) is not None
                    and not window.tasks.busy, timeout=LOAD_MS)
    row = window.sessions.row_of(session_id)
    assert row is not None
    player = window.open_replay(window.sessions.session_at(row))
    assert player is not None
    qtbot.waitUntil(lambda: player.inspector.inspection is not None and not window.tasks.busy,
                    timeout=LOAD_MS)
    return player
