"""Whether pip would keep what is installed: the requirements' whole closure, read with packaging.

pip's resolver keeps an installed distribution when every requirement on its name and every constraint on it
admit the installed version, pre-releases included (`contains(version, prereleases=True)`, as pip does for
an installed version). A requirement's marker is evaluated for the target's interpreter with `extra` set to
each extra that brought it in ("" for none), a dependency's Requires-Dist as pip's metadata backend does.
A constraint on a name outside the closure changes nothing. Anything missing, mismatched, or not plain (a
URL, a path, an extra the distribution does not provide, a marker packaging cannot evaluate) raises
Unsatisfied: pip runs.

This module imports packaging (tens of milliseconds): policy/noop.py imports it only when its cache has no
answer.
"""

from __future__ import annotations

import os
import re

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from safepip.facts.installed import Installed, Metadata
from safepip.facts.stamps import FileStamp
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

# pip treats a requirement ending like an archive as a file to install (pip's ARCHIVE_EXTENSIONS)
ARCHIVE_EXTENSIONS = (".zip", ".whl", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz", ".tar.lz", ".tar.lzma",
                      ".tar.gz", ".tgz", ".tar")  # fmt: skip
TRAILING_EXTRAS = re.compile(r"\[[^\]]+\]$")
SKIPPED = frozenset({"python", "wsgiref", "argparse"})  # pip never counts these as installed (stdlib_pkgs)


class Unsatisfied(Exception):
    """pip would do something: install, upgrade, or stop with an error."""


class Need(NamedTuple):
    key: str  # canonical name
    requirement: Requirement
    marker: Marker | None


class Closure(NamedTuple):
    answer: list[str]  # `Name==version` of every distribution pip would find already satisfied
    files: list[tuple[str, FileStamp | None]]  # the metadata files read


def read_need(text: str) -> Need:
    """A requirement as pip's parse_req_from_line reads a named one: the marker is what follows the first
    `;`. Paths, URLs and archives are pip's own business."""
    head, _, marker_text = text.partition(";")
    head = head.strip()
    looks_like_file = (
        ":" in head or "@" in head or os.sep in head or head.startswith(".")
        or TRAILING_EXTRAS.sub("", head).lower().endswith(ARCHIVE_EXTENSIONS)
    )  # fmt: skip
    if not head or looks_like_file:
        raise Unsatisfied(text)
    try:
        requirement = Requirement(head)
        marker = Marker(marker_text.strip()) if marker_text.strip() else None
    except (InvalidRequirement, ValueError) as error:  # InvalidMarker is a ValueError
        raise Unsatisfied(text) from error
    if requirement.url or requirement.marker:
        raise Unsatisfied(text)
    return Need(canonicalize_name(requirement.name), requirement, marker)


def read_dependency(text: str) -> Need:
    """A Requires-Dist line, read as pip reads it: one PEP 508 requirement."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        raise Unsatisfied(text) from error
    if requirement.url:
        raise Unsatisfied(text)
    return Need(canonicalize_name(requirement.name), requirement, requirement.marker)


def applies(need: Need, markers: Mapping[str, str], extras: Iterable[str]) -> bool:
    if need.marker is None:
        return True
    try:
        return any(need.marker.evaluate({**markers, "extra": extra}) for extra in extras)
    except Exception as error:  # an undefined name, an invalid comparison: pip decides
        raise Unsatisfied(str(need.requirement)) from error


def constraint_limits(
    constraints: Iterable[str], markers: Mapping[str, str]
) -> dict[str, list[SpecifierSet]]:
    """The specifiers of the constraints that apply here, by name. pip refuses a constraint with extras."""
    limits: dict[str, list[SpecifierSet]] = {}
    for text in constraints:
        need = read_need(text)
        if need.requirement.extras:
            raise Unsatisfied(f"constraints cannot have extras: {text}")
        if applies(need, markers, ("",)):
            limits.setdefault(need.key, []).append(need.requirement.specifier)
    return limits


def installed_version(metadata: Metadata, key: str) -> Version:
    if canonicalize_name(metadata.name) != key or metadata.version is None:
        raise Unsatisfied(f"{key}: its metadata names {metadata.name!r}")
    try:
        return Version(metadata.version)
    except InvalidVersion as error:
        raise Unsatisfied(f"{key} {metadata.version}") from error


def satisfied_closure(
    requirements: Iterable[str],
    constraints: Iterable[str],
    installed: Mapping[str, Installed],
    markers: Mapping[str, str],
    read_metadata: Callable[[str], Metadata],
) -> Closure:
    """The closure pip would find satisfied, or Unsatisfied."""
    limits = constraint_limits(constraints, markers)
    queue = [(read_need(text), frozenset({""})) for text in requirements]  # pip: top level with extra ""
    seen: set[tuple[str, frozenset[str]]] = set()
    found: dict[str, tuple[Metadata, Version]] = {}
    while queue:
        need, active = queue.pop()
        if not applies(need, markers, active):
            continue
        key = need.key
        dist = installed.get(key)
        if key in SKIPPED or dist is None or dist.path is None:
            raise Unsatisfied(f"{key} is not installed (or not only once)")
        if key not in found:
            try:
                metadata = read_metadata(dist.path)
            except OSError as error:
                raise Unsatisfied(key) from error
            found[key] = (metadata, installed_version(metadata, key))
        metadata, version = found[key]
        # every occurrence is checked: two dependents may ask for different versions
        if not need.requirement.specifier.contains(version, prereleases=True):
            raise Unsatisfied(f"{key} {version} does not match {need.requirement}")
        extras = frozenset(canonicalize_name(extra) for extra in need.requirement.extras)
        if not extras <= {canonicalize_name(extra) for extra in metadata.extras}:
            raise Unsatisfied(f"{key} {version} does not provide {sorted(extras)}")
        if (key, extras) not in seen:
            seen.add((key, extras))
            queue += [(read_dependency(text), extras | {""}) for text in metadata.requires]
    for key, (_metadata, version) in found.items():
        if not all(limit.contains(version, prereleases=True) for limit in limits.get(key, ())):
            raise Unsatisfied(f"{key} {version} violates a constraint")
    return Closure(
        sorted(f"{metadata.name}=={metadata.version}" for metadata, _ in found.values()),
        [file for metadata, _ in found.values() for file in metadata.files],
    )
