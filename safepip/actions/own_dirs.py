"""Make safepip's private fallback directory (facts/own_dirs.py says when it is needed)."""

from __future__ import annotations

import os

from safepip.errors import RefusedError
from safepip.facts.own_dirs import private_root_problem


def make_private_root(path: str, uid: int) -> None:
    """Create the private fallback directory, and check that what is there now is really ours."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError as error:
        raise RefusedError(
            f"cannot make safepip's private directory {path}: {error.strerror}",
            "set HOME (or XDG_DATA_HOME and XDG_CACHE_HOME) to a directory you can write",
        ) from error
    problem = private_root_problem(path, uid)
    if problem is not None:  # someone else made it first, or it is a symlink
        raise RefusedError(
            f"safepip's private directory is not safe: {problem}",
            f"remove {path} (it should be yours, mode 700), or set HOME to a directory you can write",
        )
