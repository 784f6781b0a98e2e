"""`tapeview funnel`: conversion and drop-off through ordered steps, from the shell."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from app.cli_search import print_json
from app.core.cache.database import Cache
from app.core.cache.queries import find_project_id
from app.core.display import duration
from app.core.funnels.compute import compute_funnel, funnel_actors
from app.core.funnels.export import write_funnel_csv
from app.core.funnels.results import Breakdown, FunnelQuery, FunnelResult
from app.core.funnels.steps import (
    DEFAULT_WINDOW_MS,
    STEP_GRAMMAR,
    Funnel,
    FunnelError,
    parse_step,
    parse_window,
    window_text,
)
from app.core.funnels.store import find_funnel, save_funnel
from app.core.search.conditions import StartedBetween
from app.core.search.errors import FilterError
from app.core.search.grammar import FILTER_GRAMMAR, parse_filter, parse_filters

DESCRIPTION = f"""\
Count how many visitors (or sessions) took each step of a funnel, in order, within the
conversion window after their first step, over every cached session: conversion from the
first step and from the previous one, drop-off, and the median time between steps.

Every first step is tried, and a step counts only after the previous one (a step taken out
of order or repeated counts where it follows); one event is one step. By visitor, the steps
may be taken across the visitor's sessions; a session without a visitor counts as a visitor
of its own. --after and --before bound when the first step was taken; --filter keeps the
events of the sessions that match (see below).

{STEP_GRAMMAR}

--window takes 90s, 30m, 1h, 1d, 7d, 2w (default {window_text(DEFAULT_WINDOW_MS)}).
--dropped N lists who reached step N and went no further (--reached N: who reached it),
with the session and the moment to replay: tapeview open "tapeview://session/ID?t=SECONDS".

{FILTER_GRAMMAR}"""


def add_funnel_command(commands: argparse._SubParsersAction) -> None:
    funnel = commands.add_parser(
        "funnel", help="conversion and drop-off through ordered steps",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    funnel.add_argument("--step", action="append", default=[], dest="steps",
                        metavar="KIND:VALUE", help="a step (2 to 10, in order; see below)")
    funnel.add_argument("--funnel", metavar="NAME",
                        help="count a saved funnel (its steps, window, --by and filter)")
    funnel.add_argument("--save", metavar="NAME",
                        help="save the steps, window, --by and --filter as a funnel NAME")
    funnel.add_argument("--window", metavar="LENGTH",
                        help="the time from the first step to the last (default 1d)")
    funnel.add_argument("--by", choices=("visitor", "session"),
                        help="count visitors (the default) or sessions")
    funnel.add_argument("--filter", action="append", default=[], metavar="KEY OP VALUE",
                        dest="filters", help="a condition the sessions must meet (repeatable)")
    funnel.add_argument("--project", help="only this project (name or id)")
    funnel.add_argument("--after", metavar="WHEN", help="first step taken at or after WHEN")
    funnel.add_argument("--before", metavar="WHEN", help="first step taken before WHEN")
    funnel.add_argument("--breakdown", choices=("device", "browser"),
                        help="also count each step per device type or browser of the "
                             "session of the first step")
    listing = funnel.add_mutually_exclusive_group()
    listing.add_argument("--reached", type=int, metavar="N",
                         help="list who reached step N instead of counting")
    listing.add_argument("--dropped", type=int, metavar="N",
                         help="list who reached step N and not the next")
    funnel.add_argument("--limit", type=int, default=100,
                        help="the most actors --reached/--dropped lists (default 100)")
    funnel.add_argument("--json", action="store_true", help="print JSON")
    funnel.add_argument("--csv", type=Path, metavar="FILE", help="also write the counts as CSV")


def funnel_command(cache: Cache, args: argparse.Namespace) -> int:
    try:
        query = _query(cache, args)
        step = args.reached if args.reached is not None else args.dropped
        with cache.read_session() as session:
            if step is not None:
                actors = funnel_actors(session, query, step - 1,
                                       dropped=args.dropped is not None, limit=args.limit)
            else:
                result = compute_funnel(session, query, args.breakdown)
    except FilterError as exc:  # FunnelError is one
        print(f"tapeview: {exc}", file=sys.stderr)
        return 2
    if step is not None:
        rows = [{"visitor": actor.visitor, "session_id": actor.session_id,
                 "ts_ms": actor.ts_ms, "offset_ms": actor.offset_ms,
                 "furthest_step": actor.furthest_step + 1} for actor in actors]
        if args.json:
            print_json(rows)
        else:
            print(f"{'VISITOR':24}  {'SESSION':32}  {'AT':>8}  FURTHEST STEP")
            for row in rows:
                print(f"{(row['visitor'] or '—')[:24]:24}  {row['session_id'][:32]:32}  "
                      f"{duration(row['offset_ms']):>8}  {row['furthest_step']}")
            print(f"{len(rows)} actor(s)")
        return 0
    if args.csv is not None:
        try:
            with args.csv.open("w", encoding="utf-8", newline="") as out:
                write_funnel_csv(result, out)
        except OSError as exc:
            print(f"tapeview: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 1
    if args.json:
        print_json(result.to_json())
    else:
        _print_table(result)
    return 0


def _query(cache: Cache, args: argparse.Namespace) -> FunnelQuery:
    """The funnel and range asked for; saves it first with --save."""
    search = parse_filters(args.filters)
    with cache.session() as session:
        if args.funnel:
            saved = find_funnel(session, args.funnel)
            if saved is None:
                raise FunnelError(f"no funnel is saved as {args.funnel!r}")
            if args.steps:
                raise FunnelError("give either --funnel or --step, not both")
            funnel = saved.funnel
            funnel = Funnel(funnel.steps,
                            parse_window(args.window) if args.window else funnel.window_ms,
                            args.by or funnel.by)
            search = saved.filter.joining(search)
        else:
            funnel = Funnel(tuple(parse_step(text) for text in args.steps),
                            parse_window(args.window) if args.window else DEFAULT_WINDOW_MS,
                            args.by or "visitor")
        if args.save:
            save_funnel(session, args.save, funnel, search)
            print(f"tapeview: saved funnel {args.save!r}", file=sys.stderr)
        project_id = _project_id(session, args.project) if args.project else None
    return FunnelQuery(funnel, after_ms=_moment("after", args.after),
                       before_ms=_moment("before", args.before), filter=search,
                       project_id=project_id)


def _moment(key: str, value: str | None) -> int | None:
    """--after/--before read as the filters of the same names read their dates."""
    if value is None:
        return None
    condition = parse_filter(f"{key}={value}")
    assert isinstance(condition, StartedBetween)
    return condition.after_ms if key == "after" else condition.before_ms


def _project_id(session: Session, name_or_id: str) -> int:
    project_id = find_project_id(session, name_or_id)
    if project_id is None:
        raise FunnelError(f"no project {name_or_id!r}")
    return project_id


def _print_table(result: FunnelResult) -> None:
    actors = "visitors" if result.funnel.by == "visitor" else "sessions"
    print(f"{'STEP':40}  {'ACTORS':>9}  {'OF FIRST':>8}  {'OF PREV':>8}  {'DROPPED':>9}  "
          "MEDIAN FROM PREV")
    for index, step in enumerate(result.steps):
        label = f"{index + 1}. {step.label}"
        print(f"{label[:40]:40}  {step.actors:>9,}  {_share(step.of_first):>8}  "
              f"{_share(step.of_previous):>8}  {step.dropped:>9,}  "
              f"{_time(step.median_from_previous_ms)}")
    print(f"{result.entered:,} {actors} entered within "
          f"{window_text(result.funnel.window_ms)} windows; {result.converted:,} converted "
          f"({_share(result.conversion)}); median time to convert "
          f"{_time(result.median_to_convert_ms)}")
    if result.breakdown is not None:
        _print_breakdown(result, result.breakdown)


def _print_breakdown(result: FunnelResult, breakdown: Breakdown) -> None:
    print()
    print(f"{breakdown.upper():20}  " + "  ".join(f"{f'STEP {n + 1}':>9}"
                                                  for n in range(len(result.steps)))
          + "  CONVERSION")
    for group in result.groups:
        shares = group.actors[-1] / group.actors[0] if group.actors[0] else None
        print(f"{(group.value or 'unknown')[:20]:20}  "
              + "  ".join(f"{count:>9,}" for count in group.actors) + f"  {_share(shares)}")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _time(ms: float | None) -> str:
    return "—" if ms is None else duration(round(ms))
