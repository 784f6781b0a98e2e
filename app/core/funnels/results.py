"""What a funnel count is asked, and what it finds: the bars, the groups of a breakdown, and
the actors behind a bar."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.funnels.steps import Funnel
from app.core.search.conditions import SessionFilter, StartedBetween

Breakdown = Literal["device", "browser"]


@dataclass(frozen=True)
class FunnelQuery:
    """A funnel over the sessions of a project (any when None) that match `filter`, entered
    (its first step taken) at or after `after_ms` and before `before_ms`; later steps may
    follow within the window."""

    funnel: Funnel
    after_ms: int | None = None
    before_ms: int | None = None
    filter: SessionFilter = field(default_factory=SessionFilter)
    project_id: int | None = None

    def __post_init__(self) -> None:
        if self.after_ms is not None or self.before_ms is not None:
            StartedBetween(self.after_ms, self.before_ms)  # checks the range as a filter would


@dataclass(frozen=True)
class StepResult:
    """One bar: how many actors reached the step, and how they came and went."""

    label: str
    actors: int
    of_first: float | None  # share of the first step's actors, 0..1 (None: nobody entered)
    of_previous: float | None  # share of the previous step's actors (None at the first)
    dropped: int  # reached this step but not the next (0 at the last step)
    median_from_previous_ms: float | None  # None at the first step, or when nobody came

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class GroupResult:
    """The actors reaching each step among those whose first step was in sessions of one
    device type or browser (`value` None: unknown)."""

    value: str | None
    actors: tuple[int, ...]


@dataclass(frozen=True)
class FunnelResult:
    funnel: Funnel
    steps: tuple[StepResult, ...]
    median_to_convert_ms: float | None  # first step to last, of those who converted
    breakdown: Breakdown | None = None
    groups: tuple[GroupResult, ...] = ()  # the most entered first, then by value (unknown first)

    @property
    def entered(self) -> int:
        return self.steps[0].actors

    @property
    def converted(self) -> int:
        return self.steps[-1].actors

    @property
    def conversion(self) -> float | None:
        """Overall conversion, 0..1 (None when nobody entered)."""
        return self.steps[-1].of_first

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "by": self.funnel.by, "window_ms": self.funnel.window_ms,
            "entered": self.entered, "converted": self.converted,
            "conversion": self.conversion, "median_to_convert_ms": self.median_to_convert_ms,
            "steps": [step.to_json() for step in self.steps]}
        if self.breakdown is not None:
            data["breakdown"] = {"by": self.breakdown, "groups": [
                {"value": group.value, "actors": list(group.actors)} for group in self.groups]}
        return data


# What either walk lists behind a bar, per actor: its visitor (0: none), the event of the
# step asked about, that event's time, and the index of the furthest step it reached.
Moment = tuple[int, int, int, int]


@dataclass(frozen=True)
class FunnelActor:
    """A visitor (or session) behind a bar, and where to replay it: the moment it took the
    step asked about (for one that dropped off after it, its last step)."""

    visitor_id: int | None
    visitor: str | None  # the visitor's name, else its id as the tracker sent it
    session_id: str
    ts_ms: int
    offset_ms: int  # from the start of `session_id`
    furthest_step: int  # index of the furthest step it reached


@dataclass(frozen=True)
class Counted:
    """What either way of counting found, before it is put in words: actors at each step,
    the median time from the step before (None at the first), from first to last, and the
    groups (in any order)."""

    reached: list[int]
    medians: list[float | None]
    to_convert: float | None
    groups: tuple[GroupResult, ...]
