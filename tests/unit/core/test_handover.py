"""Session links and steps to reproduce, from an events index as the cache returns it."""

from __future__ import annotations

import pytest

from app.core.cache.queries import EventInfo
from app.core.handover import (
    MAX_STEPS,
    LinkError,
    SessionLink,
    parse_session_link,
    steps_to_reproduce,
)
from app.core.notes import NoteInfo


def event(offset_ms: int, kind: str, name: str | None = None, *, selector: str | None = None,
          text: str | None = None, url: str | None = "https://shop.test/",
          properties: dict | None = None) -> EventInfo:
    return EventInfo(offset_ms, 1_700_000_000_000 + offset_ms, kind, name, selector, text, url,
                     None, None, None, 0, properties)


def test_links_round_trip_and_read_what_people_paste() -> None:
    link = SessionLink("3eacb077c0de", 12_500)
    assert str(link) == "tapeview://session/3eacb077c0de?t=12.5"
    assert parse_session_link(str(link)) == link
    assert parse_session_link("tapeview://session/3eacb077/") == SessionLink("3eacb077", 0)
    assert parse_session_link(" tapeview://session/3eacb077?t=90 ").offset_ms == 90_000
    assert str(SessionLink("abcd", 90_000)).endswith("?t=90")


@pytest.mark.parametrize("text, says", [
    ("https://session/3eacb077?t=1", "not a session link"),
    ("tapeview://sessions/3eacb077", "not a session link"),
    ("tapeview://session/", "not a session link"),
    ("tapeview://session/a b?t=1", "not a session link"),
    ("tapeview://session/3eacb077?t=soon", "t must be a number"),
    ("tapeview://session/3eacb077?t=-4", "from the session's start"),
])
def test_bad_links_are_refused_with_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(LinkError, match=says):
        parse_session_link(text)


def test_steps_read_like_a_bug_ticket_up_to_the_moment() -> None:
    events = [
        event(0, "pageview", "https://shop.test/", url="https://shop.test/"),
        event(2_000, "click", selector="#nav > a.cart", text="Cart"),
        event(3_000, "pageview", "https://shop.test/cart", url="https://shop.test/cart"),
        event(5_000, "input", selector="#email", text="*****@*******"),
        event(6_000, "click", selector="button.pay", text="Pay now"),
        event(6_200, "click", selector="button.pay", text="Pay now"),
        event(6_400, "rage_click", selector="button.pay", text="Pay now",
              properties={"count": 4}),
        event(7_000, "network", "https://shop.test/api/pay",
              properties={"method": "POST", "status": 502}),
        event(7_100, "network", "https://shop.test/api/ok", properties={"status": 200}),
        event(7_200, "error", "TypeError: order is undefined"),
        event(9_000, "submit", selector="form#checkout"),
        event(20_000, "click", selector="#later", text="After the moment"),
    ]
    text = steps_to_reproduce("3eacb077c0de", events, 9_000, "**Steps to reproduce**")
    assert text.splitlines() == [
        "**Steps to reproduce**",
        "",
        "1. Open https://shop.test/ (0:00)",
        "2. Click “Cart” (`#nav > a.cart`) (0:02)",
        "3. Go to https://shop.test/cart (0:03)",
        "4. Type “*****@*******” into `#email` (0:05)",
        "5. Click “Pay now” (`button.pay`) (0:06)",
        "6. Click “Pay now” (`button.pay`) repeatedly (4 times: a rage click) (0:06)",
        "7. Request failed: POST https://shop.test/api/pay → 502 (0:07)",
        "8. Error: TypeError: order is undefined (0:07)",
        "9. Submit the form `form#checkout` (0:09)",
        "",
        "Replay at this moment: tapeview://session/3eacb077c0de?t=9",
    ]


def test_long_sessions_keep_the_last_steps_and_say_so() -> None:
    events = [event(i * 1000, "click", selector=f"#b{i}") for i in range(MAX_STEPS + 5)]
    lines = steps_to_reproduce("abcd", events, 10 ** 9, "Steps").splitlines()
    assert lines[2] == "(the first 5 steps are left out)"
    assert lines[3].startswith("1. Click `#b5`")
    assert sum(line[:1].isdigit() for line in lines) == MAX_STEPS


def test_a_moment_before_anything_happened_says_so() -> None:
    text = steps_to_reproduce("abcd", [event(5_000, "click", selector="#x")], 1_000, "Steps")
    assert "Nothing happened in the session before this moment." in text


def test_notes_up_to_the_moment_are_steps_after_what_happened_then() -> None:
    events = [event(0, "pageview", "https://shop.test/", url="https://shop.test/"),
              event(6_000, "click", selector="button.pay", text="Pay now")]
    notes = [NoteInfo(1, "abcd", 6_000, "Nothing happens:\n the spinner never stops", 0, 0),
             NoteInfo(2, "abcd", 2_000, "Banner covers the menu", 0, 0),
             NoteInfo(3, "abcd", 9_500, "After the moment", 0, 0)]
    lines = steps_to_reproduce("abcd", events, 9_000, "Steps", notes).splitlines()
    assert lines[2:6] == ["1. Open https://shop.test/ (0:00)",
                          "2. Note: Banner covers the menu (0:02)",
                          "3. Click “Pay now” (`button.pay`) (0:06)",
                          "4. Note: Nothing happens: the spinner never stops (0:06)"]
    assert "After the moment" not in "\n".join(lines)
