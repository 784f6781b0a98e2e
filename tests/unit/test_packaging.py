"""The wheel must hold every package and the player's files (they are listed explicitly)."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(path.parent.relative_to(ROOT).parts)
             for path in (ROOT / "app").rglob("__init__.py")}
    assert found | {"app.resources"} == set(config["packages"])


def test_player_resources_ship_inside_the_package() -> None:
    player = files("app.resources").joinpath("player")
    for name in ("player.html", "player.css", "player.js", "replayer.js"):
        assert player.joinpath(name).is_file(), name
