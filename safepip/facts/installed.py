"""The distributions an interpreter finds on its sys.path, as importlib.metadata (and so pip) finds them.

importlib.metadata looks in each sys.path directory for `*.dist-info` and `*.egg-info` entries (the suffix
in any case) and pip keeps the first distribution of each name along sys.path. The metadata of the few
distributions the no-op check needs is read on demand: Name, Version, Requires-Dist and Provides-Extra
from METADATA (or PKG-INFO), and for an egg-info without Requires-Dist its requires.txt, converted as
pip converts it.
"""

from __future__ import annotations

import os

from safepip.facts.requirements import metadata_headers
from safepip.facts.stamps import FileStamp, dist_entries, file_stamp, site_stamp
from safepip.util.named_tuple import NamedTuple
from safepip.util.names import normalize, pattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

UNSAFE_EXTRA = pattern(r"[^A-Za-z0-9.-]+")


class Installed(NamedTuple):
    key: str  # the normalised project name, from the entry's name
    path: str | None  # the .dist-info or .egg-info; None when a directory holds two of this name


class Scan(NamedTuple):
    found: Mapping[str, Installed]
    sites: tuple[tuple[str, str], ...]  # (sys.path entry, its stamp), for the cache
    complete: bool  # False when an entry exists that is not a listable directory (a zip, an egg)


class Metadata(NamedTuple):
    name: str
    version: str | None
    requires: tuple[str, ...]
    extras: tuple[str, ...]
    files: tuple[tuple[str, FileStamp | None], ...]  # what was read, stamped before reading


def scan_installed(sys_path: Sequence[str]) -> Scan:
    """The first distribution of each name along sys_path."""
    found: dict[str, Installed] = {}
    sites: list[tuple[str, str]] = []
    complete = True
    for directory in dict.fromkeys(sys_path):
        entries = dist_entries(directory)
        sites.append((directory, site_stamp(directory, entries)))
        if entries is None:
            complete = complete and not os.path.exists(directory)
            continue
        here: dict[str, Installed] = {}
        for name, _inode in entries:
            key = normalize(name.rpartition(".")[0].partition("-")[0])
            # two entries of one name in one directory: which one importlib finds first is the order of
            # the directory listing, so neither is taken for granted
            here[key] = Installed(key, None if key in here else os.path.join(directory, name))
        for key, installed in here.items():
            found.setdefault(key, installed)
    return Scan(found, tuple(sites), complete)


def safe_extra(extra: str) -> str:
    """setuptools' safe_extra, as pip applies it to an egg-info's extras."""
    return UNSAFE_EXTRA.sub("_", extra).lower()


def requires_txt(path: str) -> tuple[list[str], list[str]]:
    """An egg-info's requires.txt as Requires-Dist and Provides-Extra, as pip's metadata backend makes them."""
    requires: list[str] = []
    extras: list[str] = []
    extra = marker = ""
    with open(path, encoding="utf-8") as handle:
        for line in handle.read().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[") and line.endswith("]"):
                extra, _, marker = line.strip("[]").partition(":")
                continue
            if extra and extra not in extras:
                extras.append(extra)
            if extra and marker:
                requires.append(f'{line} ; ({marker}) and extra == "{safe_extra(extra)}"')
            elif extra:
                requires.append(f'{line} ; extra == "{safe_extra(extra)}"')
            elif marker:
                requires.append(f"{line} ; {marker}")
            else:
                requires.append(line)
    return requires, extras


def read_metadata(info: str) -> Metadata:
    """The metadata of one .dist-info or .egg-info (a directory, or an egg-info file); OSError when it
    cannot be read."""
    if info.lower().endswith(".dist-info"):
        headers_path = os.path.join(info, "METADATA")
    elif os.path.isdir(info):
        headers_path = os.path.join(info, "PKG-INFO")
    else:
        headers_path = info
    files = [(headers_path, file_stamp(headers_path))]
    headers = metadata_headers(headers_path)
    requires = headers.get("Requires-Dist", [])
    extras = headers.get("Provides-Extra", [])
    if headers_path != info and not info.lower().endswith(".dist-info") and not (requires and extras):
        path = os.path.join(info, "requires.txt")
        files.append((path, file_stamp(path)))
        if files[-1][1] is not None:
            from_txt, extras_txt = requires_txt(path)
            requires = requires or from_txt
            extras = extras or extras_txt
    name = headers.get("Name", [""])[0]
    version = headers.get("Version", [None])[0]
    return Metadata(name, version, tuple(requires), tuple(extras), tuple(files))
