"""The player's inspector on a recording the real rrweb recorder made, with its console and
network plugins, in Debian's Chromium: what the page logged is in the console at its level,
its errors are in the errors panel and its requests in the network panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytestqt.qtbot import QtBot

from app.core.cache.database import Cache
from app.core.cache.queries import find_session, load_replay_chunks
from app.core.importing import import_file
from app.core.replay.inspection import inspect_events
from app.core.replay.session import ReplaySession
from app.ui.player.inspector import Inspector
from tests.support.browser import RecordedPage, recorded_page, rrweb_available

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAGE = """<!doctype html>
<html><head><title>Console</title></head><body>
<button id="log">Log</button><button id="go">Go</button><span id="status"></span>
<script>
  document.getElementById('log').addEventListener('click', () => {
    console.log('page ready', {build: 7});
    console.info('flags loaded');
    console.debug('render took', 12, 'ms');
    console.warn('deprecated call');
  });
  document.getElementById('go').addEventListener('click', () => {
    console.error('Payment failed', {code: 42});
    fetch('/api/ping').then(r => r.text()).then(text => {
      fetch('/missing').then(() => {
        document.getElementById('status').textContent = text;
      });
    });
    setTimeout(() => { throw new Error('Checkout exploded'); }, 0);
  });
</script>
</body></html>
"""


@pytest.fixture
def recording(browser: Browser) -> Iterator[RecordedPage]:
    if reason := rrweb_available("console", "network"):
        pytest.skip(reason)
    site = {"/": PAGE.encode(), "/api/ping": b"pong"}
    with recorded_page(browser, site, plugins=("console", "network")) as page:
        yield page


def test_console_errors_and_requests_of_a_recorded_page(
        qtbot: QtBot, recording: RecordedPage, cache: Cache, tmp_path: Path) -> None:
    page = recording.page
    page.click("#log")  # the recorder starts after the page's own scripts ran
    page.click("#go")
    page.wait_for_function("document.getElementById('status').textContent === 'pong'")
    page.wait_for_timeout(500)
    recording.settle()
    result = import_file(cache, recording.save(tmp_path / "recording.json"))
    assert result.ok and result.session_id is not None, result.message
    with cache.read_session() as session:
        chunks, windows = load_replay_chunks(session, result.session_id)
        info = find_session(session, result.session_id)
    assert info is not None
    replay = ReplaySession(result.session_id, chunks, windows)
    inspector = Inspector(info)
    qtbot.addWidget(inspector)
    inspector.show_inspection(inspect_events(replay.stream_events(), replay.start_ms))

    console = [(line.level, line.message) for line in inspector.console.model.entries]
    assert ("log", 'page ready {"build":7}') in console
    assert ("info", "flags loaded") in console
    assert ("debug", "render took 12 ms") in console
    assert ("warn", "deprecated call") in console
    assert inspector.console.level_buttons["warn"].text() == "Warnings 1"
    inspector.console.show_levels("error")
    shown = [inspector.console.model.entry(row).message
             for row in range(inspector.console.model.rowCount())]
    assert 'Payment failed {"code":42}' in shown
    assert any("Checkout exploded" in message for message in shown)

    errors = inspector.errors.model.entries
    logged = next(error for error in errors if error.message == 'Payment failed {"code":42}')
    assert logged.kind == "console.error" and logged.trace
    assert any(error.uncaught and "Checkout exploded" in error.message for error in errors)
    assert inspector.tabText(inspector.indexOf(inspector.errors)) == f"Errors {len(errors)}"

    assert inspector.isTabVisible(inspector.indexOf(inspector.network))
    requests = {entry.url: entry for entry in inspector.network.model.entries}
    ping, missing = requests[recording.url("/api/ping")], requests[recording.url("/missing")]
    assert (ping.status, ping.failed, missing.status, missing.failed) == (200, False, 404, True)
    assert logged.offset_ms <= ping.offset_ms
