"""Syncing from the window: the demo server, signing in, choosing projects, Sync Now, cancel.

The servers here are real: the reference server on a loopback port (the same one the app
embeds), fed through its ingest endpoint, and synced over HTTP into the window's cache.
"""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.sync.choice import synced_servers
from app.server.embedded import EmbeddedServer, EmbeddedState, post_demo_visits
from app.ui.connect_dialog import ConnectDialog
from app.ui.main_window import MainWindow
from tests.ui.conftest import MainWindowFactory

SYNC_MS = 60_000
DEMO_VISITS = 12


@pytest.fixture(scope="module")
def two_projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedState]:
    """A running server whose organization has "Demo shop" (12 visits) and "Blog" (2)."""
    server = EmbeddedServer(tmp_path_factory.mktemp("server"))
    state = server.start()
    headers = {"Authorization": f"Bearer {state.token}"}
    with httpx.Client(base_url=state.url + "/api/v1", headers=headers) as client:
        organization = client.get("/organizations").json()[0]
        blog = client.post(f"/organizations/{organization['id']}/projects",
                           json={"name": "Blog", "kind": "web"}).raise_for_status().json()
    post_demo_visits(state.url, blog["key"], count=2)
    yield state
    server.stop()


def server_session_count(state: EmbeddedState) -> int:
    headers = {"Authorization": f"Bearer {state.token}"}
    with httpx.Client(base_url=state.url + "/api/v1", headers=headers) as client:
        organization = client.get("/organizations").json()[0]
        return sum(len(client.get(f"/projects/{project['id']}/sessions",
                                  params={"limit": 500}).json()["sessions"])
                   for project in client.get(f"/organizations/{organization['id']}/projects")
                   .json())


def dialog_of(window: MainWindow) -> ConnectDialog:
    dialogs = [w for w in QApplication.topLevelWidgets()
               if isinstance(w, ConnectDialog) and w.isVisible()]
    assert len(dialogs) == 1
    return dialogs[0]


def wait_for_sync(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: not window.syncer.busy and not window.tasks.busy
                    and not window.sessions.loading, timeout=SYNC_MS)


def cached_projects(cache_path: Path) -> dict[str, int]:
    cache = Cache(cache_path)
    try:
        with cache.read_session() as session:
            from app.core.cache.queries import list_projects

            return {p.name: p.session_count for p in list_projects(session)}
    finally:
        cache.close()


def test_demo_server_from_the_empty_state(main_window: MainWindowFactory, qtbot: QtBot,
                                          tmp_path: Path) -> None:
    window = main_window()
    assert window.showing_empty_state
    qtbot.mouseClick(window.empty_state.connect_button, Qt.MouseButton.LeftButton)
    dialog = dialog_of(window)
    with qtbot.waitSignal(window.syncer.finished, timeout=SYNC_MS) as finished:
        qtbot.mouseClick(dialog.demo_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(window.sync_progress.isVisible)
    wait_for_sync(qtbot, window)

    outcome = finished.args[0]
    assert not outcome.cancelled
    assert outcome.reports[0].sessions_added == DEMO_VISITS
    assert window.browsing and window.sessions.total == DEMO_VISITS
    assert window.sync_label.text() == "Synced just now"
    assert not window.sync_progress.isVisible()
    # The demo visits typed passwords and card numbers; the server masked them and sync
    # re-masked: neither is anywhere in the cache file.
    cache_bytes = (tmp_path / "cache.sqlite3").read_bytes()
    assert b"Sunny-" not in cache_bytes and b"4242 4242" not in cache_bytes
    # The demo server keeps its admin token to itself, readable only by the user.
    state_file = tmp_path / "demo-server" / "embedded-server.json"
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    assert window.syncer.demo_server_url() == outcome.reports[0].server_url
    window.close()
    assert window.syncer.demo_server_url() is None, "the demo server stops with the window"


def test_sign_in_choose_projects_and_sync_now(main_window: MainWindowFactory, qtbot: QtBot,
                                              tmp_path: Path,
                                              two_projects: EmbeddedState) -> None:
    window = main_window()
    dialog = window.open_connect_dialog()
    dialog.url_edit.setText(two_projects.url + "/")
    dialog.token_edit.setText("tvt_not-a-token")
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: "refused the API token" in dialog.problem_label.text(),
                    timeout=SYNC_MS)
    assert not (tmp_path / "tokens.json").exists(), "a refused token must not be kept"

    dialog.token_edit.setText(two_projects.token)
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.projects.topLevelItemCount() == 1, timeout=SYNC_MS)
    organization = dialog.projects.topLevelItem(0)
    names = [organization.child(i).text(0) for i in range(organization.childCount())]
    assert sorted(names) == ["Blog", "Demo shop"]
    assert dialog.chosen_project_ids() and len(dialog.chosen_project_ids()) == 2
    assert "readable only by you" in dialog.token_note.text()
    assert dialog.token_edit.text() == ""

    blog = next(organization.child(i) for i in range(2) if organization.child(i).text(0)
                == "Blog")
    blog.setCheckState(0, Qt.CheckState.Unchecked)
    assert dialog.sync_button.text() == "Sync 1 project"
    dialog.sync_button.click()
    wait_for_sync(qtbot, window)
    assert cached_projects(tmp_path / "cache.sqlite3") == {"Demo shop": DEMO_VISITS}

    # The token was kept (owner-only file: no keyring here), under the server's plain URL.
    tokens_file = tmp_path / "tokens.json"
    assert json.loads(tokens_file.read_text()) == {two_projects.url: two_projects.token}
    assert stat.S_IMODE(tokens_file.stat().st_mode) == 0o600

    # A new visit arrives; Sync Now brings just it, and still only for the chosen project.
    post_demo_visits(two_projects.url, two_projects.project_key, count=1,
                     now_ms=int(time.time() * 1000))
    with qtbot.waitSignal(window.syncer.finished, timeout=SYNC_MS) as finished:
        window.sync_now()
    wait_for_sync(qtbot, window)
    report = finished.args[0].reports[0]
    assert (report.sessions_added, report.sessions_updated) == (1, 0)
    assert cached_projects(tmp_path / "cache.sqlite3") == {"Demo shop": DEMO_VISITS + 1}

    # Ticking Blog later adds it; the project chooser shows what is cached already.
    dialog = window.open_connect_dialog()
    assert dialog.url_edit.text() == two_projects.url
    dialog.connect_button.click()  # no token typed: the saved one is used
    qtbot.waitUntil(lambda: dialog.projects.topLevelItemCount() == 1, timeout=SYNC_MS)
    assert dialog.token_note.text() == "Using the token saved for this server."
    items = {item.text(0): item for item in
             (dialog.projects.topLevelItem(0).child(i) for i in range(2))}
    assert items["Blog"].checkState(0) == Qt.CheckState.Unchecked
    assert items["Demo shop"].text(3) == f"{DEMO_VISITS + 1} sessions"
    items["Blog"].setCheckState(0, Qt.CheckState.Checked)
    dialog.sync_button.click()
    wait_for_sync(qtbot, window)
    assert cached_projects(tmp_path / "cache.sqlite3") == {"Demo shop": DEMO_VISITS + 1,
                                                           "Blog": 2}


def test_cancelled_sync_keeps_what_it_wrote_and_resumes(main_window: MainWindowFactory,
                                                        qtbot: QtBot, tmp_path: Path,
                                                        two_projects: EmbeddedState) -> None:
    total = server_session_count(two_projects)
    window = main_window()
    dialog = window.open_connect_dialog()
    dialog.url_edit.setText(two_projects.url)
    dialog.token_edit.setText(two_projects.token)
    dialog.connect_button.click()
    qtbot.waitUntil(lambda: dialog.projects.topLevelItemCount() == 1, timeout=SYNC_MS)

    def cancel_after_the_first_session(_done: int, _total: int, message: str) -> None:
        if "session(s)" in message and window.sync_progress.cancel_button.isEnabled():
            qtbot.mouseClick(window.sync_progress.cancel_button, Qt.MouseButton.LeftButton)

    window.syncer.progressed.connect(cancel_after_the_first_session)
    with qtbot.waitSignal(window.syncer.finished, timeout=SYNC_MS) as finished:
        dialog.sync_button.click()
    window.syncer.progressed.disconnect(cancel_after_the_first_session)
    wait_for_sync(qtbot, window)
    outcome = finished.args[0]
    assert outcome.cancelled and "cancelled" in outcome.summary()
    partial = sum(cached_projects(tmp_path / "cache.sqlite3").values())
    assert 0 < partial < total

    with qtbot.waitSignal(window.syncer.finished, timeout=SYNC_MS):
        window.sync_now()
    wait_for_sync(qtbot, window)
    assert sum(cached_projects(tmp_path / "cache.sqlite3").values()) == total
    cache = Cache(tmp_path / "cache.sqlite3")
    with cache.read_session() as session:
        assert [len(s.chosen_project_ids) for s in synced_servers(session)] == [2]
    cache.close()


def test_sync_now_without_a_server_says_what_to_do(main_window: MainWindowFactory,
                                                   qtbot: QtBot) -> None:
    window = main_window()
    with qtbot.waitSignal(window.syncer.failed, timeout=SYNC_MS) as failed:
        window.sync_now()
    assert "Connect to Server" in failed.args[0]
    assert window.sync_label.text() == "Not synced"
