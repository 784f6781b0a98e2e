"""Write a cached session back out as a plain rrweb event array (what rrweb-player loads)."""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path
from typing import IO

import orjson

from app.core.cache.database import Cache
from app.core.cache.queries import find_session, iter_session_events


class ExportError(RuntimeError):
    pass


def export_session(cache: Cache, session_id: str, out: Path) -> int:
    """Write the session's events to `out` (gzip if it ends in .gz); return the event count.

    The file is written beside its target and renamed into place, so a failure never leaves
    a half-written export where a good one was.
    """
    with cache.read_session() as session:
        info = find_session(session, session_id)
        if info is None:
            raise ExportError(f"no session with id {session_id!r} in {cache.description}")
        out.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
        count = 0
        try:
            with os.fdopen(handle, "wb") as raw:
                stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="wb") \
                    if out.suffix == ".gz" else raw
                stream.write(b"[")
                for event, _window in iter_session_events(session, info.id):
                    if count:
                        stream.write(b",\n")
                    stream.write(orjson.dumps(event))
                    count += 1
                stream.write(b"]\n")
                if stream is not raw:
                    stream.close()
            os.replace(temp_name, out)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
    return count
