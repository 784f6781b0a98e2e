"""Rage clicks and dead clicks: what a burst of clicks, or a click nothing answered, tells.

A **rage click** (as PostHog and Sentry count them) is 3 or more clicks within 1 s on one spot:
within 30 px of the burst's first click, or on the same element where a click has no
coordinates. A burst goes on while each click follows the one before within 1 s; it gives
one rage click, at its first click, with the number of clicks it held.

A **dead click** is a click nothing answered: in its window, no DOM mutation, scroll, input,
selection or other change of the page within 1 s, and no navigation within 5 s (a new page
can take that long to arrive). Only the first click of a burst is judged; clicks on form
fields are not (their answer is focus, which rrweb does not record), nor a click the
recording ends less than 1 s after. Any mutation is an answer, as in PostHog's and Sentry's
detectors, so a page that animates through the DOM has no dead clicks.

One instance of each class watches one window; the extractor keeps one per window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace

from app.core.analytics.events import IndexedEvent

RAGE_MIN_CLICKS = 3
RAGE_GAP_MS = 1_000
RAGE_RADIUS_PX = 30.0
ANSWER_MS = 1_000
NAVIGATION_MS = 5_000


@dataclass
class _Burst:
    first: IndexedEvent
    times: list[int] = field(default_factory=list)
    rage: IndexedEvent | None = None


class RageClicks:
    def __init__(self) -> None:
        self.found: list[IndexedEvent] = []
        self._burst: _Burst | None = None

    def add(self, click: IndexedEvent) -> bool:
        """Count a click; True if it starts a burst, False if it repeats the clicks before."""
        burst = self._burst
        if burst is None or click.ts_ms - burst.times[-1] > RAGE_GAP_MS \
                or not _near(burst.first, click):
            self._burst = _Burst(click, [click.ts_ms])
            return True
        burst.times.append(click.ts_ms)
        if burst.rage is not None:
            burst.rage.properties = {"count": len(burst.times)}
        elif len(burst.times) >= RAGE_MIN_CLICKS \
                and burst.times[-1] - burst.times[-RAGE_MIN_CLICKS] <= RAGE_GAP_MS:
            burst.rage = replace(burst.first, kind="rage_click",
                                 properties={"count": len(burst.times)})
            self.found.append(burst.rage)
        return False


def _near(first: IndexedEvent, click: IndexedEvent) -> bool:
    if None in (first.x, first.y, click.x, click.y):
        return first.node_id is not None and first.node_id == click.node_id
    return math.hypot(click.x - first.x, click.y - first.y) <= RAGE_RADIUS_PX  # type: ignore[operator]


class DeadClicks:
    def __init__(self) -> None:
        self.found: list[IndexedEvent] = []
        self._waiting: deque[IndexedEvent] = deque()  # no answer yet, within ANSWER_MS
        self._suspects: deque[IndexedEvent] = deque()  # unanswered; a navigation may clear
        # The time after which `tick` has something to decide (checked on every event).
        self.due = math.inf

    def watch(self, click: IndexedEvent) -> None:
        self._waiting.append(click)
        self.due = min(self.due, click.ts_ms + ANSWER_MS)

    def answered(self) -> None:
        """The page changed: every click still waiting did something."""
        if self._waiting:
            self._waiting.clear()
            self._set_due()

    def navigated(self, ts: int) -> None:
        self._waiting.clear()
        self._suspects = deque(c for c in self._suspects if ts - c.ts_ms > NAVIGATION_MS)
        self.tick(ts)

    def tick(self, ts: int) -> None:
        """Time has come to `ts` in this window: judge the clicks it settles."""
        while self._waiting and ts - self._waiting[0].ts_ms > ANSWER_MS:
            self._suspects.append(self._waiting.popleft())
        while self._suspects and ts - self._suspects[0].ts_ms > NAVIGATION_MS:
            self.found.append(replace(self._suspects.popleft(), kind="dead_click"))
        self._set_due()

    def finish(self) -> None:
        """The window's recording ended: suspects stay dead (it went on for 1 s after them
        with no answer), clicks still waiting cannot be judged."""
        self.found.extend(replace(click, kind="dead_click") for click in self._suspects)
        self._suspects.clear()
        self._waiting.clear()

    def _set_due(self) -> None:
        self.due = min(self._waiting[0].ts_ms + ANSWER_MS if self._waiting else math.inf,
                       self._suspects[0].ts_ms + NAVIGATION_MS if self._suspects else math.inf)
