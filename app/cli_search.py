"""Search from the shell: `sessions --filter/--segment`, saved segments, defined events."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import orjson

from app.core.cache.database import Cache
from app.core.definitions.rules import DefinitionError, DefinitionRule
from app.core.search.errors import FilterError
from app.core.search.grammar import FILTER_GRAMMAR, parse_filters, shell_filters
from app.core.search.segments import (
    SegmentError,
    create_segment,
    delete_segment,
    find_segment,
    list_segments,
)

DEFINE_DESCRIPTION = """\
Define an event by a rule and find it in every cached session at once (and in every session
cached later). A rule with --selector or --text is about clicks: the clicked element or one of
its ancestors matches the CSS selector (type, #id, .class, [attribute], descendant and child
combinators), its visible text equals the text (or contains it, with --text-contains),
ignoring case; --url then names the page the click was on. A rule with only --url is about
pageviews. Use it in filters as --filter "event=defined:NAME"."""


def add_search_arguments(sessions: argparse.ArgumentParser) -> None:
    """The filtering options of `tapeview sessions`."""
    sessions.formatter_class = argparse.RawDescriptionHelpFormatter
    sessions.epilog = FILTER_GRAMMAR
    sessions.add_argument("--filter", action="append", default=[], metavar="KEY OP VALUE",
                          dest="filters", help="a condition sessions must meet (repeatable; "
                                               "see below)")
    sessions.add_argument("--segment", metavar="NAME",
                          help="the conditions of a saved segment (with any --filter added)")
    sessions.add_argument("--save-segment", metavar="NAME",
                          help="save the conditions given as a segment named NAME")


def add_search_commands(commands: argparse._SubParsersAction) -> None:
    segments = commands.add_parser("segments", help="list or delete saved segments",
                                   description="Segments are filters saved under a name "
                                               "(tapeview sessions --save-segment NAME).")
    segments.add_argument("--delete", metavar="NAME", help="delete this segment")
    segments.add_argument("--json", action="store_true", help="print JSON")

    define = commands.add_parser("define-event", help="define an event by a selector, text or "
                                 "URL; it is found in all cached sessions",
                                 description=DEFINE_DESCRIPTION,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    define.add_argument("name")
    define.add_argument("--selector", metavar="CSS", help="CSS selector of the clicked element")
    define.add_argument("--text", help="visible text of the clicked element")
    define.add_argument("--text-contains", action="store_true",
                        help="the text only has to appear in the element's text")
    define.add_argument("--url", help="the page (of the click, or viewed)")
    define.add_argument("--match", choices=("simple", "exact", "substring"), default="simple",
                        help="how --url is matched: simple ignores the query string, the "
                             "fragment, www. and a trailing / (default); exact; substring")

    defined = commands.add_parser("defined-events", help="list or delete defined events")
    defined.add_argument("--delete", metavar="NAME", help="delete this defined event")
    defined.add_argument("--json", action="store_true", help="print JSON")


def session_filter(cache: Cache, args: argparse.Namespace) -> Any:
    """The filter `sessions` was given (segment + --filter), saved if asked; None after
    printing why it cannot be used."""
    try:
        search = parse_filters(args.filters)
        with cache.session() as session:
            if args.segment:
                segment = find_segment(session, args.segment)
                if segment is None:
                    raise SegmentError(f"no segment is named {args.segment!r}")
                search = segment.filter.joining(search)
            if args.save_segment:
                create_segment(session, args.save_segment, search)
                print(f"tapeview: saved segment {args.save_segment!r}", file=sys.stderr)
    except (FilterError, SegmentError) as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return None
    return search


def segments(cache: Cache, args: argparse.Namespace) -> int:
    with cache.session() as session:
        if args.delete:
            try:
                delete_segment(session, args.delete)
            except SegmentError as exc:
                print(f"tapeview: {exc}", file=sys.stderr)
                return 1
            print(f"tapeview: deleted segment {args.delete!r}", file=sys.stderr)
            return 0
        found = list_segments(session)
    if args.json:
        print_json([{"id": s.id, "name": s.name, "filters": shell_filters(s.filter)}
                     for s in found])
        return 0
    for segment in found:
        filters = " ".join(f"--filter {_quoted(text)}" for text in shell_filters(segment.filter))
        print(f"{segment.name}: {filters}")
    print(f"{len(found)} segment(s)")
    return 0


def define_event_command(cache: Cache, args: argparse.Namespace) -> int:
    from app.core.definitions.store import define_event

    try:
        rule = DefinitionRule(selector=args.selector, text=args.text,
                              text_match="contains" if args.text_contains else "exact",
                              url=args.url, url_match=args.match)
        info = define_event(cache, args.name, rule)
    except DefinitionError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 1
    print(f"Defined {info.name!r} ({rule.describe()}): found {info.hits:,} time(s) in "
          f"{info.sessions:,} session(s)")
    return 0


def defined_events(cache: Cache, args: argparse.Namespace) -> int:
    from app.core.definitions.store import delete_definition, list_definitions

    if args.delete:
        try:
            delete_definition(cache, args.delete)
        except DefinitionError as exc:
            print(f"tapeview: {exc}", file=sys.stderr)
            return 1
        print(f"tapeview: deleted {args.delete!r}", file=sys.stderr)
        return 0
    with cache.read_session() as session:
        found = list_definitions(session)
    if args.json:
        print_json([info.to_json() for info in found])
        return 0
    for info in found:
        print(f"{info.name}: {info.rule.describe()} — {info.hits:,} time(s) in "
              f"{info.sessions:,} session(s)")
    print(f"{len(found)} defined event(s)")
    return 0


SEARCH_COMMANDS = {"segments": segments, "define-event": define_event_command,
                   "defined-events": defined_events}


def _quoted(text: str) -> str:
    return f'"{text}"' if any(c in text for c in " '\"$`\\") else text


def print_json(value: object) -> None:
    """Indented JSON on stdout: what every --json option prints."""
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
