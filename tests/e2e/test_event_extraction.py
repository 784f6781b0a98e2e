"""Event extraction on recordings made by the real rrweb recorder (with its console and network
plugins) in Debian's Chromium: each scripted action becomes the event it should, at the time
the script did it, on the element it did it to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from app.core.cache.database import Cache
from app.core.cache.queries import list_events
from app.core.importing import import_file
from tests.support.browser import RecordedPage, recorded_page, rrweb_available

if TYPE_CHECKING:
    from playwright.sync_api import Browser

PAGE = """<!doctype html>
<html><head><title>Events</title><style>
  body { font: 16px sans-serif; margin: 0; }
  main > * { display: block; margin: 16px; padding: 8px; }
  .box { width: 200px; height: 60px; background: #fc9; user-select: none; }
</style></head><body>
<main id="app">
  <button id="buy" class="btn primary">Buy <b>now</b></button>
  <span id="count">0</span>
  <nav><button class="tab">One</button><button class="tab">Two</button></nav>
  <p class="note">Nothing happens when you click this text.</p>
  <div class="box">Angry box</div>
  <button id="fail">Break it</button>
  <button id="load">Load</button>
  <form id="signup" name="signup"><input name="email" type="email">
    <button>Sign up</button></form>
  <span id="status"></span>
</main>
<script>
  const count = document.getElementById('count');
  const status = document.getElementById('status');
  document.getElementById('buy').addEventListener('click', () => {
    count.textContent = String(Number(count.textContent) + 1);
  });
  for (const tab of document.querySelectorAll('.tab')) {
    tab.addEventListener('click', () => { status.textContent = tab.textContent; });
  }
  document.getElementById('fail').addEventListener('click', () => {
    status.textContent = 'broken';
    console.error('Payment failed', {code: 42});
    setTimeout(() => { throw new Error('Checkout exploded'); }, 0);
    Promise.reject(new Error('Payment API unreachable'));
  });
  document.getElementById('load').addEventListener('click', () => {
    fetch('/api/ping').then(r => r.text()).then(text => { status.textContent = text; });
  });
  document.getElementById('signup').addEventListener('submit', event => {
    event.preventDefault();
    event.target.classList.add('sent');
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


def timed(recording: RecordedPage, action: Callable[[], Any]) -> tuple[int, int]:
    """Do `action`; the page's clock just before and just after it."""
    before = int(recording.page.evaluate("Date.now()"))
    action()
    return before, int(recording.page.evaluate("Date.now()"))


def imported_events(cache: Cache, recording: RecordedPage, tmp_path: Path) -> list[Any]:
    recording.settle()
    result = import_file(cache, recording.save(tmp_path / "recording.json"))
    assert result.ok, result.message
    assert result.session_id is not None
    with cache.read_session() as session:
        return list_events(session, result.session_id)


def selects_exactly(recording: RecordedPage, selector: str, target: str) -> bool:
    """Does `selector` pick out the element `target` names, and only it, in the live page?"""
    return bool(recording.page.evaluate(
        "([selector, target]) => { const found = document.querySelectorAll(selector);"
        " return found.length === 1 && found[0] === document.querySelector(target); }",
        [selector, target]))


def test_clicks_rage_and_dead_clicks_errors_and_requests(recording: RecordedPage, cache: Cache,
                                                         tmp_path: Path) -> None:
    page = recording.page
    buy = timed(recording, lambda: page.click("#buy b"))  # on the word inside the button
    tab = timed(recording, lambda: page.click("nav .tab:nth-child(2)"))
    page.wait_for_timeout(300)
    inert = timed(recording, lambda: page.click("p.note"))
    page.wait_for_timeout(1_300)
    rage = timed(recording, lambda: page.click(".box", click_count=3))
    page.wait_for_timeout(1_300)
    fail = timed(recording, lambda: page.click("#fail"))
    page.wait_for_timeout(300)
    load = timed(recording, lambda: page.click("#load"))
    page.wait_for_function("document.getElementById('status').textContent === 'pong'")
    page.wait_for_timeout(1_300)
    page.fill("#signup input", "ada@example.org")
    submit = timed(recording, lambda: page.click("#signup button"))
    page.wait_for_function("document.getElementById('signup').classList.contains('sent')")
    page.wait_for_timeout(1_300)
    events = imported_events(cache, recording, tmp_path)

    def in_time(event: Any, span: tuple[int, int], slack_ms: int = 0) -> bool:
        return span[0] - slack_ms <= event.ts_ms <= span[1] + slack_ms

    clicks = [e for e in events if e.kind == "click"]
    assert len(clicks) == 9  # buy, tab, note, 3 on the box, fail, load, submit
    first = clicks[0]
    assert (first.selector, first.text) == ("#buy", "Buy now") and in_time(first, buy)
    tab_click = clicks[1]
    assert tab_click.text == "Two" and in_time(tab_click, tab)
    assert selects_exactly(recording, tab_click.selector, "nav .tab:nth-child(2)"), \
        tab_click.selector

    [rage_click] = [e for e in events if e.kind == "rage_click"]
    assert rage_click.properties == {"count": 3} and in_time(rage_click, rage)
    assert selects_exactly(recording, rage_click.selector, ".box")
    assert rage_click.ts_ms == min(c.ts_ms for c in clicks if c.text == "Angry box")

    dead = [(e.selector, e.text) for e in events if e.kind == "dead_click"]
    assert dead == [("#app > p", "Nothing happens when you click this text."),
                    ("#app > div", "Angry box")]
    assert in_time(next(e for e in events if e.kind == "dead_click"), inert)

    errors = {e.name: e for e in events if e.kind == "error"}
    assert set(errors) == {'Payment failed {"code":42}', "Uncaught Error: Checkout exploded",
                           "Uncaught (in promise) Error: Payment API unreachable"}
    logged = errors['Payment failed {"code":42}']
    assert [e.properties["uncaught"] for e in errors.values()].count(True) == 2
    assert not logged.properties["uncaught"]
    assert all(in_time(e, fail, slack_ms=200) for e in errors.values())
    assert logged.properties["trace"] and recording.url("/") in logged.properties["trace"][0]

    [ping] = [e for e in events if e.kind == "network" and e.name == recording.url("/api/ping")]
    assert ping.properties["status"] == 200 and ping.properties["initiator"] == "fetch"
    assert in_time(ping, load, slack_ms=1_000)

    [submitted] = [e for e in events if e.kind == "submit"]
    assert (submitted.selector, submitted.name, submitted.text) == ("#signup", "signup",
                                                                    "Sign up")
    assert submitted.properties == {"via": "click", "confirmed_by": "form change"}
    assert in_time(submitted, submit)
    [typed] = [e for e in events if e.kind == "input"]
    assert (typed.selector, typed.name) == ("#signup > input", "email")
    assert typed.text == "*" * len("ada@example.org")  # masked at import, as stored
    assert all(e.url == recording.url("/") for e in events if e.kind != "pageview")
