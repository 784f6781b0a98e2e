"""Replay speed and memory on a long recording, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_replay.py [--recording FILE] [--seeks 20]
        [--memory-seeks 50] [--cold-seeks 5] [--seed 0] [--play-seconds 10] [--speed 8]
        [--no-rrweb] [--profile]

Without ``--recording`` a 60-minute, 100,000-event recording is generated. Either way the file
is imported into a fresh temporary cache by a child process (setup, not measured: generating
and importing leave hundreds of MB in an allocator that would otherwise count as the player's).
Then, in this process, with the player's real QtWebEngine page and engine (offscreen):

* ``engine_start_s``: loading the player page (QtWebEngine starting); the app keeps one warm,
  so it is reported apart from the first frame;
* ``first_frame``: what a user waits for after opening a session — chunks read from the cache,
  ``ReplaySession``, ``first_frame()``, the page rebuilt (``reset`` answered), every image and
  font loaded, the frame grabbed; ``painted_s`` is when a grab first shows more than one flat
  colour;
* ``checkpoints_build_s`` and ``timeline_s``: the background work the app does after opening;
* ``seek``: ``--seeks`` seeded random offsets, from the seek request (``plan_seek``) to the
  engine's answer to ``reset``, with checkpoints built, split into Python's plan and the page's
  time; ``python_gc`` counts the cyclic-GC collections that fell inside them; ``elements`` (the
  replayed document's element count) is compared with rrweb's at the same moments;
* ``memory``: RSS (and PSS, which does not count shared pages twice) of this process and of
  every QtWebEngine process under it, before and after ``--memory-seeks`` further seeks;
  ``rss_timeline`` follows the totals through the whole run;
* ``playback``: ``--play-seconds`` of wall time at ``--speed`` through the GUI's own
  ``PlaybackController`` (16 ms QTimer ticks, ``PlaybackCursor.advance``, ``view.apply``):
  ticks delivered and frames applied (the page's callback returned) per second, tick lag;
* ``seek_cold``: the first ``--cold-seeks`` offsets again on a session without checkpoints (the
  worst case, while the background build runs). Measured last: each sends up to the whole
  recording to the page and leaves the renderer hundreds of MB larger;
* ``rrweb``: rrweb's own Replayer (npm ``@rrweb/replay``) in Debian's Chromium (Playwright,
  ``tests/support/browser.py``, page in ``rrweb_replay/``) on the same events and offsets —
  time to first frame and ``pause(offset)`` latency, and the ratios rrweb / Tapeview. Skipped
  with a reason when Chromium, Playwright or node_modules is missing.

Times are in ms unless a key ends in ``_s``; sizes in MB (10^6 bytes). ``targets`` checks the
issue's goals: first frame < 1 s, seek p95 < 150 ms, memory growth over the seeks < 50 MB.
``--profile`` adds, after everything timed: cProfile of the Python side of opening and seeking
(stderr), ``engine_split`` (time inside ``tapeview.reset`` vs. transport per seek) and
``engine_profile_ms`` (time per seek in each method of the engine, resources/player/replayer.js).

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import os

# Before Qt is imported: no window may open, and QtWebEngine runs without GPU or sandbox
# (containers and CI run as root, where Chromium's sandbox cannot start).
os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

import argparse
import cProfile
import gc
import io
import itertools
import json
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

import orjson  # noqa: E402
import shiboken6  # noqa: E402
from PySide6.QtCore import QEventLoop, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

# Imported for its side effect: it registers the player's URL schemes, which Qt accepts only
# before the QApplication exists (created in main()).
import app.ui  # noqa: E402, F401
from app.core.cache.database import Cache  # noqa: E402
from app.core.cache.queries import load_replay_chunks  # noqa: E402
from app.core.importing import import_file  # noqa: E402
from app.core.recording.synthetic import generate_recording, write_recording  # noqa: E402
from app.core.replay.session import ReplaySession  # noqa: E402
from app.core.replay.timeline import Timeline  # noqa: E402
from app.ui.player.controller import TICK_MS, PlaybackController  # noqa: E402
from app.ui.player.headless import image_to_rgb  # noqa: E402
from app.ui.player.web_view import ReplayWebView  # noqa: E402

MB = 1_000_000
VIEW_SIZE = (1280, 800)  # the player area of a typical window
TIMEOUT_MS = 120_000  # a seek before checkpoints replays the whole recording: allow for it
PAINT_TIMEOUT_MS = 5_000
TARGETS = {"first_frame_s": 1.0, "seek_p95_ms": 150.0, "memory_growth_mb": 50.0}
RRWEB_PAGE = Path(__file__).resolve().parent / "rrweb_replay"
RRWEB_REPLAY = REPO / "node_modules" / "@rrweb" / "replay"
# The UMD build: as a classic script it defines the global `rrwebReplay` (with `Replayer`).
RRWEB_SCRIPT = RRWEB_REPLAY / "dist" / "replay.umd.cjs"
RRWEB_STYLE = RRWEB_REPLAY / "dist" / "style.css"
FRAME_ELEMENTS_JS = ("(() => { const d = document.getElementById('frame').contentDocument;"
                     " return d ? d.getElementsByTagName('*').length : 0; })()")


class BenchError(RuntimeError):
    """The benchmark cannot go on (bad recording, engine not answering); the message says why."""


# -- small helpers ----------------------------------------------------------------------------

def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), fine for 20 samples."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    """median / p95 / max of a sample, the figures the issue asks for."""
    return {"median": round(statistics.median(values), digits),
            "p95": round(percentile(values, 0.95), digits),
            "max": round(max(values), digits)}


def wait(start: Callable[[Callable[..., None]], Any], what: str,
         timeout_ms: int = TIMEOUT_MS) -> Any:
    """The headless player's wait (a local event loop until the page answers)."""
    from app.ui.player.headless import RenderError, wait_for

    try:
        return wait_for(start, what, timeout_ms)
    except RenderError as exc:
        raise BenchError(str(exc)) from exc


def spin(milliseconds: int) -> None:
    """Let the event loop run (paints, callbacks) for a while."""
    loop = QEventLoop()
    QTimer.singleShot(milliseconds, loop.quit)
    loop.exec()


def run_js(view: ReplayWebView, script: str) -> Any:
    return wait(lambda done: view.page().runJavaScript(script, 0, done),
                "the player page did not answer")


def nonblank(image: QImage) -> bool:
    """True when the frame shows anything but one flat colour (the compositor has drawn)."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return False
    rgb = image_to_rgb(image)
    return bool(rgb.min() != rgb.max())


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def profiled(enabled: bool, title: str, limit: int = 25) -> Iterator[None]:
    """cProfile the block and print its top entries (by cumulative time) to stderr."""
    if not enabled:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(limit)
        log(f"--- profile: {title} ---\n{out.getvalue()}")


# -- memory: this process and the QtWebEngine processes under it ------------------------------

def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def descendants(root: int) -> list[int]:
    """Every process whose parent chain leads to `root` (QtWebEngine's zygote, renderers,
    GPU and utility processes are children or grandchildren of the Python process)."""
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        for child in children.get(pid, []):
            found.append(child)
            frontier.append(child)
    return sorted(found)


def _kib_field(path: Path, name: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def process_memory(pid: int) -> dict[str, Any] | None:
    """Name, Chromium process type and RSS/PSS (MB) of one process; None when it is gone."""
    proc = Path("/proc", str(pid))
    rss = _kib_field(proc / "status", "VmRSS")
    if rss is None:
        return None
    try:
        args = (proc / "cmdline").read_bytes().split(b"\0")
    except OSError:
        args = []
    kind = next((a.decode()[7:] for a in args if a.startswith(b"--type=")), None)
    pss = _kib_field(proc / "smaps_rollup", "Pss")
    return {"pid": pid, "name": _status_name(proc), "type": kind or "main",
            "rss_mb": round(rss * 1024 / MB, 1),
            "pss_mb": round(pss * 1024 / MB, 1) if pss is not None else None}


def _status_name(proc: Path) -> str:
    try:
        for line in (proc / "status").read_text().splitlines():
            if line.startswith("Name:"):
                return line.split(None, 1)[1].strip()
    except OSError:
        pass
    return "?"


def memory_snapshot() -> dict[str, Any]:
    """RSS/PSS of this process and of every process below it, in MB."""
    me = os.getpid()
    python = process_memory(me)
    assert python is not None
    parents = _parents()
    engine = [m for m in (process_memory(pid) for pid in descendants(me)) if m is not None]
    zygotes = {m["pid"] for m in engine if m["type"] == "zygote"}
    for entry in engine:
        # Renderers are forked from a zygote and keep its command line: name them by parent.
        if entry["type"] == "zygote" and parents.get(entry["pid"]) in zygotes:
            entry["type"] = "renderer (zygote child)"

    def total(key: str, entries: list[dict[str, Any]]) -> float | None:
        values = [e[key] for e in entries]
        return None if any(v is None for v in values) else round(sum(values), 1)

    return {"python_rss_mb": python["rss_mb"], "python_pss_mb": python["pss_mb"],
            "engine_rss_mb": total("rss_mb", engine), "engine_pss_mb": total("pss_mb", engine),
            "total_rss_mb": total("rss_mb", [python, *engine]),
            "total_pss_mb": total("pss_mb", [python, *engine]),
            "engine_processes": engine}


def memory_growth(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    growth = {}
    for key in ("python_rss_mb", "engine_rss_mb", "total_rss_mb", "python_pss_mb",
                "engine_pss_mb", "total_pss_mb"):
        if before.get(key) is not None and after.get(key) is not None:
            growth[key] = round(after[key] - before[key], 1)
    return growth


# -- the recording and the cache (setup, not measured) ----------------------------------------

def prepare_cache(recording: str | None, duration_s: float, events: int, seed: int,
                  folder: str) -> tuple[str, dict[str, Any]]:
    """Generate (or take) the recording and import it into `folder`/cache.sqlite3.

    Runs in a child process (see `prepared_cache`): generating and importing 100,000 events
    leaves hundreds of MB in this process's allocator, which would otherwise count as the
    player's memory.
    """
    info: dict[str, Any] = {}
    if recording is None:
        started = time.perf_counter()
        generated = generate_recording(duration_s=duration_s, target_events=events, seed=seed)
        path = Path(folder) / "generated.json"
        write_recording(path, generated)
        info.update(generated=True, generate_s=round(time.perf_counter() - started, 2),
                    duration_s_asked=duration_s, events_asked=events)
        del generated
    else:
        path = Path(recording)
        if not path.is_file():
            raise BenchError(f"{path}: no such file")
        info["generated"] = False
    info.update(file=str(path), file_mb=round(path.stat().st_size / MB, 1))
    cache = Cache(Path(folder) / "cache.sqlite3")
    try:
        started = time.perf_counter()
        result = import_file(cache, path)
        info["import_s"] = round(time.perf_counter() - started, 2)
    finally:
        cache.close()
    if not result.ok or result.session_id is None:
        raise BenchError(f"{path}: not imported: {result.message}")
    return result.session_id, info


def prepared_cache(args: argparse.Namespace, folder: Path) -> tuple[Cache, str, dict[str, Any]]:
    """The cache with the recording imported, prepared by this script in a child process.

    A plain subprocess (not multiprocessing): it is waited for, so nothing is left behind.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--prepare-into", str(folder),
               "--duration", str(args.duration), "--events", str(args.events),
               "--seed", str(args.seed)]
    if args.recording is not None:
        command += ["--recording", str(args.recording.resolve())]
    child = subprocess.run(command, capture_output=True, text=True, check=False)
    if child.returncode != 0:
        lines = child.stderr.strip().splitlines()
        raise BenchError(lines[-1].removeprefix("bench_replay: ") if lines
                         else f"preparing the cache failed ({command})")
    prepared = json.loads(child.stdout)
    return Cache(folder / "cache.sqlite3"), prepared["session_id"], prepared["setup"]


# -- Tapeview ----------------------------------------------------------------------------------

def start_engine() -> tuple[ReplayWebView, float]:
    """A player view with its page loaded, as the app keeps one (QtWebEngine started)."""
    started = time.perf_counter()
    view = ReplayWebView()
    view.resize(*VIEW_SIZE)
    view.show()
    wait(lambda done: view.ready.connect(done) if not view.is_ready else done(),
         "the player page did not load")
    return view, time.perf_counter() - started


def close_view(view: ReplayWebView) -> None:
    """As HeadlessReplay.close: the page must be gone before the engine shuts down."""
    view.shutdown()
    view.close()
    shiboken6.delete(view)
    QApplication.processEvents()


def open_session(view: ReplayWebView, cache: Cache, session_id: str,
                 profile: bool) -> tuple[ReplaySession, dict[str, Any]]:
    """Time to first frame: from reading the chunks to a grabbed, painted frame."""
    with profiled(profile, "open (load chunks, ReplaySession, first_frame)"):
        started = time.perf_counter()
        with cache.read_session() as session:
            chunks, windows = load_replay_chunks(session, session_id)
        loaded = time.perf_counter()
        replay = ReplaySession(session_id, chunks, windows)
        plan = replay.first_frame()
        planned = time.perf_counter()
    wait(lambda done: view.reset(plan.forward, done), "the replay engine did not answer")
    answered = time.perf_counter()

    def poll(done: Callable[..., None]) -> None:
        view.when_settled(lambda ok: done() if ok else QTimer.singleShot(25, lambda: poll(done)))

    wait(poll, "images or fonts of the first frame did not load")
    settled = time.perf_counter()
    image = view.grab().toImage()
    grabbed = time.perf_counter()
    painted_at = grabbed if nonblank(image) else None
    deadline = grabbed + PAINT_TIMEOUT_MS / 1000
    while painted_at is None and time.perf_counter() < deadline:
        spin(10)
        if nonblank(view.grab().toImage()):
            painted_at = time.perf_counter()
    return replay, {
        "first_frame_s": round(grabbed - started, 3),
        "painted_s": round(painted_at - started, 3) if painted_at is not None else None,
        "load_chunks_ms": ms(loaded - started),
        "session_and_plan_ms": ms(planned - loaded),
        "reset_ms": ms(answered - planned),
        "settle_ms": ms(settled - answered),
        "grab_ms": ms(grabbed - settled),
        "events_sent": len(plan.forward),
        "chunks": len(chunks),
        "image": [image.width(), image.height()],
    }


def timed_seek(view: ReplayWebView, replay: ReplaySession, offset_ms: int,
               count_elements: bool = False) -> dict[str, Any]:
    """One seek as the player does it: plan in Python, rebuild the page, wait for the answer."""
    started = time.perf_counter()
    plan = replay.plan_seek(replay.start_ms + offset_ms)
    events = plan.restore + plan.forward
    planned = time.perf_counter()
    state = wait(lambda done: view.reset(events, done), "the replay engine did not answer")
    answered = time.perf_counter()
    result = {"offset_ms": offset_ms, "ms": ms(answered - started),
              "plan_ms": ms(planned - started), "page_ms": ms(answered - planned),
              "events": len(events), "restore_events": len(plan.restore),
              # the engine's running count of events it could not apply: must stay 0
              "engine_errors": state.get("errors") if isinstance(state, dict) else None}
    if count_elements:
        result["elements"] = int(run_js(view, FRAME_ELEMENTS_JS))
    return result


def engine_split(view: ReplayWebView, replay: ReplaySession,
                 offsets: Sequence[int]) -> list[dict[str, Any]]:
    """Per seek: JSON size, Python's encode time, and the time inside `tapeview.reset` (the
    rest of a seek's page time is the script's transport and parse)."""
    split = []
    for offset in offsets:
        plan = replay.plan_seek(replay.start_ms + offset)
        started = time.perf_counter()
        payload = orjson.dumps(plan.restore + plan.forward).decode()
        encode = time.perf_counter() - started
        script = ("(() => { const events = " + payload + "; const t = performance.now();"
                  " tapeview.reset(events); return performance.now() - t; })()")
        started = time.perf_counter()
        inside = run_js(view, script)
        split.append({"offset_ms": offset, "json_mb": round(len(payload) / MB, 2),
                      "encode_ms": ms(encode), "round_trip_ms": ms(time.perf_counter() - started),
                      "in_reset_ms": round(float(inside), 1)})
    return split


@contextmanager
def gc_pauses() -> Iterator[list[tuple[int, float]]]:
    """(generation, ms) of every collection of Python's cyclic GC inside the block.

    A full (generation 2) collection walks every tracked object of the app — Qt bindings,
    SQLAlchemy, the decoded chunks — and lands inside whichever `plan_seek` triggered it.
    """
    pauses: list[tuple[int, float]] = []
    started: list[float] = []

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            pauses.append((int(info["generation"]), (time.perf_counter() - started[0]) * 1000))

    gc.callbacks.append(callback)
    try:
        yield pauses
    finally:
        gc.callbacks.remove(callback)


def gc_summary(pauses: list[tuple[int, float]]) -> dict[str, Any]:
    full = [pause for generation, pause in pauses if generation == 2]
    return {"collections": len(pauses), "full_collections": len(full),
            "full_max_ms": round(max(full), 1) if full else 0.0,
            "total_ms": round(sum(pause for _, pause in pauses), 1)}


# Wraps methods of the engine's prototype (resources/player/replayer.js) to sum the time spent
# in each; `buildSnapshot.firstLayout` is the style and layout that `scrollTo` forces on the
# freshly built document. Only used with --profile, after every timed measurement.
JS_PROFILE_INSTALL = """(() => {
  const P = window.TapeviewReplayer.prototype;
  const totals = window.__benchProfile = {};
  const add = (key, ms) => {
    const entry = totals[key] || (totals[key] = [0, 0]);
    entry[0] += 1;
    entry[1] += ms;
  };
  const names = ['clearDocument', 'buildSnapshot', 'buildDocumentInto', 'applyMutation',
                 'afterBuild', 'restoreElementState', 'setAttributes', 'scroll', 'movePointer',
                 'input', 'styleSheetRule', 'resize'];
  for (const name of names) {
    const original = P[name];
    if (typeof original !== 'function') continue;
    P[name] = function (...args) {
      const started = performance.now();
      try { return original.apply(this, args); } finally { add(name, performance.now() - started); }
    };
  }
  const build = P.buildSnapshot;
  P.buildSnapshot = function (data) {
    const view = this.frame.contentWindow;
    const scrollTo = view.scrollTo;
    view.scrollTo = (...args) => {
      const started = performance.now();
      scrollTo.apply(view, args);
      add('buildSnapshot.firstLayout', performance.now() - started);
    };
    // Window methods are own properties of the global object: put the original back (a
    // `delete` would leave the window without scrollTo).
    try { return build.call(this, data); } finally { view.scrollTo = scrollTo; }
  };
  const reset = window.tapeview.reset;
  window.tapeview.reset = (events) => {
    const started = performance.now();
    try { return reset(events); } finally { add('tapeview.reset', performance.now() - started); }
  };
  return 'installed';
})()"""


def js_profile(view: ReplayWebView, replay: ReplaySession,
               offsets: Sequence[int]) -> dict[str, Any]:
    """Per seek, ms spent in each engine method (nested methods overlap: `buildSnapshot`
    contains `buildDocumentInto`, `applyMutation` contains `afterBuild` and `setAttributes`)."""
    if run_js(view, JS_PROFILE_INSTALL) != "installed":
        return {"error": "could not instrument the engine"}
    for offset in offsets:
        timed_seek(view, replay, offset)
    totals = json.loads(run_js(view, "JSON.stringify(window.__benchProfile)"))
    seeks = len(offsets)
    return {name: {"calls_per_seek": round(calls / seeks, 1),
                   "ms_per_seek": round(total / seeks, 1)}
            for name, (calls, total) in sorted(totals.items(), key=lambda kv: -kv[1][1])}


def seek_summary(seeks: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "count": len(seeks),
        "latency_ms": spread([s["ms"] for s in seeks]),
        "plan_ms": spread([s["plan_ms"] for s in seeks]),
        "page_ms": spread([s["page_ms"] for s in seeks]),
        "events_sent": spread([s["events"] for s in seeks], 0),
        "engine_errors": seeks[-1]["engine_errors"],
    }


def sustained_playback(view: ReplayWebView, replay: ReplaySession, timeline: Timeline,
                       seconds: float, speed: float, start_ms: int) -> dict[str, Any]:
    """Play through the GUI's own controller and count what reaches the page.

    `view.apply` is wrapped on this instance only, to see each call and its JS callback; the
    controller's QTimer is observed through its `timeout` signal (a private attribute: the
    exact ticks the player gets are the point of this figure).
    """
    controller = PlaybackController(view)

    def until_seeked(action: Callable[[], None]) -> Callable[[Callable[..., None]], None]:
        def start(done: Callable[..., None]) -> None:
            def changed(seeking: bool) -> None:
                if not seeking:
                    controller.seekingChanged.disconnect(changed)
                    done()
            controller.seekingChanged.connect(changed)
            action()
        return start

    wait(until_seeked(lambda: controller.open(replay)), "the first frame did not arrive")
    controller.set_timeline(timeline)
    controller.set_skip_idle(True)
    if start_ms > 0:
        wait(until_seeked(lambda: controller.seek(start_ms)), "the start seek did not finish")

    ticks: list[float] = []
    calls: list[tuple[float, int]] = []
    returned: dict[int, float] = {}
    skips: list[float] = []
    original_apply = view.apply

    def apply(events: list[dict[str, Any]], done: Callable[[Any], None] | None = None) -> None:
        number = len(calls)
        calls.append((time.perf_counter(), len(events)))
        if not events:
            returned[number] = calls[-1][0]  # nothing to draw: applied at once
            return
        original_apply(events, lambda _state: returned.__setitem__(number, time.perf_counter()))

    def seeking(state: bool) -> None:
        if state:
            skips.append(time.perf_counter())

    view.apply = apply  # type: ignore[method-assign]
    controller._timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    controller.seekingChanged.connect(seeking)
    first_offset = controller.offset_ms
    controller.set_speed(speed)
    try:
        began = time.perf_counter()
        controller.play()
        spin(int(seconds * 1000))
        ended = time.perf_counter()
        controller.pause()
        last_offset = controller.offset_ms
        backlog = len(calls) - len(returned)
        drain_started = time.perf_counter()
        deadline = drain_started + 30
        while len(returned) < len(calls) and time.perf_counter() < deadline:
            spin(5)
        drained = time.perf_counter()
    finally:
        del view.apply  # the class's method again
        controller.deleteLater()
    wall = ended - began
    intervals = [b - a for a, b in itertools.pairwise(ticks)]
    applied_in_window = [t for t in returned.values() if t <= ended]
    latencies = [returned[i] - calls[i][0] for i in returned if calls[i][1]]
    return {
        "speed": speed,
        "wall_s": round(wall, 2),
        "start_offset_ms": first_offset,
        "recording_advanced_ms": last_offset - first_offset,
        "achieved_speed": round((last_offset - first_offset) / 1000 / wall, 2),
        "ticks_delivered": len(ticks),
        "ticks_per_s": round(len(ticks) / wall, 1),
        "frames_applied_per_s": round(len(applied_in_window) / wall, 1),
        "nominal_fps": round(1000 / TICK_MS, 1),
        "tick_interval_ms": spread([i * 1000 for i in intervals]) if intervals else None,
        "max_tick_lag_ms": round(max(intervals) * 1000 - TICK_MS, 1) if intervals else None,
        "apply_calls_with_events": sum(1 for _, n in calls if n),
        "events_applied": sum(n for _, n in calls),
        "apply_latency_ms": spread([x * 1000 for x in latencies]) if latencies else None,
        "backlog_at_end": backlog,
        "drain_ms": ms(drained - drain_started),
        "idle_skips": len(skips),
    }


def play_start(replay: ReplaySession, timeline: Timeline) -> int:
    """A quarter into the recording, moved past an idle stretch if it falls in one."""
    start = replay.duration_ms // 4
    span = timeline.idle_span_at(start)
    return span.end_ms if span is not None else start


def rss_point(label: str) -> dict[str, Any]:
    snapshot = memory_snapshot()
    return {"at": label, "python_rss_mb": snapshot["python_rss_mb"],
            "engine_rss_mb": snapshot["engine_rss_mb"], "total_rss_mb": snapshot["total_rss_mb"]}


def run_tapeview(args: argparse.Namespace, cache: Cache, session_id: str,
                 offsets: list[int], memory_offsets: list[int]) -> dict[str, Any]:
    """Everything measured on Tapeview's side, in the order a user meets it.

    Seeks before checkpoints come last: each sends up to the whole recording to the page and
    leaves the renderer hundreds of MB larger, which would skew every later figure.
    """
    results: dict[str, Any] = {}
    rss = [rss_point("start")]
    view, engine_start = start_engine()
    results["engine_start_s"] = round(engine_start, 3)
    rss.append(rss_point("engine started"))
    log(f"engine started in {engine_start:.2f} s")
    try:
        replay, first = open_session(view, cache, session_id, args.profile)
        results["first_frame"] = first
        rss.append(rss_point("first frame"))
        log(f"first frame {first['first_frame_s']:.3f} s (painted {first['painted_s']} s)")
        results["recording"] = {"events": replay.event_count,
                                "duration_s": round(replay.duration_ms / 1000, 1),
                                "windows": len(replay.window_ids)}

        started = time.perf_counter()
        replay.build_checkpoints()
        results["checkpoints_build_s"] = round(time.perf_counter() - started, 2)
        results["checkpoints"] = {"count": len(replay.checkpoints),
                                  "mb": round(sum(len(c.payload) for c in replay.checkpoints)
                                              / MB, 2)}
        started = time.perf_counter()
        timeline = replay.timeline()
        results["timeline_s"] = round(time.perf_counter() - started, 2)
        rss.append(rss_point("checkpoints and timeline built"))

        with profiled(args.profile, f"{len(offsets)} seeks with checkpoints (incl. page wait)"), \
                gc_pauses() as pauses:
            seeks = [timed_seek(view, replay, offset, count_elements=True) for offset in offsets]
        results["seek"] = seek_summary(seeks)
        results["seek"]["python_gc"] = gc_summary(pauses)
        results["seek"]["each"] = seeks
        rss.append(rss_point(f"{len(offsets)} seeks"))
        log(f"seek: median {results['seek']['latency_ms']['median']} ms, "
            f"p95 {results['seek']['latency_ms']['p95']} ms")

        spin(500)
        before = memory_snapshot()
        for offset in memory_offsets:
            timed_seek(view, replay, offset)
        spin(500)
        after = memory_snapshot()
        results["memory"] = {"seeks": len(memory_offsets),
                             "baseline": f"after first frame and {len(offsets)} timed seeks",
                             "before": before, "after": after,
                             "growth": memory_growth(before, after)}
        rss.append(rss_point(f"{len(memory_offsets)} more seeks"))
        log(f"memory growth after {len(memory_offsets)} seeks: "
            f"{results['memory']['growth'].get('total_rss_mb')} MB RSS")

        results["playback"] = sustained_playback(view, replay, timeline, args.play_seconds,
                                                 args.speed, play_start(replay, timeline))
        rss.append(rss_point("playback"))
        log(f"{args.speed:g}x playback: {results['playback']['frames_applied_per_s']} frames/s "
            f"applied, max tick lag {results['playback']['max_tick_lag_ms']} ms")

        if args.cold_seeks:
            cold_replay = ReplaySession(session_id, replay.chunks, replay.window_ids)
            cold = [timed_seek(view, cold_replay, offset)
                    for offset in offsets[: args.cold_seeks]]
            del cold_replay
            results["seek_cold"] = seek_summary(cold)
            rss.append(rss_point(f"{len(cold)} seeks before checkpoints"))
            log(f"seek before checkpoints: median "
                f"{results['seek_cold']['latency_ms']['median']} ms over {len(cold)}")

        if args.profile:
            with profiled(True, "plan_seek alone, same offsets"):
                for offset in offsets:
                    replay.plan_seek(replay.start_ms + offset)
            results["engine_split"] = engine_split(view, replay, offsets)
            results["engine_profile_ms"] = js_profile(view, replay, offsets)
        results["rss_timeline"] = rss
        results["_replay"] = replay
    finally:
        close_view(view)
    return results


# -- rrweb -------------------------------------------------------------------------------------

def rrweb_unavailable() -> str | None:
    """None when rrweb's replayer can run in Chromium here, else why not."""
    if not RRWEB_SCRIPT.is_file():
        lock = REPO / "package-lock.json"
        hint = "run `npm ci` at the project root" if lock.is_file() else "no package-lock.json"
        return f"@rrweb/replay is not installed at {RRWEB_REPLAY} ({hint})"
    try:
        from tests.support.browser import chromium_available
    except ImportError as exc:
        return f"tests/support/browser.py cannot be imported: {exc}"
    return chromium_available()


def run_rrweb(replay: ReplaySession, offsets: list[int]) -> dict[str, Any]:
    """rrweb's Replayer on the same events (this window, as imported: masked and
    normalised) and the same moments, timed inside the page."""
    from tests.support.browser import LocalSite, launch_chromium

    events = [event for _, event in replay.events()]
    first_ts = int(events[0]["timestamp"])
    # Tapeview's offsets count from the session's first event; rrweb's from this window's.
    shifts = [replay.start_ms + offset - first_ts for offset in offsets]
    files = {
        "/": (RRWEB_PAGE / "index.html").read_bytes(),
        "/bench.js": (RRWEB_PAGE / "bench.js").read_bytes(),
        "/replay.js": RRWEB_SCRIPT.read_bytes(),
        "/replay.css": RRWEB_STYLE.read_bytes() if RRWEB_STYLE.is_file() else b"",
        "/events.json": orjson.dumps(events),
    }
    del events
    version = json.loads((RRWEB_REPLAY / "package.json").read_text())["version"]
    errors: list[str] = []
    with LocalSite(files) as site, launch_chromium() as browser:
        context = browser.new_context(viewport={"width": VIEW_SIZE[0], "height": VIEW_SIZE[1]},
                                      device_scale_factor=1, service_workers="block")
        try:
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(site.url("/"), wait_until="load")
            if page.evaluate("() => window.bench && window.bench.version()") != "ok":
                raise BenchError("rrweb's browser build did not define rrwebReplay.Replayer")
            loaded = page.evaluate("url => bench.load(url)", site.url("/events.json"))
            first = page.evaluate("() => bench.firstFrame()")
            log(f"rrweb first frame {first['ms']:.0f} ms")
            seeks = []
            for offset, shifted in zip(offsets, shifts, strict=True):
                seek = page.evaluate("offset => bench.seek(offset)", shifted)
                seeks.append({"offset_ms": offset, "ms": round(seek["ms"], 1),
                              "elements": seek["elements"]})
            page.evaluate("() => bench.destroy()")
        finally:
            context.close()
    return {
        "version": version,
        "events": loaded["count"],
        "parse_ms": round(loaded["parseMs"], 1),
        "first_frame_ms": round(first["ms"], 1),
        "seek": {"count": len(seeks), "latency_ms": spread([s["ms"] for s in seeks]),
                 "each": seeks},
        "page_errors": errors[:5],
    }


def compare(tapeview: dict[str, Any], rrweb: dict[str, Any]) -> dict[str, Any]:
    ours, theirs = tapeview["seek"]["latency_ms"], rrweb["seek"]["latency_ms"]
    elements = [(a.get("elements"), b.get("elements")) for a, b in
                zip(tapeview["seek"]["each"], rrweb["seek"]["each"], strict=True)]
    return {
        "seek_p95_ratio": round(theirs["p95"] / ours["p95"], 2) if ours["p95"] else None,
        "seek_median_ratio": round(theirs["median"] / ours["median"], 2)
        if ours["median"] else None,
        # Tapeview's first frame includes reading the cache and painting; rrweb's is the
        # in-page construct + pause(0) with the events already parsed.
        "first_frame_ratio": round(rrweb["first_frame_ms"]
                                   / (tapeview["first_frame"]["first_frame_s"] * 1000), 2),
        # Elements in the replayed document after each seek: a sanity check that both built
        # the same page (Tapeview adds one <style> of its own, rrweb a few).
        "element_counts": elements,
    }


# -- main --------------------------------------------------------------------------------------

def check_targets(results: dict[str, Any]) -> dict[str, Any]:
    first = results["first_frame"]["first_frame_s"]
    p95 = results["seek"]["latency_ms"]["p95"]
    growth = results["memory"]["growth"].get("total_rss_mb")
    return {
        "first_frame_s": {"value": first, "target": TARGETS["first_frame_s"],
                          "met": first < TARGETS["first_frame_s"]},
        "seek_p95_ms": {"value": p95, "target": TARGETS["seek_p95_ms"],
                        "met": p95 < TARGETS["seek_p95_ms"]},
        "memory_growth_mb": {"value": growth, "target": TARGETS["memory_growth_mb"],
                             "met": growth is not None
                             and growth < TARGETS["memory_growth_mb"]},
    }


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recording", type=Path, metavar="FILE",
                        help="replay this recording (default: generate one)")
    parser.add_argument("--duration", type=float, default=3600,
                        help="seconds of the generated recording (default 3600)")
    parser.add_argument("--events", type=int, default=100_000,
                        help="events of the generated recording (default 100000)")
    parser.add_argument("--seeks", type=int, default=20, help="timed seeks (default 20)")
    parser.add_argument("--memory-seeks", type=int, default=50,
                        help="seeks between the two memory readings (default 50)")
    parser.add_argument("--cold-seeks", type=int, default=5,
                        help="of the timed seeks, how many also run before checkpoints exist "
                             "(slow: each replays from the start; default 5)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the generated recording and the seek offsets")
    parser.add_argument("--play-seconds", type=float, default=10.0,
                        help="wall time of the playback measurement (default 10)")
    parser.add_argument("--speed", type=float, default=8.0, help="playback speed (default 8)")
    parser.add_argument("--no-rrweb", action="store_true", help="skip the rrweb comparison")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the Python side and split the engine's time (stderr)")
    parser.add_argument("--prepare-into", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seeks < 1 or args.memory_seeks < 0 or args.cold_seeks < 0:
        parser.error("--seeks must be at least 1, the other counts at least 0")
    args.cold_seeks = min(args.cold_seeks, args.seeks)
    return args


def summary_lines(results: dict[str, Any]) -> list[str]:
    targets = results["targets"]
    lines = [f"{name}: {t['value']} (target < {t['target']}) "
             f"{'ok' if t['met'] else 'MISSED'}" for name, t in targets.items()]
    play = results["playback"]
    lines.append(f"{play['speed']:g}x playback: {play['ticks_per_s']} ticks/s, "
                 f"{play['frames_applied_per_s']} frames applied/s, "
                 f"max tick lag {play['max_tick_lag_ms']} ms")
    rrweb = results["rrweb"]
    if "skipped" in rrweb:
        lines.append(f"rrweb: skipped ({rrweb['skipped']})")
    else:
        seek = rrweb["seek"]["latency_ms"]
        lines.append(f"rrweb {rrweb['version']}: seek median {seek['median']} ms, "
                     f"p95 {seek['p95']} ms; rrweb/Tapeview p95 "
                     f"{rrweb['comparison']['seek_p95_ratio']}x, median "
                     f"{rrweb['comparison']['seek_median_ratio']}x")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.prepare_into:  # the child process of `prepared_cache`
        session_id, setup = prepare_cache(str(args.recording) if args.recording else None,
                                          args.duration, args.events, args.seed,
                                          args.prepare_into)
        print(json.dumps({"session_id": session_id, "setup": setup}))
        return 0
    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    results: dict[str, Any] = {"benchmark": "replay", "seed": args.seed}
    with tempfile.TemporaryDirectory(prefix="tapeview-bench-replay-") as folder:
        cache, session_id, setup = prepared_cache(args, Path(folder))
        log(f"recording ready: {setup['file_mb']} MB, imported in {setup['import_s']} s")
        try:
            with cache.read_session() as session:
                chunks, windows = load_replay_chunks(session, session_id)
            duration = ReplaySession(session_id, chunks, windows).duration_ms
            del chunks
            rng = random.Random(args.seed)
            offsets = [rng.randint(0, duration) for _ in range(args.seeks)]
            memory_offsets = [rng.randint(0, duration) for _ in range(args.memory_seeks)]
            tapeview = run_tapeview(args, cache, session_id, offsets, memory_offsets)
            replay: ReplaySession = tapeview.pop("_replay")
            results["setup"] = setup
            results.update(tapeview)
            reason = "--no-rrweb" if args.no_rrweb else rrweb_unavailable()
            if reason is not None:
                results["rrweb"] = {"skipped": reason}
            else:
                try:
                    rrweb = run_rrweb(replay, offsets)
                    rrweb["comparison"] = compare(tapeview, rrweb)
                    results["rrweb"] = rrweb
                except Exception as exc:  # a broken browser must not lose the figures above
                    results["rrweb"] = {"skipped": f"failed: {type(exc).__name__}: {exc}"}
        finally:
            cache.close()
    results["targets"] = check_targets(results)
    print(json.dumps(results, indent=2))
    for line in summary_lines(results):
        log(line)
    del qt_app
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench_replay: {exc}", file=sys.stderr)
        sys.exit(1)
