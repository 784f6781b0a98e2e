"""The `tapeview` command: the GUI when run bare, shell sub-commands otherwise."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.cli_funnel import add_funnel_command, funnel_command
from app.cli_heatmap import add_heatmap_command, heatmap_command
from app.cli_search import (
    SEARCH_COMMANDS,
    add_search_arguments,
    add_search_commands,
    session_filter,
)
from app.cli_search import print_json as _print_json
from app.core.display import duration, local_time, offset
from app.core.search.errors import FilterError

if TYPE_CHECKING:
    from app.core.cache.queries import EventInfo

DESCRIPTION = """\
Tapeview replays recorded user sessions (rrweb recordings) offline, from a local cache.

Run without a command to open the main window. The cache is a SQLite file in your user data
directory unless --cache or $TAPEVIEW_CACHE names another file or a SQLAlchemy URL."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tapeview", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"tapeview {__version__}")
    parser.add_argument("--cache", metavar="PATH_OR_URL",
                        help="cache file or SQLAlchemy URL (default: $TAPEVIEW_CACHE, else the "
                             "per-user data directory)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    gui = commands.add_parser("gui", help="open the main window (the default)")
    gui.add_argument("files", nargs="*", type=Path, help="recordings to import on start")

    opener = commands.add_parser(
        "open", help="open the window at a session link",
        description="Open the main window at the moment a link points to: "
                    "tapeview://session/SESSION_ID?t=SECONDS (the player's Share menu copies "
                    "one). `tapeview LINK` does the same. If the app already runs on this "
                    "cache, the link opens there.")
    opener.add_argument("links", nargs="+", metavar="LINK")
    commands.add_parser(
        "register-links", help="make tapeview:// links open this app (Linux desktops)",
        description="Write a desktop entry for tapeview:// links to your applications folder "
                    "and make it their default handler (with xdg-mime), so a link clicked in "
                    "a browser, chat or ticket opens the session here. With --cache, links "
                    "open that cache.")

    importer = commands.add_parser(
        "import", help="import rrweb recordings into the cache",
        description="Import rrweb recordings: JSON arrays, JSONL, PostHog and Highlight "
                    "payloads, gzip-compressed or not. Each file is one transaction: a file "
                    "that is not a recording is refused and changes nothing.")
    importer.add_argument("files", nargs="+", type=Path, metavar="FILE")
    importer.add_argument("--project", default=None, help="project to import into "
                          "(default: 'Imported'; created if missing)")
    importer.add_argument("--organization", default=None, help="organization of that project "
                          "(default: 'Local')")
    importer.add_argument("--json", action="store_true", help="print results as JSON")

    exporter = commands.add_parser(
        "export", help="write a session as a plain rrweb event array",
        description="Write a cached session as a plain rrweb event array that rrweb-player "
                    "and PostHog can load (gzip-compressed if FILE ends in .gz).")
    exporter.add_argument("session", metavar="SESSION_ID", help="session id or unique prefix")
    exporter.add_argument("--out", required=True, type=Path, metavar="FILE")

    sessions = commands.add_parser("sessions", help="list cached sessions")
    sessions.add_argument("--json", action="store_true", help="print JSON instead of a table")
    sessions.add_argument("--project", default=None, help="only this project (name or id)")
    sessions.add_argument("--search", default="", help="text to find in id, pages or visitor")
    add_search_arguments(sessions)

    render = commands.add_parser(
        "render", help="draw the replay at one moment to a PNG, without a window",
        description="Draw exactly the frame the player shows SECONDS after the session's "
                    "first event. Without --width/--height the page is drawn at its recorded "
                    "viewport size (scaled down to at most 2048 pixels a side).")
    render.add_argument("session", metavar="SESSION_ID", help="session id or unique prefix")
    render.add_argument("--at", type=float, required=True, metavar="SECONDS")
    render.add_argument("--out", type=Path, required=True, metavar="FRAME.png")
    render.add_argument("--width", type=int, help="image width (the page is scaled to fit)")
    render.add_argument("--height", type=int, help="image height")

    clip = commands.add_parser(
        "clip", help="export part of a replay as an MP4 or GIF clip",
        description="Play a time range of the session and encode it as MP4 (H.264) or GIF, "
                    "by the output file's suffix; handy to attach a reproduction to a ticket.")
    clip.add_argument("session", metavar="SESSION_ID", help="session id or unique prefix")
    clip.add_argument("--from", dest="start", type=float, default=0.0, metavar="SECONDS")
    clip.add_argument("--to", dest="end", type=float, metavar="SECONDS",
                      help="end of the clip (default: the end of the session)")
    clip.add_argument("--fps", type=float, default=10.0, help="frames per second (default 10)")
    clip.add_argument("--out", type=Path, required=True, metavar="CLIP.mp4|CLIP.gif")
    clip.add_argument("--width", type=int, help="frame width (the page is scaled to fit)")
    clip.add_argument("--height", type=int, help="frame height")

    info = commands.add_parser("info", help="show one session")
    info.add_argument("session", metavar="SESSION_ID", help="session id or unique prefix")
    info.add_argument("--json", action="store_true", help="print JSON")

    events = commands.add_parser(
        "events", help="list what happened in a session: pages, clicks, errors, ...",
        description="List a session's events in order, timed from its start: pageviews and "
                    "URL changes, clicks (with the CSS selector and text of what was "
                    "clicked), rage and dead clicks, inputs (values as masked), form "
                    "submits, errors, custom events, identify and network requests. A session "
                    "indexed by an older Tapeview is indexed again first.")
    events.add_argument("session", metavar="SESSION_ID", help="session id or unique prefix")
    events.add_argument("--json", action="store_true", help="print JSON")

    reindex = commands.add_parser(
        "reindex", help="extract cached sessions' events again",
        description="Extract the events of sessions indexed by an older Tapeview again, from "
                    "the recordings already in the cache (no re-import). Safe to interrupt: "
                    "each session is done in one transaction.")
    reindex.add_argument("--all", action="store_true", dest="everything",
                         help="every session, not only those indexed by an older Tapeview")
    reindex.add_argument("--json", action="store_true", help="print the result as JSON")

    add_search_commands(commands)
    add_heatmap_command(commands)
    add_funnel_command(commands)
    add_sync_command(commands)  # `tapeview sync`: defined at the end of this module

    # The reference server (app/server): `serve` and `server ...`, on a database of their own.
    from app.server.cli import add_server_commands

    add_server_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(_links_open_the_window(
        list(sys.argv[1:] if argv is None else argv)))
    if args.command in (None, "gui", "open"):
        from app.ui.application import run_gui

        return run_gui(args.cache, getattr(args, "files", []), getattr(args, "links", []))
    if args.command == "register-links":
        from app.link_handler import register

        print(f"tapeview: {register(args.cache)}")
        return 0
    if hasattr(args, "server_handler"):  # server commands never open the cache
        return args.server_handler(args)
    from app.core.cache.database import Cache, CacheError

    try:
        cache = Cache(args.cache)
    except CacheError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 2
    try:
        return COMMANDS[args.command](cache, args)
    finally:
        cache.close()


def _links_open_the_window(argv: list[str]) -> list[str]:
    """`tapeview tapeview://session/...` (how a desktop opens a clicked link) means `open`."""
    for index, argument in enumerate(argv):
        if argument.startswith("tapeview://"):
            return [*argv[:index], "open", *argv[index:]]
        if not argument.startswith("-") and (index == 0 or argv[index - 1] != "--cache"):
            break  # a command comes first: its own arguments are its business
    return argv


def _import(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.importing import DEFAULT_ORGANIZATION, DEFAULT_PROJECT, import_files

    results = import_files(cache, args.files, args.project or DEFAULT_PROJECT,
                           args.organization or DEFAULT_ORGANIZATION)
    if args.json:
        _print_json([{"file": str(r.path), "status": r.status, "message": r.message,
                      "session_id": r.session_id, "events": r.event_count,
                      "duration_ms": r.duration_ms, "notes": r.notes} for r in results])
    else:
        for result in results:
            stream = sys.stdout if result.ok else sys.stderr
            print(("" if result.ok else "error: ") + result.message, file=stream)
            for note in result.notes:
                print(f"  note: {note}", file=stream)
    return 0 if all(r.ok for r in results) else 1


def _export(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.exporting import ExportError, export_session

    try:
        count = export_session(cache, args.session, args.out)
    except ExportError as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tapeview: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"wrote {count} events to {args.out}")
    return 0


def _sessions(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.cache.queries import SessionQuery, find_project_id, list_sessions

    project_id = None
    if args.project is not None:
        with cache.read_session() as session:
            project_id = find_project_id(session, args.project)
        if project_id is None:
            print(f"tapeview: no project {args.project!r}", file=sys.stderr)
            return 1
    search = session_filter(cache, args)
    if search is None:
        return 2
    try:
        with cache.read_session() as session:
            rows = list_sessions(session, SessionQuery(project_id=project_id,
                                                       text=args.search, filter=search))
    except FilterError as exc:  # an event defined by a name nobody defined
        print(f"tapeview: {exc}", file=sys.stderr)
        return 2
    if args.json:
        _print_json([row.to_json() for row in rows])
        return 0
    print(f"{'ID':12}  {'PROJECT':14}  {'START':19}  {'DURATION':>8}  {'PAGES':>5}  "
          f"{'EVENTS':>6}  VISITOR")
    for row in rows:
        print(f"{row.id[:12]:12}  {row.project[:14]:14}  {local_time(row.start_ms)}  "
              f"{duration(row.duration_ms):>8}  {row.page_count:>5}  "
              f"{row.event_count:>6}  {row.visitor_name or row.visitor or ''}")
    print(f"{len(rows)} session(s)")
    return 0


def _info(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.cache.queries import find_session

    with cache.read_session() as session:
        info = find_session(session, args.session)
    if info is None:
        print(f"tapeview: no session with id {args.session!r} (or the prefix is ambiguous)",
              file=sys.stderr)
        return 1
    if args.json:
        _print_json(info.to_json())
        return 0
    viewport = f"{info.viewport_width} x {info.viewport_height}" if info.viewport_width else "—"
    fields = [
        ("Session", info.id), ("Project", f"{info.organization} / {info.project}"),
        ("Start", local_time(info.start_ms)),
        ("Duration", f"{duration(info.duration_ms)} "
                     f"(active {duration(info.active_ms)})"),
        ("Visitor", info.visitor_name or info.visitor or "—"),
        ("Device", f"{info.device_type or 'unknown'}, viewport {viewport}"),
        ("Events", f"{info.event_count} ({info.click_count} clicks, {info.input_count} inputs, "
                   f"{info.error_count} errors)"),
        ("Landing page", info.landing_page or "—"), ("Exit page", info.exit_page or "—"),
        ("Source", info.source),
        ("Stored", f"{info.stored_size:,} bytes (from {info.raw_size:,})"),
    ]
    for label, value in fields:
        print(f"{label + ':':14}{value}")
    for number, page in enumerate(info.pages, 1):
        print(f"{'Pages:' if number == 1 else '':14}{number}. {page}")
    return 0


def _events(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.cache.queries import find_session, list_events
    from app.core.cache.reindex import ensure_current_events

    with cache.read_session() as session:
        info = find_session(session, args.session)
    if info is None:
        print(f"tapeview: no session with id {args.session!r} (or the prefix is ambiguous)",
              file=sys.stderr)
        return 1
    ensure_current_events(cache, info.id)
    with cache.read_session() as session:
        rows = list_events(session, info.id)
    if args.json:
        _print_json([row.to_json() for row in rows])
        return 0
    print(f"{'TIME':>8}  {'KIND':11}  {'NAME':24}  {'SELECTOR':36}  {'TEXT':24}  URL")
    for row in rows:
        # A long selector keeps its end: the element itself.
        selector = _cut((row.selector or "")[::-1], 36)[::-1]
        print(f"{offset(row.offset_ms):>8}  {row.kind:11}  {_cut(row.name, 24):24}  "
              f"{selector:36}  {_cut(_event_text(row), 24):24}  {row.url or ''}")
    print(f"{len(rows)} event(s)")
    return 0


def _event_text(row: EventInfo) -> str | None:
    """The TEXT column: what was clicked or typed, or what a derived event adds."""
    properties = row.properties or {}
    if row.kind == "network":
        parts = [properties.get("method"), properties.get("status"),
                 f"{properties['duration_ms']} ms" if properties.get("duration_ms") is not None
                 else None]
        return " ".join(str(part) for part in parts if part is not None)
    if row.kind == "rage_click":
        return f"{properties.get('count')} clicks" + (f": {row.text}" if row.text else "")
    return row.text


def _cut(text: str | None, width: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[:width - 1] + "…"


def _reindex(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.core.cache.reindex import reindex

    clear_line = "\r\033[K" if sys.stderr.isatty() else ""

    def progress(done: int, total: int, _message: str) -> None:
        if clear_line:
            sys.stderr.write(f"{clear_line}indexing events: {done}/{total} sessions")
            sys.stderr.flush()

    try:
        report = reindex(cache, everything=args.everything, progress=progress)
    except KeyboardInterrupt:
        print(f"{clear_line}tapeview: reindex interrupted; sessions finished are kept, the "
              "next reindex does the rest", file=sys.stderr)
        return 130
    sys.stderr.write(clear_line)
    if args.json:
        _print_json(report.to_json())
    else:
        print(f"indexed the events of {report.sessions} session(s): {report.events} events "
              f"in {report.seconds:.1f} s")
    return 0


def _render(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.ui import render_commands

    return render_commands.run_command(lambda: render_commands.render_frame(
        cache, args.session, args.at, args.out, args.width, args.height))


def _clip(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from app.ui import render_commands

    return render_commands.run_command(lambda: render_commands.render_clip(
        cache, args.session, args.start, args.end, args.out, args.fps, args.width,
        args.height))



COMMANDS = {"import": _import, "export": _export, "sessions": _sessions, "info": _info,
            "events": _events, "reindex": _reindex, "render": _render, "clip": _clip,
            **SEARCH_COMMANDS}


# -- `tapeview sync`: sessions from a Tapeview server into the cache (app/core/sync) -----------

def add_sync_command(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser(
        "sync", help="sync sessions from a Tapeview server into the cache",
        description="Download what changed on the server since the last sync (new sessions, "
                    "live sessions that grew, deletions), masked again with the privacy "
                    "policy before it is written. Safe to interrupt: the next run goes on "
                    "where this one stopped.")
    sync.add_argument("--server", required=True, metavar="URL",
                      help="the server, e.g. https://tapeview.example.com")
    sync.add_argument("--token", default=None, help="a member's API token (tvt_...); default "
                      "$TAPEVIEW_TOKEN, which keeps it out of the shell history")
    sync.add_argument("--project", action="append", metavar="ID", dest="projects",
                      help="only this project (server id or name); repeatable; default: all "
                           "projects the token may see")
    sync.add_argument("--concurrency", type=int, default=4, metavar="N",
                      help="parallel downloads (default 4)")
    sync.add_argument("--retries", type=int, default=4, metavar="N",
                      help="retries of a failed request, with growing waits (default 4)")
    sync.add_argument("--json", action="store_true", help="print the report as JSON")


def _sync(cache, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    import os

    from app.core.sync import SyncError, sync

    token = args.token or os.environ.get("TAPEVIEW_TOKEN")
    if not token:
        print("tapeview: give the server's API token with --token or $TAPEVIEW_TOKEN",
              file=sys.stderr)
        return 2

    # One status line, rewritten in place, on a terminal only.
    clear_line = "\r\033[K" if sys.stderr.isatty() else ""

    def progress(_done: int, _total: int, message: str) -> None:
        if clear_line:
            sys.stderr.write(clear_line + message)
            sys.stderr.flush()

    try:
        report = sync(cache, args.server, token, args.projects, progress,
                      concurrency=max(1, args.concurrency), retries=max(0, args.retries))
    except SyncError as exc:
        kept = exc.report.sessions_written if exc.report else 0
        print(f"{clear_line}tapeview: {exc}"
              + (f" ({kept} session(s) synced before that are kept)" if kept else ""),
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{clear_line}tapeview: sync interrupted; what was synced is kept, and the next "
              "sync goes on from there", file=sys.stderr)
        return 130
    sys.stderr.write(clear_line)
    if args.json:
        _print_json(report.to_json())
    else:
        print(report.summary())
        for problem in report.problems:
            print(f"  skipped: {problem}")
    return 0


COMMANDS["sync"] = _sync
COMMANDS["heatmap"] = heatmap_command
COMMANDS["funnel"] = funnel_command
