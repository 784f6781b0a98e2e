"""Settings every test shares: Qt runs headless, fixtures come from ../shared when present."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Qt must be headless before any Qt module loads; QtWebEngine's Chromium cannot sandbox as root.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")
# Tests never touch the user's real cache.
os.environ.pop("TAPEVIEW_CACHE", None)

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
