"""CSS selectors matched against rrweb's serialized nodes, without a browser.

Privacy rules (Mask / Unmask / Exclude) name elements by CSS selector, and they are applied
where recordings enter (the server's ingest, the desktop cache), far from any DOM. This is the
part of CSS that identifies elements in a tree: type, `*`, `#id`, `.class`, attribute tests
(`[a]`, `=`, `~=`, `|=`, `^=`, `$=`, `*=`, with an optional ` i` flag), descendant and child
combinators and selector lists. Pseudo-classes and sibling combinators are refused with a clear
message rather than silently matching nothing: they depend on state or order a recording does
not pin down.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

MAX_SELECTOR_LENGTH = 500

_IDENT = r"-?(?:[_a-zA-Z]|[^\x00-\x7f])(?:[_a-zA-Z0-9-]|[^\x00-\x7f])*"
_TOKEN = re.compile(rf"""
    (?P<space>\s+)
  | (?P<child>>)
  | (?P<comma>,)
  | (?P<star>\*)
  | (?P<type>{_IDENT})
  | \#(?P<id>-?(?:[_a-zA-Z0-9-]|[^\x00-\x7f])+)
  | \.(?P<cls>{_IDENT})
  | \[\s*(?P<attr>{_IDENT})\s*
        (?:(?P<op>[~|^$*]?=)\s*
           (?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>{_IDENT}))
           \s*(?P<flag>[iIsS])?\s*)?
    \]
  | (?P<bad>.)
""", re.VERBOSE)


_KINDS = ("space", "child", "comma", "star", "type", "id", "cls", "attr", "bad")


class SelectorError(ValueError):
    """A selector this module cannot (or will not) match; the message says which part."""


class Element(Protocol):
    """What matching needs to know about an element: its tag, attributes and parent."""

    @property
    def tag(self) -> str: ...

    @property
    def attributes(self) -> Mapping[str, str]: ...

    def parent(self) -> Element | None: ...


@dataclass(frozen=True)
class _AttributeTest:
    name: str
    op: str | None  # None: the attribute only has to be present
    value: str
    ignore_case: bool

    def matches(self, attributes: Mapping[str, str]) -> bool:
        actual = attributes.get(self.name)
        if actual is None:
            return False
        if self.op is None:
            return True
        expected = self.value
        if self.ignore_case:
            actual, expected = actual.lower(), expected.lower()
        return _ATTRIBUTE_OPS[self.op](actual, expected)


_ATTRIBUTE_OPS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda actual, value: actual == value,
    "~=": lambda actual, value: bool(value) and value in actual.split(),
    "|=": lambda actual, value: actual == value or actual.startswith(value + "-"),
    "^=": lambda actual, value: bool(value) and actual.startswith(value),
    "$=": lambda actual, value: bool(value) and actual.endswith(value),
    "*=": lambda actual, value: bool(value) and value in actual,
}


@dataclass(frozen=True)
class _Compound:
    """One element's tests, e.g. `input.card[type=text]`."""

    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    attributes: tuple[_AttributeTest, ...]

    def matches(self, element: Element) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        attributes = element.attributes
        if self.ids and any(attributes.get("id") != value for value in self.ids):
            return False
        if self.classes:
            present = set(attributes.get("class", "").split())
            if not present.issuperset(self.classes):
                return False
        return all(test.matches(attributes) for test in self.attributes)


@dataclass(frozen=True)
class _Complex:
    """Compounds joined by combinators, stored right to left: the subject comes first."""

    compounds: tuple[_Compound, ...]
    combinators: tuple[str, ...]  # combinators[i] joins compounds[i] to compounds[i + 1]

    def matches(self, element: Element) -> bool:
        return self._matches_from(element, 0)

    def _matches_from(self, element: Element, index: int) -> bool:
        if not self.compounds[index].matches(element):
            return False
        if index + 1 == len(self.compounds):
            return True
        ancestor = element.parent()
        if self.combinators[index] == ">":
            return ancestor is not None and self._matches_from(ancestor, index + 1)
        while ancestor is not None:
            if self._matches_from(ancestor, index + 1):
                return True
            ancestor = ancestor.parent()
        return False


@dataclass(frozen=True)
class Selector:
    """A parsed selector list; `matches` is true when any of its selectors matches."""

    text: str
    alternatives: tuple[_Complex, ...]
    # Attribute names the selector looks at: only these need remembering for ancestors.
    attribute_names: frozenset[str]

    def matches(self, element: Element) -> bool:
        return any(alternative.matches(element) for alternative in self.alternatives)

    def required_words(self) -> list[str | None]:
        """Per alternative, a word its subject element must hold (an id, a class, else
        the tag; None when it names none): a cheap first test, as text, of where the
        selector could match before matching it properly."""
        words: list[str | None] = []
        for alternative in self.alternatives:
            subject = alternative.compounds[0]
            words.append(next(iter((*subject.ids, *subject.classes)), None) or subject.tag)
        return words


def parse_selector(text: str) -> Selector:
    """Parse `text`; raise `SelectorError` naming the unsupported or malformed part."""
    source = text.strip()
    if not source:
        raise SelectorError("the selector is empty")
    if len(source) > MAX_SELECTOR_LENGTH:
        raise SelectorError(f"the selector is longer than {MAX_SELECTOR_LENGTH} characters")
    alternatives: list[_Complex] = []
    names: set[str] = set()
    compounds: list[_Compound] = []
    combinators: list[str] = []
    current: dict[str, list] = _empty_compound()
    pending_combinator: str | None = None

    def close_compound() -> None:
        nonlocal pending_combinator
        if compounds:
            combinators.append(pending_combinator or " ")
        compounds.append(_build_compound(current))
        current.update(_empty_compound())
        pending_combinator = None

    def close_complex() -> None:
        if not compounds:
            raise SelectorError(f"{source!r}: an empty selector in the list")
        compounds.reverse()
        combinators.reverse()
        alternatives.append(_Complex(tuple(compounds), tuple(combinators)))
        compounds.clear()
        combinators.clear()

    for match in _TOKEN.finditer(source):
        kind = next(name for name in _KINDS if match.group(name) is not None)
        if kind == "bad":
            raise SelectorError(_explain_bad(source, match.start()))
        if kind in ("space", "child", "comma"):
            if any(current.values()):
                close_compound()
            if kind == "comma":
                if pending_combinator == ">":
                    raise SelectorError(f"{source!r}: '>' with nothing after it")
                close_complex()
            elif kind == "child":
                if not compounds or pending_combinator == ">":
                    raise SelectorError(f"{source!r}: '>' with nothing before it")
                pending_combinator = ">"
            continue
        if kind in ("type", "star"):
            if any(current.values()):
                raise SelectorError(f"{source!r}: a type selector must come first in "
                                    f"{match.group()!r}")
            current["tag"] = [match.group().lower() if kind == "type" else "*"]
        elif kind == "id":
            current["ids"].append(match.group("id"))
            names.add("id")
        elif kind == "cls":
            current["classes"].append(match.group("cls"))
            names.add("class")
        else:
            name = match.group("attr").lower()
            names.add(name)
            value = next((v for v in (match.group("dq"), match.group("sq"), match.group("bare"))
                          if v is not None), "")
            flag = (match.group("flag") or "").lower()
            current["attributes"].append(_AttributeTest(name, match.group("op"), value,
                                                        flag == "i"))
    if pending_combinator == ">" and not any(current.values()):
        raise SelectorError(f"{source!r}: '>' with nothing after it")
    if any(current.values()):
        close_compound()
    close_complex()
    return Selector(source, tuple(alternatives), frozenset(names))


def _empty_compound() -> dict[str, list]:
    return {"tag": [], "ids": [], "classes": [], "attributes": []}


def _build_compound(parts: dict[str, list]) -> _Compound:
    tag = parts["tag"][0] if parts["tag"] else None
    return _Compound(None if tag == "*" else tag, tuple(parts["ids"]), tuple(parts["classes"]),
                     tuple(parts["attributes"]))


def _explain_bad(source: str, position: int) -> str:
    char = source[position]
    rest = source[position:]
    if char == ":":
        name = re.match(r"::?[-\w]*", rest)
        return (f"{source!r}: pseudo-classes such as {name.group() if name else ':'!r} are not "
                "supported (rules match what a recording holds, not hover or focus state)")
    if char in "+~":
        return (f"{source!r}: sibling combinators ('+', '~') are not supported; name the "
                "element by tag, id, class or attribute")
    if char == "[":
        return f"{source!r}: malformed attribute test at {rest[:30]!r}"
    return f"{source!r}: unexpected {char!r} at position {position + 1}"
