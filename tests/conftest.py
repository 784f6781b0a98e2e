"""Settings every test shares: Qt runs headless, fixtures come from ../shared when present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt must be headless before any Qt module loads; QtWebEngine's Chromium cannot sandbox as root.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
# Tests never touch the user's real cache or keyring.
os.environ.pop("TAPEVIEW_CACHE", None)
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures" / "rrweb"


@pytest.fixture(scope="session")
def rrweb_fixtures() -> Path:
    """The real-world recordings in ../shared/fixtures/rrweb (skipped where absent)."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared rrweb fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite3"


@pytest.fixture
def cache(cache_path: Path) -> Iterator[object]:
    from app.core.cache.database import Cache

    opened = Cache(cache_path)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of a real PostgreSQL server: $TAPEVIEW_TEST_PG_URL, else a private one we start."""
    if url := os.environ.get("TAPEVIEW_TEST_PG_URL"):
        yield url
        return
    from tests.support.postgres import find_bindir, temporary_server

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing on CI (.ci/run installs them)")
        pytest.skip("no PostgreSQL server installed (Debian package 'postgresql')")
    with temporary_server(bindir) as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"tapeview_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def postgres_cache(postgres_url: str) -> Iterator[object]:
    """A cache in a fresh database on the test PostgreSQL server, closed afterwards."""
    from app.core.cache.database import Cache

    opened = Cache(postgres_url)
    yield opened
    opened.close()
