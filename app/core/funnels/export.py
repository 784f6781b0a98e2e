"""A counted funnel as CSV: one row per step, what its bar shows, plus one column per
breakdown group (the actors of that group reaching the step)."""

from __future__ import annotations

import csv
from typing import TextIO

from app.core.funnels.results import FunnelResult

COLUMNS = ("step", "label", "actors", "of_first", "of_previous", "dropped",
           "median_from_previous_ms")


def write_funnel_csv(result: FunnelResult, out: TextIO) -> None:
    """Shares as fractions (0..1) and times in milliseconds, empty where there is none, so
    a spreadsheet reads them as numbers."""
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, *(f"{result.breakdown}={group.value or 'unknown'}"
                                 for group in result.groups)])
    for index, step in enumerate(result.steps):
        writer.writerow([index + 1, step.label, step.actors, _number(step.of_first),
                         _number(step.of_previous), step.dropped,
                         _number(step.median_from_previous_ms),
                         *(group.actors[index] for group in result.groups)])


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6g}"
