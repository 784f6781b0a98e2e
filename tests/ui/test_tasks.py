"""The cache worker: results, progress and errors come back on the GUI thread; shutdown joins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from app.ui.tasks import TaskContext, TaskManager
from tests.ui.conftest import worker_threads


@pytest.fixture
def tasks(qtbot: QtBot, cache_path: Path) -> Iterator[TaskManager]:
    manager = TaskManager()
    opened: list[str] = []
    manager.open_cache(str(cache_path), opened.append, lambda error: pytest.fail(str(error)))
    qtbot.waitUntil(lambda: bool(opened))
    yield manager
    manager.shutdown()


def test_work_runs_on_the_worker_and_reports_on_the_gui_thread(qtbot: QtBot,
                                                               tasks: TaskManager) -> None:
    seen: dict[str, threading.Thread] = {}

    def work(context: TaskContext) -> str:
        seen["work"] = threading.current_thread()
        return context.cache.description

    def done(description: str) -> None:
        seen["done"] = threading.current_thread()
        seen["description"] = description  # type: ignore[assignment]

    tasks.run("Describe", work, done)
    qtbot.waitUntil(lambda: "done" in seen)

    assert seen["work"].name.startswith("tapeview-cache")
    assert seen["done"] is threading.main_thread()
    assert str(seen["description"]).endswith("cache.sqlite3")


def test_progress_arrives_in_order(qtbot: QtBot, tasks: TaskManager) -> None:
    reports: list[tuple[int, int, str]] = []

    def work(context: TaskContext) -> None:
        for done in range(3):
            context.progress(done, 3, f"step {done}")

    task = tasks.run("Count", work, lambda _result: None,
                     on_progress=lambda *report: reports.append(report))
    qtbot.waitUntil(lambda: not tasks.busy)

    assert task.title == "Count"
    assert reports == [(0, 3, "step 0"), (1, 3, "step 1"), (2, 3, "step 2")]


def test_errors_are_reported_not_swallowed(qtbot: QtBot, tasks: TaskManager) -> None:
    def work(_context: TaskContext) -> None:
        raise ValueError("the recording is odd")

    with qtbot.waitSignal(tasks.failed) as failed:
        tasks.run("Inspect", work, lambda _result: pytest.fail("no result expected"))

    assert failed.args == ["Inspect", "ValueError: the recording is odd"]


def test_cancel_reaches_the_work(qtbot: QtBot, tasks: TaskManager) -> None:
    proceed = threading.Event()
    results: list[bool] = []

    def work(context: TaskContext) -> bool:
        proceed.wait(10)
        return context.cancel.cancelled

    task = tasks.run("Wait", work, results.append)
    task.cancel()
    proceed.set()
    qtbot.waitUntil(lambda: bool(results))
    assert results == [True]


def test_shutdown_joins_the_worker_and_drops_pending_results(qtbot: QtBot,
                                                             cache_path: Path) -> None:
    manager = TaskManager()
    delivered: list[object] = []
    manager.open_cache(str(cache_path), delivered.append, delivered.append)
    manager.run("Late", lambda _context: "late", delivered.append)
    assert worker_threads()

    manager.shutdown()
    manager.shutdown()  # closing twice is harmless
    QCoreApplication.processEvents()  # deliver what the worker had queued

    assert not worker_threads()
    assert delivered == []
    assert not manager.busy
    manager.run("After", lambda _context: "after", delivered.append)  # dropped quietly
    assert not manager.busy
