"""Page keys, the text URL filters match: their format, untrusted URLs, and sessions cached
before schema 0007 getting theirs."""

from __future__ import annotations

import itertools
import json
import sqlite3
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from app.core.cache.database import Cache, _alembic_config
from app.core.cache.queries import SessionQuery, list_sessions
from app.core.search.conditions import SessionFilter, VisitedUrl
from app.core.search.urls import like_pattern, page_keys, url_matches

PAGES = ("https://shop.example/", "https://shop.example/checkout?step=1",
         "https://www.Shop.example/Checkout/#pay", "http://shop.example:8080/checkout",
         "https://blog.example/checkout-tips", "https://shop.example/sale?off=50%_now",
         "about:blank", "http://[::1/broken")
URLS = ("/", "/checkout", "/CHECKOUT/", "shop.example/checkout", "https://shop.example",
        "http://www.shop.example/checkout?x#y", "shop.example:8080/checkout",
        "https://shop.example/checkout?step=1", "checkout", "50%_", "about:blank", "_")


def test_each_page_is_one_fenced_line_of_url_host_and_path() -> None:
    assert page_keys(["https://www.Shop.example/Cart/?a=1#b", "http://localhost:3000"]) == (
        "\nhttps://www.shop.example/cart/?a=1#b\tshop.example\t/cart"
        "\nhttp://localhost:3000\tlocalhost:3000\t\n")
    assert page_keys([]) == ""


def test_a_recorded_url_cannot_break_out_of_its_fences() -> None:
    keys = page_keys(["https://a.example/x\tevil.example\t/checkout\nhttps://b.example/"])
    assert keys.count("\n") == 2 and keys.count("\t") == 2
    assert page_keys(["http://[::1/broken"]) == "\nhttp://[::1/broken\t\t\n"


def test_patterns_escape_like_wildcards() -> None:
    assert like_pattern("substring", "50%_off\\") == "%50\\%\\_off\\\\%"
    assert like_pattern("exact", "https://a.example/") == "%\nhttps://a.example/\t%"
    assert like_pattern("simple", "/A/b/") == "%\t/a/b\n%"
    assert like_pattern("simple", "www.a.example:81/x?y") == "%\ta.example:81\t/x\n%"


@pytest.mark.parametrize("rule", ["simple", "exact", "substring"])
def test_one_url_at_hand_matches_as_the_database_finds_it(rule: str) -> None:
    database = sqlite3.connect(":memory:")
    database.execute("PRAGMA case_sensitive_like = ON")  # as PostgreSQL's LIKE
    for page, url in itertools.product(PAGES, URLS):
        pattern = like_pattern(rule, url)  # type: ignore[arg-type]
        in_sql = database.execute("SELECT ? LIKE ? ESCAPE '\\'",
                                  (page_keys([page]), pattern)).fetchone()[0]
        assert url_matches(rule, url, page) == bool(in_sql), (rule, url, page)  # type: ignore[arg-type]
    database.close()


def test_simple_urls_ignore_query_fragment_scheme_www_and_trailing_slash() -> None:
    page = "https://www.Shop.example/Checkout/?step=2#top"
    for url in ("shop.example/checkout", "http://shop.example/checkout/", "/checkout",
                "www.shop.example/CHECKOUT?other"):
        assert url_matches("simple", url, page), url
    for url in ("shop.example", "/", "shop.example/check", "other.example/checkout"):
        assert not url_matches("simple", url, page), url


def test_sessions_cached_before_0007_get_their_page_keys(cache_path: Path) -> None:
    engine = create_engine(f"sqlite:///{cache_path}")
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        connection.execute(text(
            "INSERT INTO organization (id, name, created_ms) VALUES (1, 'Old', 1)"))
        connection.execute(text(
            "INSERT INTO project (id, organization_id, name, kind, key, created_ms) "
            "VALUES (1, 1, 'Shop', 'web', 'k', 1)"))
        for number, pages in enumerate((["https://shop.example/checkout?x=1"], [])):
            connection.execute(text(
                "INSERT INTO session (id, project_id, start_ms, end_ms, duration_ms, active_ms, "
                "pages, page_count, event_count, click_count, input_count, error_count, "
                "source, window_ids, raw_size, stored_size, added_ms) VALUES "
                "(:id, 1, 0, 0, 0, 0, :pages, 1, 0, 0, 0, 0, :source, '[]', 0, 0, 0)"),
                {"id": f"s{number}", "pages": json.dumps(pages), "source": f"old-{number}"})
    engine.dispose()

    cache = Cache(cache_path)
    try:
        with cache.read_session() as session:
            query = SessionQuery(filter=SessionFilter((VisitedUrl("simple", "/checkout"),)))
            assert [row.source for row in list_sessions(session, query)] == ["old-0"]
            assert len(list_sessions(session)) == 2
    finally:
        cache.close()
