"""Stamps: what a file or a site directory looked like when the no-op check read it, so that an answer
built from them can later be checked against them.

A file's stamp is its type, device, inode, size, mtime and ctime; a site directory's is a digest of the
distribution entries in it (names and inode numbers), not its mtime, which safepip's own write probe changes
on every run.
"""

from __future__ import annotations

import os
import stat

from safepip.util.digest import sha256_hex

FileStamp = tuple[int, int, int, int, int, int]  # (type bits, st_dev, st_ino, st_size, mtime_ns, ctime_ns)
DIST_SUFFIXES = (".dist-info", ".egg-info")  # what importlib.metadata reads in a sys.path directory


def stamp_of(info: os.stat_result) -> FileStamp:
    return (
        stat.S_IFMT(info.st_mode),
        info.st_dev,
        info.st_ino,
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
    )


def file_stamp(path: str) -> FileStamp | None:
    """The stamp of what `path` leads to now (stat follows links, as pip's open does); None when missing."""
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


def dist_entries(directory: str) -> list[tuple[str, int]] | None:
    """The distribution entries of a sys.path directory, (name, inode), sorted; None when it is not a
    directory that can be listed."""
    try:
        with os.scandir(directory) as entries:
            return sorted(
                (entry.name, entry.inode()) for entry in entries if entry.name.lower().endswith(DIST_SUFFIXES)
            )
    except OSError:
        return None


def site_stamp(directory: str, entries: list[tuple[str, int]] | None) -> str:
    """A directory's stamp from its distribution entries: "missing", "file" (a zip: not read), or a digest."""
    if entries is None:
        return "file" if os.path.exists(directory) else "missing"
    return sha256_hex("".join(f"{name}\0{inode}\n" for name, inode in entries))


def pth_stamp(directory: str) -> list[object]:
    """The .pth files of a site directory, each one's name, mtime and size: they add to sys.path and run
    their import lines. Taken before they are read (facts/pth.py), so that one changed while it was being
    read makes the answer built from it stale. (Not the directory's own mtime: every install changes that,
    and so does safepip's own write probe.)"""
    try:
        found = []
        for entry in os.scandir(directory):
            if entry.name.endswith(".pth"):
                info = entry.stat()
                found.append([entry.name, info.st_mtime_ns, info.st_size])
    except OSError:
        found = []
    return ["pth", directory, sorted(found)]
