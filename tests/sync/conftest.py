"""Sync test fixtures: the real server on a loopback port (in a thread, or as a `tapeview
serve` process that can be killed), recordings ingested over HTTP, a fresh cache."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from app.core.cache.database import Cache
from app.core.cache.models import Event, RecordedSession
from app.core.cache.queries import iter_session_events
from app.core.recording.chunks import decode_chunk
from app.server.database import ServerDatabase
from tests.conftest import PROJECT_ROOT
from tests.server.conftest import Tenant, make_tenant, running_server
from tests.server.recordings import MINUTE, T0, checkout_visit

# Short waits between retries: a dead server is noticed in well under a second.
FAST_RETRIES: dict[str, Any] = {"retries": 2, "backoff_s": 0.05, "timeout_s": 10.0}


@dataclass
class Server:
    """A server and an organization on it, as a sync client and a tracker see them."""

    url: str
    tenant: Tenant
    db_path: Path

    @property
    def token(self) -> str:
        return self.tenant.admin_token

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={
            "Authorization": f"Bearer {self.token}"})

    def ingest(self, visitor: str, events: list[dict], key: str | None = None,
               headers: dict[str, str] | None = None, **extra: Any) -> str:
        """Send one tracker batch; the id of the (last) session it went to."""
        with httpx.Client(base_url=self.url, timeout=30) as client:
            response = client.post("/api/v1/ingest", content=orjson.dumps(
                {"visitor_id": visitor, "events": events, **extra}), headers={
                "X-Project-Key": key or self.tenant.project_key,
                "Content-Type": "application/json", **(headers or {})})
        assert response.status_code == 200, response.text
        return response.json()["sessions"][-1]

    def ingest_visits(self, count: int, start: int = 0) -> list[str]:
        """`count` checkout visits by different visitors, an hour and more apart."""
        return [self.ingest(f"visitor-{n}", checkout_visit(T0 + n * 100 * MINUTE))
                for n in range(start, start + count)]

    def session_ids(self, project_id: int | None = None) -> set[str]:
        project = project_id or self.tenant.project_id
        with self.api() as api:
            page = api.get(f"/api/v1/projects/{project}/sessions",
                           params={"limit": 1000}).json()
        return {row["id"] for row in page["sessions"]}

    def events(self, session_id: str, project_id: int | None = None) -> list[dict]:
        """A session's events as the server stores them (its chunks, in order)."""
        base = f"/api/v1/projects/{project_id or self.tenant.project_id}/sessions/{session_id}"
        events: list[dict] = []
        with self.api() as api:
            for chunk in api.get(f"{base}/chunks").json():
                events += decode_chunk(api.get(f"{base}/chunks/{chunk['seq']}").content)[0]
        return sorted(events, key=lambda e: e["timestamp"])


def make_server_db(path: Path, name: str = "Acme") -> Tenant:
    db = ServerDatabase(path)
    try:
        return make_tenant(db, name)
    finally:
        db.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The real server (uvicorn in a thread) on a fresh SQLite database."""
    db_path = tmp_path / "server.sqlite3"
    db = ServerDatabase(db_path)
    tenant = make_tenant(db, "Acme")
    with running_server(db) as url:
        yield Server(url, tenant, db_path)
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ServeProcess:
    """`tapeview serve` as a child process, to be killed with SIGKILL and started again."""

    def __init__(self, db_path: Path, port: int, log: Path) -> None:
        self.db_path, self.port, self.log = db_path, port, log
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app", "serve", "--db", str(self.db_path),
                 "--port", str(self.port)], cwd=PROJECT_ROOT, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tapeview serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/v1/me", timeout=1).status_code == 401:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("tapeview serve did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait()


@pytest.fixture
def serve_process(tmp_path: Path) -> Iterator[tuple[ServeProcess, Tenant]]:
    db_path = tmp_path / "server.sqlite3"
    tenant = make_server_db(db_path)
    process = ServeProcess(db_path, free_port(), tmp_path / "serve.log")
    process.start()
    yield process, tenant
    process.kill()


# -- looking into the cache --------------------------------------------------------------------

def cache_session_ids(cache: Cache) -> set[str]:
    with cache.read_session() as session:
        return set(session.scalars(select(RecordedSession.id)))


def cache_events(cache: Cache, session_id: str) -> list[dict]:
    with cache.read_session() as session:
        return [event for event, _ in iter_session_events(session, session_id)]


def cache_snapshot(cache: Cache) -> dict[str, Any]:
    """Everything a sync writes about each session, comparable between two caches."""
    snapshot: dict[str, Any] = {}
    with cache.read_session() as session:
        for row in session.scalars(select(RecordedSession).order_by(RecordedSession.id)):
            events = [(e.ts_ms, e.kind, e.name, e.url, e.node_id) for e in session.scalars(
                select(Event).where(Event.session_id == row.id)
                .order_by(Event.ts_ms, Event.kind, Event.id))]
            snapshot[row.id] = {
                "events": [event for event, _ in iter_session_events(session, row.id)],
                "index": events,
                "meta": (row.start_ms, row.end_ms, row.event_count, row.click_count,
                         row.pages, row.window_ids, row.browser, row.os, row.referrer,
                         row.visitor.uid if row.visitor else None),
            }
    return snapshot


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    connection.close()
    return result
