"""Facts about pip's cache directory: where it is, and whether someone else took it (an earlier `sudo pip`)."""

from __future__ import annotations

import os

from safepip.facts.fs import probe_dir
from safepip.facts.pip_config import PipSwitches
from safepip.facts.trust import owner_name
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
