"""Heatmap aggregation in numpy: bins, smoothing, scroll maps, CSV, hot-spot sessions and
placing clicks on their elements."""

from __future__ import annotations

import io
from dataclasses import replace

import numpy as np
import pytest

from app.core.heatmaps.collect import Clicks, HeatmapPoints
from app.core.heatmaps.grid import (
    bin_counts,
    density,
    gaussian_kernel,
    scroll_map,
    smooth,
    write_bins_csv,
)
from app.core.heatmaps.placement import Box, layouts_needed, place_clicks
from app.core.heatmaps.spots import SpotSession, sessions_clicked_near


def arrays(*values: float) -> np.ndarray:
    return np.array(values, np.float32)


def test_points_fall_in_the_bins_that_hold_them() -> None:
    counts = bin_counts(arrays(0, 7.9, 8, 15, 39.9), arrays(0, 0, 0, 17, 23.5), 40, 24, 8)
    assert counts.shape == (3, 5)
    assert counts[0].tolist() == [2, 1, 0, 0, 0]
    assert counts[2].tolist() == [0, 1, 0, 0, 1]
    assert counts.sum() == 5


def test_points_off_the_page_are_left_out() -> None:
    x = arrays(-0.5, 40, 5, np.nan, 5, 1e30, 5)
    y = arrays(5, 5, -1, 5, 24, 5, np.inf)
    grid = density(x, y, 40, 24, bin_px=8)
    assert grid.points == 0 and grid.counts.sum() == 0 and grid.image.sum() == 0


def test_a_partial_last_bin_is_kept() -> None:
    assert bin_counts(arrays(99), arrays(9), 100, 10, 16).shape == (1, 7)


@pytest.mark.parametrize("shape", [(50, 40), (3, 2), (1, 1)])
def test_smoothing_spreads_points_but_keeps_the_total(shape: tuple[int, int]) -> None:
    rng = np.random.default_rng(1)
    counts = rng.poisson(0.3, shape)
    counts[0, 0] += 50  # a hot corner: mirrored edges keep its weight on the page
    image = smooth(counts, 2.0)
    assert image.dtype == np.float32
    assert image.sum() == pytest.approx(counts.sum(), rel=1e-5)
    if shape[0] > 10:
        assert image.max() < counts.max()  # spread out
        assert image[0, 0] > image[10, 10]


def test_smoothing_is_a_symmetric_gaussian() -> None:
    counts = np.zeros((21, 21), np.int64)
    counts[10, 10] = 1
    image = smooth(counts, 1.5)
    assert np.argmax(image) == 10 * 21 + 10
    assert np.allclose(image, image.T) and np.allclose(image, image[::-1, ::-1])
    kernel = gaussian_kernel(1.5)
    assert len(kernel) == 11 and kernel.sum() == pytest.approx(1)
    assert np.allclose(image[5:16, 5:16], np.outer(kernel, kernel))
    assert np.array_equal(smooth(counts, 0), counts.astype(np.float32))


def test_density_reports_its_bins() -> None:
    grid = density(arrays(3, 4, 20), arrays(3, 5, 30), width=64, height=48, bin_px=16,
                   sigma_px=16)
    assert (grid.width, grid.height, grid.points) == (64, 48, 3)
    # Points at (3, 3), (4, 5) and (20, 30): bins centred at (8, 8) and (24, 24).
    assert grid.count_near(8, 8, radius_px=1) == 2  # the bin's centre is in the circle
    assert grid.count_near(24, 24, radius_px=1) == 1
    assert grid.count_near(16, 16, radius_px=12) == 3  # both centres 11.3 px away
    assert grid.count_near(16, 16, radius_px=11) == 0
    assert grid.count_near(-100, 0, radius_px=50) == 0  # off the grid
    assert grid.image.sum() == pytest.approx(3)


def test_csv_holds_the_raw_bins_by_their_centres() -> None:
    grid = density(arrays(3, 4, 20, 20), arrays(3, 5, 30, 31), width=64, height=48, bin_px=16)
    out = io.StringIO()
    assert write_bins_csv(grid, out) == 2
    assert out.getvalue() == "x,y,count\n8,8,2\n24,24,2\n"
    odd = io.StringIO()
    write_bins_csv(density(arrays(1), arrays(1), 9, 9, bin_px=9), odd)
    assert odd.getvalue().splitlines() == ["x,y,count", "4.5,4.5,1"]


def test_scroll_map_gives_the_share_of_sessions_that_saw_each_depth() -> None:
    scrolls = scroll_map(arrays(2500, 900, 1700), arrays(900, 800, 0))
    assert scrolls.sessions == 3
    assert scrolls.fold_px == 850  # the median of the known viewport heights
    assert scrolls.share_at(0) == 1.0 and scrolls.share_at(900) == 1.0
    assert scrolls.share_at(901) == pytest.approx(2 / 3)
    assert scrolls.share_at(2000) == pytest.approx(1 / 3) and scrolls.share_at(2501) == 0.0
    shares = scrolls.shares(3000, bin_px=100)
    assert len(shares) == 30
    assert shares[8] == 1.0 and shares[9] == pytest.approx(2 / 3)  # rows 800-900, 900-1000
    assert shares[24] == pytest.approx(1 / 3) and shares[25] == 0.0
    assert (np.diff(shares) <= 0).all()
    empty = scroll_map(arrays(), arrays())
    assert empty.share_at(10) == 0.0 and empty.shares(20, 10).tolist() == [0.0, 0.0]


def heatmap_points(x: list[float], y: list[float], ts: list[int], session: list[int],
                   target: list[int] | None = None, width: list[int] | None = None,
                   selectors: tuple[str, ...] = ()) -> HeatmapPoints:
    count = len(x)
    clicks = Clicks(np.array(x, np.float32), np.array(y, np.float32), np.array(ts, np.int64),
                    np.array(session, np.int32), np.array(target or [-1] * count, np.int32),
                    np.array(width or [1280] * count, np.int32), selectors)
    return HeatmapPoints(("a", "b", "c"), np.array([1000, 2000, 3000], np.int64),
                         np.zeros(3, np.float32), np.zeros(3, np.float32),
                         np.full(3, 1280, np.int32), 1280, 3, clicks,
                         np.empty(0, np.float32), np.empty(0, np.float32))


def test_a_hot_spot_lists_its_sessions_with_their_first_click_there() -> None:
    points = heatmap_points(x=[100, 102, 101, 500, 98, 103], y=[50, 52, 49, 50, 51, 50],
                            ts=[1900, 1500, 2600, 2700, 3100, 2500],
                            session=[0, 0, 1, 1, 2, 1])
    assert sessions_clicked_near(points, 100, 50, radius_px=5) == [
        SpotSession("a", 2, 1500, 500), SpotSession("b", 2, 2500, 500),
        SpotSession("c", 1, 3100, 100)]
    assert sessions_clicked_near(points, 500, 50, radius_px=1) == [
        SpotSession("b", 1, 2700, 700)]
    assert sessions_clicked_near(points, 300, 300, radius_px=10) == []


def test_clicks_are_placed_on_their_element_as_the_background_lays_it_out() -> None:
    """A button 200 px wide at x 600 when clicked in a 1440 px viewport sits at x 20, 100 px
    wide, when the background shows the page at 390 px: a click a quarter into it lands a
    quarter into it there."""
    points = heatmap_points(x=[650, 650, 30, 700, 10], y=[1020, 1020, 500, 5000, 10],
                            ts=[1, 2, 3, 4, 5], session=[0, 1, 2, 0, 1],
                            target=[0, 0, 0, 0, -1], width=[1440, 1440, 390, 1440, 1440],
                            selectors=("#buy",))
    measured = {1440: {"#buy": Box(600, 1000, 200, 40)}, 390: {"#buy": Box(20, 480, 100, 40)}}
    background = {"#buy": Box(20, 480, 100, 40)}
    assert layouts_needed(points.clicks) == {390: ["#buy"], 1440: ["#buy"]}
    placed, moved = place_clicks(points.clicks, measured, background)
    assert moved == 3
    assert placed.x.tolist() == [45, 45, 30, 700, 10]
    assert placed.y.tolist() == [500, 500, 500, 5000, 10]  # 5000 was not on the button
    assert points.with_clicks(placed).clicks is placed
    unmeasured, none = place_clicks(points.clicks, {}, background)
    assert none == 0 and unmeasured.x.tolist() == points.clicks.x.tolist()
    assert place_clicks(heatmap_points([], [], [], []).clicks, measured, background)[1] == 0
    assert layouts_needed(heatmap_points([1], [1], [1], [0]).clicks) == {}  # no known target


def test_the_page_is_drawn_from_a_session_at_the_most_common_width_first() -> None:
    points = replace(heatmap_points([], [], [], []), session_ids=("a", "b", "c", "d", "e"),
                     viewport_width=np.array([390, 1440, 390, 1440, 1440], np.int32))
    assert points.backgrounds() == ("b", "d", "e", "a", "c")
