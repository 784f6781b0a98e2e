"""`tapeview render` and `tapeview clip`: replay frames to files, without opening a window."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from app.core.cache.assets import Asset, load_asset
from app.core.cache.database import Cache
from app.core.cache.queries import SessionInfo, find_session, load_replay_chunks
from app.core.replay.session import ReplaySession


class CommandError(RuntimeError):
    pass


def run_command(work: Callable[[], str], *expected: type[Exception]) -> int:
    """Run a drawing command: print what it wrote, or the reason it could not (exit 1) for
    the errors it explains to people (`expected` adds a command's own)."""
    from app.ui.player.headless import RenderError

    try:
        print(work())
    except (CommandError, RenderError, *expected) as exc:
        print(f"tapeview: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"tapeview: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


def headless_app() -> object:
    # No window may open: draw offscreen unless a Qt application already runs (tests).
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication(sys.argv[:1])


def open_replay(cache: Cache, session_id: str) -> tuple[SessionInfo, ReplaySession]:
    with cache.read_session() as session:
        info = find_session(session, session_id)
        if info is None:
            raise CommandError(f"no session with id {session_id!r} (or the prefix is ambiguous)")
        chunks, windows = load_replay_chunks(session, info.id)
    replay = ReplaySession(info.id, chunks, windows)
    replay.build_checkpoints()
    return info, replay


def _store_reader(cache: Cache) -> Callable[[str, Callable[[Asset | None], None]], None]:
    """Asset lookups for a command: it has no interface to keep responsive, so it reads
    the store directly."""
    return lambda url, deliver: deliver(load_asset(cache, url))


def _offset(replay: ReplaySession, seconds: float, what: str) -> int:
    offset = round(seconds * 1000)
    if not 0 <= offset <= replay.duration_ms:
        raise CommandError(f"{what} {seconds:g} s is outside the session "
                           f"(0 to {replay.duration_ms / 1000:g} s)")
    return offset


def render_frame(cache: Cache, session_id: str, at_s: float, out: Path,
                 width: int | None, height: int | None) -> str:
    headless_app()
    from app.ui.player.headless import HeadlessReplay

    _info, replay = open_replay(cache, session_id)
    offset = _offset(replay, at_s, "--at")
    renderer = HeadlessReplay(replay, width, height, _store_reader(cache))
    try:
        renderer.seek(offset)
        image = renderer.grab()
    finally:
        renderer.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise CommandError(f"cannot write {out}")
    return f"wrote {out} ({image.width()}x{image.height()}, {offset / 1000:g} s into the session)"


def render_clip(cache: Cache, session_id: str, start_s: float, end_s: float | None, out: Path,
                fps: float, width: int | None, height: int | None) -> str:
    headless_app()
    from app.ui.player.headless import HeadlessReplay, write_clip

    _info, replay = open_replay(cache, session_id)
    start = _offset(replay, start_s, "--from")
    end = replay.duration_ms if end_s is None else _offset(replay, end_s, "--to")
    if end <= start:
        raise CommandError("--to must come after --from")
    if not 0 < fps <= 60:
        raise CommandError("--fps must be between 0 and 60")
    out.parent.mkdir(parents=True, exist_ok=True)
    renderer = HeadlessReplay(replay, width, height, _store_reader(cache))
    partial = out.with_name(f".{out.name}.partial{out.suffix}")
    try:
        count = write_clip(renderer.frames(start, end, fps), partial, fps)
        partial.replace(out)
    finally:
        renderer.close()
        partial.unlink(missing_ok=True)
    return f"wrote {out} ({count} frames, {(end - start) / 1000:g} s at {fps:g} fps)"
