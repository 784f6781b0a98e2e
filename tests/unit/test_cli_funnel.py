"""`tapeview funnel` on the constructed event set of tests/unit/core/test_funnels.py."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.core.cache.database import Cache
from tests.support.cli import run
from tests.unit.core.test_funnels import SESSIONS, add_sessions

STEPS = ["--step", "pageview:/a", "--step", "event:b", "--step", "click-text:GO"]


@pytest.fixture
def shop(cache_path: Path) -> str:
    cache = Cache(cache_path)
    with cache.session() as session:
        add_sessions(session, SESSIONS)
    cache.close()
    return str(cache_path)


def test_counts_table_json_and_csv(shop: str, capsys: pytest.CaptureFixture[str],
                                   tmp_path: Path) -> None:
    code, out, _ = run(capsys, "--cache", shop, "funnel", *STEPS, "--window", "60s")
    assert code == 0
    assert "3. Click “GO”" in out and "8 visitors entered within 1m windows; 3 converted " \
        "(37.5%); median time to convert 0:20" in out
    for project in ("Shop", "1"):  # by name or id: the only project
        code, out, _ = run(capsys, "--cache", shop, "funnel", *STEPS, "--window", "60s",
                           "--project", project, "--json")
        assert [step["actors"] for step in json.loads(out)["steps"]] == [8, 6, 3]
    code, out, _ = run(capsys, "--cache", shop, "funnel", *STEPS, "--window", "1m",
                       "--by", "session", "--breakdown", "device", "--json",
                       "--csv", str(tmp_path / "f.csv"))
    data = json.loads(out)
    assert [step["actors"] for step in data["steps"]] == [8, 5, 2]
    assert data["breakdown"]["by"] == "device"
    with (tmp_path / "f.csv").open(encoding="utf-8") as saved:
        assert [row["actors"] for row in csv.DictReader(saved)] == ["8", "5", "2"]


def test_saved_funnels_and_the_actors_behind_a_bar(shop: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--cache", shop, "funnel", *STEPS, "--window", "1m",
                       "--filter", "device=desktop", "--save", "Desk")
    assert code == 0 and "saved funnel 'Desk'" in err
    code, out, _ = run(capsys, "--cache", shop, "funnel", "--funnel", "desk", "--json")
    assert [step["actors"] for step in json.loads(out)["steps"]] == [4, 3, 1]
    code, out, _ = run(capsys, "--cache", shop, "funnel", *STEPS, "--window", "1m",
                       "--dropped", "2", "--json")
    assert [(row["visitor"], row["session_id"], row["offset_ms"]) for row in json.loads(out)] \
        == [("V3", "s3", 150_000), ("V6", "s6", 10_000), ("V7", "s7", 10_000)]
    code, out, _ = run(capsys, "--cache", shop, "funnel", *STEPS, "--reached", "3")  # 1 day
    assert code == 0 and "4 actor(s)" in out  # V4 too


@pytest.mark.parametrize(("args", "message"), [
    (["--step", "pageview:/a"], "2 to 10 steps, not 1"),
    ([*STEPS, "--window", "soon"], "bad window 'soon'"),
    (["--step", "pageview:/a", "--step", "tap:x"], 'bad step "tap:x"'),
    (["--step", "pageview:/a", "--step", "defined:Nope"], "no event is defined as 'Nope'"),
    (["--funnel", "Nope"], "no funnel is saved as 'Nope'"),
    ([*STEPS, "--filter", "device=fridge"], "unknown device type"),
    ([*STEPS, "--after", "yesterday"], "not a date"),
    ([*STEPS, "--project", "Nope"], "no project 'Nope'"),
])
def test_bad_input_is_named(shop: str, capsys: pytest.CaptureFixture[str], args: list[str],
                            message: str) -> None:
    code, out, err = run(capsys, "--cache", shop, "funnel", *args)
    assert code == 2 and message in err and not out
