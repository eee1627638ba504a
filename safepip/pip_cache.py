"""pip's cache directory: left alone when the user owns it, redirected when an earlier `sudo pip` took it.

Nothing is chowned: pip gets PIP_CACHE_DIR under safepip's own cache dir, and the notice names the fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import NamedTuple

from safepip.fs_facts import probe_dir
from safepip.pip_config import PipSwitches
from safepip.trust import owner_name

# What pip keeps at the top of its cache; a root-owned one breaks writes below it.
CACHE_PARTS = ("http", "http-v2", "wheels", "selfcheck")


class CacheFact(NamedTuple):
    path: str | None  # None when pip's cache is disabled
    source: str  # "PIP_CACHE_DIR", a config file, "--cache-dir", "default", or why it is disabled
    writable: bool
    foreign: tuple[str, ...]  # entries owned by someone else: the cache dir itself or its top parts
    foreign_owner: str | None


class CacheChoice(NamedTuple):
    redirect_to: str | None
    reason: str
    notice: str | None = None


def default_pip_cache(environ: Mapping[str, str], home: str) -> str:
    base = environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
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
    for entry in [path, *(os.path.join(path, part) for part in CACHE_PARTS)]:
        try:
            entry_uid = os.lstat(entry).st_uid
        except OSError:
            continue
        if entry_uid != uid:
            foreign.append(entry)
            owner = owner or owner_name(entry_uid)
    return CacheFact(path, source, probe_dir(path).writable, tuple(foreign), owner)


def decide_cache(fact: CacheFact, user: str, own_cache: str, own_cache_writable: bool) -> CacheChoice:
    if fact.path is None:
        return CacheChoice(None, f"pip's cache is disabled ({fact.source})")
    if fact.writable and not fact.foreign:
        return CacheChoice(None, f"{fact.path} is {user}'s")
    why = (
        f"{fact.foreign[0]} is owned by {fact.foreign_owner}"
        if fact.foreign
        else f"{fact.path} is not writable"
    )
    if not own_cache_writable:
        return CacheChoice(
            None, f"{why}, and {own_cache} cannot be made either; pip will run without a cache"
        )
    fix = f"sudo chown -R {user} {fact.path}" if fact.foreign else f"make {fact.path} writable"
    return CacheChoice(
        own_cache,
        why,
        f"pip's cache {fact.path} is not usable ({why}{', e.g. after `sudo pip`' if fact.foreign else ''}); "
        f"using {own_cache}. Fix: {fix}",
    )
