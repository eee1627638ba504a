"""The trust rule (trust.py) applied to what a Python imports at start-up and pip then runs: its site dirs, the
.pth files there, and the modules they import, sitecustomize, usercustomize and pip, whole."""

from __future__ import annotations

import contextlib
import os

from safepip.facts.trust import Distrust, distrust, entry_distrust, group_shared

STARTUP_MODULES = ("sitecustomize", "usercustomize", "pip")  # what Python and pip import from site dirs


def module_trees(site_dirs: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    """Where these top-level modules are in the site dirs: package directories and module files."""
    found: list[str] = []
    for name in dict.fromkeys(names):
        for directory in site_dirs:
            package = os.path.join(directory, name)
            if os.path.isdir(package) and not os.path.islink(package):
                found.append(package)
            try:
                modules = [
                    e
                    for e in os.listdir(directory)
                    if e.partition(".")[0] == name and e.endswith((".py", ".so"))
                ]
            except OSError:
                continue
            found += [os.path.join(directory, module) for module in modules]
    return found


def listed(directory: str) -> list[str]:
    try:
        return [entry.name for entry in os.scandir(directory) if not entry.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def tree_dirs(root: str) -> list[str]:
    return [directory for directory, _dirs, _files in os.walk(root)] if os.path.isdir(root) else [root]


def tree_stamp(directories: list[str]) -> list[list[int]]:
    """A package's directories' (mtime, ctime): a file added, removed or replaced changes its directory's."""
    stamps = []
    for path in directories:
        try:
            info = os.lstat(path)
        except OSError:
            continue
        stamps.append([info.st_mtime_ns, info.st_ctime_ns])
    return stamps


def trees_distrust(
    trees: list[str], uid: int, groups: frozenset[int], record: str | None
) -> list[Distrust | None]:
    """Every entry of each tree, except in a tree whose directories are unchanged since `record` (a file in
    safepip's cache) says it was found clean: a package that nothing reinstalled costs one stat per
    directory instead of one per file."""
    import json

    try:
        with open(record or "", encoding="utf-8") as handle:
            clean = json.load(handle)
    except (OSError, ValueError):
        clean = {}
    found: list[Distrust | None] = []
    now: dict[str, list[list[int]]] = {}
    for root in trees:
        directories = tree_dirs(root)
        stamp = tree_stamp(directories)
        if isinstance(clean, dict) and clean.get(root) == stamp:
            now[root] = stamp
            continue
        problems = []
        files = [
            os.path.join(d, f) for d in directories if d != root or os.path.isdir(root) for f in listed(d)
        ]
        for path in [*directories, *files]:
            try:
                problems.append(entry_distrust(path, os.lstat(path), uid, groups))
            except OSError:
                continue
        found += problems
        if not any(problems):
            now[root] = stamp
    if record is not None and now != clean:
        from safepip.util.dirs import make_dirs
        from safepip.util.files import write_json

        with contextlib.suppress(OSError):
            make_dirs(os.path.dirname(record))
            write_json(record, now)
    return found


def site_distrust(
    site_dirs: tuple[str, ...],
    pth_files: tuple[str, ...],
    uid: int | None = None,
    imported: tuple[str, ...] = (),
    record: str | None = None,
) -> Distrust | None:
    """What a Python imports at start-up and pip then runs from: every site dir (and every directory and
    link on the way), each entry at its top (a package, a module, `sitecustomize.py`), and the .pth files.
    Whole: the modules the .pth files import (`imported`), sitecustomize, usercustomize and pip. The first
    entry another user can change; a group-shared one only when nothing else is."""
    uid = os.geteuid() if uid is None else uid
    groups = frozenset(os.getgroups()) | {os.getegid()} if uid == os.geteuid() else frozenset()
    found: list[Distrust | None] = []
    for directory in site_dirs:
        found.append(distrust(directory, uid))
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            try:
                found.append(entry_distrust(entry.path, entry.stat(follow_symlinks=False), uid, groups))
            except OSError:
                continue
    found += [distrust(path, uid) for path in pth_files]
    found += trees_distrust(module_trees(site_dirs, (*imported, *STARTUP_MODULES)), uid, groups, record)
    problems = [problem for problem in found if problem is not None]
    return next((p for p in problems if not group_shared(p)), problems[0] if problems else None)
