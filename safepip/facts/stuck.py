"""Entries in a target's site-packages and scripts that the user could not remove or replace: immutable or
append-only (chattr), someone else's in a directory the user cannot write, on a read-only mount.

pip upgrades by moving old files aside and deleting them after the new ones are in; such an entry breaks that
halfway. Walking every file of a large environment on every run would cost more than the install, so the
walk is incremental: a walk keeps the stamp (inode, mtime, ctime) of each top-level entry it found clean and
the user's own (in the target venv, else in safepip's cache), and a later run inspects, and walks if it is
a directory, only the entries whose stamp changed since. A change of owner or of a chattr attribute changes
an entry's ctime, so a kept stamp still holding means the entry is still clean. What this does not see (root
changing a file deep inside a package that nothing reinstalled) pip meets, and the diagnosis after pip
names it.
"""

from __future__ import annotations

import os

from safepip.facts.fs import entry_inspector, is_read_only_mount
from safepip.facts.own_records import read_record, write_record
from safepip.facts.trust import owner_name
from safepip.util.dirs import make_dirs
from safepip.util.listing import lstat_entries
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from safepip.facts.fs import Inspector

CACHE_FORMAT = 3


class StuckEntry(NamedTuple):
    path: str
    why: str
    fix: str


def stuck_entries(
    site_dirs: Iterable[str], uid: int, user: str, cache: str | None = None
) -> list[StuckEntry]:
    """Entries under the site dirs that `user` could not remove or replace. `cache`: the file that keeps
    which top-level directories were found clean (None: walk everything, write nothing)."""
    stuck: list[StuckEntry] = []
    inspect = entry_inspector()
    known = load_clean(cache)
    clean: dict[str, dict[str, list[int]]] = {}
    for site in site_dirs:
        if not os.path.isdir(site):
            continue
        if is_read_only_mount(site):
            stuck.append(
                StuckEntry(site, "on a read-only mount", "install into a target on a writable filesystem")
            )
            continue
        known_here = known.get(site)
        known_here = known_here if isinstance(known_here, dict) else {}
        clean[site] = walk_for_stuck(site, uid, user, inspect, stuck, known_here)
    if cache is not None and clean != known and not stuck:  # a run that may refuse changes nothing
        save_clean(cache, clean)
    return stuck


def load_clean(cache: str | None) -> dict[str, dict[str, list[int]]]:
    data = read_record(cache) if cache else None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return {}
    clean = data.get("clean")
    return clean if isinstance(clean, dict) else {}


def save_clean(cache: str, clean: dict[str, dict[str, list[int]]]) -> None:
    try:
        make_dirs(os.path.dirname(cache))
        write_record(cache, {"format": CACHE_FORMAT, "clean": clean})
    except (OSError, ValueError):
        pass


def walk_for_stuck(
    directory: str,
    uid: int,
    user: str,
    inspect: Inspector,
    stuck: list[StuckEntry],
    known_clean: dict[str, list[int]] | None = None,
) -> dict[str, list[int]]:
    """Add what is stuck below `directory` to `stuck`. At the top (`known_clean` given): skip the entries
    unchanged since they were found clean; return the user's own ones found clean now, with their stamps."""
    parent_writable: bool | None = None  # asked only when an entry here is someone else's
    clean: dict[str, list[int]] = {}
    try:  # stamps at the top only
        entries: Iterable[tuple[str, os.stat_result | None]] = (
            lstat_entries(directory)
            if known_clean is not None
            else [(n, None) for n in os.listdir(directory)]
        )
    except OSError:
        return clean
    for name, info in entries:
        path = os.path.join(directory, name)
        stamp = None
        if info is not None and known_clean is not None:
            stamp = [info.st_ino, info.st_mtime_ns, info.st_ctime_ns]
            if known_clean.get(name) == stamp:
                clean[name] = stamp
                continue
        found = inspect(path)
        if found is None:
            continue
        owner_uid, pinned, is_dir = found
        if pinned is not None:
            stuck.append(StuckEntry(path, pinned, f"sudo chattr -{pinned[0]} {path}"))
            continue  # its contents cannot be removed either: one entry says it
        if owner_uid != uid:
            owner = owner_name(owner_uid)
            if is_dir and not os.access(path, os.W_OK | os.X_OK):
                why, fix = f"owned by {owner}, not writable by {user}", f"sudo chown -R {user} {path}"
                stuck.append(StuckEntry(path, why, fix))
                continue
            if parent_writable is None:
                parent_writable = os.access(directory, os.W_OK | os.X_OK)
            if not parent_writable:
                why = f"owned by {owner} in {directory}, which {user} cannot write"
                stuck.append(StuckEntry(path, why, f"sudo chown -R {user} {directory}"))
                continue
        count = len(stuck)
        if is_dir:
            walk_for_stuck(path, uid, user, inspect, stuck)
        if stamp is not None and owner_uid == uid and len(stuck) == count:  # clean whoever can write here
            clean[name] = stamp
    return clean
