"""Browser, OS and device class of a visitor, from the User-Agent of their ingest requests.

uap-python (`ua-parser`) does the recognising; the device class follows Smartlook's three
(desktop / tablet / mobile). The viewport width in the recording wins where there is one:
this is the fallback for recordings that lack it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

MOBILE_OSES = frozenset({"iOS", "Android", "iPadOS", "Windows Phone", "KaiOS", "HarmonyOS"})
DESKTOP_OSES = frozenset({"Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Fedora",
                          "Chrome OS", "FreeBSD", "Debian"})


@dataclass(frozen=True)
class UserAgentInfo:
    browser: str | None
    os: str | None
    device_type: str | None


@lru_cache(maxsize=4096)
def parse_user_agent(header: str | None) -> UserAgentInfo:
    if not header:
        return UserAgentInfo(None, None, None)
    result = parse(header[:1000])
    agent, os, device = result.user_agent, result.os, result.device
    browser = _named(agent.family, agent.major) if agent else None
    os_family = os.family if os else None
    os_name = _named(os.family, os.major) if os else None
    device_name = f"{device.family} {device.brand or ''}" if device else ""
    return UserAgentInfo(browser, os_name, _device_type(header, os_family, device_name))


def _named(family: str | None, major: str | None) -> str | None:
    if not family or family == "Other":
        return None
    return f"{family} {major}"[:64] if major else family[:64]


def _device_type(header: str, os_family: str | None, device: str) -> str | None:
    if "iPad" in device or "Tablet" in device or "Tablet" in header \
            or (os_family == "Android" and "Mobile" not in header):
        return "tablet"
    if os_family in MOBILE_OSES or "Mobi" in header:
        return "mobile"
    if os_family in DESKTOP_OSES:
        return "desktop"
    return None
