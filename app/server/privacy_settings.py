"""A project's privacy policy as stored (JSON) and as applied (`app.core.privacy`)."""

from __future__ import annotations

from typing import Any

from app.core.privacy import MAX_SELECTOR_RULES, PrivacyPolicy, SelectorRule
from app.server.errors import Invalid


def policy_from_json(settings: dict[str, Any] | None) -> PrivacyPolicy:
    """Build the policy; raise `Invalid` naming the bad rule (defaults for missing keys)."""
    settings = settings or {}
    raw_rules = settings.get("rules") or []
    if len(raw_rules) > MAX_SELECTOR_RULES:
        raise Invalid(f"a project holds at most {MAX_SELECTOR_RULES} selector rules, "
                      f"not {len(raw_rules)}")
    rules = []
    for number, rule in enumerate(raw_rules, start=1):
        try:
            rules.append(SelectorRule(rule["action"], rule["selector"]))
        except (KeyError, TypeError):
            raise Invalid(f"rule {number}: needs an action and a selector") from None
        except ValueError as exc:
            raise Invalid(f"rule {number}: {exc}") from None
    return PrivacyPolicy(mask_forms=bool(settings.get("mask_forms", True)),
                         mask_numbers=bool(settings.get("mask_numbers", True)),
                         mask_emails=bool(settings.get("mask_emails", True)),
                         rules=tuple(rules))


def policy_to_json(policy: PrivacyPolicy) -> dict[str, Any]:
    return {"mask_forms": policy.mask_forms, "mask_numbers": policy.mask_numbers,
            "mask_emails": policy.mask_emails,
            "rules": [{"action": rule.action.value, "selector": rule.selector}
                      for rule in policy.rules]}
