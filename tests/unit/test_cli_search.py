"""Search from the shell: filters, segments and defined events, as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.cache.database import Cache
from app.core.demo import load_demo_sessions
from tests.support.cli import run


@pytest.fixture
def demo(cache_path: Path) -> str:
    cache = Cache(cache_path)
    load_demo_sessions(cache, 12)
    cache.close()
    return str(cache_path)


def ids(capsys: pytest.CaptureFixture[str], cache: str, *filters: str) -> set[str]:
    code, out, err = run(capsys, "--cache", cache, "sessions", "--json", *filters)
    assert code == 0, err
    return {row["id"] for row in json.loads(out)}


def test_filters_segments_and_defined_events_from_the_shell(
        demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    every = ids(capsys, demo)
    mobile = ids(capsys, demo, "--filter", "device=mobile")
    assert 0 < len(mobile) < len(every)
    assert ids(capsys, demo, "--project", "Demo shop") == every
    assert ids(capsys, demo, "--project", "1") == every

    code, out, _ = run(capsys, "--cache", demo, "define-event", "Cart page", "--url", "/cart")
    assert code == 0 and "Defined 'Cart page' (pageview of /cart (simple)): found" in out
    cart = ids(capsys, demo, "--filter", "event=defined:Cart page")
    assert 0 < len(cart) < len(every)

    both = ids(capsys, demo, "--filter", "event=defined:Cart page", "--filter", "device=mobile",
               "--save-segment", "Mobile cart")
    assert both == cart & mobile
    assert ids(capsys, demo, "--segment", "MOBILE CART") == both  # names ignore case
    code, out, _ = run(capsys, "--cache", demo, "segments", "--json")
    assert json.loads(out) == [{"id": 1, "name": "Mobile cart", "filters": [
        "event=defined:Cart page", "device=mobile"]}]

    code, out, _ = run(capsys, "--cache", demo, "defined-events", "--json")
    listed = json.loads(out)
    assert [(d["name"], d["sessions"]) for d in listed] == [("Cart page", len(cart))]
    assert run(capsys, "--cache", demo, "defined-events", "--delete", "Cart page")[0] == 0
    code, _, err = run(capsys, "--cache", demo, "sessions", "--segment", "Mobile cart")
    assert code == 2 and "no event is defined as 'Cart page'" in err
    assert run(capsys, "--cache", demo, "segments", "--delete", "Mobile cart")[0] == 0
    assert json.loads(run(capsys, "--cache", demo, "segments", "--json")[1]) == []


@pytest.mark.parametrize("args, says", [
    (("sessions", "--filter", "durationn>3"), 'unknown filter "durationn"'),
    (("sessions", "--segment", "Nope"), "no segment is named 'Nope'"),
    (("sessions", "--project", "Nope"), "no project 'Nope'"),
    (("define-event", "Nothing"), "needs a CSS selector, a text or a URL"),
    (("define-event", "Hover", "--selector", "a:hover"), "cannot be used"),
])
def test_bad_search_input_is_refused_clearly(demo: str, capsys: pytest.CaptureFixture[str],
                                             args: tuple[str, ...], says: str) -> None:
    code, _, err = run(capsys, "--cache", demo, *args)
    assert code in (1, 2) and says in err


def test_sessions_help_shows_the_filter_grammar() -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "app", "sessions", "--help"],
                            capture_output=True, text=True, check=True)
    assert "event=defined:NAME" in result.stdout and "--save-segment" in result.stdout
