"""A throwaway PostgreSQL server for tests: a private cluster in a temp dir on a free port."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_ROOT = Path("/usr/lib/postgresql")


def find_bindir() -> Path | None:
    """The newest installed server's bin directory (Debian layout), or one on PATH."""
    if PG_ROOT.is_dir():
        versions = sorted((p for p in PG_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
                          key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()])
        if versions:
            return versions[-1] / "bin"
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def temporary_server(bindir: Path) -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL of its `postgres` database; stop and remove it."""
    data = Path(tempfile.mkdtemp(prefix="tapeview-pg-"))
    run_as: list[str] = []
    user = "postgres"
    if os.geteuid() == 0:  # initdb refuses to run as root: run the server as 'postgres'
        account = pwd.getpwnam("postgres")
        os.chown(data, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    else:
        user = pwd.getpwuid(os.geteuid()).pw_name
    port = _free_port()
    subprocess.run([*run_as, str(bindir / "initdb"), "-D", str(data / "db"), "-A", "trust",
                    "-U", user, "--no-sync"], check=True, capture_output=True)
    subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-w", "-l",
                    str(data / "log"), "-o", f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
                    " -c fsync=off", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://{user}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, str(bindir / "pg_ctl"), "-D", str(data / "db"), "-m", "fast",
                        "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(data, ignore_errors=True)
