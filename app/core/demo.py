"""Demo sessions for a first run: a dozen short, varied visits to an example shop.

They are generated (`app.core.recording.synthetic`), not shipped, and imported through the
same path as a real file (`import_raw`), so normalising, masking and indexing apply exactly as
they would to a customer's recording. The sessions are always the same, so loading them twice
finds the first copies (reported as duplicates) instead of adding rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from app.core.cache.database import Cache
from app.core.importing import ImportResult, import_raw
from app.core.recording.formats import RawRecording, Window
from app.core.recording.synthetic import DEFAULT_PAGES, SHOP, TypedValues, generate_recording
from app.core.tasks import CancelToken, ProgressCallback, no_progress

DEMO_ORGANIZATION = "Demo"
DEMO_PROJECT = "Demo shop"
DEMO_START_MS = 1_740_990_600_000  # Monday 2025-03-03 08:30 UTC
DEFAULT_DEMO_COUNT = 12

# (device class, viewport width, viewport height)
_DEVICES = (
    ("desktop", 1440, 900),
    ("mobile", 390, 844),
    ("desktop", 1920, 1080),
    ("tablet", 820, 1180),
    ("mobile", 375, 667),
    ("desktop", 1366, 768),
    ("mobile", 412, 915),
    ("tablet", 768, 1024),
)
_DURATIONS_S = (95, 240, 60, 420, 180, 600, 75, 330, 150, 510, 270, 120)
_LANDINGS = (
    f"{SHOP}/",
    f"{SHOP}/c/running-shoes?utm_source=newsletter&utm_campaign=spring",
    f"{SHOP}/p/trail-runner-2",
    f"{SHOP}/c/rain-jackets",
    f"{SHOP}/?utm_source=google&utm_medium=cpc",
    f"{SHOP}/help/returns",
    f"{SHOP}/cart",
)
_VISITORS = (
    {"uid": "cust-1001", "name": "Maria Garcia", "email": "maria.garcia@example.org"},
    {"uid": "cust-1002", "name": "Kenji Watanabe", "email": "kenji.w@example.net"},
    {"uid": "cust-1003", "name": "Amelia Novak", "email": "amelia.novak@example.com"},
)

# session index -> visitor: some visitors are identified, and two of them come back
_IDENTIFIED = {0: 0, 2: 2, 5: 1, 8: 0, 10: 1}


@dataclass(frozen=True)
class DemoSession:
    """How one demo session is made."""

    name: str
    seed: int
    start_ms: int
    duration_s: int
    device: str
    width: int
    height: int
    landing: str
    identity: dict[str, str] | None
    errors: int

    def pages(self) -> list[str]:
        return [self.landing, *(page for page in DEFAULT_PAGES
                                if page != self.landing.split("?", 1)[0])]

    def typed(self) -> TypedValues:
        if self.identity:
            return TypedValues(name=self.identity["name"], email=self.identity["email"],
                               password=f"Sunny-{self.seed}-days!",
                               card_number="4242 4242 4242 4242")
        return TypedValues()

    def events(self) -> list[dict[str, Any]]:
        return generate_recording(
            self.duration_s, target_events=self.duration_s * 4, seed=self.seed,
            start_ms=self.start_ms, width=self.width, height=self.height, pages=self.pages(),
            typed=self.typed(), identity=self.identity, errors=self.errors)


def demo_sessions(count: int = DEFAULT_DEMO_COUNT) -> list[DemoSession]:
    """The recipes of the first `count` demo sessions (always the same ones)."""
    sessions = []
    for index in range(count):
        device, width, height = _DEVICES[index % len(_DEVICES)]
        visitor = _IDENTIFIED.get(index % len(_DURATIONS_S))
        identity = dict(_VISITORS[visitor]) if visitor is not None else None
        sessions.append(DemoSession(
            name=f"demo-{index + 1:02d}-{device}.json",
            seed=20_250_303 + index,
            # spread over a week, at varied times of day
            start_ms=DEMO_START_MS + index * 13 * 3_600_000 + (index * 7_919_000) % 3_600_000,
            duration_s=_DURATIONS_S[index % len(_DURATIONS_S)] + 30 * (index // 12),
            device=device, width=width, height=height,
            landing=_LANDINGS[index % len(_LANDINGS)],
            identity=identity,
            errors=(0, 1, 0, 2, 0, 3)[index % 6],
        ))
    return sessions


def load_demo_sessions(cache: Cache, count: int = DEFAULT_DEMO_COUNT,
                       progress: ProgressCallback = no_progress,
                       cancel: CancelToken | None = None) -> list[ImportResult]:
    """Import `count` demo sessions into organization "Demo", project "Demo shop".

    Stops between sessions when `cancel` is set; sessions already in the cache come back as
    ``duplicate`` results.
    """
    results: list[ImportResult] = []
    for done, recipe in enumerate(demo_sessions(count)):
        if cancel is not None and cancel.cancelled:
            break
        progress(done, count, f"Creating demo session {done + 1} of {count}")
        events = recipe.events()
        raw_size = len(orjson.dumps(events))
        raw = RawRecording(recipe.name, [Window(None, events)])
        results.append(import_raw(cache, raw, raw_size, Path(recipe.name), DEMO_PROJECT,
                                  DEMO_ORGANIZATION))
    progress(len(results), count, "Demo sessions ready")
    return results
