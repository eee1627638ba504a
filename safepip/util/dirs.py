"""Directories safepip makes for itself, each level with the mode it asks for, whatever the umask (a umask of
000 would otherwise leave `~/.local` and safepip's own dirs writable by everyone)."""

from __future__ import annotations

import os


def make_dirs(path: str, mode: int = 0o700) -> None:
    """`os.makedirs(path, exist_ok=True)`, but every directory it creates gets exactly `mode`."""
    missing: list[str] = []
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, mode)
        except FileExistsError:
            continue  # made by another run meanwhile: not ours to chmod
        os.chmod(directory, mode)
