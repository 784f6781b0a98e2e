"""Ingest and sync throughput against the real server on loopback, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_sync.py [--sessions 1000] [--events 300]
                                                    [--duration 120] [--concurrency 4]

Starts the reference server (`app.server`, uvicorn, SQLite) in a process of its own on a
loopback port, with the per-key ingest rate limit lifted (the default 20 requests/s would
measure the limiter). Ingests `--sessions` generated visits (`app.core.recording.synthetic`,
each a different visitor) through `POST /api/v1/ingest`, one batch per visit, four requests
at a time: events/s and MB/s of JSON sent. Then syncs everything into a fresh cache with
`app.core.sync.sync` (the full pipeline: list, download, verify, normalise, mask, chunk,
write): sessions/s and MB/s received; then a second sync that finds nothing new. Both
processes share this machine's CPUs, as they would on a developer's laptop.

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

import httpx  # noqa: E402
import orjson  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.recording.synthetic import generate_recording  # noqa: E402
from app.core.sync import sync  # noqa: E402
from app.server import accounts  # noqa: E402
from app.server.database import ServerDatabase  # noqa: E402

MB = 1_000_000
TEMPLATES = 50  # distinct generated visits, replayed by different visitors at other times
HOUR_MS = 3_600_000

SERVE = """
import sys, uvicorn
from app.server.app import create_app
from app.server.database import ServerDatabase
from app.server.settings import ServerSettings
db = ServerDatabase(sys.argv[1])
settings = ServerSettings(rate_per_second=1e9, rate_burst=10**9)
uvicorn.run(create_app(db, settings), host="127.0.0.1", port=int(sys.argv[2]),
            log_level="warning", access_log=False)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(db_path: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(db_path), str(port)],
                               cwd=REPO, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/me", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("the server did not start")


def create_tenant(db_path: Path) -> tuple[str, str]:
    """(admin API token, project key) of a new organization with one project."""
    db = ServerDatabase(db_path)
    try:
        with db.write() as session:
            organization, admin = accounts.create_organization(session, "Bench",
                                                               "admin@bench.test", "business")
            _, token = accounts.issue_token(session, admin, "bench")
            project = accounts.create_project(session, organization, "Shop", "web")
            return token, project.key
    finally:
        db.close()


def visit_bodies(sessions: int, events: int, duration_s: float) -> list[bytes]:
    """Ingest request bodies: `TEMPLATES` generated visits, each sent by many visitors an
    hour apart (so every body is a session of its own)."""
    templates = [generate_recording(duration_s, events, seed=n) for n in range(TEMPLATES)]
    bodies = []
    for number in range(sessions):
        shift = (number // TEMPLATES + 1) * HOUR_MS * 2
        shifted = [{**event, "timestamp": event["timestamp"] + shift}
                   for event in templates[number % TEMPLATES]]
        bodies.append(orjson.dumps({"visitor_id": f"visitor-{number}", "events": shifted}))
    return bodies


def ingest(url: str, key: str, bodies: list[bytes], concurrency: int) -> dict[str, Any]:
    headers = {"X-Project-Key": key, "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=120, headers=headers) as client:

        def send(body: bytes) -> int:
            response = client.post("/api/v1/ingest", content=body)
            response.raise_for_status()
            return response.json()["events"]

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            events = sum(pool.map(send, bodies))
        seconds = time.perf_counter() - started
    sent = sum(len(body) for body in bodies)
    return {"sessions": len(bodies), "events": events, "json_mb": round(sent / MB, 2),
            "seconds": round(seconds, 2), "events_per_s": round(events / seconds),
            "sessions_per_s": round(len(bodies) / seconds, 1),
            "mb_per_s": round(sent / MB / seconds, 2)}


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a process has used so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_sync(cache: Cache, url: str, token: str, concurrency: int,
               server_pid: int) -> dict[str, Any]:
    server_cpu, own_cpu = process_cpu_s(server_pid), time.process_time()
    started = time.perf_counter()
    report = sync(cache, url, token, concurrency=concurrency)
    seconds = time.perf_counter() - started
    server_used = process_cpu_s(server_pid)
    return {"concurrency": concurrency, "seconds": round(seconds, 2),
            # Where the time went: both processes share this machine's CPUs.
            "client_cpu_s": round(time.process_time() - own_cpu, 2),
            "server_cpu_s": round(server_used - server_cpu, 2)
            if server_used is not None and server_cpu is not None else None,
            "sessions_listed": report.sessions_listed,
            "sessions_written": report.sessions_written,
            "chunks_downloaded": report.chunks_downloaded,
            "chunk_mb": round(report.chunk_bytes / MB, 2),
            "received_mb": round(report.bytes_received / MB, 2),
            "sessions_per_s": round(report.sessions_written / seconds, 1),
            "mb_per_s": round(report.bytes_received / MB / seconds, 2),
            "problems": report.problems[:5]}


def cache_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=300, help="events per visit (about)")
    parser.add_argument("--duration", type=float, default=120, help="seconds per visit")
    parser.add_argument("--concurrency", type=int, action="append",
                        help="sync download concurrency (repeat to compare; default 4)")
    args = parser.parse_args(argv)
    concurrencies = args.concurrency or [4]
    result: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count(),
                              "sessions": args.sessions}
    with tempfile.TemporaryDirectory(prefix="tapeview-bench-sync-") as folder:
        db_path = Path(folder) / "server.sqlite3"
        token, key = create_tenant(db_path)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = start_server(db_path, port)
        try:
            started = time.perf_counter()
            bodies = visit_bodies(args.sessions, args.events, args.duration)
            result["generation_s"] = round(time.perf_counter() - started, 2)
            result["ingest"] = ingest(url, key, bodies, concurrency=4)
            del bodies
            result["server_db_mb"] = round(db_path.stat().st_size / MB, 2)
            result["sync"] = []
            for concurrency in concurrencies:
                cache_path = Path(folder) / f"cache-{concurrency}.sqlite3"
                cache = Cache(cache_path)  # created and migrated before the clock starts
                try:
                    full = timed_sync(cache, url, token, concurrency, server.pid)
                    full["cache_mb"] = round(cache_bytes(cache_path) / MB, 2)
                    full["rrweb_json_mb_per_s"] = round(
                        result["ingest"]["json_mb"] / full["seconds"], 2)
                    full["nothing_new"] = timed_sync(cache, url, token, concurrency,
                                                     server.pid)
                finally:
                    cache.close()
                result["sync"].append(full)
        finally:
            server.terminate()
            server.wait(30)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
