"""Make safepip's private fallback directory (facts/own_dirs.py says when it is needed), and safepip's own pip
cache, where pip goes when the user's cannot be vouched for (policy/cache.py)."""

from __future__ import annotations

import os
import stat

from safepip.errors import RefusedError
from safepip.facts.own_dirs import private_root_problem
from safepip.facts.trust import private_dir_info
from safepip.util.dirs import make_dirs


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


def private_pip_cache(path: str, uid: int) -> str | None:
    """safepip's own pip cache: the user's and 0700, so that no one else was ever below its top. One that is
    not (made under the umask by a safepip before this rule, or opened since) is emptied and made again: what
    others could have put below it cannot be vouched for. A line that says so, or None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        make_dirs(path, 0o700)
        return None
    if private_dir_info(info, uid):
        return None
    import shutil

    try:
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path)
        else:
            os.unlink(path)
        make_dirs(path, 0o700)
    except OSError as error:
        raise RefusedError(
            f"safepip's own pip cache {path} was open to other users and cannot be emptied: {error.strerror}",
            f"remove {path}, or run with --no-cache-dir",
        ) from error
    return f"emptied safepip's own pip cache {path}: it was open to other users"
