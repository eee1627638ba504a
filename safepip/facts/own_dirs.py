"""safepip's own data and cache dirs, probed once: the home's (paths.data_dir, paths.cache_dir), or, when those
cannot be written (HOME missing or not the user's, as for service accounts), one private 0700 directory of the
user's in /var/tmp or /tmp, never a world-writable directory directly.
"""

from __future__ import annotations

import os

from safepip.facts.fs import DirFact, probe_dir
from safepip.facts.paths import cache_dir, data_dir
from safepip.facts.trust import distrust, others_may_replace, private_dir_info
from safepip.util.named_tuple import NamedTuple

PRIVATE_BASES = ("/var/tmp", "/tmp")


class OwnDirs(NamedTuple):
    data: DirFact
    cache: DirFact
    private_root: str | None = None  # the private fallback directory, when the home's dirs are not usable
    home_problem: str | None = None  # why the home's dirs are not used

    @property
    def usable_cache(self) -> DirFact | None:
        """The cache dir: the home's when usable, else the private fallback's; None when neither can be,
        never a cache that another user could have written into."""
        return self.cache if self.home_problem is None or self.private_root is not None else None


def private_root_problem(path: str, uid: int) -> str | None:
    """Why `path` cannot be (or become) the user's private 0700 directory; None when it can."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        parent = os.path.dirname(path)
        fact = probe_dir(parent)
        if not fact.exists or not fact.writable:
            return f"{parent} is not writable"
        if others_may_replace(fact.owner_uid, fact.mode, uid):
            return f"{parent} is writable by everyone and not sticky"
        return None
    except OSError as error:
        return f"{path}: {error.strerror}"
    if not private_dir_info(info, uid):
        return f"{path} exists and is not a private directory of uid {uid}"
    return None


def is_utf8(path: str) -> bool:
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def own_dirs(uid: int) -> OwnDirs:
    """The data and cache dirs safepip will use (the home's, or the private fallback), probed once."""
    data, cache = data_dir(), cache_dir()
    facts = [probe_dir(data), probe_dir(cache)]
    foreign = [fact for fact in facts if fact.exists and fact.owner_uid != uid]
    unusable = [fact for fact in facts if not fact.writable]
    untrusted = [found for found in (distrust(data, uid, missing_ok=True), distrust(cache, uid, missing_ok=True))
                 if found is not None]  # fmt: skip
    undecodable = not all(is_utf8(path) for path in (data, cache))
    if not unusable and not foreign and not untrusted and not undecodable:
        return OwnDirs(facts[0], facts[1])
    if undecodable:  # Python reads .pth files as UTF-8: a venv there could not name its pip
        problem = f"{os.fsencode(data)!r} is not UTF-8"
    elif untrusted:  # another user could swap what safepip writes through (a planted link)
        problem = f"not safe: {untrusted[0].reason()}"
    elif foreign:  # someone else's directory, even a writable one, is not where safepip keeps its venvs
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
