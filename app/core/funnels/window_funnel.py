"""The compiled `window_funnel` aggregate (window_funnel.c), loaded into SQLite connections.

It counts a funnel in one pass over its steps' events: about six times faster than the
same walk as SQL statements level by level, which stay for PostgreSQL and for where the
aggregate was not built (setup.py: it is optional), is from an older build, or cannot be
loaded. It is loaded once a connection (a second load would fail: its functions are in use).

Python's sqlite3 module loads extensions only where it was built to, and often it was not;
the SQLite library under it always can. So the extension is enabled for a moment on the
connection's own handle, through that library (looked up through the sqlite3 module itself,
so never another copy of SQLite), loaded by SQL, and disabled again. CPython keeps the
handle as the first field of its connection object (Modules/_sqlite/connection.h).
"""

from __future__ import annotations

import _sqlite3
import ctypes
import importlib.util
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import Connection

ENTRY_POINT = "sqlite3_windowfunnel_init"
API_VERSION = 2  # window_funnel.c's: a library from an older build is not used
INFO_KEY = "window_funnel"  # in the pool's record of a connection: loaded there or not


def compiled_library() -> Path | None:
    """The built extension (an empty module to Python), if the install built it."""
    spec = importlib.util.find_spec("app.core.funnels._window_funnel")
    return Path(spec.origin) if spec is not None and spec.origin else None


def loaded(connection: Connection) -> bool:
    """Whether `window_funnel` can be used on this connection (loaded on first asking)."""
    if connection.dialect.name != "sqlite":
        return False
    info = connection.connection.info
    if INFO_KEY not in info:
        info[INFO_KEY] = load(connection.connection.dbapi_connection)
    return bool(info[INFO_KEY])


def load(raw: object) -> bool:
    """Load the aggregate into a sqlite3 connection; False where it cannot be."""
    library = compiled_library()
    if library is None or type(raw) is not sqlite3.Connection \
            or sys.implementation.name != "cpython":
        return False
    try:
        sqlite = ctypes.CDLL(_sqlite3.__file__)
        enable = sqlite.sqlite3_enable_load_extension
        version = sqlite.sqlite3_libversion_number()
    except (OSError, AttributeError):  # SQLite built in with its names hidden
        return False
    major, minor, patch = sqlite3.sqlite_version_info
    if version != major * 1_000_000 + minor * 1_000 + patch:
        return False
    enable.argtypes = [ctypes.c_void_p, ctypes.c_int]
    handle = ctypes.c_void_p.from_address(id(raw) + object.__basicsize__).value
    if not handle or enable(handle, 1) != sqlite3.SQLITE_OK:
        return False
    try:
        raw.execute("SELECT load_extension(?, ?)", (str(library), ENTRY_POINT)).close()
        return raw.execute("SELECT window_funnel_api()").fetchone()[0] == API_VERSION
    except sqlite3.Error:
        return False
    finally:
        enable(handle, 0)
