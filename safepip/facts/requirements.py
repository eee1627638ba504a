"""Read one requirement for the no-op check: plain forms without importing packaging, the rest with it.

`packaging` costs more to import than the whole no-op answer takes otherwise, and most requirements are
plain: a name, extras, numeric versions with `==`, `!=`, `<`, `<=`, `>`, `>=`, `~=`, and at most an
`extra == "x"` marker. Those are read here; anything else (other markers, pre-releases, wildcards, local
versions, `===`) goes to packaging. A unit test holds the plain reader to packaging's answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?\s*(.*)", re.DOTALL)
CLAUSE = re.compile(r"\s*(~=|==|!=|<=|>=|<|>)\s*(\d+(?:\.\d+)*)\s*")
EXTRA_MARKER = re.compile(r"""\s*extra\s*==\s*(["'])([A-Za-z0-9._-]+)\1\s*""")
PLAIN_VERSION = re.compile(r"\d+(?:\.\d+)*")


class Unreadable(Exception):
    """Not a requirement this module or packaging can read."""


class Need(NamedTuple):
    name: str
    extras: frozenset[str]
    url: bool
    applies: Callable[[str], bool]  # for an active extra ("" for none): does the marker hold?
    accepts: Callable[[str], bool]  # an installed version's text: does the specifier admit it?


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def numbers(version: str) -> tuple[int, ...]:
    parts = [int(part) for part in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:  # 1.0 == 1.0.0
        parts.pop()
    return tuple(parts)


def clause_holds(operator: str, wanted: str, installed: str) -> bool:
    have, want = numbers(installed), numbers(wanted)
    if operator == "==":
        return have == want
    if operator == "!=":
        return have != want
    if operator == ">=":
        return have >= want
    if operator == "<=":
        return have <= want
    if operator == ">":
        return have > want
    if operator == "<":
        return have < want
    prefix = tuple(int(part) for part in wanted.split("."))[:-1]  # ~=: compatible release
    padded = tuple(int(part) for part in installed.split(".")) + (0,) * len(prefix)
    return have >= want and padded[: len(prefix)] == prefix


def plain_clauses(text: str) -> list[tuple[str, str]] | None:
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if not text.strip():
        return []
    clauses = []
    for part in text.split(","):
        match = CLAUSE.fullmatch(part)
        if match is None or (match.group(1) == "~=" and "." not in match.group(2)):
            return None
        clauses.append((match.group(1), match.group(2)))
    return clauses


def read_plain(text: str) -> Need | None:
    head, _, marker = text.partition(";")
    named = NAME.fullmatch(head)
    if named is None or "@" in head:
        return None
    clauses = plain_clauses(named.group(3))
    extra = EXTRA_MARKER.fullmatch(marker) if marker.strip() else None
    if clauses is None or (marker.strip() and extra is None):
        return None
    extras = frozenset(normalize(e) for e in (named.group(2) or "").split(",") if e.strip())
    wanted_extra = normalize(extra.group(2)) if extra else None

    def accepts(installed: str) -> bool:
        if PLAIN_VERSION.fullmatch(installed) is None:
            return read_with_packaging(text, {}).accepts(installed)
        return all(clause_holds(operator, version, installed) for operator, version in clauses)

    return Need(
        named.group(1),
        extras,
        False,
        lambda active: wanted_extra is None or normalize(active) == wanted_extra,
        accepts,
    )


def read_with_packaging(text: str, markers: Mapping[str, str]) -> Need:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.specifiers import InvalidSpecifier
    from packaging.version import InvalidVersion, Version

    try:
        requirement = Requirement(text)
    except (InvalidRequirement, InvalidSpecifier) as error:
        raise Unreadable(text) from error

    def applies(active: str) -> bool:
        if requirement.marker is None:
            return True
        try:
            return bool(requirement.marker.evaluate({**markers, "extra": active}))
        except Exception as error:  # an undefined marker name, a bad comparison: pip decides
            raise Unreadable(text) from error

    def accepts(installed: str) -> bool:
        try:
            return requirement.specifier.contains(Version(installed), prereleases=True)
        except InvalidVersion as error:
            raise Unreadable(installed) from error

    extras = frozenset(normalize(extra) for extra in requirement.extras)
    return Need(requirement.name, extras, bool(requirement.url), applies, accepts)


def read_requirement(text: str, markers: Mapping[str, str]) -> Need:
    """The requirement, read without packaging when it is plain; Unreadable when neither can read it."""
    return read_plain(text) or read_with_packaging(text, markers)


def metadata_headers(path: str) -> dict[str, list[str]]:
    """The headers of a METADATA file (the part before the first blank line), each name with its values."""
    headers: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            headers.setdefault(key, []).append(value.strip())
    return headers
