"""The masking a sync applies before writing: the project's policy, never below a local floor.

The server masks at ingest, but the cache must not trust it: a misconfigured server (a policy
relaxed to mask nothing, or a bug) would otherwise put plaintext into the cache file. So the
sync masks again with the project's policy made at least as strict as the floor (by default
`DEFAULT_POLICY`: form fields, numbers and e-mail addresses masked; passwords always are).
Masking what is already masked changes nothing, so a correct server's data passes unchanged.
"""

from __future__ import annotations

from typing import Any

from app.core.privacy import (
    DEFAULT_POLICY,
    EMAIL_RE,
    MAX_SELECTOR_RULES,
    PrivacyPolicy,
    RuleAction,
    SelectorRule,
    stars,
)
from app.core.sync.errors import ProtocolError, SyncError


def policy_from_server(settings: dict[str, Any], project: str) -> PrivacyPolicy:
    """The policy the server reports for a project (`GET /projects/{p}/privacy`)."""
    rules = []
    for number, rule in enumerate(settings.get("rules") or (), start=1):
        try:
            rules.append(SelectorRule(rule["action"], rule["selector"]))
        except (KeyError, TypeError):
            raise ProtocolError(f"the privacy policy of {project}: rule {number} has no action "
                                "or selector") from None
        except ValueError as exc:
            raise ProtocolError(f"the privacy policy of {project}: rule {number}: "
                                f"{exc}") from None
    return PrivacyPolicy(mask_forms=bool(settings.get("mask_forms", True)),
                         mask_numbers=bool(settings.get("mask_numbers", True)),
                         mask_emails=bool(settings.get("mask_emails", True)),
                         rules=tuple(rules))


def at_least(policy: PrivacyPolicy, floor: PrivacyPolicy = DEFAULT_POLICY) -> PrivacyPolicy:
    """`policy`, masking everything `floor` masks.

    What the floor masks stays masked: its flags win when set, the project's Unmask rules are
    dropped (they could only reveal what the floor hides), its Mask and Exclude rules are kept,
    and the floor's own rules come last, so they win where they apply.
    """
    rules = (*(r for r in policy.rules if r.action is not RuleAction.UNMASK), *floor.rules)
    if len(rules) > MAX_SELECTOR_RULES:
        raise SyncError(f"the project's privacy rules and the local ones make {len(rules)} "
                        f"rules, more than the {MAX_SELECTOR_RULES} a policy may hold")
    return PrivacyPolicy(mask_forms=policy.mask_forms or floor.mask_forms,
                         mask_numbers=policy.mask_numbers or floor.mask_numbers,
                         mask_emails=policy.mask_emails or floor.mask_emails,
                         rules=rules)


def mask_emails(text: str | None, policy: PrivacyPolicy) -> str | None:
    """E-mail addresses in metadata text (a referrer URL) masked as page URLs are."""
    if text and policy.mask_emails and "@" in text:
        return EMAIL_RE.sub(lambda match: stars(match.group()), text)
    return text
