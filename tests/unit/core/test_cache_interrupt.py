"""Cancelling a long read: SQLite abandons the statement at once, the work raises Cancelled,
and the cache answers the next read as before."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.cache.database import Cache
from app.core.cache.interrupt import interruptible
from app.core.tasks import Cancelled, CancelToken

# Counts to a billion: minutes, unless stopped.
ENDLESS = text("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
               "WHERE i < 1000000000) SELECT count(*) FROM n")


def test_a_cancelled_read_stops_at_once_and_the_cache_still_answers(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        cancel = CancelToken()
        threading.Timer(0.2, cancel.cancel).start()
        started = time.perf_counter()
        with pytest.raises(Cancelled), cache.read_session() as session, \
                interruptible(session, cancel):
            session.execute(text("CREATE TEMP TABLE made_on_the_way (x)"))
            session.execute(ENDLESS)
        assert time.perf_counter() - started < 5
        with cache.read_session() as session:
            assert session.execute(text("SELECT count(*) FROM session")).scalar() == 0
            # The connection that was stopped is gone, with its temporary table.
            session.execute(text("CREATE TEMP TABLE made_on_the_way (x)"))
    finally:
        cache.close()


def test_a_read_that_is_not_cancelled_runs_to_its_end(tmp_path: Path) -> None:
    cache = Cache(tmp_path / "cache.sqlite3")
    try:
        with cache.read_session() as session, interruptible(session, CancelToken()):
            assert session.execute(text("SELECT 41 + 1")).scalar() == 42
    finally:
        cache.close()
