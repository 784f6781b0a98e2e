from __future__ import annotations

from app.core.recording.formats import RawRecording, Window
from app.core.recording.normalize import normalize


def event(ts: float, kind: int = 3, **data: object) -> dict:
    return {"type": kind, "data": {"source": 1, **data}, "timestamp": ts}


def raw(*windows: list[dict]) -> RawRecording:
    return RawRecording("t.json", [Window(f"w{i}", list(w)) for i, w in enumerate(windows)])


def test_sorted_by_time_stably() -> None:
    a, b, c = event(30, n=1), event(10, n=2), event(10, n=3)
    assert normalize(raw([a, b, c])).events == [b, c, a]


def test_exact_duplicates_dropped_near_duplicates_kept() -> None:
    a = event(10, n=1)
    result = normalize(raw([a, dict(a), event(10, n=2)]))
    assert len(result.events) == 2 and result.dropped_duplicates == 1


def test_a_retried_run_is_dropped_a_real_triple_click_kept() -> None:
    """A run sent twice at one moment is one run; two identical clicks of a triple click in
    one millisecond, with its double click between them, are both real."""
    down, up, click = event(10, type=1, id=7), event(10, type=0, id=7), event(10, type=2, id=7)
    double = event(10, type=4, id=7)
    triple = [down, up, click, double, dict(down), dict(up), dict(click)]
    assert len(normalize(raw(triple)).events) == 7
    retried = normalize(raw([down, up, dict(down), dict(up), event(10, n=2)]))
    assert retried.events == [down, up, event(10, n=2)] and retried.dropped_duplicates == 2


def test_unknown_fields_and_types_are_kept() -> None:
    odd = {"type": 99, "data": {"whatever": True}, "timestamp": 5, "sessionId": "x"}
    assert normalize(raw([odd])).events == [odd]


def test_malformed_events_are_skipped_and_counted() -> None:
    good = event(1)
    junk = [None, 7, {"type": 3}, {"timestamp": 5}, {"type": "3", "timestamp": 5},
            {"type": 3, "timestamp": "5"}, {"type": True, "timestamp": 5}]
    result = normalize(raw([good, *junk]))
    assert result.events == [good] and result.dropped_invalid == len(junk)


def test_float_timestamps_become_integer_ms() -> None:
    assert normalize(raw([event(10.6)])).events[0]["timestamp"] == 11


def test_outlier_is_pinned_to_its_predecessor() -> None:
    events = [event(1_900_000_000 + i * 1000, n=i) for i in range(40)]
    events[20]["timestamp"] = 19_000_602_896  # one digit too many, as in rrweb's video fixture
    result = normalize(raw(events))
    assert result.clamped_outliers == 1
    assert result.end_ms - result.start_ms == 39_000
    assert events[20]["timestamp"] == 1_900_000_000 + 19 * 1000


def test_a_long_gap_between_big_clusters_is_kept() -> None:
    day = 24 * 3600 * 1000
    events = [event(i * 1000, n=i) for i in range(50)] + \
        [event(day + i * 1000, n=100 + i) for i in range(50)]
    result = normalize(raw(events))
    assert result.clamped_outliers == 0 and result.end_ms - result.start_ms == day + 49_000


def test_windows_are_merged_in_time_with_their_tags() -> None:
    result = normalize(raw([event(1, n=1), event(3, n=3)], [event(2, n=2)]))
    assert [e["data"]["n"] for e in result.events] == [1, 2, 3]
    assert result.windows == [0, 1, 0] and result.window_ids == ["w0", "w1"]
