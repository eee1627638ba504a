"""Facts about pip's cache directory: where it is, whether someone else took it (an earlier `sudo pip`), and
whether another user could change what pip reads from it (cached wheels are installed as they are)."""

from __future__ import annotations

import os
import stat

from safepip.facts.fs import probe_dir
from safepip.facts.pip_config import PipSwitches, xdg_variable
from safepip.facts.trust import (
    ACL_EXECUTE,
    ACL_GROUP,
    ACL_USER,
    acl_granted,
    content_dir_distrust,
    creatable_by_others,
    distrust,
    group_only_of,
    groups_of,
    owner_name,
    tree_distrust,
)
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

# What pip keeps at the top of its cache; a root-owned one breaks writes below it.
CACHE_PARTS = ("http", "http-v2", "wheels", "selfcheck")


class CacheFact(NamedTuple):
    path: str | None  # None when pip's cache is disabled
    source: str  # "PIP_CACHE_DIR", a config file, "--cache-dir", "default", or why it is disabled
    writable: bool
    foreign: tuple[str, ...]  # entries owned by someone else: the cache dir itself or its top parts
    foreign_owner: str | None
    # another user can change it, a directory or link on the way, or one of its top parts (the trust rule;
    # deeper than that pip makes every directory itself)
    distrust: str | None = None
    # other users can get below its top: what pip made deeper cannot be vouched for without reading all of
    # it (a cache filled under umask 000 or a shared group's umask 002), done only for a --cache-dir
    reachable: bool = False


def default_pip_cache(environ: Mapping[str, str], home: str) -> str:
    base = xdg_variable(environ, "XDG_CACHE_HOME", os.path.join(home, ".cache"))
    return os.path.join(base, "pip")


def probe_pip_cache(
    switches: PipSwitches,
    cli_cache_dir: str | None,
    no_cache: bool,
    environ: Mapping[str, str],
    home: str,
    uid: int,
) -> CacheFact:
    setting = switches.get("cache-dir")
    disabled = switches.get("no-cache-dir")
    if no_cache or (disabled is not None and disabled.value.strip() != ""):
        return CacheFact(
            None, "--no-cache-dir" if no_cache else disabled.source if disabled else "", True, (), None
        )
    if cli_cache_dir:
        path, source = cli_cache_dir, "--cache-dir"
    elif setting is not None:
        path, source = os.path.expanduser(setting.value), setting.source
    else:
        path, source = default_pip_cache(environ, home), "default"
    foreign: list[str] = []
    owner: str | None = None
    fact = probe_dir(path)
    unsafe = fact.distrust
    if unsafe is None and not fact.exists:  # pip will make it: no one else may make it first
        found = creatable_by_others(path, uid)
        unsafe = found.reason() if found is not None else None
    for entry in [path, *(os.path.join(path, part) for part in CACHE_PARTS)]:
        try:
            info = os.lstat(entry)
        except OSError:
            continue
        if info.st_uid != uid:
            foreign.append(entry)
            owner = owner or owner_name(info.st_uid)
        if unsafe is None:  # links followed; a sticky dir others can write is no place for pip's files either
            found = distrust(entry, uid)
            try:
                found = found or content_dir_distrust(entry, os.stat(entry), uid)
            except OSError:
                pass
            unsafe = found.reason() if found is not None else None
    reachable = unsafe is None and os.path.isdir(path) and reachable_by_others(path, uid)
    if reachable and source == "--cache-dir":  # pip takes the argument whatever safepip says: all of it
        found = next(iter(tree_distrust(path, uid, groups_of(uid))), None)
        unsafe = found.reason() if found is not None else None
    return CacheFact(path, source, fact.writable, tuple(foreign), owner, unsafe, reachable)


def reachable_by_others(path: str, uid: int) -> bool:
    """Whether a user other than `uid` and root can search every directory down to `path` (where it
    leads): one that only its owner may enter (`~/.cache` is often 0700) keeps everyone out of all below."""
    current = "/"
    for part in os.path.realpath(path).split("/"):
        current = os.path.join(current, part)
        try:
            info = os.stat(current)
        except OSError:
            return False
        if info.st_mode & stat.S_IXOTH:
            continue
        if info.st_mode & stat.S_IXGRP and not group_only_of(info.st_gid, uid):
            continue
        if any(  # an ACL's named users and groups (the mode's group bits show only its mask then)
            (tag == ACL_USER and ident not in (uid, 0))
            or (tag == ACL_GROUP and not group_only_of(ident, uid))
            for tag, ident in acl_granted(current, ACL_EXECUTE)
        ):
            continue
        return False
    return True
