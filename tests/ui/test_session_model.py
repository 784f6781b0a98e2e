"""The lazy session model on its own: paging, server-side sort, filter debounce, stale results."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from app.core.cache import queries
from app.core.cache.database import Cache
from app.core.search.conditions import AttributeIs, DefinedEvent, PerformedEvent, SessionFilter
from app.ui import session_model
from app.ui.session_model import COLUMN_OF_SORT, COLUMNS, PAGE_SIZE, SessionTableModel
from app.ui.tasks import TaskManager
from tests.ui.synthetic_sessions import add_sessions

SESSIONS = 5_000


@pytest.fixture
def tasks(qtbot: QtBot, cache_path: Path, cache: Cache) -> Iterator[TaskManager]:
    """A task manager on a cache of SESSIONS synthetic sessions."""
    add_sessions(cache, SESSIONS)
    manager = TaskManager()
    opened: list[str] = []
    failures: list[object] = []
    manager.failed.connect(lambda title, message: failures.append((title, message)))
    manager.open_cache(str(cache_path), opened.append, failures.append)
    qtbot.waitUntil(lambda: bool(opened or failures))
    yield manager
    manager.shutdown()
    assert not failures


@pytest.fixture
def model(tasks: TaskManager) -> SessionTableModel:
    return SessionTableModel(tasks)


@pytest.fixture
def page_requests(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int | None]]:
    """(offset, limit) of every page the model reads from the cache."""
    requests: list[tuple[int, int | None]] = []

    def recording_list_sessions(session, query, offset=0, limit=None):  # type: ignore[no-untyped-def]
        requests.append((offset, limit))
        return queries.list_sessions(session, query, offset, limit)

    monkeypatch.setattr(session_model, "list_sessions", recording_list_sessions)
    return requests


def wait_loaded(qtbot: QtBot, model: SessionTableModel, tasks: TaskManager) -> None:
    qtbot.waitUntil(lambda: not model.loading and not tasks.busy)


def test_first_page_then_more_on_demand(qtbot: QtBot, model: SessionTableModel,
                                        tasks: TaskManager,
                                        page_requests: list[tuple[int, int | None]]) -> None:
    model.refresh()
    wait_loaded(qtbot, model, tasks)
    assert model.total == SESSIONS
    assert model.rowCount() == PAGE_SIZE
    assert model.canFetchMore(QModelIndex())

    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # a second request while one is pending is ignored
    qtbot.waitUntil(lambda: model.rowCount() == 2 * PAGE_SIZE)
    wait_loaded(qtbot, model, tasks)

    assert page_requests == [(0, PAGE_SIZE), (PAGE_SIZE, PAGE_SIZE)]
    assert model.rowCount() < model.total


def test_sort_is_done_by_the_database(qtbot: QtBot, model: SessionTableModel,
                                      tasks: TaskManager) -> None:
    model.sort(COLUMN_OF_SORT["duration"], Qt.SortOrder.AscendingOrder)
    wait_loaded(qtbot, model, tasks)
    shortest = model.session_at(0).duration_ms

    model.sort(COLUMN_OF_SORT["duration"], Qt.SortOrder.DescendingOrder)
    wait_loaded(qtbot, model, tasks)

    assert shortest == 1_000  # the shortest of all 5,000, not of one page
    assert model.session_at(0).duration_ms == max(
        1_000 + (n * 7_919) % 3_600_000 for n in range(SESSIONS))


def test_filter_waits_for_typing_to_pause(qtbot: QtBot, model: SessionTableModel,
                                          tasks: TaskManager,
                                          page_requests: list[tuple[int, int | None]]) -> None:
    for text in ("s", "sy", "synthetic-4999"):
        model.set_filter_text(text)

    qtbot.waitUntil(lambda: model.query.text == "synthetic-4999")
    wait_loaded(qtbot, model, tasks)
    assert model.total == 1 and model.session_at(0).source == "synthetic-4999.json"
    assert len(page_requests) == 1


def test_results_of_superseded_queries_are_dropped(qtbot: QtBot, model: SessionTableModel,
                                                   tasks: TaskManager) -> None:
    release = threading.Event()
    tasks.run("Hold the worker", lambda _context: release.wait(10), lambda _result: None)
    resets: list[int] = []
    model.modelReset.connect(lambda: resets.append(model.total))

    model.sort(COLUMN_OF_SORT["duration"], Qt.SortOrder.AscendingOrder)
    model.set_project(10_000)  # no such project: the query that must win
    release.set()
    wait_loaded(qtbot, model, tasks)

    assert resets == [0]
    assert model.rowCount() == 0 and not model.canFetchMore(QModelIndex())


def test_numbers_are_right_aligned_and_urls_have_tooltips(qtbot: QtBot, model: SessionTableModel,
                                                          tasks: TaskManager) -> None:
    model.refresh()
    wait_loaded(qtbot, model, tasks)
    alignment = Qt.ItemDataRole.TextAlignmentRole
    events = model.index(0, COLUMN_OF_SORT["events"])
    landing = model.index(0, COLUMN_OF_SORT["landing"])

    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert model.data(events, alignment) == right
    assert model.data(landing, alignment) is None
    assert model.data(landing, Qt.ItemDataRole.ToolTipRole).startswith("https://shop.example/")
    assert [model.headerData(n, Qt.Orientation.Horizontal) for n in range(len(COLUMNS))] == [
        "Start", "Duration", "Active", "Pages", "Events", "Clicks", "Errors", "Device",
        "Visitor", "Landing page", "Project"]


def test_a_filter_the_cache_cannot_run_empties_the_list_and_says_why(
        qtbot: QtBot, model: SessionTableModel, tasks: TaskManager) -> None:
    model.refresh()
    wait_loaded(qtbot, model, tasks)
    assert model.rowCount() == PAGE_SIZE

    with qtbot.waitSignal(model.queryFailed) as failed:
        model.set_filter(SessionFilter((PerformedEvent(DefinedEvent("Gone")),)))
    wait_loaded(qtbot, model, tasks)

    assert failed.args == ["no event is defined as 'Gone'"]
    assert model.rowCount() == 0 and model.total == 0  # not the previous list, unfiltered
    model.set_filter(SessionFilter((AttributeIs("device", ("tablet",)),)))
    wait_loaded(qtbot, model, tasks)
    assert model.total == SESSIONS // 3
