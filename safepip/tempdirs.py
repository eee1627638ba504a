"""The temp directory pip and its build tools will use: facts, the choice, and the private directory.

A usable temp dir is a directory, writable (probe), owned by the user or sticky when others can write it,
not on a `noexec` mount (pip's isolated build environments load compiled modules from it), with at least
`min_space` bytes free. A usable `$TMPDIR` is left alone; otherwise pip gets a private 0700 directory under
the first usable candidate as TMPDIR, TEMP and TMP, removed when pip exits.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import NamedTuple

from safepip.fs_facts import nearest_existing, write_probe

TEMP_VARIABLES = ("TMPDIR", "TEMP", "TMP")
DEFAULT_MIN_TMP_SPACE = 1 << 30
PRIVATE_PREFIX = "safepip-tmp-"


class TempFact(NamedTuple):
    path: str
    source: str  # "TMPDIR", "TEMP", "TMP", "default", or "fallback"
    is_dir: bool
    writable: bool
    owner_uid: int | None
    mode: int | None
    noexec: bool
    free_bytes: int | None
    error: str | None = None


class TempChoice(NamedTuple):
    keep: bool  # the current temp dir is usable: pip's environment is left alone
    parent: str | None  # where the private directory is made, when not kept
    reason: str
    passed_over: tuple[tuple[str, str], ...] = ()  # (path, why not)


def temp_candidates(environ: Mapping[str, str], fallback_dir: str) -> list[tuple[str, str]]:
    """(path, source): the temp dir pip would use first, then the places a private one can go."""
    given = [(environ[name], name) for name in TEMP_VARIABLES if environ.get(name)]
    first = given[:1] or [("/tmp", "default")]
    rest = [("/tmp", "fallback"), ("/var/tmp", "fallback"), (fallback_dir, "fallback")]
    return first + [item for item in rest if item[0] != first[0][0]]


def probe_temp(path: str, source: str, own: bool = False) -> TempFact:
    """Facts about one candidate; `own` is safepip's own directory, judged by its parent until it exists."""
    if own and not os.path.exists(path):
        parent = nearest_existing(path) or "/"
        fact = probe_temp(parent, source)
        owned = fact.owner_uid == os.geteuid()
        return TempFact(path, source, fact.is_dir, fact.writable and owned, fact.owner_uid, 0o700, fact.noexec,
                        fact.free_bytes, fact.error)  # fmt: skip
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
    return TempFact(
        path, source, True, writable, info.st_uid, stat.S_IMODE(info.st_mode), noexec, free, error
    )


def temp_problem(fact: TempFact, uid: int, min_space: int) -> str | None:
    if not fact.is_dir:
        return fact.error if fact.error == "not a directory" else f"missing ({fact.error})"
    if not fact.writable:
        return f"not writable ({fact.error})"
    mode = fact.mode or 0
    if fact.owner_uid != uid and mode & 0o022 and not mode & stat.S_ISVTX:
        return "writable by other users and not sticky"
    if fact.noexec:
        return "on a noexec mount: compiled build requirements cannot be loaded from it"
    if fact.free_bytes is not None and fact.free_bytes < min_space:
        return f"only {format_bytes(fact.free_bytes)} free, less than {format_bytes(min_space)}"
    return None


def decide_temp(facts: tuple[TempFact, ...], uid: int, min_space: int) -> TempChoice:
    passed: list[tuple[str, str]] = []
    for index, fact in enumerate(facts):
        problem = temp_problem(fact, uid, min_space)
        if problem is None:
            if index == 0:
                return TempChoice(True, None, f"{fact.path} is usable", ())
            first = passed[0]
            return TempChoice(False, fact.path, f"{first[0]}: {first[1]}", tuple(passed))
        passed.append((fact.path, problem))
    first = passed[0] if passed else ("TMPDIR", "missing")
    return TempChoice(True, None, f"no usable temp dir; {first[0]} left as it is", tuple(passed))


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


@contextmanager
def private_temp(choice: TempChoice) -> Iterator[dict[str, str]]:
    """The variables pip needs for the chosen temp dir; a private directory lives as long as the block."""
    if choice.keep or choice.parent is None:
        yield {}
        return
    import shutil
    import tempfile

    os.makedirs(choice.parent, mode=0o700, exist_ok=True)
    private = tempfile.mkdtemp(prefix=PRIVATE_PREFIX, dir=choice.parent)  # mkdtemp makes it 0700
    try:
        yield dict.fromkeys(TEMP_VARIABLES, private)
    finally:
        shutil.rmtree(private, ignore_errors=True)
