"""Saved filters: the JSON a segment keeps, and segments saved, listed, renamed, updated and
deleted in a real cache, surviving a reopen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.core.cache.database import Cache
from app.core.cache.queries import SessionQuery, count_sessions
from app.core.search.conditions import (
    HAS_ERRORS,
    AttributeIs,
    DefinedEvent,
    DurationBetween,
    EventRule,
    PerformedEvent,
    SessionFilter,
    StartedBetween,
    VisitedUrl,
    VisitorMatches,
)
from app.core.search.errors import FilterError
from app.core.search.filter_json import filter_from_json, filter_to_json
from app.core.search.segments import (
    SegmentError,
    create_segment,
    delete_segment,
    find_segment,
    list_segments,
    rename_segment,
    update_segment,
)

EVERY_KIND = SessionFilter((
    StartedBetween(1_000, 2_000), StartedBetween(after_ms=5), DurationBetween(max_ms=60_000),
    VisitedUrl("simple", "/checkout"), VisitedUrl("exact", "https://a.example/?q=1"),
    VisitedUrl("substring", "pay"), HAS_ERRORS,
    PerformedEvent(EventRule("custom", name="signup")), PerformedEvent(EventRule("custom")),
    PerformedEvent(DefinedEvent("Bought")), AttributeIs("device", ("mobile", "tablet")),
    AttributeIs("country", ("CZ",)), VisitorMatches("maria"),
))


def test_every_condition_survives_json() -> None:
    data = filter_to_json(EVERY_KIND)
    assert filter_from_json(json.loads(json.dumps(data))) == EVERY_KIND
    assert data["version"] == 1
    assert data["conditions"][0] == {"type": "started", "after_ms": 1_000, "before_ms": 2_000}
    assert data["conditions"][7] == {"type": "event", "kind": "custom", "name": "signup"}
    assert data["conditions"][8] == {"type": "event", "kind": "custom"}
    assert data["conditions"][9] == {"type": "defined_event", "name": "Bought"}
    assert filter_from_json(filter_to_json(SessionFilter())) == SessionFilter()


@pytest.mark.parametrize(("data", "message"), [
    ([], "not a saved filter"),
    ({"version": 1}, "not a saved filter"),
    ({"version": 2, "conditions": []}, "version 2; this Tapeview reads version 1"),
    ({"version": 1, "conditions": ["url"]}, "'url' is not a condition"),
    ({"version": 1, "conditions": [{"type": "colour"}]}, "is not a condition; conditions"),
    ({"version": 1, "conditions": [{"type": "duration", "min_ms": "60"}]},
     "duration condition's min_ms is '60'"),
    ({"version": 1, "conditions": [{"type": "duration", "min_ms": True}]},
     "duration condition's min_ms is True"),
    ({"version": 1, "conditions": [{"type": "attribute", "attribute": "os", "values": "iOS"}]},
     "attribute condition's values is 'iOS'"),
    ({"version": 1, "conditions": [{"type": "url", "url": "/a"}]}, "lacks a field"),
    ({"version": 1, "conditions": [{"type": "url", "rule": "simple", "url": "/a", "x": 1}]},
     "a url condition has no 'x'"),
    ({"version": 1, "conditions": [{"type": "url", "rule": "fuzzy", "url": "/a"}]},
     "unknown URL rule 'fuzzy'"),
    ({"version": 1, "conditions": [{"type": "started"}]}, "needs a start, an end or both"),
    ({"version": 1, "conditions": [{"type": "event", "kind": "tap"}]}, "unknown event kind"),
    ({"version": 1, "conditions": [{"type": "event", "kind": "error", "name": "Boom"}]},
     "only a custom event is chosen by its name"),
])
def test_a_damaged_saved_filter_is_refused_with_what_is_wrong(data: object,
                                                              message: str) -> None:
    with pytest.raises(FilterError, match=message):
        filter_from_json(data)


def test_segments_round_trip_through_the_cache(cache_path: Path) -> None:
    mobile = SessionFilter((AttributeIs("device", ("mobile",)), HAS_ERRORS))
    cache = Cache(cache_path)
    try:
        with cache.session() as session:
            made = create_segment(session, "  Broken   on mobile ", mobile)
            create_segment(session, "all of it", EVERY_KIND)
            create_segment(session, "Checkout", SessionFilter((VisitedUrl("simple", "/c"),)))
        assert made.name == "Broken on mobile" and made.filter == mobile
        assert made.created_ms == made.updated_ms > 0
    finally:
        cache.close()

    cache = Cache(cache_path)
    try:
        with cache.session() as session:
            assert [s.name for s in list_segments(session)] \
                == ["all of it", "Broken on mobile", "Checkout"]
            assert find_segment(session, "broken ON mobile") == made
            assert find_segment(session, made.id) == made
            assert find_segment(session, "nothing") is None
            assert find_segment(session, "all of it").filter == EVERY_KIND  # type: ignore[union-attr]

            renamed = rename_segment(session, made.id, "Mobile errors")
            assert (renamed.id, renamed.filter) == (made.id, mobile)
            longer = mobile.adding(DurationBetween(min_ms=60_000))
            updated = update_segment(session, "mobile errors", longer)
            assert (updated.name, updated.filter) == ("Mobile errors", longer)
            assert updated.updated_ms >= updated.created_ms
            delete_segment(session, "Checkout")
        with cache.read_session() as session:
            assert [(s.name, s.filter) for s in list_segments(session)] \
                == [("all of it", EVERY_KIND), ("Mobile errors", longer)]
            # a segment's filter is what the session list runs
            query = SessionQuery(filter=find_segment(session, "mobile errors").filter)  # type: ignore[union-attr]
            assert count_sessions(session, query) == 0
    finally:
        cache.close()


def test_segment_names_are_unique_ignoring_case_and_never_empty(cache: Cache) -> None:
    with cache.session() as session:
        first = create_segment(session, "Checkout", SessionFilter())
        create_segment(session, "Pricing", SessionFilter())
        with pytest.raises(SegmentError, match="already a segment named 'Checkout'"):
            create_segment(session, "CHECKOUT", SessionFilter())
        with pytest.raises(SegmentError, match="already a segment named 'Pricing'"):
            rename_segment(session, first.id, "pricing")
        assert rename_segment(session, first.id, "checkout").name == "checkout"
        with pytest.raises(SegmentError, match="needs a name"):
            create_segment(session, " \t", SessionFilter())
        with pytest.raises(SegmentError, match="at most 200 characters"):
            create_segment(session, "x" * 201, SessionFilter())
        for missing in ("Gone", 999):
            with pytest.raises(SegmentError, match=f"no segment {missing!r}"):
                delete_segment(session, missing)


def test_a_filter_grows_and_shrinks_by_condition() -> None:
    mobile = AttributeIs("device", ("mobile",))
    search = SessionFilter().adding(mobile).adding(HAS_ERRORS)
    assert search.conditions == (mobile, HAS_ERRORS) and search
    assert search.removing(mobile) == SessionFilter((HAS_ERRORS,))
    assert not SessionFilter()
