"""The tracking code (resources/tracker/tapeview.js) end to end: a page in Debian's Chromium loads
the real rrweb recorder from npm and the tracker, a visitor clicks and types, and the session
reaches a real `tapeview serve` (and, with `tapeview sync`, a fresh desktop cache).

The acceptance of the tracker: a password, an e-mail address and a card number typed into the
page arrive as `*` runs of the typed length, and none of the typed text is in anything that
left the browser, in the server's database or in the cache file. Around it: identify() names
the visitor, track() and uncaught errors become events, leaving a page sends the rest by
beacon, a server outage loses nothing and duplicates nothing, and a tab idle for 15 minutes
starts a new session that replays on its own.

What left the browser is seen twice: fetches through Playwright, and beacons through a
wrapper around `navigator.sendBeacon` that logs into the tab's sessionStorage (a beacon sent
while the page is being left is handed to the browser process, where neither Playwright nor
the DevTools protocol see it).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest
import zstandard

from app.cli import main
from app.core.privacy import stars
from app.core.recording.chunks import decode_chunk
from app.core.recording.rrweb import EventType, MouseInteraction, Source
from tests.support.browser import DEFAULT_TIMEOUT_MS, PROJECT_ROOT, RRWEB_SCRIPT, LocalSite

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request
    from pytestqt.qtbot import QtBot

TRACKER_SCRIPT = PROJECT_ROOT / "resources" / "tracker" / "tapeview.js"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
T = TypeVar("T")

# What the visitor types into the checkout form, by field id.
TYPED = {
    "name": "Jane Doe",
    "email": "jane.doe@example.com",
    "card": "4242 4242 4242 4242",
    "password": "Hunter2-Secret!",
}
# None of these may appear anywhere outside the visitor's browser tab (fragments included).
SECRETS = ("Jane Doe", "jane.doe", "example.com", "4242 4242", "4242424242424242", "Hunter2",
           "Secret!")

# Test instrumentation, before the tracker: log what it hands to sendBeacon (see above).
BEACON_LOG = """<script>
  (() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => {
      const sent = send(url, data);
      const log = JSON.parse(sessionStorage.getItem('test.beacons') || '[]');
      log.push({url: String(url), body: String(data), sent: sent});
      sessionStorage.setItem('test.beacons', JSON.stringify(log));
      return sent;
    };
  })();
</script>"""

CHECKOUT_BODY = """
<h1>Checkout</h1>
<form id="checkout" autocomplete="on">
  <p><label>Name <input id="name" name="name" autocomplete="name"></label></p>
  <p><label>E-mail <input id="email" name="email" type="email" autocomplete="email"></label></p>
  <p><label>Card number <input id="card" name="cardnumber" autocomplete="cc-number"
            inputmode="numeric"></label></p>
  <p><label>Password <input id="password" name="password" type="password"
            autocomplete="new-password"></label></p>
  <p><button id="pay" type="button"
       onclick="document.getElementById('status').textContent = 'Payment accepted'">Pay</button>
  </p>
</form>
<p id="status"></p>
<p><a id="next" href="/thanks">Continue</a></p>
"""
THANKS_BODY = '<h1>Thank you</h1><p id="bye">Your order is on its way.</p>'
ACTIONS_BODY = """
<h1>Plans</h1>
<button id="plan" onclick="tapeview.track('Plan chosen', {plan: 'pro', billing: 'yearly'})">
  Choose Pro</button>
<button id="explode" onclick="throw new Error('Checkout exploded')">Pay</button>
<button id="reject" onclick="Promise.reject(new Error('Payment API unreachable'))">Retry</button>
<button id="log" onclick="console.error('Card declined', {reason: 'do_not_honor'})">Log</button>
"""


# -- the server: `tapeview serve`, set up with `tapeview server ...` ----------------------------

def tapeview(*args: str) -> str:
    """Run a `tapeview` command in this process; its stdout (a secret, for `server ...`)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert code == 0, f"tapeview {' '.join(args)} failed ({code}): {err.getvalue()}"
    return out.getvalue().strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll `probe` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.1)


@dataclass(frozen=True)
class Project:
    id: int
    key: str


class TapeviewServer:
    """`tapeview serve` in a process of its own on a fixed loopback port, so that it can be
    stopped and started again where the tracker sends; an organization with an Admin."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.db_path = directory / "server.sqlite3"
        self.log_path = directory / "serve.log"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.token = tapeview("server", "init", "--db", str(self.db_path), "--org", "Acme",
                              "--admin", "boss@acme.test")
        self.projects = 0

    @property
    def ingest_url(self) -> str:
        return f"{self.url}/api/v1/ingest"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--db", str(self.db_path), "--port",
                 str(self.port)], cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONWARNINGS": "error"})
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/openapi.json", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, self.log_path.read_text()
            assert time.monotonic() < deadline, "tapeview serve did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.process = None
        log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        # A tab closed while its fetch was on the way makes the server log the disconnect with
        # a traceback (starlette's ClientDisconnect): normal traffic. Anything else is a bug.
        assert log.count("Traceback") == log.count("starlette.requests.ClientDisconnect"), log

    def new_project(self) -> Project:
        """A new web project (`tapeview server project create`), so each test has its own."""
        self.projects += 1
        name = f"Shop {self.projects}"
        key = tapeview("server", "project", "create", "--db", str(self.db_path), "--org",
                       "Acme", "--name", name, "--kind", "web")
        [organization] = self.get("/organizations").json()
        projects = self.get(f"/organizations/{organization['id']}/projects").json()
        [project] = [p for p in projects if p["key"] == key]
        assert (project["name"], project["kind"]) == (name, "web")
        return Project(project["id"], key)

    # -- the read API, with the Admin's token ---------------------------------------------------

    def get(self, path: str, **params: Any) -> httpx.Response:
        response = httpx.get(f"{self.url}/api/v1{path}", params=params, timeout=10,
                             headers={"Authorization": f"Bearer {self.token}"})
        response.raise_for_status()
        return response

    def sessions(self, project: Project) -> list[dict[str, Any]]:
        return list(self.get(f"/projects/{project.id}/sessions", limit=500).json()["sessions"])

    def session(self, project: Project, session_id: str) -> dict[str, Any]:
        return dict(self.get(f"/projects/{project.id}/sessions/{session_id}").json())

    def events(self, project: Project, session_id: str) -> list[dict[str, Any]]:
        return list(self.get(f"/projects/{project.id}/sessions/{session_id}/events").json())

    def recording(self, project: Project, session_id: str) -> list[dict[str, Any]]:
        """The session's rrweb events: every chunk fetched, checked and decompressed."""
        events: list[dict[str, Any]] = []
        for chunk in self.session(project, session_id)["chunks"]:
            data = self.get(f"/projects/{project.id}/sessions/{session_id}/chunks/"
                            f"{chunk['seq']}").content
            assert hashlib.sha256(data).hexdigest() == chunk["sha256"]
            events.extend(decode_chunk(data)[0])
        return sorted(events, key=lambda event: event["timestamp"])  # stable (API.md)

    def only_session(self, project: Project) -> dict[str, Any] | None:
        sessions = self.sessions(project)
        assert len(sessions) <= 1, sessions
        return sessions[0] if sessions else None


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TapeviewServer]:
    running = TapeviewServer(tmp_path_factory.mktemp("server"))
    running.start()
    yield running
    running.stop()


# -- pages with the tracking code ---------------------------------------------------------------

def tracked_page(options: dict[str, Any], body: str, *, before_init: str = "",
                 log_beacons: bool = True) -> bytes:
    """A page that loads rrweb's UMD build and the tracker in <head>, as the README says."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
{BEACON_LOG if log_beacons else ""}
<script src="/rrweb.umd.cjs"></script>
<script src="/tapeview.js"></script>
<script>{before_init}
tapeview.init({json.dumps(options)});</script>
</head><body>{body}</body></html>""".encode()


def site(pages: dict[str, bytes]) -> dict[str, bytes]:
    return {**pages, "/rrweb.umd.cjs": RRWEB_SCRIPT.read_bytes(),
            "/tapeview.js": TRACKER_SCRIPT.read_bytes()}


def plain_page(text: str) -> bytes:
    return f"<!doctype html><html><head><title>Elsewhere</title></head><body><p>{text}</p>" \
           f"</body></html>".encode()


@dataclass
class Sent:
    """One request the page sent towards the server, as Playwright saw it."""

    url: str
    kind: str  # Playwright's resource type: fetch, ping, ...
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        data = gzip.decompress(self.body) if self.body[:2] == b"\x1f\x8b" else self.body
        return dict(json.loads(data))


@dataclass
class Visit:
    """A browser tab on a local site whose pages carry the tracker."""

    page: Page
    site: LocalSite
    server_url: str
    sent: list[Sent] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # console.warn, e.g. the tracker's

    def url(self, path: str = "/") -> str:
        return self.site.url(path)

    def ids(self) -> dict[str, str]:
        ids = self.page.evaluate("window.tapeview.ids()")
        assert ids, "the tracker has not started"
        return dict(ids)

    def type_into(self, selector: str, text: str) -> None:
        """Click into a field and type, key by key, as a person does."""
        self.page.click(selector)
        self.page.locator(selector).press_sequentially(text, delay=15)

    def beacons(self) -> list[dict[str, Any]]:
        """What this tab handed to sendBeacon so far (read on any page of the site)."""
        return list(json.loads(self.page.evaluate(
            "sessionStorage.getItem('test.beacons') || '[]'")))

    def fetches(self) -> list[Sent]:
        self.page.evaluate("0")  # lets Playwright deliver pending request events
        return [sent for sent in self.sent if sent.kind == "fetch"]


@contextlib.contextmanager
def visit(browser: Browser, server_url: str, pages: dict[str, bytes],
          clock: bool = False) -> Iterator[Visit]:
    """Serve `pages` (plus rrweb and the tracker) on loopback and open "/" in a fresh tab."""
    with LocalSite(site(pages)) as served:
        context = browser.new_context(viewport={"width": 1280, "height": 800},
                                      device_scale_factor=1, locale="en-US", timezone_id="UTC",
                                      service_workers="block")
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.new_page()
            tab = Visit(page, served, server_url)

            def on_request(request: Request) -> None:
                if request.url.startswith(server_url) and request.method == "POST":
                    tab.sent.append(Sent(request.url, request.resource_type,
                                         request.headers, request.post_data_buffer or b""))

            context.on("request", on_request)
            context.on("requestfailed", lambda request: tab.failed.append(request.url))
            page.on("pageerror", lambda error: tab.page_errors.append(str(error)))
            page.on("console", lambda message: tab.warnings.append(message.text)
                    if message.type == "warning" else None)
            if clock:
                page.clock.install()
            page.goto(served.url("/"), wait_until="load")
            yield tab
        finally:
            context.close()


def options(server: TapeviewServer, project: Project, **extra: Any) -> dict[str, Any]:
    return {"projectKey": project.key, "endpoint": server.ingest_url, **extra}


# -- reading recordings -------------------------------------------------------------------------

def node_ids(recording: list[dict[str, Any]], attribute: str = "id") -> dict[str, int]:
    """Element attribute value -> rrweb node id, from the first FullSnapshot."""
    snapshot = next(e for e in recording if e["type"] == EventType.FULL_SNAPSHOT)
    found: dict[str, int] = {}
    stack = [snapshot["data"]["node"]]
    while stack:
        node = stack.pop()
        value = node.get("attributes", {}).get(attribute)
        if isinstance(value, str):
            found.setdefault(value, node["id"])
        stack.extend(node.get("childNodes", []))
    return found


def typed_values(recording: list[dict[str, Any]], node_id: int) -> list[str]:
    return [e["data"]["text"] for e in recording
            if e["type"] == EventType.INCREMENTAL_SNAPSHOT
            and e["data"]["source"] == Source.INPUT and e["data"]["id"] == node_id]


def clicks(recording: list[dict[str, Any]], node_id: int) -> list[dict[str, Any]]:
    return [e for e in recording if e["type"] == EventType.INCREMENTAL_SNAPSHOT
            and e["data"]["source"] == Source.MOUSE_INTERACTION
            and e["data"]["type"] == MouseInteraction.CLICK and e["data"]["id"] == node_id]


def assert_no_secrets(data: bytes, where: str) -> None:
    for secret in SECRETS:
        assert secret.encode() not in data, f"{secret!r} found in {where}"


def database_contents(path: Path) -> Iterator[tuple[str, bytes]]:
    """The SQLite file's bytes (WAL included) and every zstd blob in it, decompressed."""
    for part in (path, path.with_name(path.name + "-wal")):
        if part.exists():
            yield part.name, part.read_bytes()
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in connection.execute(f'SELECT * FROM "{table}"'):
                for value in row:
                    if isinstance(value, bytes) and value.startswith(ZSTD_MAGIC):
                        yield f"a zstd blob in {table}", \
                            zstandard.ZstdDecompressor().decompressobj().decompress(value)
    finally:
        connection.close()


# -- the acceptance scenario ----------------------------------------------------------------------

@dataclass
class Checkout:
    server: TapeviewServer
    project: Project
    origin: str
    ids: dict[str, str]
    session: dict[str, Any]
    recording: list[dict[str, Any]]
    events: list[dict[str, Any]]
    fetches: list[Sent]
    beacons: list[dict[str, Any]]
    page_errors: list[str]


@pytest.fixture(scope="module")
def checkout(browser: Browser, server: TapeviewServer) -> Checkout:
    """A visitor fills in the checkout (name, e-mail, card number, password), pays and goes on
    to the thank-you page; the tracker runs with its defaults."""
    project = server.new_project()
    settings = options(server, project)
    pages = {"/": tracked_page(settings, CHECKOUT_BODY),
             "/thanks": tracked_page(settings, THANKS_BODY)}
    with visit(browser, server.url, pages) as tab:
        for field_id, text in TYPED.items():
            tab.type_into(f"#{field_id}", text)
        tab.page.click("#pay")
        with tab.page.expect_navigation():
            tab.page.click("#next")
        tab.page.wait_for_selector("#bye")
        ids = tab.ids()
        beacons = tab.beacons()

        def thanks_page_arrived() -> dict[str, Any] | None:
            # The second page's own snapshot (it holds #bye), sent as soon as it is taken.
            session = server.only_session(project)
            if session is None or session["exit_page"] != tab.url("/thanks"):
                return None
            snapshots = [e for e in server.recording(project, session["id"])
                         if e["type"] == EventType.FULL_SNAPSHOT]
            return session if "bye" in node_ids(snapshots[-1:]) else None

        session = wait_for("both pages on the server", thanks_page_arrived)
        fetches = tab.fetches()
        page_errors = list(tab.page_errors)
        origin = tab.url("")
    # Anything the closing tab still sent has arrived once the session stops changing.
    previous: dict[str, Any] = {}

    def settled() -> dict[str, Any] | None:
        nonlocal previous
        current = server.session(project, session["id"])
        stable = current["change_seq"] == previous.get("change_seq")
        previous = current
        return current if stable else None

    time.sleep(0.5)
    detail = wait_for("the session to stop changing", settled)
    return Checkout(server, project, origin, ids, detail,
                    server.recording(project, session["id"]),
                    server.events(project, session["id"]), fetches, beacons, page_errors)


def test_checkout_reaches_the_server_with_typed_text_masked(checkout: Checkout) -> None:
    session, recording = checkout.session, checkout.recording
    assert checkout.page_errors == []
    # One visitor, one tab, one session across both pages: the tracker's ids were kept.
    assert session["visitor"]["anonymous_id"] == checkout.ids["visitorId"]
    assert session["window_ids"] == [checkout.ids["windowId"]]
    assert session["pages"] == [checkout.origin + "/", checkout.origin + "/thanks"]
    assert (session["device_type"], session["viewport_width"], session["viewport_height"]) == \
        ("desktop", 1280, 800)
    assert "Chrome" in session["browser"]
    assert session["error_count"] == 0

    # Every keystroke arrived, as `*` runs of the length typed so far.
    ids = node_ids(recording)
    for field_id, text in TYPED.items():
        values = typed_values(recording, ids[field_id])
        assert values, f"no input recorded for #{field_id}"
        assert values[-1] == "*" * len(text), (field_id, values[-1])
        assert all(set(value) <= {"*"} for value in values), (field_id, values)
    # The clicks and what they changed are in the recording too.
    assert clicks(recording, ids["pay"]) and clicks(recording, ids["next"])
    assert "Payment accepted" in json.dumps(recording)
    assert {e["kind"] for e in checkout.events} >= {"pageview", "click", "input"}

    # How it was sent: fetches with the key in a header, gzip when worth it; the last events of
    # the first page went as a beacon when the visitor left it, the key in the URL.
    assert checkout.fetches, "nothing was sent by fetch"
    for sent in checkout.fetches:
        assert sent.headers.get("x-project-key") == checkout.project.key
        assert "key=" not in sent.url
        assert sent.json["visitor_id"] == checkout.ids["visitorId"]
    assert any(sent.headers.get("content-encoding") == "gzip" for sent in checkout.fetches)
    assert checkout.beacons, "leaving the checkout page sent no beacon"
    for beacon in checkout.beacons:
        assert beacon["sent"] is True
        assert beacon["url"] == f"{checkout.server.ingest_url}?key={checkout.project.key}"

    # None of the typed text left the browser, or is anywhere on the server.
    for sent in checkout.fetches:
        assert_no_secrets(json.dumps(sent.json).encode(), f"a fetch to {sent.url}")
    for beacon in checkout.beacons:
        assert_no_secrets(beacon["body"].encode(), "a beacon")
    assert_no_secrets(json.dumps(recording).encode(), "the session's chunks")
    assert_no_secrets(json.dumps(checkout.events).encode(), "the session's events")
    assert_no_secrets(json.dumps(session).encode(), "the session's metadata")
    for where, data in database_contents(checkout.server.db_path):
        assert_no_secrets(data, f"the server database ({where})")


def _sync_available() -> bool:
    try:
        import app.core.sync  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _sync_available(), reason="tapeview sync not available yet")
def test_synced_checkout_replays_with_asterisks(checkout: Checkout, tmp_path: Path,
                                                qtbot: QtBot) -> None:
    from app.core.cache.database import Cache
    from app.core.cache.queries import iter_session_events, load_replay_chunks
    from app.core.replay.session import ReplaySession
    from app.ui.player.headless import HeadlessReplay

    cache_path = tmp_path / "cache.sqlite3"
    tapeview("--cache", str(cache_path), "sync", "--server", checkout.server.url,
             "--token", checkout.server.token)
    session_id = checkout.session["id"]
    cache = Cache(cache_path)
    try:
        with cache.read_session() as session:
            chunks, windows = load_replay_chunks(session, session_id)
            cached = [event for event, _ in iter_session_events(session, session_id)]
    finally:
        cache.close()
    assert len(cached) == len(checkout.recording)
    assert_no_secrets(json.dumps(cached).encode(), "the cached recording")
    for where, data in database_contents(cache_path):
        assert_no_secrets(data, f"the cache ({where})")

    # Replay the moment the visitor pressed Pay: every field shows a `*` run of the typed
    # length.
    ids = node_ids(cached)
    [pay] = clicks(cached, ids["pay"])
    replay = ReplaySession(session_id, chunks, windows)
    replay.build_checkpoints(every=5)
    renderer = HeadlessReplay(replay, 1280, 800)
    try:
        renderer.seek(pay["timestamp"] - replay.start_ms + 1)
        with qtbot.waitCallback(timeout=10_000) as callback:
            renderer.view.page().runJavaScript(
                """JSON.stringify(Object.fromEntries([...document.getElementById('frame')
                     .contentDocument.querySelectorAll('input')].map((i) => [i.id, i.value])))""",
                0, callback)
        values = json.loads(callback.args[0])
        assert renderer.state.get("errors", 0) == 0
    finally:
        renderer.close()
    assert values == {field_id: "*" * len(text) for field_id, text in TYPED.items()}


# -- the API: identify, track, errors -------------------------------------------------------------

def test_identify_before_init_names_the_visitor(browser: Browser, server: TapeviewServer) -> None:
    project = server.new_project()
    # Called before init(): kept with their own time and sent once the tracker runs.
    early = ("tapeview.identify('user-42', {name: 'Ada Lovelace', email: 'ada@example.org', "
             "plan: 'pro'});\ntapeview.track('Landed', {campaign: 'spring'});")
    page = tracked_page(options(server, project), CHECKOUT_BODY, before_init=early)
    with visit(browser, server.url, {"/": page}) as tab:
        ids = tab.ids()
        session = wait_for("the identified session",
                           lambda: (s := server.only_session(project)) and s["custom_count"] == 2
                           and s)
    assert session["visitor"] == {"anonymous_id": ids["visitorId"], "uid": "user-42",
                                  "name": "Ada Lovelace", "email": "ada@example.org",
                                  "properties": {"plan": "pro"}}
    # The server finds the visitor's sessions by e-mail, as a support agent would.
    found = server.get(f"/projects/{project.id}/sessions", visitor="ada@example.org").json()
    assert [s["id"] for s in found["sessions"]] == [session["id"]]
    events = server.events(project, session["id"])
    identify = next(e for e in events if e["kind"] == "identify")
    landed = next(e for e in events if e["kind"] == "custom")
    pageview = next(e for e in events if e["kind"] == "pageview")
    assert identify["properties"] == {"uid": "user-42", "name": "Ada Lovelace",
                                      "email": "ada@example.org", "plan": "pro"}
    assert (landed["name"], landed["properties"]) == ("Landed", {"campaign": "spring"})
    assert identify["ts_ms"] <= landed["ts_ms"] <= pageview["ts_ms"]


def test_track_and_errors_become_events(browser: Browser, server: TapeviewServer) -> None:
    project = server.new_project()
    settings = options(server, project)
    with visit(browser, server.url, {"/": tracked_page(settings, ACTIONS_BODY)}) as tab:
        ids = tab.ids()
        tab.page.click("#plan")
        tab.page.click("#explode")
        tab.page.click("#reject")
        tab.page.click("#log")  # console.error is not recorded by default ...
        # ... but is after stop() and init() with captureConsoleErrors (same visitor, session).
        tab.page.evaluate("options => { tapeview.stop(); tapeview.init(options); }",
                          {**settings, "captureConsoleErrors": True})
        assert tab.ids() == ids
        tab.page.click("#log")
        session = wait_for("three errors", lambda: (s := server.only_session(project))
                           and s["error_count"] == 3 and s)
        page_errors = list(tab.page_errors)
        origin = tab.url("/")
    assert page_errors == ["Checkout exploded", "Payment API unreachable"]

    events = server.events(project, session["id"])
    customs = [(e["name"], e["properties"]) for e in events if e["kind"] == "custom"]
    assert customs == [("Plan chosen", {"plan": "pro", "billing": "yearly"})]
    errors = [e["name"] for e in events if e["kind"] == "error"]
    # rrweb's console plugin sends each argument as JSON text; the index shows the values.
    assert errors == ["Uncaught Error: Checkout exploded",
                      "Uncaught (in promise) Error: Payment API unreachable",
                      'Card declined {"reason":"do_not_honor"}']
    recording = server.recording(project, session["id"])
    plugins = [e["data"] for e in recording if e["type"] == EventType.PLUGIN]
    assert [p["plugin"] for p in plugins] == ["rrweb/console@1"] * 3
    assert all(p["payload"]["level"] == "error" for p in plugins)
    thrown = plugins[0]["payload"]
    assert thrown["trace"] and origin in thrown["trace"][0]  # where the page threw it
    # stop() and init() took a new snapshot into the same session.
    assert [e["type"] for e in recording].count(EventType.FULL_SNAPSHOT) == 2


def test_single_page_navigations_become_pageviews(browser: Browser,
                                                  server: TapeviewServer) -> None:
    """An SPA changes its URL without loading a page: History API and hash changes are
    recorded, so the session lists every page the visitor saw."""
    project = server.new_project()
    with visit(browser, server.url, {"/": tracked_page(options(server, project),
                                                       "<h1>App</h1>")}) as tab:
        tab.page.evaluate("history.pushState({}, '', '/cart?coupon=SPRING')")
        tab.page.evaluate("history.replaceState({}, '', '/cart/step-2')")
        tab.page.evaluate("history.pushState({}, '', '/cart/step-2')")  # no change: no event
        tab.page.evaluate("location.hash = 'pay'")
        tab.page.evaluate("history.back()")  # back to /cart/step-2 (popstate)
        origin = tab.url("/").rstrip("/")
        session = wait_for("five pages", lambda: (s := server.only_session(project))
                           and len([e for e in server.events(project, s["id"])
                                    if e["kind"] == "pageview"]) == 5 and s)
    pages = [e["url"] for e in server.events(project, session["id"]) if e["kind"] == "pageview"]
    assert pages == [f"{origin}/", f"{origin}/cart?coupon=SPRING", f"{origin}/cart/step-2",
                     f"{origin}/cart/step-2#pay", f"{origin}/cart/step-2"]
    assert server.only_session(project)["page_count"] == 5


def test_input_masking_can_be_relaxed_but_never_for_passwords(browser: Browser,
                                                              server: TapeviewServer) -> None:
    project = server.new_project()
    settings = options(server, project, maskAllInputs=False, compress=False,
                       maskInputOptions={"password": False}, flushIntervalMs=500)
    with visit(browser, server.url, {"/": tracked_page(settings, CHECKOUT_BODY)}) as tab:
        tab.type_into("#name", TYPED["name"])
        tab.type_into("#password", TYPED["password"])
        session = wait_for("the typing", lambda: (s := server.only_session(project))
                           and s["input_count"] >= len(TYPED["name"] + TYPED["password"]) and s)
        bodies = b"".join(json.dumps(sent.json).encode() for sent in tab.fetches())
    # The site chose to record its text fields: the name left the browser as typed ...
    assert TYPED["name"].encode() in bodies
    # ... the password did not, whatever the options said.
    assert b"Hunter2" not in bodies
    recording = server.recording(project, session["id"])
    ids = node_ids(recording)
    assert typed_values(recording, ids["password"])[-1] == "*" * len(TYPED["password"])
    # The server's own policy (form fields masked, whitespace kept) still keeps the name out
    # of its database.
    assert typed_values(recording, ids["name"])[-1] == stars(TYPED["name"]) == "**** ***"


def test_a_refused_project_key_stops_the_tracker(browser: Browser,
                                                 server: TapeviewServer) -> None:
    project = Project(0, "tvk_not_a_key_of_this_server")
    settings = options(server, project, flushIntervalMs=200)
    with visit(browser, server.url, {"/": tracked_page(settings, ACTIONS_BODY)}) as tab:
        tab.page.wait_for_function("() => window.tapeview.ids() === null")
        tab.page.click("#plan")  # would be sent within 200 ms by a running tracker
        tab.page.wait_for_timeout(800)
        refused = tab.fetches()
        warnings = list(tab.warnings)
    # One attempt (the page's snapshot), answered 401; nothing after it.
    assert len(refused) == 1
    assert any("refused the project key" in text for text in warnings), warnings


# -- delivery: page hide, outages, session rules --------------------------------------------------

def test_leaving_the_page_sends_the_rest_by_beacon(browser: Browser,
                                                   server: TapeviewServer) -> None:
    project = server.new_project()
    # No timed flush during the test: the page's snapshot goes at once (as always), and after
    # it only leaving the page can send anything.
    settings = options(server, project, flushIntervalMs=600_000)
    pages = {"/": tracked_page(settings, CHECKOUT_BODY), "/thanks": plain_page("Bye")}
    with visit(browser, server.url, pages) as tab:
        started = wait_for("the page's snapshot", lambda: server.only_session(project))
        tab.type_into("#name", TYPED["name"])
        tab.page.click("#pay")
        tab.page.evaluate("tapeview.track('Leaving', {via: 'link'})")
        ids = tab.ids()
        [snapshot] = tab.fetches()
        assert [e["type"] for e in snapshot.json["events"]][-2:] == [EventType.META,
                                                                     EventType.FULL_SNAPSHOT]
        time.sleep(0.5)
        assert server.session(project, started["id"])["event_count"] == \
            len(snapshot.json["events"])  # nothing else was sent while the page was open
        with tab.page.expect_navigation():
            tab.page.click("#next")  # to a page without the tracker
        beacons = tab.beacons()
        session = wait_for("the beacon's events", lambda: (s := server.only_session(project))
                           and s["custom_count"] == 1 and s)
        assert tab.fetches() == [snapshot]
    assert beacons and all(b["sent"] for b in beacons)
    assert {b["url"] for b in beacons} == {f"{server.ingest_url}?key={project.key}"}
    batch = json.loads(beacons[0]["body"])
    assert (batch["visitor_id"], batch["session_id"], batch["window_id"]) == \
        (ids["visitorId"], ids["sessionId"], ids["windowId"])
    recording = server.recording(project, session["id"])
    node = node_ids(recording)
    assert clicks(recording, node["pay"]) and clicks(recording, node["next"])
    assert typed_values(recording, node["name"])[-1] == "*" * len(TYPED["name"])
    assert [e["name"] for e in server.events(project, session["id"])
            if e["kind"] == "custom"] == ["Leaving"]


def test_events_wait_out_a_server_outage_and_arrive_once(browser: Browser,
                                                         tmp_path: Path) -> None:
    own = TapeviewServer(tmp_path)  # this test stops its server: not the shared one
    own.start()
    try:
        project = own.new_project()
        settings = options(own, project, flushIntervalMs=300, retryMinMs=200, retryMaxMs=800)
        with visit(browser, own.url, {"/": tracked_page(settings, CHECKOUT_BODY)}) as tab:
            ids = tab.ids()
            wait_for("the first snapshot", lambda: own.only_session(project))
            own.stop()
            tab.type_into("#name", TYPED["name"])
            tab.page.click("#pay")
            tab.page.evaluate("tapeview.track('During outage', {step: 'pay'})")

            def failed_attempts() -> bool:
                tab.page.evaluate("0")  # lets Playwright deliver pending request events
                return sum(url.startswith(own.ingest_url) for url in tab.failed) >= 3

            wait_for("failed attempts to send", failed_attempts, timeout=15)
            own.start()
            tab.page.evaluate("tapeview.track('After restart', {step: 'done'})")

            def caught_up() -> list[dict[str, Any]] | None:
                session = own.only_session(project)
                events = own.events(project, session["id"]) if session else []
                names = [e["name"] for e in events if e["kind"] == "custom"]
                return events if "After restart" in names else None

            events = wait_for("the events held back during the outage", caught_up)
            time.sleep(1.0)  # a late duplicate would show up in this time
            assert tab.ids() == ids and tab.page_errors == []
        session = own.only_session(project)
        assert session is not None
        events = own.events(project, session["id"])
        recording = own.recording(project, session["id"])
    finally:
        own.stop()
    assert [e["name"] for e in events if e["kind"] == "custom"] == ["During outage",
                                                                     "After restart"]
    node = node_ids(recording)
    assert len(clicks(recording, node["pay"])) == 1
    assert typed_values(recording, node["name"])[-1] == "*" * len(TYPED["name"])
    duplicates = [text for text, count in Counter(
        json.dumps(event, sort_keys=True) for event in recording).items() if count > 1]
    assert duplicates == []


def test_a_tab_idle_for_15_minutes_starts_a_new_session_with_its_own_snapshot(
        browser: Browser, server: TapeviewServer) -> None:
    project = server.new_project()
    settings = options(server, project, flushIntervalMs=300)
    with visit(browser, server.url, {"/": tracked_page(settings, CHECKOUT_BODY)},
               clock=True) as tab:
        first = tab.ids()
        tab.type_into("#name", "Jane")
        wait_for("the first session's typing",
                 lambda: (s := server.only_session(project)) and s["input_count"] >= 4)
        tab.page.clock.fast_forward("16:00")  # the tab's clock: nothing happens for 16 minutes
        tab.page.click("#pay")
        second = tab.ids()
        page_url = tab.url("/")
        sessions = wait_for("the second session", lambda: len(s := server.sessions(project)) == 2
                            and all(x["click_count"] for x in s) and s)
    assert second["sessionId"] != first["sessionId"]
    assert (second["visitorId"], second["windowId"]) == (first["visitorId"], first["windowId"])
    old, new = sorted(sessions, key=lambda s: s["start_ms"])
    assert new["start_ms"] - old["end_ms"] >= 15 * 60 * 1000
    assert old["visitor"] == new["visitor"]
    # The new session starts with the page as it is (the tracker's own snapshot), so it replays
    # without the old one; the click that woke the tab follows it.
    recording = server.recording(project, new["id"])
    assert [e["type"] for e in recording[:2]] == [EventType.META, EventType.FULL_SNAPSHOT]
    assert recording[0]["data"]["href"] == page_url
    assert clicks(recording, node_ids(recording)["pay"])
    assert new["pages"] == old["pages"]
