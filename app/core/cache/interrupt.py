"""Stopping a long read of the cache when the user cancels it.

A funnel over millions of events is a handful of statements that each run for seconds.
SQLite calls a progress handler every so many steps of its virtual machine; the handler
returns true once the task is cancelled, and SQLite abandons the statement. The connection
is then thrown away rather than returned to the pool: temporary tables the work had made
may still be on it. Other databases run each statement to its end and stop between them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.core.tasks import Cancelled, CancelToken

CHECK_EVERY = 20_000  # virtual machine steps between looks at the token: well under 10 ms


@contextmanager
def interruptible(session: Session, cancel: CancelToken) -> Iterator[None]:
    """Run the block's statements on `session` so that `cancel` stops them (Cancelled)."""
    connection = session.connection()
    raw = connection.connection.dbapi_connection
    if not isinstance(raw, sqlite3.Connection):
        yield
        cancel.raise_if_cancelled()
        return
    raw.set_progress_handler(lambda: cancel.cancelled, CHECK_EVERY)
    try:
        yield
    except OperationalError as exc:
        if cancel.cancelled:
            connection.invalidate()
            raise Cancelled from exc
        raise
    finally:
        if not connection.invalidated:
            raw.set_progress_handler(None, 0)
