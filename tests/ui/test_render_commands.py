"""`tapeview render` and `tapeview clip` as a user runs them: real cache, real engine."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PySide6.QtGui import QImage
from pytestqt.qtbot import QtBot

from app.cli import main
from app.ui.player.headless import image_to_rgb


@pytest.fixture
def demo_cache(cache_path: Path, rrweb_fixtures: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["--cache", str(cache_path), "import",
                 str(rrweb_fixtures / "rrweb-io__rrweb" / "events.json")]) == 0
    capsys.readouterr()
    return cache_path


def session_id(cache_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    main(["--cache", str(cache_path), "sessions"])
    return capsys.readouterr().out.splitlines()[1].split()[0]


def test_render_draws_the_recorded_page_at_its_size(qtbot: QtBot, demo_cache: Path,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "frame.png"
    code = main(["--cache", str(demo_cache), "render", session_id(demo_cache, capsys),
                 "--at", "40", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1166, 705)  # the recorded viewport
    pixels = image_to_rgb(image)
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # a real page, not a blank


def test_render_outside_the_session_says_so(qtbot: QtBot, demo_cache: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--cache", str(demo_cache), "render", session_id(demo_cache, capsys),
                 "--at", "500", "--out", str(tmp_path / "x.png")])
    assert code == 1
    assert "--at 500 s is outside the session (0 to 81.08 s)" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_clip_encodes_the_range(qtbot: QtBot, demo_cache: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    out = tmp_path / f"repro{suffix}"
    code = main(["--cache", str(demo_cache), "clip", session_id(demo_cache, capsys),
                 "--from", "10", "--to", "12", "--fps", "5", "--width", "320", "--height", "200",
                 "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 11  # 10.0, 10.2, ... 12.0 s
    assert (frames[0].width, frames[0].height) == (320, 200)
    assert not list(tmp_path.glob(".*partial*"))
