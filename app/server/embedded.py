"""The reference server inside the desktop app, on loopback, with a demo organization.

A first run with no server of its own still sees the whole loop: demo visits are posted to
the ingest endpoint the way the tracking code posts them (so the server masks and cuts them
into sessions), and the app syncs them like any server's. The server's database and its
admin token live in one private folder and are reused on later runs, on the same port, so
the cache keeps mirroring one server instead of a new one each time.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from app.core.demo import DEFAULT_DEMO_COUNT, DemoSession, demo_sessions
from app.core.private_files import write_private_json
from app.core.sync.client import normalize_server_url
from app.core.tasks import Cancelled, CancelToken, ProgressCallback, no_progress
from app.server import accounts
from app.server.app import create_app
from app.server.database import ServerDatabase
from app.server.roles import DEFAULT_PLAN

HOST = "127.0.0.1"
ORGANIZATION = "Demo organization"
ADMIN = "demo@tapeview.invalid"
PROJECT = "Demo shop"
STATE_FILE = "embedded-server.json"
DATABASE_FILE = "embedded-server.sqlite3"
START_TIMEOUT_S = 20.0
THREAD_NAME = "tapeview-demo-server"
BATCH_EVENTS = 400  # about what the tracking code sends every few seconds
USER_AGENTS = {
    "desktop": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
               "Gecko) Chrome/131.0.0.0 Safari/537.36",
    "tablet": "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
              "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "mobile": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
              "Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
}


class EmbeddedServerError(RuntimeError):
    """The demo server could not start; the message says why and what to do."""


@dataclass(frozen=True)
class EmbeddedState:
    """What the app needs to use the running demo server (and to show the tracking code)."""

    url: str
    token: str
    project_key: str
    port: int


class EmbeddedServer:
    """One demo server per app: `start()` on a worker, `stop()` when the app quits."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._db: ServerDatabase | None = None
        self.state: EmbeddedState | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def is_this(self, server_url: str) -> bool:
        """Whether `server_url` is this demo server's (running or not)."""
        saved = self._saved()
        return saved is not None and bool(saved.get("port")) and \
            normalize_server_url(server_url) == _url(int(saved["port"]))

    def start(self, progress: ProgressCallback = no_progress,
              cancel: CancelToken | None = None,
              demo_count: int = DEFAULT_DEMO_COUNT) -> EmbeddedState:
        """Start (creating on first use) and return how to reach it. Idempotent."""
        if self.running and self.state is not None:
            return self.state
        self.folder.mkdir(parents=True, exist_ok=True)
        progress(0, 0, "Starting the demo server")
        self._db = ServerDatabase(self.folder / DATABASE_FILE)
        saved = self._saved()
        if saved is None:
            saved = self._bootstrap(self._db)
        listener = _listen(int(saved.get("port") or 0))
        port = listener.getsockname()[1]
        if port != saved.get("port"):
            saved = {**saved, "port": port}
            self._save(saved)
        self._serve(listener)
        self.state = EmbeddedState(_url(port), saved["token"], saved["project_key"], port)
        if not saved.get("seeded"):
            # Posted again after an interruption, the same batches are recognised, not added.
            post_demo_visits(self.state.url, self.state.project_key, demo_count, progress,
                             cancel, int(saved["demo_now_ms"]))
            self._save({**saved, "seeded": True})
        return self.state

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._db is not None:
            self._db.close()
        self._server = self._thread = self._db = None

    def _serve(self, listener: socket.socket) -> None:
        assert self._db is not None
        config = uvicorn.Config(create_app(self._db), log_level="warning", access_log=False,
                                lifespan="off")
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]},
                                        name=THREAD_NAME, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise EmbeddedServerError("the demo server did not start; see the log")
            time.sleep(0.02)

    def _bootstrap(self, db: ServerDatabase) -> dict[str, Any]:
        with db.write() as session:
            organization, membership = accounts.create_organization(
                session, ORGANIZATION, ADMIN, DEFAULT_PLAN)
            project = accounts.create_project(session, organization, PROJECT, "web")
            _, token = accounts.issue_token(session, membership, "desktop app")
            saved = {"port": 0, "token": token, "project_key": project.key, "seeded": False,
                     "demo_now_ms": int(time.time() * 1000)}
        self._save(saved)
        return saved

    def _saved(self) -> dict[str, Any] | None:
        try:
            saved = json.loads((self.folder / STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        return saved if isinstance(saved, dict) and {"token", "project_key"} <= set(saved) \
            else None

    def _save(self, saved: dict[str, Any]) -> None:
        write_private_json(self.folder / STATE_FILE, saved)  # it holds the admin's token


def post_demo_visits(url: str, project_key: str, count: int = DEFAULT_DEMO_COUNT,
                     progress: ProgressCallback = no_progress,
                     cancel: CancelToken | None = None, now_ms: int | None = None) -> int:
    """Post `count` demo visits to the ingest endpoint as the tracking code would (one
    visitor and session id each, batches of a few hundred events, the device's user agent),
    ending an hour before `now_ms` (now by default). Returns the events posted."""
    visits = _recent(demo_sessions(count), now_ms or int(time.time() * 1000))
    posted = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for number, visit in enumerate(visits, start=1):
            if cancel is not None and cancel.cancelled:
                raise Cancelled
            progress(number - 1, count, f"Recording demo visit {number} of {count}")
            events = visit.events()
            for start in range(0, len(events), BATCH_EVENTS):
                _post(client, project_key, visit, events[start:start + BATCH_EVENTS])
            posted += len(events)
    progress(count, count, f"Posted {count} demo visits")
    return posted


def _recent(visits: list[DemoSession], now: int) -> list[DemoSession]:
    """The demo visits moved to the past week, so they look like yesterday's traffic."""
    last_end = max(visit.start_ms + visit.duration_s * 1000 for visit in visits)
    shift = now - 3_600_000 - last_end
    return [dataclasses.replace(visit, start_ms=visit.start_ms + shift) for visit in visits]


def _post(client: httpx.Client, key: str, visit: DemoSession,
          events: list[dict[str, Any]]) -> None:
    body = {"visitor_id": f"demo-visitor-{visit.seed}",
            "session_id": f"demo-session-{visit.seed}", "events": events}
    headers = {"X-Project-Key": key, "User-Agent": USER_AGENTS[visit.device]}
    for _attempt in range(5):
        response = client.post("/api/v1/ingest", json=body, headers=headers)
        if response.status_code != 429:
            break
        time.sleep(float(response.headers.get("Retry-After") or 1))
    if response.is_error:
        raise EmbeddedServerError(f"the demo server refused a demo visit: "
                                  f"{response.status_code} {response.text[:200]}")


def _listen(port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((HOST, port))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise EmbeddedServerError(
                f"port {port} of {HOST}, where the demo server ran before, is taken by another "
                "program; close it and try again") from exc
        raise
    listener.listen(128)
    return listener


def _url(port: int) -> str:
    return f"http://{HOST}:{port}"

