"""Faults: the server killed mid-sync, the sync itself killed at any moment, cancellation,
bad tokens and unreachable servers. Afterwards every session is there exactly once."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.core.cache.database import Cache
from app.core.sync import AuthError, NetworkError, NotFoundError, sync
from app.core.tasks import CancelToken
from tests.conftest import PROJECT_ROOT
from tests.server.conftest import Tenant
from tests.sync.conftest import (
    FAST_RETRIES,
    ServeProcess,
    Server,
    cache_session_ids,
    cache_snapshot,
    free_port,
    integrity,
)


def reference_snapshot(server: Server, path: Path) -> dict:
    """What one uninterrupted sync of the server stores."""
    reference = Cache(path)
    try:
        sync(reference, server.url, server.token)
        return cache_snapshot(reference)
    finally:
        reference.close()


def test_server_killed_mid_sync_then_restarted(serve_process: tuple[ServeProcess, Tenant],
                                               tmp_path: Path) -> None:
    process, tenant = serve_process
    server = Server(process.url, tenant, process.db_path)
    ids = server.ingest_visits(40)
    cache_path = tmp_path / "cache.sqlite3"
    cache = Cache(cache_path)

    def kill_server_after_eight(done: int, _total: int, _message: str) -> None:
        if done == 8:  # more sessions are being downloaded right now
            process.kill()

    with pytest.raises(NetworkError, match=rf"{process.url}.*gave up after 3 attempt") as error:
        sync(cache, server.url, server.token, progress=kill_server_after_eight, **FAST_RETRIES)

    partial = cache_session_ids(cache)
    assert 8 <= len(partial) < len(ids)
    assert error.value.report is not None
    assert error.value.report.sessions_added == len(partial)
    assert integrity(cache_path) == "ok"

    process.start()  # the same database, the same port
    report = sync(cache, server.url, server.token)

    assert report.sessions_added == len(ids) - len(partial)
    assert report.sessions_updated == 0
    assert cache_session_ids(cache) == set(ids)
    assert integrity(cache_path) == "ok"
    assert cache_snapshot(cache) == reference_snapshot(server, tmp_path / "reference.sqlite3")
    cache.close()


# A sync in a process of its own that SIGKILLs itself at a chosen moment: right after a
# session was committed, in the middle of a session's transaction (everything written but not
# committed), or in the middle of the downloads.
KILLED_SYNC = r"""
import os, signal, sys
from app.core.cache.database import Cache
from app.core.sync import client, engine, storing

cache_path, url, token, moment, after = sys.argv[1:6]
calls = 0

def count_and_maybe_die():
    global calls
    calls += 1
    if calls == int(after):
        os.kill(os.getpid(), signal.SIGKILL)

if moment == "mid-transaction":
    advance = storing.advance_cursor
    def advance_and_die(session, *args):
        advance(session, *args)
        session.flush()
        count_and_maybe_die()
    storing.advance_cursor = advance_and_die
elif moment == "mid-download":
    chunk = client.SyncClient.chunk
    def chunk_and_die(self, *args):
        data = chunk(self, *args)
        count_and_maybe_die()
        return data
    client.SyncClient.chunk = chunk_and_die

def progress(done, total, message):
    if moment == "between-sessions" and done:
        count_and_maybe_die()

engine.sync(Cache(cache_path), url, token, progress=progress)
sys.exit(3)  # not killed: the test's moment never came
"""


@pytest.mark.parametrize(("moment", "kill_at"), [
    ("between-sessions", (4, 3)),  # after the 4th session of the first run, the 3rd of the next
    ("mid-transaction", (4, 3)),
    ("mid-download", (12, 12)),  # after the 12th chunk download (sessions are fetched ahead)
])
def test_a_sync_killed_at_any_moment_resumes_without_loss_or_duplicates(
        server: Server, tmp_path: Path, moment: str, kill_at: tuple[int, int]) -> None:
    ids = server.ingest_visits(12)
    cache_path = tmp_path / "cache.sqlite3"
    Cache(cache_path).close()

    for count in kill_at:  # killed twice: the second run resumes, then is killed too
        killed = subprocess.run(
            [sys.executable, "-c", KILLED_SYNC, str(cache_path), server.url, server.token,
             moment, str(count)],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        assert integrity(cache_path) == "ok"

    cache = Cache(cache_path)
    partial = cache_session_ids(cache)
    assert 0 < len(partial) < len(ids)
    report = sync(cache, server.url, server.token)

    assert report.sessions_added == len(ids) - len(partial)
    assert cache_session_ids(cache) == set(ids)
    assert integrity(cache_path) == "ok"
    assert cache_snapshot(cache) == reference_snapshot(server, tmp_path / "reference.sqlite3")
    cache.close()


def test_cancelling_leaves_a_consistent_cache_and_the_next_sync_completes(
        server: Server, cache: Cache, cache_path: Path) -> None:
    ids = server.ingest_visits(10)
    token = CancelToken()

    def cancel_after_three(done: int, _total: int, _message: str) -> None:
        if done == 3:
            token.cancel()

    report = sync(cache, server.url, server.token, progress=cancel_after_three, cancel=token)

    assert report.cancelled and report.sessions_added == 3
    assert len(cache_session_ids(cache)) == 3
    assert integrity(cache_path) == "ok"

    rest = sync(cache, server.url, server.token)
    assert (rest.cancelled, rest.sessions_added, rest.sessions_unchanged) == (False, 7, 0)
    assert cache_session_ids(cache) == set(ids)
    assert cache_snapshot(cache) == reference_snapshot(server, cache_path.with_name("ref.db"))


def test_a_cancelled_token_stops_before_anything_is_written(server: Server,
                                                            cache: Cache) -> None:
    server.ingest_visits(2)
    token = CancelToken()
    token.cancel()
    report = sync(cache, server.url, server.token, cancel=token)
    assert report.cancelled and cache_session_ids(cache) == set()


def test_a_bad_token_is_refused_with_a_clear_message(server: Server, cache: Cache,
                                                     cache_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    server.ingest_visits(1)
    with pytest.raises(AuthError, match=rf"{server.url} refused the API token \(401: "):
        sync(cache, server.url, "tvt_not-a-real-token")
    with pytest.raises(AuthError, match="not a project key"):
        sync(cache, server.url, server.tenant.project_key)  # a key reads nothing

    code = main(["--cache", str(cache_path), "sync", "--server", server.url,
                 "--token", "tvt_not-a-real-token"])
    assert code == 1
    assert f"tapeview: {server.url} refused the API token (401" in capsys.readouterr().err
    assert cache_session_ids(cache) == set()


def test_a_project_the_token_cannot_see_is_named_in_the_error(server: Server,
                                                              cache: Cache) -> None:
    with pytest.raises(NotFoundError, match=rf"{server.url} has no project '999'"):
        sync(cache, server.url, server.token, project_ids=[999])


def test_an_unreachable_server_fails_with_a_clear_message(
        cache_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    code = main(["--cache", str(cache_path), "sync", "--server", url, "--token", "tvt_x",
                 "--retries", "1"])
    assert code == 1
    error = capsys.readouterr().err
    assert f"could not get the organizations of this token from {url}: cannot connect" in error
    assert "gave up after 2 attempt(s)" in error

    assert main(["--cache", str(cache_path), "sync", "--server", "localhost:8470",
                 "--token", "tvt_x"]) == 1
    assert "'localhost:8470' is not a server URL" in capsys.readouterr().err
