"""Work done again on many cached sessions (re-indexing events, finding heatmap points): in
transactions of a few sessions each, so an interrupted sweep keeps what it finished and the
next one goes on with the rest, with progress and cancellation between transactions."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.tasks import CancelToken, ProgressCallback, collector_paused


@dataclass
class Sweep:
    sessions: int = 0  # sessions done
    found: int = 0  # what the work counted in them (events, page visits)
    seconds: float = 0.0
    cancelled: bool = False


def sweep_sessions(cache: Cache, ids: Sequence[str], work: Callable[[Session, str], int],
                   progress: ProgressCallback, cancel: CancelToken | None,
                   doing: Callable[[int, int, str], str], done: str,
                   batch: int = 1) -> Sweep:
    """`work(session, id)` for each of `ids`, `batch` sessions a transaction; `doing(done,
    total, next id)` says what is under way."""
    started = time.perf_counter()
    sweep = Sweep()
    with collector_paused():
        for first in range(0, len(ids), batch):
            progress(first, len(ids), doing(first, len(ids), ids[first]))
            if cancel is not None and cancel.cancelled:
                sweep.cancelled = True
                break
            with cache.session() as session:
                for session_id in ids[first:first + batch]:
                    sweep.found += work(session, session_id)
                    sweep.sessions += 1
    progress(sweep.sessions, len(ids), done)
    sweep.seconds = round(time.perf_counter() - started, 3)
    return sweep
