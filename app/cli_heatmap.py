"""`tapeview heatmap`: a click, move or scroll map of one page, over the page, to a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.core.cache.database import Cache
from app.core.heatmaps.collect import KINDS, HeatmapQuery, collect_points
from app.core.heatmaps.grid import DEFAULT_BIN_PX, DEFAULT_SIGMA_PX, write_bins_csv
from app.core.heatmaps.layers import build_heatmap
from app.core.heatmaps.placement import layouts_needed
from app.core.heatmaps.store import update_points
from app.core.search.conditions import DEVICE_TYPES
from app.core.search.errors import FilterError

DESCRIPTION = f"""\
Draw where visitors clicked, moved the mouse or how far they scrolled on one page, from every
cached session that showed it, over the page itself.

The page is chosen by --url and --match, ignoring case: simple (the default) compares host
(without "www.") and path, ignoring scheme, query string and fragment ("/path" alone: that path
on any host); exact compares the whole URL; substring finds the text anywhere in the URL.
--device keeps the visits at viewport widths of that class (mobile under 768 px, tablet under
1024 px, desktop from 1024).

The background is the whole scrollable page, rebuilt from the first full snapshot of it in the
matching sessions (--session picks another session's), at that session's viewport width. A
page taller than 2048 px is drawn in tiles; one wider than that (a viewport over 2048 px) is
drawn scaled down, then scaled up again. The PNG is always in page pixels, like the CSV.

A click whose target element is found on the background is moved onto it, by its offset within
the element as laid out at the width it was made at, so clicks made on a scrolled page or at
another viewport width land on the right element; other clicks, and mouse moves, keep their
position on the page.

Clicks or moves are counted in {DEFAULT_BIN_PX} px bins, smoothed with a Gaussian
({DEFAULT_SIGMA_PX:g} px) and coloured from blue (few) to red (the densest spot). A scroll map
darkens the page by the share of sessions that did not scroll that far, with a line and label
where that share first falls below 75, 50 and 25 %. --csv writes the bins holding points as
x,y,count (bin centre in page px, raw count); a scroll map has no such bins."""


def add_heatmap_command(commands: argparse._SubParsersAction) -> None:
    heatmap = commands.add_parser(
        "heatmap", help="draw a click, move or scroll map of a page to a PNG (and CSV)",
        description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    heatmap.add_argument("--url", required=True, metavar="RULE",
                         help="the page: a URL, a path, or text in the URL (see --match)")
    heatmap.add_argument("--match", choices=("simple", "exact", "substring"), default="simple",
                         help="how --url is compared with pages (default: simple)")
    heatmap.add_argument("--device", choices=DEVICE_TYPES,
                         help="only visits at viewports of this class (default: any)")
    heatmap.add_argument("--kind", choices=KINDS, default="click",
                         help="what to map (default: click)")
    heatmap.add_argument("--session", metavar="SESSION_ID",
                         help="draw the page from this session's snapshot (id or unique "
                              "prefix) instead of the first matching session's")
    heatmap.add_argument("--out", required=True, type=Path, metavar="FILE.png",
                         help="the image to write")
    heatmap.add_argument("--csv", type=Path, metavar="FILE.csv",
                         help="also write the bins as x,y,count (click and move maps)")


def heatmap_command(cache: Cache, args: argparse.Namespace) -> int:
    from app.ui.render_commands import run_command

    return run_command(lambda: _heatmap(cache, args), FilterError)


def _heatmap(cache: Cache, args: argparse.Namespace) -> str:
    from app.ui.render_commands import CommandError, headless_app

    if args.csv is not None and args.kind == "scroll":
        raise CommandError("--csv writes the bins of a click or move map; a scroll map has "
                           "none")
    query = HeatmapQuery(args.url, rule=args.match, device=args.device)
    update_points(cache)  # sessions cached before heatmaps existed count too
    with cache.read_session() as session:
        points = collect_points(session, query, kinds=(args.kind,))
    if not points.session_count:
        device = f" at {args.device} size" if args.device else ""
        raise CommandError(f"no cached session showed a page matching {args.url!r} "
                           f"({args.match}){device}")
    headless_app()
    from app.ui.heatmaps import png as heatmap_png
    from app.ui.heatmaps.background import render_background

    page = render_background(cache, [args.session] if args.session else points.session_ids,
                             args.url, args.match,
                             layouts_needed(points.clicks) if args.kind == "click" else {})
    heatmap = build_heatmap(points, args.kind, page.width, page.height, page.measured,
                            page.boxes)
    image = heatmap_png.draw(heatmap_png.page_rgb(page.image, page.width, page.height),
                             heatmap)
    if args.csv is not None and heatmap.grid is not None:
        args.csv.parent.mkdir(parents=True, exist_ok=True)
        with args.csv.open("w", encoding="utf-8", newline="") as out:
            write_bins_csv(heatmap.grid, out)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(args.out)):
        raise CommandError(f"cannot write {args.out}")
    return (f"wrote {args.out} ({page.width}x{page.height} px page from session "
            f"{page.session_id}; {heatmap.summary()})")
