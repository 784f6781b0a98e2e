"""`tapeview server ...` and `tapeview serve`, run as a user would."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.cli import main
from app.server.database import ServerDatabase
from tests.server.conftest import make_tenant, running_server
from tests.server.recordings import batch, checkout_visit

ROOT = Path(__file__).resolve().parents[2]


def tapeview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


def test_bootstrap_from_the_shell_then_use_the_api(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db_path = str(tmp_path / "server.sqlite3")
    code, admin_token, err = tapeview(capsys, "server", "init", "--db", db_path, "--org",
                                      "Acme", "--admin", "boss@acme.test")
    assert code == 0 and admin_token.startswith("tvt_") and "shown this once" in err
    code, _, err = tapeview(capsys, "server", "init", "--db", db_path, "--org", "Other",
                            "--admin", "BOSS@acme.test")
    assert code == 1 and "only one" in err
    code, key, _ = tapeview(capsys, "server", "project", "create", "--db", db_path, "--org",
                            "Acme", "--name", "Shop", "--kind", "combined")
    assert code == 0 and key.startswith("tvk_")
    code, listing, _ = tapeview(capsys, "server", "project", "list", "--db", db_path,
                                "--org", "Acme")
    assert key in listing and "combined" in listing
    code, guest_token, _ = tapeview(capsys, "server", "invite", "--db", db_path, "--org",
                                    "Acme", "--email", "guest@acme.test", "--role", "guest")
    assert code == 0
    code, _, err = tapeview(capsys, "server", "access", "--db", db_path, "--org", "Acme",
                            "--email", "guest@acme.test", "--project", "Shop", "--role",
                            "editor")
    assert code == 1 and "at most viewer" in err
    code, second_token, _ = tapeview(capsys, "server", "token", "--db", db_path, "--org",
                                     "Acme", "--email", "boss@acme.test")
    assert code == 0 and second_token != admin_token
    code, _, err = tapeview(capsys, "server", "token", "--db", db_path, "--org", "Nope",
                            "--email", "boss@acme.test")
    assert code == 1 and "no organization" in err

    db = ServerDatabase(db_path)
    try:
        with running_server(db) as base, httpx.Client(base_url=base) as client:
            me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {second_token}"})
            assert me.json()["organization"]["name"] == "Acme"
            sent = client.post("/api/v1/ingest", json=batch("v", checkout_visit()),
                               headers={"X-Project-Key": key})
            assert sent.status_code == 200
            [project] = client.get(f"/api/v1/organizations/{me.json()['organization']['id']}"
                                   "/projects",
                                   headers={"Authorization": f"Bearer {guest_token}"}).json()
            assert (project["name"], project["role"]) == ("Shop", "viewer")
    finally:
        db.close()


def test_serve_runs_the_server_with_the_limits_given(tmp_path: Path) -> None:
    db = ServerDatabase(tmp_path / "s.sqlite3")
    try:
        tenant = make_tenant(db, "Acme")
    finally:
        db.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--db", str(tmp_path / "s.sqlite3"), "--port",
         str(port), "--visitor-rate", "0.1", "--visitor-burst", "1"], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "error"})
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                spec = httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.communicate()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.1)
        assert spec.json()["info"]["title"] == "Tapeview server"
        codes = [httpx.post(f"http://127.0.0.1:{port}/api/v1/ingest", json=batch(
            "v", checkout_visit()), headers={"X-Project-Key": tenant.project_key}).status_code
            for _ in range(2)]
        assert codes == [200, 429]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert b"Tapeview server on http://127.0.0.1" in err
    assert b"Traceback" not in err


def test_a_database_that_is_not_ours_is_refused(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (text)")
    code, _, err = tapeview(capsys, "server", "init", "--db", str(other), "--org", "A",
                            "--admin", "a@a.test")
    assert code == 2 and "not a Tapeview server database" in err


def test_serve_help_names_the_rate_limits(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    for option, default in (("--key-rate", 200), ("--key-burst", 400), ("--visitor-rate", 5),
                            ("--visitor-burst", 60)):
        assert option in help_text and f"(default {default}" in help_text
