"""Whom safepip trusts: a Python is executed only from paths owned by the user or root that no other user can
write. Light on imports, as pip's head start checks its python before anything else."""

from __future__ import annotations

import os
import stat


def owner_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def distrust_reason(paths: list[str], uid: int) -> str | None:
    """Why a Python under these paths must not be executed by `uid`, or None when it is safe.

    Safe means every path is owned by `uid` or root, and none that root owns is writable by others.
    """
    for path in paths:
        try:
            info = os.lstat(path)
        except OSError as error:
            return f"{path}: {error.strerror}"
        if info.st_uid not in (uid, 0):
            return f"owned by {owner_name(info.st_uid)}"
        others_write = info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX
        if info.st_uid != uid and not stat.S_ISLNK(info.st_mode) and others_write:
            return f"{path} is writable by other users"
    return None


def python_distrust(python: str, uid: int) -> str | None:
    """Why `<venv>/bin/python` must not be executed: its venv, bin dir, itself, and what it links to."""
    bin_dir = os.path.dirname(python)
    reason = distrust_reason([os.path.dirname(bin_dir), bin_dir, python], uid)
    if reason is None and os.path.lexists(python):
        reason = distrust_reason([os.path.realpath(python)], uid)
    return reason
