"""Heatmap aggregation and point collection, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_heatmaps.py [--sessions N] [--distinct N]
                                                        [--repeat N] [--cache FILE]

``aggregate``: 1,000,000 click points and 10,000,000 mouse-move points, clustered over a
1440 x 8000 page as on a real one, binned (8 px) and smoothed (sigma 12 px) into an image
array by `app.core.heatmaps.grid.density`; medians of ``--repeat`` runs in ms, with the
binning alone, a hot-spot lookup and the CSV export of the click bins. ``clicks_1m_drawn``:
1,000,000 clicks made into the window's map and drawn by its plot (`drawn`). Targets:
clicks under 300 ms including drawing, moves under 2 s.

``cache``: imports ``--distinct`` generated visits (`app.core.recording.synthetic`, 2-15
minutes, desktop, tablet and phone widths; 100 by default) through the import pipeline,
then copies their sessions and page points to ``--sessions`` sessions (10,000 by default).
Reports what extracting points adds to an import, what reading them out of the recordings
takes (`store.update_points`, the backfill of an upgraded cache, and about what reading
them on demand would cost), the points' size against the recordings', and ``collect``:
medians of `collect_points` plus aggregation for click, move and scroll maps of the home
page and of every page, with and without a session filter. ``--cache`` keeps and reuses
the file, which skips the fill on later runs.

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from sqlalchemy import func, select, text, update  # noqa: E402

from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.models import PagePoints, RecordedSession, RecordingChunk  # noqa: E402
from app.core.heatmaps.collect import (  # noqa: E402
    Clicks,
    HeatmapPoints,
    HeatmapQuery,
    Kind,
    collect_points,
)
from app.core.heatmaps.extract import extract_visits  # noqa: E402
from app.core.heatmaps.grid import bin_counts, density, scroll_map, write_bins_csv  # noqa: E402
from app.core.heatmaps.layers import Heatmap, build_heatmap  # noqa: E402
from app.core.heatmaps.placement import Box  # noqa: E402
from app.core.heatmaps.spots import sessions_clicked_near  # noqa: E402
from app.core.heatmaps.store import update_points  # noqa: E402
from app.core.importing import import_raw  # noqa: E402
from app.core.recording.formats import RawRecording, Window  # noqa: E402
from app.core.recording.synthetic import generate_recording  # noqa: E402
from app.core.search.conditions import DurationBetween, SessionFilter, VisitedUrl  # noqa: E402
from app.core.tasks import collector_paused  # noqa: E402
from app.ui.render_commands import headless_app  # noqa: E402
from tests.benchmarks.timing import median_ms  # noqa: E402

PAGE_WIDTH, PAGE_HEIGHT = 1440, 8000
WIDTHS = (1440, 1920, 1280, 1366, 1536, 820, 390, 414)
HOME = "shop.example.com/"


CENTRES = 400


def page_points(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return targeted_points(count, rng)[:2]


def targeted_points(count: int, rng: np.random.Generator,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points clustered like a page's: most on a few hundred targets (`CENTRES`), fewer
    further down, the rest scattered; with the target of each (-1: scattered)."""
    centres_x, centres_y = centres(rng)
    weights = rng.pareto(1.2, CENTRES) + 0.1
    chosen = rng.choice(CENTRES, size=count * 9 // 10, p=weights / weights.sum())
    x = np.concatenate([centres_x[chosen] + rng.normal(0, 25, len(chosen)),
                        rng.uniform(0, PAGE_WIDTH, count - len(chosen))])
    y = np.concatenate([centres_y[chosen] + rng.normal(0, 12, len(chosen)),
                        rng.uniform(0, PAGE_HEIGHT, count - len(chosen))])
    target = np.concatenate([chosen, np.full(count - len(chosen), -1)]).astype(np.int32)
    return x.astype(np.float32), y.astype(np.float32), target


def centres(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.uniform(0, PAGE_WIDTH, CENTRES), rng.exponential(1_500, CENTRES)


def aggregate(repeat: int) -> dict[str, Any]:
    rng = np.random.default_rng(6)
    report: dict[str, Any] = {}
    for name, count in (("clicks_1m", 1_000_000), ("moves_10m", 10_000_000)):
        x, y = page_points(count, rng)
        grid = density(x, y, PAGE_WIDTH, PAGE_HEIGHT)
        report[name] = {
            "density_ms": median_ms(lambda x=x, y=y: density(x, y, PAGE_WIDTH, PAGE_HEIGHT),
                                    repeat),
            "binning_ms": median_ms(lambda x=x, y=y: bin_counts(x, y, PAGE_WIDTH, PAGE_HEIGHT,
                                                                8), repeat),
            "grid": list(grid.counts.shape), "points_on_page": grid.points}
    x, y = page_points(1_000_000, rng)
    grid = density(x, y, PAGE_WIDTH, PAGE_HEIGHT)
    report["clicks_1m"]["csv_ms"] = median_ms(lambda: write_bins_csv(grid, io.StringIO()),
                                              repeat)
    return report


def million_clicks(seed: int) -> tuple[HeatmapPoints, dict[int, dict[str, Box]],
                                     dict[str, Box]]:
    """1,000,000 clicks of 10,000 sessions at `WIDTHS`, 90 % of them on `CENTRES` targets
    measured at every width (80 x 30 px boxes, 20 px higher on the background): what
    `place_clicks` gets when every target was found."""
    rng = np.random.default_rng(seed)
    x, y, target = targeted_points(1_000_000, rng)
    count = len(x)
    selectors = tuple(f"#target-{number}" for number in range(CENTRES))
    clicks = Clicks(x, y, rng.integers(0, 10**9, count), rng.integers(0, 10_000, count,
                                                                        dtype=np.int32),
                    target, rng.choice(np.array(WIDTHS, np.int32), count), selectors)
    points = HeatmapPoints(tuple(f"s{n}" for n in range(10_000)), np.zeros(10_000, np.int64),
                           np.zeros(10_000, np.float32), np.zeros(10_000, np.float32),
                           np.full(10_000, 1440, np.int32), 1440, 10_000, clicks,
                           np.empty(0, np.float32), np.empty(0, np.float32))
    xs, ys = centres(np.random.default_rng(seed))  # the same centres as the points'
    boxes = {selector: Box(float(cx) - 40, float(cy) - 15, 80, 30)
             for selector, cx, cy in zip(selectors, xs, ys, strict=True)}
    moved = {selector: Box(box.left, box.top - 20, box.width, box.height)
             for selector, box in boxes.items()}
    return points, {width: boxes for width in WIDTHS}, moved


def hot_spot_lookup(repeat: int) -> float:
    """One hot-spot lookup among 1,000,000 clicks of 10,000 sessions."""
    points = million_clicks(7)[0]
    spot = float(points.clicks.x[0]), float(points.clicks.y[0])
    return median_ms(lambda: sessions_clicked_near(points, *spot, radius_px=12), repeat)


def drawn(app: Any, repeat: int) -> dict[str, float]:
    """1,000,000 clicks made into the window's map (`build_heatmap`, as its compute thread
    does: clicks placed on their elements, binned, smoothed) and drawn over a 1440 x 8000
    page by the heatmap tab's pyqtgraph plot, 1000 x 760 px on screen, painted into an
    image (offscreen); `app`: the QApplication, which outlives the plot."""
    from app.ui.heatmaps.plot import HeatmapPlot

    plot = HeatmapPlot()
    plot.resize(1000, 760)
    plot.show()
    plot.show_page(np.full((PAGE_HEIGHT, PAGE_WIDTH, 3), 236, np.uint8))
    app.processEvents()
    points, measured, boxes = million_clicks(8)
    built: list[Heatmap] = []

    def build() -> None:
        built.append(build_heatmap(points, "click", PAGE_WIDTH, PAGE_HEIGHT, measured,
                                   boxes))

    def draw() -> None:
        grid = built[-1].grid
        assert grid is not None
        plot.show_density(grid, "clicks", 12.5)
        plot.grab()  # paints the scene: the page, the map, the colour bar and axes

    report = {"build_ms": median_ms(build, repeat), "draw_ms": median_ms(draw, repeat),
              "build_and_draw_ms": median_ms(lambda: (build(), draw()), repeat),
              "placed": built[-1].placed}
    # Not close(): pyqtgraph's close() crashed under PySide6 6.11. The widget goes with `plot`.
    plot.hide()
    return report


# -- a cache ----------------------------------------------------------------------------------

def fill(cache: Cache, sessions: int, distinct: int) -> dict[str, Any]:
    rng = random.Random(3)
    recordings = []
    for seed in range(distinct):
        duration = rng.uniform(120, 900)
        recordings.append(generate_recording(duration, int(duration * 6), seed=seed,
                                             width=WIDTHS[seed % len(WIDTHS)], height=900))
    with collector_paused():
        started = time.perf_counter()
        for events in recordings:
            extract_visits(events)
        extraction = time.perf_counter() - started
        started = time.perf_counter()
        for seed, events in enumerate(recordings):
            import_raw(cache, RawRecording(f"bench-{seed}", [Window(None, events)]), 1)
        imported = time.perf_counter() - started
    report = {"distinct_sessions": distinct,
              "events_per_session": round(sum(map(len, recordings)) / distinct),
              "import_ms_per_session": round(imported / distinct * 1000, 1),
              "points_extraction_ms_per_session": round(extraction / distinct * 1000, 1)}
    with cache.session() as session:
        session.execute(update(RecordedSession).values(points_version=0))
    backfill = update_points(cache)
    report["backfill_ms_per_session"] = round(backfill.seconds / distinct * 1000, 1)
    report["from_recordings_estimate_s"] = round(backfill.seconds / distinct * sessions, 1)
    with cache.read_session() as session:
        report["points_bytes_per_session"] = round((session.scalar(select(
            func.sum(func.length(PagePoints.clicks) + func.length(PagePoints.moves)))) or 0)
            / distinct)
        report["chunk_bytes_per_session"] = round((session.scalar(select(
            func.sum(func.length(RecordingChunk.data)))) or 0) / distinct)
    started = time.perf_counter()
    copy_sessions(cache, sessions - distinct)
    report["copy_s"] = round(time.perf_counter() - started, 1)
    return report


def copy_sessions(cache: Cache, copies: int) -> None:
    """Sessions and page points copied from the imported ones under new ids, a minute
    apart (no chunks or events: collection reads neither)."""
    connection = cache.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT * FROM session ORDER BY id")
        session_columns = [column[0] for column in cursor.description]
        originals = cursor.fetchall()
        cursor.execute("SELECT * FROM page_points ORDER BY id")
        point_columns = [column[0] for column in cursor.description]
        points: dict[str, list[tuple[Any, ...]]] = {}
        for row in cursor.fetchall():
            points.setdefault(row[point_columns.index("session_id")], []).append(row)
        sid, start = session_columns.index("id"), session_columns.index("start_ms")
        kept = [n for n, name in enumerate(point_columns) if name != "id"]
        psid, pts = point_columns.index("session_id"), point_columns.index("ts_ms")
        for first in range(0, copies, 2_000):
            session_rows, point_rows = [], []
            for number in range(first, min(first + 2_000, copies)):
                original = originals[number % len(originals)]
                new_id = f"copy{number:028x}"
                shift = (number + 1) * 60_000
                row = list(original)
                row[sid], row[start] = new_id, original[start] + shift
                session_rows.append(row)
                for point in points.get(original[sid], ()):
                    copied = list(point)
                    copied[psid], copied[pts] = new_id, point[pts] + shift
                    point_rows.append([copied[n] for n in kept])
            cursor.executemany(f"INSERT INTO session ({', '.join(session_columns)}) VALUES "
                               f"({', '.join('?' * len(session_columns))})", session_rows)
            names = [point_columns[n] for n in kept]
            cursor.executemany(f"INSERT INTO page_points ({', '.join(names)}) VALUES "
                               f"({', '.join('?' * len(names))})", point_rows)
        connection.commit()
    finally:
        connection.close()


MAPS: dict[str, tuple[HeatmapQuery, Kind]] = {
    "home desktop clicks": (HeatmapQuery(HOME, device="desktop"), "click"),
    "home desktop moves": (HeatmapQuery(HOME, device="desktop"), "move"),
    "home desktop scroll": (HeatmapQuery(HOME, device="desktop"), "scroll"),
    "home mobile clicks": (HeatmapQuery(HOME, device="mobile"), "click"),
    "every page, any device, clicks": (HeatmapQuery("shop.example.com", rule="substring"),
                                       "click"),
    "every page, any device, moves": (HeatmapQuery("shop.example.com", rule="substring"),
                                      "move"),
    "home clicks, filter: visited /cart and >= 5 min": (HeatmapQuery(HOME, filter=SessionFilter(
        (VisitedUrl("simple", "/cart"), DurationBetween(min_ms=300_000)))), "click"),
}


def heatmap(cache: Cache, query: HeatmapQuery, kind: Kind) -> dict[str, Any]:
    """Collect and aggregate one map, as the heatmap window will."""
    with cache.read_session() as session:
        points = collect_points(session, query, (kind,))
    if kind == "scroll":
        scrolls = scroll_map(points.scroll_depth, points.viewport_height)
        return {"sessions": points.session_count, "rows": len(scrolls.shares(PAGE_HEIGHT))}
    x, y = (points.clicks.x, points.clicks.y) if kind == "click" \
        else (points.move_x, points.move_y)
    grid = density(x, y, *points.page_size())
    return {"sessions": points.session_count, "points": grid.points}


def collect(cache: Cache, repeat: int) -> dict[str, Any]:
    return {label: {**heatmap(cache, query, kind),
                    "ms": median_ms(lambda query=query, kind=kind: heatmap(cache, query, kind),
                                    repeat)}
            for label, (query, kind) in MAPS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--distinct", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", type=Path, help="keep the cache in this file and reuse it")
    args = parser.parse_args()
    app = headless_app()
    report: dict[str, Any] = {"aggregate": aggregate(args.repeat),
                              "clicks_1m_drawn": drawn(app, args.repeat),
                              "hot_spot_lookup_1m_ms": hot_spot_lookup(args.repeat)}
    with tempfile.TemporaryDirectory() as folder:
        cache_file = args.cache or Path(folder) / "bench.sqlite3"
        cache = Cache(cache_file)
        try:
            with cache.read_session() as session:
                present = session.scalar(select(func.count()).select_from(RecordedSession))
            if not present:
                report["fill"] = fill(cache, args.sessions, args.distinct)
            with cache.read_session() as session:
                report["sessions"] = session.scalar(
                    select(func.count()).select_from(RecordedSession))
                report["page_visits"] = session.scalar(
                    select(func.count()).select_from(PagePoints))
                report["clicks"], report["moves"] = session.execute(text(
                    "SELECT sum(click_count), sum(move_count) FROM page_points")).one()
            report["collect"] = collect(cache, args.repeat)
        finally:
            cache.close()
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
