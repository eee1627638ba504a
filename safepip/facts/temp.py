"""Facts about the temp directories pip and its build tools could use (decided in policy/temp.py)."""

from __future__ import annotations

import os
import stat

from safepip.facts.fs import nearest_existing, write_probe
from safepip.facts.trust import temp_root_problem
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")


class TempFact(NamedTuple):
    path: str
    source: str  # "TMPDIR", "TEMP", "TMP", "default", "fallback" or "target"
    is_dir: bool
    writable: bool
    owner_uid: int | None
    mode: int | None
    noexec: bool
    free_bytes: int | None
    error: str | None = None
    distrust: str | None = None  # why another user could change what pip builds in there


def temp_candidates(environ: Mapping[str, str], fallback_dir: str) -> list[tuple[str, str]]:
    """(path, source): the temp dir pip would use first, then the places a private one can go."""
    given = [(environ[name], name) for name in TEMP_VARIABLES if environ.get(name)]
    first = given[:1] or [("/tmp", "default")]
    rest = [("/tmp", "fallback"), ("/var/tmp", "fallback"), (fallback_dir, "fallback")]
    return first + [item for item in rest if item[0] != first[0][0]]


def probe_temp(path: str, source: str, own: bool = False) -> TempFact:
    """Facts about one candidate; `own` is safepip's own directory, judged by its parent until it exists."""
    uid = os.geteuid()
    if own and not os.path.exists(path):
        parent = nearest_existing(path) or "/"
        fact = probe_temp(parent, source)
        owned = fact.owner_uid == uid
        return fact._replace(path=path, writable=fact.writable and owned, mode=0o700)
    try:
        info = os.stat(path)
    except OSError as missing:
        return TempFact(path, source, False, False, None, None, False, None, missing.strerror)
    if not stat.S_ISDIR(info.st_mode):
        return TempFact(path, source, False, False, info.st_uid, None, False, None, "not a directory")
    try:
        vfs = os.statvfs(path)
        noexec, free = bool(vfs.f_flag & os.ST_NOEXEC), vfs.f_bavail * vfs.f_frsize
    except OSError:
        noexec, free = False, None
    writable, error = True, None
    try:
        write_probe(path)
    except OSError as failure:
        writable, error = False, failure.strerror or str(failure)
    mode = stat.S_IMODE(info.st_mode) | (info.st_mode & stat.S_ISVTX)
    return TempFact(
        path=path,
        source=source,
        is_dir=True,
        writable=writable,
        owner_uid=info.st_uid,
        mode=mode,
        noexec=noexec,
        free_bytes=free,
        error=error,
        distrust=temp_root_problem(path, info.st_uid, mode, uid),
    )


def probe_temps(environ: Mapping[str, str], own_cache: str) -> tuple[TempFact, ...]:
    """Each temp candidate, the fallback in safepip's own cache dir last."""
    return tuple(
        probe_temp(path, source, own=source == "fallback" and path.startswith(own_cache))
        for path, source in temp_candidates(environ, os.path.join(own_cache, "tmp"))
    )
