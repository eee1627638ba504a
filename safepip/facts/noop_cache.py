"""The no-op answer, kept so that a repeated no-op install costs a few stats and no packaging import.

An entry is a small record (facts/own_records.py), `<cache>/noop/<key>`. The key is a SHA-256 of everything the answer depends
on that is not a file (pip's arguments, the working directory, pip's settings, the interpreter's sys.path
and markers); none of those is stored. The environment variables that requirements files refer to are
kept by name only, their values as one more SHA-256 over the key and the values. The entry holds the
answer (names and versions) and the stamps of what it was read from: every requirements, constraints and
metadata file, and the distribution entries of every sys.path directory. It answers only while each
stamp still holds.

An entry is not written while a file it was read from has an mtime in the last two seconds: a change
within the same clock tick would keep the mtime, and the stale entry would look valid (git's "racily
clean" entries).
"""

from __future__ import annotations

import os
import time

from safepip.facts.own_records import read_record, write_record
from safepip.facts.stamps import FileStamp, dist_entries, file_stamp, site_stamp
from safepip.util.digest import sha256_hex

FORMAT = 2  # raise when what an answer depends on changes
RACY_NS = 2_000_000_000
MAX_ENTRIES = 64

TYPE_CHECKING = False  # typing itself is not imported on the hot path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any


def answer_key(material: object) -> str:
    """A digest of `material`: lists, strings, numbers and dicts built in one order (repr keeps it)."""
    return sha256_hex(repr([FORMAT, material]))


def entry_path(cache_dir: str, key: str) -> str:
    return os.path.join(cache_dir, "noop", key)


def variables_digest(key: str, names: Sequence[str], environ: Mapping[str, str]) -> str:
    values = [environ.get(name) or "" for name in names]  # pip treats an empty variable as unset
    return answer_key([key, list(names), values])


def holds(entry: Mapping[str, Any], key: str, environ: Mapping[str, str]) -> bool:
    files = entry["files"]
    sites = entry["sites"]
    variables = entry["variables"]
    return (
        entry["format"] == FORMAT
        and all(list(file_stamp(path) or ()) == list(stamp or ()) for path, stamp in files)
        and all(site_stamp(path, dist_entries(path)) == stamp for path, stamp in sites)
        and variables_digest(key, variables, environ) == entry["variables_digest"]
    )


def cached_answer(cache_dir: str, key: str, environ: Mapping[str, str]) -> list[str] | None:
    """The kept answer, when every stamp still holds; None otherwise."""
    entry = read_record(entry_path(cache_dir, key))
    try:
        answer = entry["answer"]
        if (
            holds(entry, key, environ)
            and isinstance(answer, list)
            and all(isinstance(a, str) for a in answer)
        ):
            return answer
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def racy(files: Sequence[tuple[str, FileStamp | None]]) -> bool:
    recent = time.time_ns() - RACY_NS
    return any(stamp is not None and stamp[4] > recent for _path, stamp in files)


def keep_answer(
    cache_dir: str,
    key: str,
    answer: Sequence[str],
    files: Sequence[tuple[str, FileStamp | None]],
    sites: Sequence[tuple[str, str]],
    variables: Sequence[str],
    environ: Mapping[str, str],
) -> bool:
    """Write the entry atomically (0600, in a 0700 directory); False when it was not written: a file too
    recently changed, no cache dir yet, or one that cannot be written, which is not an error."""
    if racy(files):
        return False
    entry = {
        "format": FORMAT,
        "answer": list(answer),
        "files": [[path, list(stamp) if stamp else None] for path, stamp in files],
        "sites": [list(site) for site in sites],
        "variables": list(variables),
        "variables_digest": variables_digest(key, variables, environ),
    }
    directory = os.path.dirname(entry_path(cache_dir, key))
    try:
        try:
            os.mkdir(
                directory, 0o700
            )  # only this one: safepip's cache dir is made (0700) where it is decided
        except FileExistsError:
            pass
        write_record(entry_path(cache_dir, key), entry)
        prune(directory)
    except (OSError, ValueError):
        return False
    return True


def prune(directory: str) -> None:
    """Keep the newest MAX_ENTRIES entries: every distinct command line and directory makes one."""
    entries = []
    with os.scandir(directory) as scan:
        for entry in scan:
            if "." not in entry.name:  # not a record being written
                try:  # removed meanwhile by another run
                    entries.append((entry.stat().st_mtime_ns, entry.path))
                except OSError:
                    pass
    for _mtime, path in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        try:
            os.unlink(path)
        except OSError:
            pass
