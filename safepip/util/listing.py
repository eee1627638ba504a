"""A directory's entries with their lstat, read relative to the directory's descriptor: the kernel resolves
each name in one step instead of the whole path again."""

from __future__ import annotations

import os


def lstat_entries(directory: str) -> list[tuple[str, os.stat_result]]:
    """Each entry's name and lstat; an entry removed meanwhile is left out. OSError when `directory` cannot
    be opened or listed."""
    found = []
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with os.scandir(fd) as scan:
            for entry in scan:
                try:
                    found.append((entry.name, entry.stat(follow_symlinks=False)))
                except OSError:
                    continue
    finally:
        os.close(fd)
    return found
