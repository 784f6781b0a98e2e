"""One worker thread owns the cache; the GUI hands it work and gets results back by signal.

Why a single thread: SQLite has one writer at a time and an ORM session belongs to one thread,
so one worker serialises every read and write without locks, and the GUI thread never touches
the disk. Results, progress and errors are emitted from the worker on a QObject that lives on
the GUI thread, so Qt delivers them there (queued) and callbacks run where widgets may be used.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from app.core.cache.database import Cache, CacheError
from app.core.tasks import Cancelled, CancelToken, ProgressCallback

T = TypeVar("T")
ErrorHandler = Callable[[Exception], None]
ProgressHandler = Callable[[int, int, str], None]

WORKER_THREAD_PREFIX = "tapeview-cache"
COMPUTE_THREAD_PREFIX = "tapeview-compute"
ONLINE_THREAD_PREFIX = "tapeview-online"
READER_THREAD_PREFIX = "tapeview-reader"
# A sync and a project listing (the connect dialog) may run at once.
ONLINE_THREADS = 2
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskContext:
    """What a task's function gets on the worker thread."""

    cache: Cache
    cancel: CancelToken
    progress: ProgressCallback


class Task:
    """A handle on submitted work: the GUI keeps it to cancel the work or follow its progress."""

    def __init__(self, task_id: int, title: str, on_done: Callable[[Any], None],
                 on_error: ErrorHandler | None, on_progress: ProgressHandler | None) -> None:
        self.id = task_id
        self.title = title
        self.cancel_token = CancelToken()
        self.on_done = on_done
        self.on_error = on_error
        self.on_progress = on_progress
        self.future: Future[None] | None = None

    def cancel(self) -> None:
        """Ask the work to stop at its next check; it still reports back what it did."""
        self.cancel_token.cancel()


class _Bridge(QObject):
    """Lives on the GUI thread, so signals emitted from the worker are delivered there."""

    finished = Signal(int, object)
    failed = Signal(int, object)
    progressed = Signal(int, int, int, str)


class TaskManager(QObject):
    """Runs cache work on one worker thread and calls back on the GUI thread."""

    # A task without its own error handler failed: (task title, message for the user).
    failed = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1,
                                            thread_name_prefix=WORKER_THREAD_PREFIX)
        # CPU work that needs no cache (preparing a replay) must not hold up cache reads.
        self._compute = ThreadPoolExecutor(max_workers=1,
                                           thread_name_prefix=COMPUTE_THREAD_PREFIX)
        # Work that waits on the network (a sync: minutes) must not hold up the cache worker
        # either: it writes through a cache connection of its own (WAL lets both proceed).
        self._online = ThreadPoolExecutor(max_workers=ONLINE_THREADS,
                                          thread_name_prefix=ONLINE_THREAD_PREFIX)
        # Long reads (a funnel over millions of events: seconds) likewise, on a connection
        # of their own, so the session list keeps answering meanwhile.
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix=READER_THREAD_PREFIX)
        self._online_cache: Cache | None = None
        self._online_lock = threading.Lock()
        self._location: str | None = None
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._deliver_result)
        self._bridge.failed.connect(self._deliver_error)
        self._bridge.progressed.connect(self._deliver_progress)
        self._tasks: dict[int, Task] = {}
        self._next_id = 1
        self._closed = False
        self._cache: Cache | None = None  # touched on the worker thread only

    @property
    def busy(self) -> bool:
        """Whether some submitted work has not reported back yet."""
        return bool(self._tasks)

    def open_cache(self, location: str | None, on_done: Callable[[str], None],
                   on_error: Callable[[Exception], None]) -> Task:
        """Open (create, upgrade) the cache on the worker; `on_done` gets its description."""

        def work(_task: Task) -> str:
            self._cache = Cache(location)
            self._location = location
            return self._cache.description

        return self._submit("Open the cache", work, on_done, on_error, None)

    def run(self, title: str, work: Callable[[TaskContext], T], on_done: Callable[[T], None],
            on_error: ErrorHandler | None = None,
            on_progress: ProgressHandler | None = None) -> Task:
        """Run `work` on the worker with the open cache.

        `title` names the work in error messages ("Import recordings"). Without `on_error`,
        a failure is reported through the `failed` signal, so it is shown, never lost.
        """

        def with_context(task: Task) -> T:
            if self._cache is None:
                raise CacheError("The cache is not open.")
            context = TaskContext(self._cache, task.cancel_token,
                                  lambda done, total, message: self._bridge.progressed.emit(
                                      task.id, done, total, message))
            return work(context)

        return self._submit(title, with_context, on_done, on_error, on_progress)

    def compute(self, title: str, work: Callable[[CancelToken, ProgressCallback], T],
                on_done: Callable[[T], None], on_error: ErrorHandler | None = None,
                on_progress: ProgressHandler | None = None) -> Task:
        """Run CPU work that needs no cache on the compute thread, reporting the same way."""

        def with_progress(task: Task) -> T:
            return work(task.cancel_token, lambda done, total, message:
                        self._bridge.progressed.emit(task.id, done, total, message))

        return self._submit(title, with_progress, on_done, on_error, on_progress,
                            self._compute)

    def run_online(self, title: str, work: Callable[[TaskContext], T],
                   on_done: Callable[[T], None], on_error: ErrorHandler | None = None,
                   on_progress: ProgressHandler | None = None) -> Task:
        """Like `run`, on a thread for work that waits on the network, with its own
        connection to the same cache; runs beside cache work instead of after it."""
        return self._run_beside(title, work, on_done, on_error, on_progress, self._online)

    def run_reading(self, title: str, work: Callable[[TaskContext], T],
                    on_done: Callable[[T], None], on_error: ErrorHandler | None = None,
                    on_progress: ProgressHandler | None = None) -> Task:
        """Like `run_online`, for a long read of the cache (one at a time)."""
        return self._run_beside(title, work, on_done, on_error, on_progress, self._reader)

    def _run_beside(self, title: str, work: Callable[[TaskContext], T],
                    on_done: Callable[[T], None], on_error: ErrorHandler | None,
                    on_progress: ProgressHandler | None, executor: ThreadPoolExecutor) -> Task:
        def with_context(task: Task) -> T:
            context = TaskContext(self._open_online_cache(), task.cancel_token,
                                  lambda done, total, message: self._bridge.progressed.emit(
                                      task.id, done, total, message))
            return work(context)

        return self._submit(title, with_context, on_done, on_error, on_progress, executor)

    def _open_online_cache(self) -> Cache:
        with self._online_lock:
            if self._online_cache is None:
                if self._cache is None:
                    raise CacheError("The cache is not open.")
                self._online_cache = Cache(self._location)
            return self._online_cache

    def report_error(self, title: str, error: Exception) -> None:
        """Show a failure to the user (for handlers that clean up, then want it shown)."""
        if not isinstance(error, CacheError | OSError):
            log.error("%s failed", title, exc_info=error)
        self.failed.emit(title, describe_error(error))

    def shutdown(self) -> None:
        """Cancel what is pending, close the cache on the worker and join the thread.

        Called when the window closes; results still queued for the GUI are dropped.
        """
        if self._closed:
            return
        self._closed = True
        for task in self._tasks.values():
            task.cancel()
            if task.future is not None:
                task.future.cancel()  # not started yet: never runs
        self._tasks.clear()
        self._executor.submit(self._close_cache)
        self._executor.shutdown(wait=True)
        self._compute.shutdown(wait=True)
        self._online.shutdown(wait=True)
        self._reader.shutdown(wait=True)
        if self._online_cache is not None:
            self._online_cache.close()

    def _close_cache(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def _submit(self, title: str, work: Callable[[Task], Any], on_done: Callable[[Any], None],
                on_error: ErrorHandler | None, on_progress: ProgressHandler | None,
                executor: ThreadPoolExecutor | None = None) -> Task:
        task = Task(self._next_id, title, on_done, on_error, on_progress)
        self._next_id += 1
        if self._closed:
            return task  # the window is closing (a timer fired late): nobody waits for it
        self._tasks[task.id] = task
        task.future = (executor or self._executor).submit(self._work_on_worker, task, work)
        return task

    def _work_on_worker(self, task: Task, work: Callable[[Task], Any]) -> None:
        try:
            result = work(task)
        except Exception as exc:
            self._bridge.failed.emit(task.id, exc)
        else:
            self._bridge.finished.emit(task.id, result)

    def _deliver_result(self, task_id: int, result: object) -> None:
        task = self._tasks.pop(task_id, None)
        if task is not None:
            task.on_done(result)

    def _deliver_error(self, task_id: int, error: Exception) -> None:
        task = self._tasks.pop(task_id, None)
        if task is None or isinstance(error, Cancelled):
            return  # dropped at shutdown, or stopped because the user asked
        if task.on_error is not None:
            task.on_error(error)
        else:
            self.report_error(task.title, error)

    def _deliver_progress(self, task_id: int, done: int, total: int, message: str) -> None:
        task = self._tasks.get(task_id)
        if task is not None and task.on_progress is not None:
            task.on_progress(done, total, message)


def describe_error(error: Exception) -> str:
    """A message for people: ours are written for them, others get their type name."""
    if isinstance(error, CacheError):
        return str(error)
    if isinstance(error, OSError):
        where = f"{os.fsdecode(error.filename)}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    return f"{type(error).__name__}: {error}"
