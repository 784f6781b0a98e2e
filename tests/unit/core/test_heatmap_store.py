"""Heatmap points in the cache: written with each session, found for the sessions a query
matches (URL rule, device class, dates, session filter, project), backfilled for sessions
cached before them, and kept in step by reindex."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import create_engine, func, inspect, select, update

from app.core.cache.database import Cache, _alembic_config
from app.core.cache.models import PagePoints, RecordedSession
from app.core.cache.reindex import reindex
from app.core.heatmaps.collect import KINDS, HeatmapPoints, HeatmapQuery, Kind, collect_points
from app.core.heatmaps.grid import density, scroll_map
from app.core.heatmaps.store import POINTS_VERSION, stale_points_count, update_points
from app.core.importing import import_file, import_raw
from app.core.recording.formats import RawRecording, Window
from app.core.recording.synthetic import generate_recording
from app.core.search.conditions import (
    HAS_ERRORS,
    DurationBetween,
    SessionFilter,
    VisitedUrl,
)
from app.core.search.errors import FilterError
from app.core.search.urls import LIKE_ESCAPE, like_pattern, url_matches
from app.core.tasks import CancelToken
from tests.unit.core.event_streams import BUY, NOTE, T0, click, console, incremental, page

HOME = "https://shop.test/"
DAY = 86_400_000


def visit(start: int, url: str = HOME, width: int = 1280, height: int = 800,
          scroll_y: float = 0, clicks: tuple[tuple[float, float], ...] = ((100, 50),),
          extra: tuple[dict[str, Any], ...] = ()) -> list[dict[str, Any]]:
    """One page shown at `width` x `height`, scrolled to `scroll_y`, then clicked."""
    events = page(start, url)
    events[0]["data"] |= {"width": width, "height": height}
    events.append(incremental(start + 100, 3, id=1, x=0, y=scroll_y))
    events += [click(start + 200 + n, BUY if n == 0 else NOTE, x=x, y=y)
               for n, (x, y) in enumerate(clicks)]
    return [*events, *extra]


def put(cache: Cache, tmp_path: Path, name: str, events: list[dict[str, Any]],
        project: str = "Shop") -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(sorted(events, key=lambda e: e["timestamp"])))
    result = import_file(cache, path, project_name=project)
    assert result.session_id is not None, result.message
    return result.session_id


def collect(cache: Cache, url: str = HOME, kinds: tuple[Kind, ...] = KINDS,
            **options: Any) -> HeatmapPoints:
    with cache.read_session() as session:
        return collect_points(session, HeatmapQuery(url, **options), kinds)


def sources(cache: Cache, points: HeatmapPoints) -> list[str]:
    with cache.read_session() as session:
        names = dict(session.execute(select(RecordedSession.id, RecordedSession.source)).all())
    return sorted(names[session_id].removesuffix(".json") for session_id in points.session_ids)


@pytest.fixture
def shop(cache: Cache, tmp_path: Path) -> Cache:
    """Five sessions on the shop's pages, at three device classes and on two days."""
    put(cache, tmp_path, "desktop", visit(T0, scroll_y=800))
    put(cache, tmp_path, "query", visit(T0 + 1_000, HOME + "?utm=ad", width=1440, height=900,
                                        scroll_y=1_600, clicks=((10, 10), (20, 20))))
    put(cache, tmp_path, "phone", visit(T0 + 2_000, width=390, height=844, clicks=((5, 600),)))
    put(cache, tmp_path, "tablet", [*visit(T0 + DAY, width=800, height=1000),
                                    *visit(T0 + DAY + 1_000, HOME + "cart", width=800)])
    put(cache, tmp_path, "cart", visit(T0 + 2 * DAY, HOME + "cart?step=2", scroll_y=400,
                                       extra=(console(T0 + 2 * DAY + 900, "error", "boom"),)),
        project="Other")
    return cache


def test_a_click_after_scrolling_is_stored_where_it_was_on_the_page(shop: Cache) -> None:
    points = collect(shop, HOME, rule="exact")
    assert sources(shop, points) == ["desktop", "phone", "tablet"]
    clicks = points.clicks
    assert sorted(zip(clicks.x.tolist(), clicks.y.tolist(), strict=True)) == [
        (5, 600), (100, 50), (100, 850)]
    desktop = clicks.session == points.session_ids.index(session_of(shop, "desktop"))
    assert clicks.y[desktop].tolist() == [850]
    assert clicks.ts_ms[desktop].tolist() == [T0 + 200]
    assert clicks.viewport_width[desktop].tolist() == [1280]
    assert clicks.selectors[clicks.target[desktop][0]] \
        == "body > main > div:nth-of-type(1) > button"
    assert points.page_width == 1280 and points.visits == 3


def session_of(cache: Cache, source: str) -> str:
    with cache.read_session() as session:
        return session.scalar(select(RecordedSession.id).where(
            RecordedSession.source == f"{source}.json"))


def test_url_rules_choose_pages_as_the_session_filter_does(shop: Cache) -> None:
    assert sources(shop, collect(shop, "shop.test/")) == ["desktop", "phone", "query", "tablet"]
    assert sources(shop, collect(shop, "/cart")) == ["cart", "tablet"]
    assert sources(shop, collect(shop, HOME + "?utm=ad", rule="exact")) == ["query"]
    assert sources(shop, collect(shop, "step=", rule="substring")) == ["cart"]
    # A session that showed the page counts once with only the points made on that page.
    cart = collect(shop, "/cart")
    assert len(cart.clicks) == 2 and cart.session_count == 2
    pages = [HOME, HOME + "?utm=ad", HOME + "cart", HOME + "cart?step=2"]
    for rule, url in (("simple", "shop.test"), ("simple", "/cart"), ("exact", HOME + "cart"),
                      ("substring", "cart")):
        wanted = {page for page in pages if url_matches(rule, url, page)}
        with shop.read_session() as session:  # the pattern `collect_points` asks with
            found = set(session.scalars(select(PagePoints.url).where(
                PagePoints.page_key.like(like_pattern(rule, url), escape=LIKE_ESCAPE))))
        assert found == wanted, (rule, url)


def test_device_class_is_the_viewport_width_the_page_was_shown_at(shop: Cache) -> None:
    assert sources(shop, collect(shop, device="desktop")) == ["desktop", "query"]
    assert sources(shop, collect(shop, device="tablet")) == ["tablet"]
    phone = collect(shop, device="mobile")
    assert sources(shop, phone) == ["phone"] and phone.page_width == 390


def test_dates_filters_and_projects_narrow_the_sessions(shop: Cache) -> None:
    assert sources(shop, collect(shop, after_ms=T0 + DAY)) == ["tablet"]
    assert sources(shop, collect(shop, before_ms=T0 + 1_500)) == ["desktop", "query"]
    assert sources(shop, collect(shop, "/cart", filter=SessionFilter((HAS_ERRORS,)))) \
        == ["cart"]
    tablet_only = SessionFilter((DurationBetween(min_ms=1_000),))
    assert sources(shop, collect(shop, filter=tablet_only)) == ["tablet"]
    not_cart = SessionFilter((VisitedUrl("substring", "cart"),))
    assert sources(shop, collect(shop, filter=not_cart)) == ["tablet"]
    with shop.read_session() as session:
        other = session.scalar(select(RecordedSession.project_id).where(
            RecordedSession.source == "cart.json"))
    assert sources(shop, collect(shop, "/cart", project_id=other)) == ["cart"]
    assert collect(shop, "/nowhere").session_count == 0


def test_a_query_is_checked_where_it_is_made() -> None:
    with pytest.raises(FilterError, match="unknown URL rule"):
        HeatmapQuery(HOME, rule="fuzzy")  # type: ignore[arg-type]
    with pytest.raises(FilterError, match="unknown device type"):
        HeatmapQuery(HOME, device="watch")
    with pytest.raises(FilterError, match="must end after it starts"):
        HeatmapQuery(HOME, after_ms=5, before_ms=5)
    with pytest.raises(FilterError, match="needs a URL"):
        HeatmapQuery(" ")


def test_scroll_map_reads_the_deepest_edge_of_each_session(shop: Cache) -> None:
    points = collect(shop, "shop.test", kinds=("scroll",))
    assert len(points.clicks) == 0 and len(points.move_x) == 0
    scrolls = scroll_map(points.scroll_depth, points.viewport_height)
    assert sorted(scrolls.depths.tolist()) == [844, 1000, 1600, 2500]
    assert scrolls.share_at(1000) == 0.75 and scrolls.share_at(2000) == 0.25
    assert scrolls.fold_px == 872  # the median viewport height: 800, 844, 900, 1000


def test_moves_are_read_only_when_asked_for(cache: Cache, tmp_path: Path) -> None:
    put(cache, tmp_path, "moved", visit(T0, scroll_y=300, extra=(incremental(
        T0 + 500, 1, positions=[{"x": 7, "y": 8, "id": 4, "timeOffset": -10},
                                {"x": 9, "y": 10, "id": 4, "timeOffset": 0}]),)))
    points = collect(cache)
    assert points.move_x.tolist() == [7, 9] and points.move_y.tolist() == [308, 310]
    assert collect(cache, kinds=("click",)).move_x.tolist() == []
    assert len(collect(cache, kinds=("move",)).clicks) == 0


def test_generated_sessions_give_their_points_to_heatmaps(cache: Cache) -> None:
    for seed, width in enumerate((1440, 1920, 390)):
        events = generate_recording(600, 3_000, seed=seed, width=width, height=900)
        result = import_raw(cache, RawRecording(f"gen-{seed}", [Window(None, events)]), 1)
        assert result.session_id is not None
    points = collect(cache, "shop.example.com/", device="desktop")
    assert points.session_count == 2 and len(points.clicks) > 5 and len(points.move_x) > 500
    assert (points.clicks.target >= 0).all()
    assert (points.clicks.viewport_width >= 1024).all()
    grid = density(points.clicks.x, points.clicks.y, *points.page_size())
    assert grid.points == len(points.clicks)
    assert collect(cache, "shop.example.com/", device="mobile").session_count == 1


def upgraded_cache(cache_path: Path, tmp_path: Path) -> tuple[str, str]:
    """A cache written at schema 0008, with two sessions, opened by this Tapeview."""
    cache = Cache(cache_path)
    first = put(cache, tmp_path, "old", visit(T0, scroll_y=800))
    second = put(cache, tmp_path, "older", visit(T0 + 5_000, scroll_y=100))
    cache.close()
    engine = create_engine(f"sqlite:///{cache_path}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        columns = {column["name"] for column in inspect(connection).get_columns("session")}
        assert "points_version" not in columns
    engine.dispose()
    return first, second


def test_sessions_cached_before_heatmaps_get_their_points(cache_path: Path,
                                                           tmp_path: Path) -> None:
    upgraded_cache(cache_path, tmp_path)
    cache = Cache(cache_path)
    try:
        assert collect(cache).session_count == 0
        with cache.read_session() as session:
            assert stale_points_count(session) == 2
        calls: list[tuple[int, int, str]] = []
        report = update_points(cache, progress=lambda *call: calls.append(call))
        assert (report.sessions, report.visits, report.cancelled) == (2, 2, False)
        assert calls[0][:2] == (0, 2) and calls[-1][:2] == (2, 2)
        points = collect(cache)
        assert sorted(points.clicks.y.tolist()) == [150, 850]
        assert points.clicks.selectors == ("body > main > div:nth-of-type(1) > button",)
        with cache.read_session() as session:
            assert stale_points_count(session) == 0
            assert set(session.scalars(select(RecordedSession.points_version))) \
                == {POINTS_VERSION}
        assert update_points(cache).sessions == 0
    finally:
        cache.close()


def test_an_interrupted_update_keeps_what_it_finished(cache_path: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    upgraded_cache(cache_path, tmp_path)
    monkeypatch.setattr("app.core.heatmaps.store.BATCH", 1)
    cache = Cache(cache_path)
    try:
        cancel = CancelToken()
        report = update_points(cache, progress=lambda done, *_: done == 1 and cancel.cancel(),
                               cancel=cancel)
        assert (report.sessions, report.cancelled) == (1, True)
        assert collect(cache).session_count == 1
        assert update_points(cache).sessions == 1
        assert collect(cache).session_count == 2
    finally:
        cache.close()


def test_reindex_writes_a_sessions_points_again(cache: Cache, tmp_path: Path) -> None:
    session_id = put(cache, tmp_path, "again", visit(T0, scroll_y=800))
    with cache.session() as session:
        session.execute(update(PagePoints).values(selectors=[], click_count=0))
        session.execute(update(RecordedSession).values(points_version=0))
    assert reindex(cache, everything=True).sessions == 1
    with cache.read_session() as session:
        assert session.scalar(select(func.count()).select_from(PagePoints)) == 1
        assert session.scalar(select(RecordedSession.points_version).where(
            RecordedSession.id == session_id)) == POINTS_VERSION
    points = collect(cache)
    assert points.clicks.y.tolist() == [850] and len(points.clicks.selectors) == 1


def test_points_are_compact(cache: Cache, tmp_path: Path) -> None:
    put(cache, tmp_path, "many", visit(T0, clicks=tuple((n, n) for n in range(200))))
    with cache.read_session() as session:
        blob = session.scalar(select(PagePoints.clicks))
    assert blob is not None and len(blob) < 200 * 16
    assert np.array_equal(np.sort(collect(cache).clicks.x), np.arange(200, dtype=np.float32))


def test_a_page_of_unknown_size_still_counts(cache: Cache, tmp_path: Path) -> None:
    events = visit(T0, scroll_y=300)
    del events[0]["data"]["width"], events[0]["data"]["height"]
    put(cache, tmp_path, "sizeless", events)
    points = collect(cache)
    assert points.session_count == 1 and points.page_width == 0
    assert points.clicks.y.tolist() == [350] and points.clicks.viewport_width.tolist() == [0]
    assert points.viewport_height.tolist() == [0] and points.page_size() == (101, 351)
    assert collect(cache, device="desktop").session_count == 0


@pytest.mark.postgres
def test_heatmaps_on_postgres(postgres_cache: Cache, tmp_path: Path) -> None:
    cache = postgres_cache
    put(cache, tmp_path, "desktop", visit(T0, scroll_y=800))
    put(cache, tmp_path, "phone", visit(T0 + 1_000, HOME + "?a_b=1", width=390,
                                        clicks=((5, 5), (6, 6)),
                                        extra=(console(T0 + 1_500, "error", "x"),)))
    points = collect(cache, "shop.test")
    assert points.session_count == 2 and sorted(points.clicks.y.tolist()) == [5, 6, 850]
    assert len(points.clicks.selectors) == 2
    assert sources(cache, collect(cache, "a_b=", rule="substring")) == ["phone"]
    assert sources(cache, collect(cache, device="mobile",
                                  filter=SessionFilter((HAS_ERRORS,)))) == ["phone"]
    with cache.session() as session:
        session.execute(update(RecordedSession).values(points_version=0))
    assert update_points(cache).sessions == 2
    assert len(collect(cache).clicks) == 3
