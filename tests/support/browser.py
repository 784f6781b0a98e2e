"""Record real pages with the real rrweb recorder (npm) in real Chromium (Debian), for tests.

Tests of the player, privacy masking, event extraction and heatmaps need genuine recordings,
not hand-written events. This module serves pages from a loopback HTTP server, opens them in
Debian's Chromium driven by Playwright, injects rrweb's UMD build before any page script (as a
tracking snippet in <head> would run) and collects every event rrweb emits.

Why Playwright: its PyPI wheel bundles its own driver (no browser download: we point it at
Debian's Chromium), it speaks CDP for us, and it gives trusted mouse/keyboard input, waits and
screenshots that a hand-rolled CDP client would have to re-implement.

Events are pushed to Python as rrweb emits them (one exposed binding call per event, carrying
the JSON that rrweb's own transport would send), so a recording survives navigations between
documents, exactly like a tracker that ships events to its server as it goes.
"""

from __future__ import annotations

import json
import mimetypes
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from app.core.recording.rrweb import EventType

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PAGES_DIR = Path(__file__).resolve().parent / "pages"
RRWEB_PACKAGE = PROJECT_ROOT / "node_modules" / "rrweb"
# rrweb 2.x ships an unminified UMD build as its `main`; in a classic script it defines the
# global `rrweb` (we hide `define`/`exports` from it so a page's module loader can't divert it).
RRWEB_SCRIPT = RRWEB_PACKAGE / "dist" / "rrweb.umd.cjs"
# rrweb's record plugins (npm, UMD builds like rrweb's), by the name `recorded_page` takes:
# the script, and the JS expression that makes the plugin from the global the script defines.
RECORD_PLUGINS = {
    "console": (PROJECT_ROOT / "node_modules" / "@rrweb" / "rrweb-plugin-console-record" / "dist"
                / "rrweb-plugin-console-record.umd.cjs",
                "window.rrwebPluginConsoleRecord.getRecordConsolePlugin()"),
    "network": (PROJECT_ROOT / "node_modules" / "@rrweb" / "rrweb-plugin-network-record" / "dist"
                / "rrweb-plugin-network-record.umd.cjs",
                "window.rrwebPluginNetworkRecord.getRecordNetworkPlugin()"),
}
# Debian's /usr/bin/chromium is a shell wrapper that adds flags we don't want here (GPU
# rasterisation, remote extensions, an empty --load-extension): launch the binary it execs,
# with our flags only. $TAPEVIEW_CHROMIUM names another build.
CHROMIUM_CANDIDATES = (Path("/usr/lib/chromium/chromium"), Path("/usr/bin/chromium"))
# As root on a machine whose only network is loopback: no sandbox, no GPU, and no background
# connections (they would hang). The proxy is a closed loopback port, so anything a page asks
# of a non-loopback host fails at once instead of waiting or leaving the machine (Chromium
# never proxies loopback).
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--proxy-server=http://127.0.0.1:9",
)
# Served with every site: a real web font for pages' @font-face (Debian's fonts-dejavu-core,
# which CI installs), rather than a binary copy of it in the repository.
SYSTEM_ASSETS = {
    "/fonts/shop-sans.ttf": Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
}
CONTENT_TYPES = {".js": "text/javascript", ".ttf": "font/ttf", ".woff2": "font/woff2",
                 ".cjs": "text/javascript"}
DEFAULT_TIMEOUT_MS = 10_000

# Runs in every document before its own scripts. Starts rrweb in the top frame only (rrweb
# records same-origin iframes itself) and pushes each event to Python as JSON.
_RECORDER_JS = """
(() => {
  if (window !== window.top || window.__tapeview) return;
  const state = {doc: Date.now() + "-" + Math.random().toString(36).slice(2),
                 emitted: 0, fullSnapshot: false, lastEmit: performance.now()};
  Object.defineProperty(window, "__tapeview", {value: state});
  const options = %(options)s;
  window.rrweb.record(Object.assign({}, options, {
    plugins: [%(plugins)s],
    emit(event) {
      state.emitted += 1;
      state.lastEmit = performance.now();
      if (event.type === %(full_snapshot)d) state.fullSnapshot = true;
      window.__tapeviewEmit(state.doc, state.emitted, JSON.stringify(event));
    },
  }));
})();
"""
# Two animation frames and a task: rrweb emits mutations from MutationObserver callbacks and
# some observers on the next frame; after this, only throttled sources can still be pending.
_SETTLE_FRAME_JS = """
async () => {
  const frames = new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await Promise.race([frames, new Promise(done => setTimeout(done, 250))]);
  await new Promise(done => setTimeout(done, 0));
  const state = window.__tapeview;
  return state ? {doc: state.doc, emitted: state.emitted} : null;
}
"""


def content_type(path: str) -> str:
    """By extension; a path without one (`/`, `/checkout`) is an HTML page."""
    suffix = Path(path).suffix
    if not suffix:
        return "text/html; charset=utf-8"
    kind = CONTENT_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") else kind


def chromium_executable() -> Path | None:
    """The Chromium binary to drive, or None when none is installed."""
    if named := os.environ.get("TAPEVIEW_CHROMIUM"):
        return Path(named) if Path(named).is_file() else None
    return next((path for path in CHROMIUM_CANDIDATES if path.is_file()), None)


def chromium_available() -> str | None:
    """None when Chromium and Playwright can be used, else why not (for a skip message)."""
    if chromium_executable() is None:
        return ("no Chromium (Debian package 'chromium', see .ci/install-browser; or set "
                "TAPEVIEW_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed (pip extra 'test')"
    return None


def rrweb_script_path() -> Path:
    """The UMD build of rrweb from node_modules (`npm ci` at the project root installs it)."""
    return RRWEB_SCRIPT


def rrweb_version() -> str:
    """The installed rrweb's version, for messages and recordings' provenance."""
    return str(json.loads((RRWEB_PACKAGE / "package.json").read_text())["version"])


def rrweb_available(*plugins: str) -> str | None:
    """None when rrweb's browser build (and the named plugins) are installed, else why not."""
    for script in (RRWEB_SCRIPT, *(RECORD_PLUGINS[name][0] for name in plugins)):
        if not script.is_file():
            return f"{script} is not installed (run `npm ci` in {PROJECT_ROOT})"
    return None


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's Chromium under Playwright (a fresh temporary profile); closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    if executable is None:
        raise RuntimeError(chromium_available())
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                             args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def load_site(name: str) -> dict[str, bytes]:
    """The files of tests/support/pages/<name> by URL path, plus the shared system assets."""
    root = PAGES_DIR / name
    if not root.is_dir():
        raise FileNotFoundError(f"no test site {root}")
    files = {"/" + p.relative_to(root).as_posix(): p.read_bytes()
             for p in sorted(root.rglob("*")) if p.is_file()}
    for url_path, source in SYSTEM_ASSETS.items():
        if source.is_file():
            files.setdefault(url_path, source.read_bytes())
    return files


class LocalSite:
    """Serve files from memory on 127.0.0.1 (random port) and log every request it receives.

    Pages are never fetched from anywhere else, and the log lets tests prove what a browser
    did (or did not) ask for. `/` serves `/index.html` when `/` itself is not given; a missing
    `/favicon.ico` is an empty 204 (Chromium fetches it unasked), any other missing path a 404.
    """

    def __init__(self, files: Mapping[str, bytes]) -> None:
        bad = [path for path in files if not path.startswith("/")]
        if bad:
            raise ValueError(f"site paths must start with '/': {bad}")
        self.files = dict(files)
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a connection opened but never used can't hold shutdown forever

            def do_GET(self) -> None:
                self._respond(body=True)

            def do_HEAD(self) -> None:
                self._respond(body=False)

            def _respond(self, body: bool) -> None:
                site.requests.append(self.path)
                path = urlsplit(self.path).path
                if path == "/" and path not in site.files:
                    path = "/index.html"
                content = site.files.get(path)
                if content is None:
                    if path == "/favicon.ico":  # Chromium asks for it unprompted
                        self.send_response(HTTPStatus.NO_CONTENT)
                        self.end_headers()
                    else:
                        self.send_error(HTTPStatus.NOT_FOUND)
                    return
                self.send_response(HTTPStatus.OK)
                self.send_header("Content-Type", content_type(path))
                self.send_header("Content-Length", str(len(content)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                if body:
                    self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the request log is `LocalSite.requests`."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="test-site", daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def __enter__(self) -> LocalSite:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()  # joins the request threads
        self._thread.join()


class RecordedPage:
    """One page being recorded: drive it with `page`, read what rrweb emitted with `events()`."""

    def __init__(self, context: BrowserContext, page: Page, site: LocalSite) -> None:
        self.context = context
        self.page = page
        self.site = site
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        # "url error" of every request the browser gave up on (off-loopback ones end here).
        self.failed_requests: list[str] = []
        self._payloads: list[str] = []
        self._received: dict[str, int] = {}
        self._problems: list[str] = []
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("console", self._on_console)
        page.on("requestfailed", lambda request: self.failed_requests.append(
            f"{request.url} {request.failure}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    @property
    def server_requests(self) -> list[str]:
        """Paths (with query) the local server received, in order."""
        return self.site.requests

    def url(self, path: str = "/") -> str:
        return self.site.url(path)

    def _receive(self, _source: object, doc: str, seq: int, payload: str) -> None:
        # Raising here would only reject a promise nobody awaits in the page: flush() reports.
        if seq != self._received.get(doc, 0) + 1:
            self._problems.append(f"rrweb event {seq} of document {doc} arrived out of order")
        self._received[doc] = seq
        self._payloads.append(payload)

    def goto(self, path: str = "/") -> None:
        """Open a page of the site and wait until rrweb has taken its full snapshot."""
        self.page.goto(self.url(path), wait_until="load")
        self.wait_for_snapshot()

    def wait_for_snapshot(self, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """Wait for the current document's FullSnapshot (after a navigation, wait for the
        navigation first, e.g. with `page.expect_navigation()`)."""
        self.page.wait_for_function("() => window.__tapeview && window.__tapeview.fullSnapshot",
                                    timeout=timeout_ms)
        self.flush()

    def flush(self, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """Let pending mutation batches emit, then wait until Python holds every event the
        current document has emitted."""
        state = self.page.evaluate(_SETTLE_FRAME_JS)
        if state is None:
            return
        deadline = time.monotonic() + timeout_ms / 1000
        while self._received.get(state["doc"], 0) < state["emitted"]:
            if time.monotonic() > deadline:
                raise TimeoutError(f"rrweb emitted {state['emitted']} events, "
                                   f"{self._received.get(state['doc'], 0)} arrived")
            self.page.wait_for_timeout(5)  # lets Playwright deliver the pending binding calls
        if self._problems:
            raise AssertionError("; ".join(self._problems))

    def settle(self, quiet_ms: int = 600, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        """Wait until rrweb has emitted nothing for `quiet_ms`, then flush.

        Throttled sources emit a trailing event later: scroll after 100 ms, mouse-move batches
        up to 500 ms after the movement started (rrweb's default sampling).
        """
        self.page.wait_for_function(
            "quiet => performance.now() - window.__tapeview.lastEmit >= quiet", arg=quiet_ms,
            polling=50, timeout=timeout_ms)
        self.flush()

    def events(self) -> list[dict[str, Any]]:
        """Every event recorded so far, in emission order (fresh objects on each call)."""
        self.flush()
        return [json.loads(payload) for payload in self._payloads]

    def events_json(self) -> str:
        """The recording as a JSON array, byte for byte the JSON rrweb's events serialise to."""
        self.flush()
        return "[" + ",".join(self._payloads) + "]"

    def save(self, path: Path) -> Path:
        """Write the recording as a .json file (what `import_file` reads)."""
        path.write_text(self.events_json(), encoding="utf-8")
        return path

    def wait_for_event(self, predicate: Callable[[dict[str, Any]], bool],
                       timeout_ms: int = DEFAULT_TIMEOUT_MS) -> dict[str, Any]:
        """The first recorded event matching `predicate`, waiting for it to be emitted."""
        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            for event in self.events():
                if predicate(event):
                    return event
            if time.monotonic() > deadline:
                raise TimeoutError("no recorded event matched within the timeout")
            self.page.wait_for_timeout(20)

    def node_id(self, selector: str) -> int:
        """rrweb's id for the element matching `selector` (from the recorder's own mirror)."""
        node_id = self.page.evaluate(
            """selector => {
                 const node = document.querySelector(selector);
                 return node ? window.rrweb.record.mirror.getId(node) : null;
               }""", selector)
        if node_id is None or node_id < 0:
            raise LookupError(f"rrweb has no node for {selector!r} (id {node_id})")
        return int(node_id)

    def screenshot(self, path: Path) -> tuple[Path, int]:
        """A PNG of the viewport and the page's `Date.now()` right after it was taken.

        Pending events are flushed first, so replaying the recording up to that timestamp
        should show what the PNG shows (call `settle()` before, after scrolling or moving).
        Playwright's caret hiding is off because it edits the page's DOM, which rrweb would
        record; a focused field keeps its caret and focus ring, which a replay does not draw,
        so click elsewhere first when comparing pixels.
        """
        self.flush()
        self.page.screenshot(path=str(path), caret="initial")
        return path, int(self.page.evaluate("Date.now()"))


@contextmanager
def recorded_page(browser: Browser, site: str | Mapping[str, bytes], *,
                  viewport: tuple[int, int] = (1280, 800),
                  record_options: Mapping[str, Any] | None = None,
                  plugins: Sequence[str] = (),
                  path: str = "/") -> Iterator[RecordedPage]:
    """Serve `site` (HTML text, or URL path -> bytes) on loopback and record it with rrweb.

    `record_options` go to `rrweb.record` as JSON (no functions); by default rrweb's own
    defaults apply (it masks only passwords), so tests see what an unconfigured tracker sends.
    `plugins` names rrweb record plugins to record with (`RECORD_PLUGINS`: "console",
    "network"), each with its own default options. The page is open and fully snapshotted
    when the block starts; the browser context and the server are closed when it ends.
    """
    if reason := rrweb_available(*plugins):
        raise RuntimeError(reason)
    files = {"/": site.encode()} if isinstance(site, str) else dict(site)
    scripts = [RRWEB_SCRIPT.read_text(encoding="utf-8"),
               *(RECORD_PLUGINS[name][0].read_text(encoding="utf-8") for name in plugins)]
    options = json.dumps(dict(record_options or {}))
    with LocalSite(files) as served:
        context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]}, device_scale_factor=1,
            locale="en-US", timezone_id="UTC", service_workers="block")
        try:
            context.set_default_timeout(DEFAULT_TIMEOUT_MS)
            page = context.new_page()
            handle = RecordedPage(context, page, served)
            context.expose_binding("__tapeviewEmit", handle._receive)
            for script in scripts:
                context.add_init_script(
                    "(function () { var define, exports, module;\n" + script + "\n}).call(window);")
            context.add_init_script(_RECORDER_JS % {
                "options": options, "full_snapshot": EventType.FULL_SNAPSHOT,
                "plugins": ", ".join(RECORD_PLUGINS[name][1] for name in plugins)})
            handle.goto(path)
            yield handle
        finally:
            context.close()


def snapshot_node_id(events: list[dict[str, Any]], attribute: str, value: str,
                     snapshot: int = 0) -> int:
    """The id of the element with `attribute == value` in the n-th FullSnapshot's tree.

    Lets tests check events against the recording itself rather than against the recorder.
    """
    snapshots = [e for e in events if e["type"] == EventType.FULL_SNAPSHOT]
    stack = [snapshots[snapshot]["data"]["node"]]
    while stack:
        node = stack.pop()
        if node.get("attributes", {}).get(attribute) == value:
            return int(node["id"])
        stack.extend(node.get("childNodes", []))
    raise LookupError(f"no element with {attribute}={value!r} in full snapshot {snapshot}")

