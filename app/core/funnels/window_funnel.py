"""The compiled `window_funnel` aggregate (window_funnel.c): loaded into SQLite connections,
and a funnel counted, or the actors behind a bar listed, with it.

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
import json
import sqlite3
import sys
from pathlib import Path

from sqlalchemy import Connection, Integer, Text, func, literal, select

from app.core.cache.models import RecordedSession
from app.core.funnels.results import Breakdown, Counted, FunnelQuery, GroupResult, Moment
from app.core.funnels.sources import BREAKDOWN_COLUMNS, Source, within_dates

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


def count_in_one_pass(connection: Connection, sources: list[Source], query: FunnelQuery,
                      breakdown: Breakdown | None) -> Counted:
    """The compiled `window_funnel` functions: every step's events added, then walked at
    once."""
    _add_events(connection, sources, query, breakdown)
    counted = json.loads(connection.execute(select(func.window_funnel_result())).scalar_one())
    return Counted(counted["reached"], counted["medians"], counted["to_convert"],
                   tuple(GroupResult(group["value"], tuple(group["reached"]))
                         for group in counted.get("groups", ())))


def list_in_one_pass(connection: Connection, sources: list[Source], query: FunnelQuery,
                     step_index: int, *, dropped: bool, breakdown: Breakdown | None,
                     group: str | None, limit: int | None, offset: int) -> list[Moment]:
    """The actors behind a bar (compute.py's `funnel_actors`), listed by the aggregate."""
    _add_events(connection, sources, query, breakdown)
    listing = [step_index, dropped, offset, -1 if limit is None else limit]
    found = connection.execute(select(func.window_funnel_actors(
        *listing, *((group,) if breakdown is not None else ())))).scalar_one()
    return [tuple(moment) for moment in json.loads(found)]


def _add_events(connection: Connection, sources: list[Source], query: FunnelQuery,
                breakdown: Breakdown | None) -> None:
    """Hand each step's events to `window_funnel`, straight off its index (each event once
    per step it matches; the first step's within the dates, with its session for a
    breakdown), and for a breakdown every session's device or browser."""
    funnel = query.funnel
    connection.execute(select(func.window_funnel_start(
        len(sources), funnel.window_ms, funnel.by == "session", breakdown is not None)))
    for index, source in enumerate(sources):
        columns = [literal(index, Integer), source.visitor, source.session, source.ts,
                   source.id]
        if breakdown is not None:
            columns.append(source.session if index == 0 else literal(None, Text))
        added = select(func.window_funnel_add(*columns)).select_from(source.table) \
            .where(*source.conditions)
        connection.execute(within_dates(added, source, query) if index == 0 else added)
    if breakdown is not None:
        connection.execute(select(func.window_funnel_value(
            RecordedSession.id, BREAKDOWN_COLUMNS[breakdown])))

