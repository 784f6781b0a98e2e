"""Event extraction throughput, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_events.py [--repeat N] [--events N]
                                                      [--duration SECONDS] [--profile]

Generates the 60-minute, 100,000-event shop recording (`app.core.recording.synthetic`),
normalises and masks it as an import does (extraction always sees masked events), then times
`extract_events` over the whole stream ``--repeat`` times with the garbage collector paused,
as the import pipeline runs it. Reports the median in seconds and events/s, and what was found
per kind. ``--profile`` writes the top cProfile entries of one run to stderr.

This is a script, not a test module: pytest collects ``test_*.py`` only.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from app.core.analytics.extract import extract_events  # noqa: E402
from app.core.importing import prepare  # noqa: E402
from app.core.recording.formats import RawRecording, Window  # noqa: E402
from app.core.recording.synthetic import generate_recording  # noqa: E402
from app.core.tasks import collector_paused  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs (median)")
    parser.add_argument("--events", type=int, default=100_000,
                        help="events in the generated recording")
    parser.add_argument("--duration", type=float, default=3600,
                        help="length of the generated recording in seconds")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one run to stderr")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    events = generate_recording(args.duration, args.events, seed=0)
    recording = prepare(RawRecording("generated.json", [Window(None, events)]))
    setup_s = time.perf_counter() - started

    runs: list[float] = []
    found: list[Any] = []
    with collector_paused():
        for _ in range(max(1, args.repeat)):
            started = time.perf_counter()
            found = extract_events(recording.events, recording.windows)
            runs.append(time.perf_counter() - started)
    median = statistics.median(runs)
    report = {
        "python": sys.version.split()[0],
        "events": len(recording.events),
        "setup_s": round(setup_s, 3),
        "repeat": len(runs),
        "seconds_median": round(median, 4),
        "seconds_all": [round(run, 4) for run in runs],
        "events_per_s": round(len(recording.events) / median),
        "found": dict(sorted(Counter(e.kind for e in found).items())),
    }
    if args.profile:
        print(profile(recording.events, recording.windows), file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


def profile(events: list[dict[str, Any]], windows: list[int], top: int = 25) -> str:
    profiler = cProfile.Profile()
    with collector_paused():
        profiler.enable()
        extract_events(events, windows)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
