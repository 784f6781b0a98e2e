"""Server test fixtures: a database, a real uvicorn server on a loopback port, organizations."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from app.server import accounts
from app.server.app import create_app
from app.server.database import ServerDatabase
from app.server.models import Organization
from app.server.roles import OrgRole
from app.server.settings import ServerSettings


@dataclass
class Tenant:
    """An organization with an Admin token and one project."""

    org_id: int
    admin_token: str
    project_id: int
    project_key: str

    def member(self, db: ServerDatabase, email: str, role: OrgRole) -> tuple[int, str]:
        """Add a member; (member id, their API token)."""
        with db.write() as session:
            organization = session.get(Organization, self.org_id)
            membership = accounts.add_member(session, organization, email, role)
            _, token = accounts.issue_token(session, membership, "test")
            return membership.id, token


def make_tenant(db: ServerDatabase, name: str, plan: str = "team") -> Tenant:
    slug = name.lower().replace(" ", "-")
    with db.write() as session:
        organization, admin = accounts.create_organization(session, name,
                                                           f"admin@{slug}.test", plan)
        _, token = accounts.issue_token(session, admin, "test")
        project = accounts.create_project(session, organization, f"{name} web", "web")
        return Tenant(organization.id, token, project.id, project.key)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[ServerDatabase]:
    opened = ServerDatabase(tmp_path / "server.sqlite3")
    yield opened
    opened.close()


@contextmanager
def running_server(db: ServerDatabase,
                   settings: ServerSettings | None = None) -> Iterator[str]:
    """Serve `db` with uvicorn in a thread on a free loopback port; yield the base URL."""
    config = uvicorn.Config(create_app(db, settings), log_level="warning", access_log=False,
                            lifespan="off", ws="none", http="h11")
    server = uvicorn.Server(config)
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections accepted from such a
    # socket; without it every answer on a kept-alive connection waits ~40 ms for an ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


ServerFactory = Callable[..., httpx.Client]


@pytest.fixture
def serve(db: ServerDatabase) -> Iterator[ServerFactory]:
    """Start the real server on `db` (optionally with settings); returns an httpx client
    for it. Everything started is stopped after the test."""
    stack: list = []

    def start(settings: ServerSettings | None = None) -> httpx.Client:
        context = running_server(db, settings)
        base_url = context.__enter__()
        client = httpx.Client(base_url=base_url, timeout=30)
        stack.append((context, client))
        return client

    yield start
    for context, client in reversed(stack):
        client.close()
        context.__exit__(None, None, None)


@pytest.fixture
def client(serve: ServerFactory) -> httpx.Client:
    return serve()
