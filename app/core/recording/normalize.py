"""Turn raw events into one clean, time-ordered stream.

Recordings in the wild carry duplicates (retried uploads: a run of events sent again), unknown
fields and event types (kept as they are: a later rrweb may understand them), events without a
usable timestamp (dropped) and the odd timestamp that is wildly off (rrweb's own video fixture
has one ten times too large).
Such outliers would stretch a 40-second session to half a year, so they are pinned to the time
of the event recorded just before them.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.core.recording.formats import Event, RawRecording

# Timestamps further apart than this split a recording into separate clusters of activity ...
OUTLIER_GAP_MS = 6 * 3600 * 1000
# ... and a cluster this small (share of all events) beyond such a gap is treated as an error.
OUTLIER_SHARE = 0.01
OUTLIER_MAX_EVENTS = 3
# The longest run of one moment's events recognised as sent twice (longer ones are kept).
MAX_REPEATED_RUN = 64


@dataclass
class Recording:
    """A normalised recording: events sorted by time, each tagged with its window."""

    source: str
    events: list[Event]
    # Index into `window_ids` for each event; all zeros for a single-window recording.
    windows: list[int]
    window_ids: list[str | None]
    dropped_invalid: int = 0
    dropped_duplicates: int = 0
    clamped_outliers: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def start_ms(self) -> int:
        return int(self.events[0]["timestamp"])

    @property
    def end_ms(self) -> int:
        return int(self.events[-1]["timestamp"])


def canonical_bytes(event: Event) -> bytes:
    return orjson.dumps(event, option=orjson.OPT_SORT_KEYS)


def normalize(raw: RawRecording) -> Recording:
    """Sort, de-duplicate and clean the events of all windows into one stream."""
    tagged: list[tuple[int, int, Event]] = []  # (window index, original position, event)
    window_ids = [w.window_id for w in raw.windows]
    dropped_invalid = 0
    position = 0
    for window_index, window in enumerate(raw.windows):
        for event in window.events:
            if _is_valid(event):
                event["timestamp"] = _as_ms(event["timestamp"])
                tagged.append((window_index, position, event))
            else:
                dropped_invalid += 1
            position += 1

    clamped = _clamp_outliers(tagged)

    tagged.sort(key=lambda item: (item[2]["timestamp"], item[1]))
    events: list[Event] = []
    windows: list[int] = []
    duplicates = 0
    # Exact duplicates share a timestamp, so only events of one moment are compared.
    for _ts, group in itertools.groupby(tagged, key=lambda item: item[2]["timestamp"]):
        moment = list(group)
        repeated = _repeated(moment) if len(moment) > 1 else set()
        duplicates += len(repeated)
        for index, (window_index, _, event) in enumerate(moment):
            if index not in repeated:
                events.append(event)
                windows.append(window_index)

    notes = list(raw.notes)
    if dropped_invalid:
        notes.append(f"{dropped_invalid} malformed event(s) skipped (no type or timestamp)")
    if duplicates:
        notes.append(f"{duplicates} duplicate event(s) dropped")
    if clamped:
        notes.append(f"{clamped} event(s) with an outlying timestamp pinned to their neighbour")
    return Recording(raw.source, events, windows, window_ids, dropped_invalid, duplicates,
                     clamped, notes)


def _repeated(moment: list[tuple[int, int, Event]]) -> set[int]:
    """Which events of one moment (in the order recorded) repeat the run just before them:
    a retried upload sends its events again, in their order. Equal events that are not such
    a run are kept: a real triple click can record two identical clicks in one millisecond,
    with its double click between them."""
    keys = [hashlib.blake2b(canonical_bytes(event), digest_size=16).digest()
            for _, _, event in moment]
    repeated: set[int] = set()
    start = 0
    while start < len(keys):
        for length in range(1, min(MAX_REPEATED_RUN, (len(keys) - start) // 2) + 1):
            if keys[start:start + length] == keys[start + length:start + 2 * length]:
                repeated.update(range(start + length, start + 2 * length))
                start += length  # the copy may itself be sent again
                break
        else:
            start += 1
    return repeated


def _is_valid(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    kind, ts = event.get("type"), event.get("timestamp")
    return (isinstance(kind, int) and not isinstance(kind, bool)
            and isinstance(ts, int | float) and not isinstance(ts, bool) and ts == ts
            and abs(ts) < 1e15)


def _as_ms(ts: int | float) -> int:
    return int(ts) if isinstance(ts, int) else round(ts)


def _clamp_outliers(tagged: list[tuple[int, int, Event]]) -> int:
    """Pin events in tiny, far-away clusters of time to their predecessor's time."""
    if len(tagged) < 2:
        return 0
    by_time = sorted(tagged, key=lambda item: item[2]["timestamp"])
    clusters: list[list[tuple[int, int, Event]]] = [[by_time[0]]]
    for previous, item in itertools.pairwise(by_time):
        if item[2]["timestamp"] - previous[2]["timestamp"] > OUTLIER_GAP_MS:
            clusters.append([])
        clusters[-1].append(item)
    if len(clusters) == 1:
        return 0
    limit = max(OUTLIER_MAX_EVENTS, int(len(tagged) * OUTLIER_SHARE))
    outliers = {id(item[2]) for cluster in clusters if len(cluster) <= limit
                and len(cluster) < max(len(c) for c in clusters) for item in cluster}
    if not outliers:
        return 0
    # Walk in recorded order so each outlier takes the time of the last sane event before it
    # (or, at the very start, the first sane event after it).
    in_order = sorted(tagged, key=lambda item: item[1])
    first_sane = next(item[2]["timestamp"] for item in in_order if id(item[2]) not in outliers)
    last_sane = first_sane
    for _, _, event in in_order:
        if id(event) in outliers:
            event["timestamp"] = last_sane
        else:
            last_sane = event["timestamp"]
    return len(outliers)
