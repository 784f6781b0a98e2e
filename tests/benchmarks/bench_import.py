"""Import throughput and cache size, printed as one JSON object.

    .venv/bin/python tests/benchmarks/bench_import.py [--repeat N] [--recording FILE ...]
                                                      [--only-given] [--profile]

Measures (a) the largest real recording in ``<repo>/../shared/fixtures/rrweb`` (skipped with a
note when the folder is absent), (b) a generated 60-minute recording with 100,000 events, and
any ``--recording`` files. Every run imports one file with `import_files` into a fresh,
already-created temporary SQLite cache; the median of ``--repeat`` runs is reported, with
events/s, MB/s of raw JSON, and the cache's size against the raw file's. A per-phase split of
the pipeline (parse, normalise, mask, ...) is measured separately (median of up to three
passes, outside the timed runs); what remains of the import's time is the database write.
``--profile`` writes the top cProfile entries of one import to stderr.

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
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # runnable without installing the package
    sys.path.insert(0, str(REPO))

from app.core.analytics.extract import extract_events  # noqa: E402
from app.core.cache.database import Cache  # noqa: E402
from app.core.importing import import_files  # noqa: E402
from app.core.privacy import mask_recording_events  # noqa: E402
from app.core.recording.chunks import build_chunks  # noqa: E402
from app.core.recording.formats import read_recording_file  # noqa: E402
from app.core.recording.normalize import normalize  # noqa: E402
from app.core.recording.summary import summarize  # noqa: E402
from app.core.recording.synthetic import generate_recording, write_recording  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures" / "rrweb"
RECORDING_SUFFIXES = (".json", ".jsonl", ".js", ".gz", ".zst")
MB = 1_000_000


def largest_fixture(folder: Path) -> Path | None:
    files = [p for p in folder.rglob("*") if p.is_file() and p.name.endswith(RECORDING_SUFFIXES)]
    return max(files, key=lambda p: p.stat().st_size) if files else None


def cache_files_size(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
               if p.exists())


def one_import(path: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="tapeview-bench-") as folder:
        cache_path = Path(folder) / "cache.sqlite3"
        cache = Cache(cache_path)  # created (and migrated) before the clock starts
        empty_size = None
        try:
            cache.engine.dispose()
            empty_size = cache_files_size(cache_path)
            started = time.perf_counter()
            [result] = import_files(cache, [path])
            elapsed = time.perf_counter() - started
        finally:
            cache.close()
        return {"seconds": elapsed, "status": result.status, "message": result.message,
                "events": result.event_count, "empty_cache_bytes": empty_size,
                "cache_bytes": cache_files_size(cache_path)}


def phases(path: Path) -> dict[str, float]:
    """Seconds spent in each step of the import pipeline, outside the database."""
    timings: dict[str, float] = {}

    def step(name: str, func: Any, *args: Any) -> Any:
        started = time.perf_counter()
        value = func(*args)
        timings[name] = round(time.perf_counter() - started, 4)
        return value

    raw = step("read_and_parse", read_recording_file, path)
    recording = step("normalize", normalize, raw)
    step("mask", mask_recording_events, recording.events, recording.windows)
    step("summarize", summarize, recording)
    step("build_chunks_and_digest", build_chunks, recording.events, recording.windows)
    step("extract_events", extract_events, recording.events, recording.windows)
    return timings


def measure(label: str, path: Path, repeat: int) -> dict[str, Any]:
    raw_bytes = path.stat().st_size
    runs = [one_import(path) for _ in range(repeat)]
    last = runs[-1]
    if last["status"] == "rejected":
        return {"label": label, "file": str(path), "raw_bytes": raw_bytes,
                "status": "rejected", "message": last["message"]}
    median = statistics.median(run["seconds"] for run in runs)
    splits = [phases(path) for _ in range(min(repeat, 3))]
    split = {name: round(statistics.median(s[name] for s in splits), 4) for name in splits[0]}
    stored = last["cache_bytes"] - last["empty_cache_bytes"]
    return {
        "label": label,
        "file": str(path),
        "status": last["status"],
        "events": last["events"],
        "raw_bytes": raw_bytes,
        "repeat": repeat,
        "seconds_median": round(median, 4),
        "seconds_all": [round(run["seconds"], 4) for run in runs],
        "events_per_s": round(last["events"] / median) if median else None,
        "raw_mb_per_s": round(raw_bytes / MB / median, 2) if median else None,
        "cache_bytes": last["cache_bytes"],
        "empty_cache_bytes": last["empty_cache_bytes"],
        "cache_to_raw": round(last["cache_bytes"] / raw_bytes, 4),
        "added_bytes_to_raw": round(stored / raw_bytes, 4),
        "phases_s": split,
        "database_write_s_estimate": round(max(0.0, median - sum(split.values())), 4),
    }


def profile_import(path: Path, top: int = 30) -> str:
    with tempfile.TemporaryDirectory(prefix="tapeview-bench-") as folder:
        cache = Cache(Path(folder) / "cache.sqlite3")
        profiler = cProfile.Profile()
        try:
            profiler.enable()
            import_files(cache, [path])
            profiler.disable()
        finally:
            cache.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="imports per file (median)")
    parser.add_argument("--recording", type=Path, action="append", default=[],
                        help="also measure this file (may be given several times)")
    parser.add_argument("--only-given", action="store_true",
                        help="measure only the --recording files")
    parser.add_argument("--duration", type=float, default=3600,
                        help="length of the generated recording in seconds")
    parser.add_argument("--events", type=int, default=100_000,
                        help="events in the generated recording")
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of one import of the generated file to stderr")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)

    report: dict[str, Any] = {"python": sys.version.split()[0], "repeat": repeat,
                              "generation_s": None, "results": [], "notes": []}
    with tempfile.TemporaryDirectory(prefix="tapeview-bench-rec-") as folder:
        targets: list[tuple[str, Path]] = []
        if not args.only_given:
            if FIXTURES.is_dir():
                fixture = largest_fixture(FIXTURES)
                if fixture is not None:
                    targets.append((f"largest fixture ({fixture.relative_to(FIXTURES)})",
                                    fixture))
                else:
                    report["notes"].append(f"no recording files in {FIXTURES}")
            else:
                report["notes"].append(f"fixtures folder {FIXTURES} not found: skipped")
            started = time.perf_counter()
            events = generate_recording(args.duration, args.events, seed=0)
            generated = Path(folder) / "generated-60min.json"
            write_recording(generated, events)
            report["generation_s"] = round(time.perf_counter() - started, 3)
            del events
            targets.append((f"generated {args.duration / 60:g} min recording", generated))
        for path in args.recording:
            if not path.is_file():
                report["notes"].append(f"{path}: not a file, skipped")
                continue
            targets.append((f"given ({path.name})", path))
        for label, path in targets:
            report["results"].append(measure(label, path, repeat))
        if args.profile and targets:
            generated_files = [p for label, p in targets if label.startswith("generated")]
            print(profile_import((generated_files or [targets[-1][1]])[0]), file=sys.stderr)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
