"""Where safepip keeps its own things: managed venvs, overlays, locks and its cache.

They live in the user's data and cache dirs (XDG, under HOME). When those cannot be written (HOME missing or
not the user's, as for service accounts), they move to one private 0700 directory of the user's in /var/tmp or
/tmp, never into a world-writable directory directly.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

from safepip.errors import RefusedError
from safepip.fs_facts import DirFact, probe_dir

MARKER = ".safepip-complete"
PRIVATE_BASES = ("/var/tmp", "/tmp")


@dataclass(frozen=True)
class OwnDirs:
    data: DirFact
    cache: DirFact
    private_root: str | None = None  # the private fallback directory, when the home's dirs are not usable
    home_problem: str | None = None  # why the home's dirs are not used


def data_dir() -> str:
    from platformdirs import user_data_dir

    return user_data_dir("safepip", appauthor=False)


def cache_dir() -> str:
    from platformdirs import user_cache_dir

    return user_cache_dir("safepip", appauthor=False)


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:8]


def managed_venv_path(root: str, tag: str, interpreter_real_path: str) -> str:
    return os.path.join(root, "venvs", f"{tag}-{short_hash(interpreter_real_path)}")


def overlay_venv_path(root: str, tag: str, venv_prefix: str) -> str:
    name = os.path.basename(os.path.normpath(venv_prefix)).lstrip(".") or "venv"
    return os.path.join(root, "overlays", f"{name}-{tag}-{short_hash(os.path.realpath(venv_prefix))}")


def lock_path(root: str, target_path: str) -> str:
    return os.path.join(root, "locks", short_hash(os.path.realpath(target_path)) + ".lock")


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def venv_is_ready(venv: str) -> bool:
    return os.path.isfile(os.path.join(venv, MARKER)) and os.path.exists(venv_python(venv))


def private_root_problem(path: str, uid: int) -> str | None:
    """Why `path` cannot be (or become) the user's private 0700 directory; None when it can."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        parent = os.path.dirname(path)
        fact = probe_dir(parent)
        if not fact.exists or not fact.writable:
            return f"{parent} is not writable"
        mode = fact.mode or 0
        if fact.owner_uid != uid and mode & 0o002 and not mode & stat.S_ISVTX:
            return f"{parent} is writable by everyone and not sticky"
        return None
    except OSError as error:
        return f"{path}: {error.strerror}"
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or stat.S_IMODE(info.st_mode) & 0o077:
        return f"{path} exists and is not a private directory of uid {uid}"
    return None


def own_dirs(uid: int) -> OwnDirs:
    """The data and cache dirs safepip will use (the home's, or the private fallback), probed once."""
    data, cache = data_dir(), cache_dir()
    facts = [probe_dir(data), probe_dir(cache)]
    foreign = [fact for fact in facts if fact.exists and fact.owner_uid != uid]
    unusable = [fact for fact in facts if not fact.writable]
    if not unusable and not foreign:
        return OwnDirs(facts[0], facts[1])
    if foreign:  # someone else's directory, even a writable one, is not where safepip keeps its venvs
        problem = f"{foreign[0].path} is owned by {foreign[0].owner_name}"
    else:
        first = unusable[0]
        reason = first.error or f"{first.probed} is owned by {first.owner_name}"
        problem = f"{first.path} cannot be made ({first.probed or '/'}: {reason})"
    refused = []
    for base in PRIVATE_BASES:
        private = os.path.join(base, f"safepip-{uid}")
        why_not = private_root_problem(private, uid)
        if why_not is None:
            fallback = (probe_dir(os.path.join(private, "data")), probe_dir(os.path.join(private, "cache")))
            return OwnDirs(*fallback, private, problem)
        refused.append(why_not)
    return OwnDirs(facts[0], facts[1], None, f"{problem}; no private fallback either: {'; '.join(refused)}")


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
