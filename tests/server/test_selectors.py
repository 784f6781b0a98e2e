"""CSS selectors matched against serialized nodes (app/core/selectors.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app.core.selectors import SelectorError, parse_selector


@dataclass
class Node:
    tag: str
    attributes: dict[str, str] = field(default_factory=dict)
    up: Node | None = None

    def parent(self) -> Node | None:
        return self.up


BODY = Node("body")
FORM = Node("form", {"id": "checkout", "class": "card wide"}, BODY)
FIELD = Node("div", {"class": "field"}, FORM)
INPUT = Node("input", {"type": "Password", "name": "pw-new", "data-x": "a b c"}, FIELD)


@pytest.mark.parametrize(("selector", "expected"), [
    ("input", True), ("INPUT", True), ("*", True), ("div", False),
    ("#checkout input", True), ("form > input", False), ("form > .field > input", True),
    (".card.wide input", True), (".card.narrow input", False),
    ("[type=password]", False), ("[type=password i]", True), ("[type='Password']", True),
    ('[name^="pw"]', True), ("[name$=new]", True), ("[name*=w-n]", True),
    ("[data-x~=b]", True), ("[name|=pw]", True), ("[placeholder]", False), ("[name]", True),
    ("p, input", True), ("p, span", False), ("body input", True), ("form body input", False),
])
def test_matching(selector: str, expected: bool) -> None:
    assert parse_selector(selector).matches(INPUT) is expected


def test_attribute_names_are_collected_for_ancestor_memory() -> None:
    assert parse_selector("#a .b [data-x], input[type]").attribute_names == \
        {"id", "class", "data-x", "type"}


@pytest.mark.parametrize(("selector", "message"), [
    ("", "empty"), ("a:hover", "pseudo-classes"), ("a::before", "pseudo-classes"),
    ("a + b", "sibling"), ("a ~ b", "sibling"), ("> a", "nothing before"),
    ("a >", "nothing after"), ("a > > b", "nothing before"), ("a,,b", "empty selector"),
    ("[x", "malformed attribute"), ("div#", "unexpected"), (".a div", None),
    ("x" * 501, "longer than"),
])
def test_errors_name_the_problem(selector: str, message: str | None) -> None:
    if message is None:
        parse_selector(selector)
        return
    with pytest.raises(SelectorError, match=message):
        parse_selector(selector)
