"""End-to-end fixtures: Debian's Chromium with the real rrweb recorder from npm.

Where Chromium, Playwright or node_modules/rrweb is missing the tests skip with the reason,
except on CI (`CI` set), where .ci/install-browser installs them and a skip would hide a
broken install: there they fail.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.browser import chromium_available, launch_chromium, load_site, rrweb_available

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run; each recording gets its own fresh browser context."""
    reasons = [reason for reason in (chromium_available(), rrweb_available()) if reason]
    if reasons:
        message = "; ".join(reasons)
        if os.environ.get("CI"):
            pytest.fail(f"{message}; on CI that is an error, not a skip", pytrace=False)
        pytest.skip(message)
    with launch_chromium() as launched:
        yield launched


@pytest.fixture
def shop_site() -> dict[str, bytes]:
    """tests/support/pages/shop: products, a checkout form, long lists, an image, a web font."""
    return load_site("shop")
