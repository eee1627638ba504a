"""Read pip's error output for the known permission causes and say, in one line, the cause and the fix."""

from __future__ import annotations

import os
import re
from typing import NamedTuple

from safepip.facts.fs import is_read_only_mount, pinned_attribute
from safepip.facts.trust import owner_name
from safepip.util.units import format_bytes

ERRNO_PATH = re.compile(r"\[Errno (?P<errno>1|13|30)\] [^:']+: '(?P<path>[^']+)'")
NO_SPACE = re.compile(
    r"\[Errno 28\] No space left on device|incomplete-download|Connection interrupted while downloading"
)
NOEXEC = re.compile(r"(?P<path>/\S+?\.so): failed to map segment from shared object")
EXTERNALLY_MANAGED = re.compile(r"externally-managed-environment")
LOCK_FAILED = re.compile(r"\[Errno 37\] No locks available|The file lock '[^']+' could not be acquired")


class Diagnosis(NamedTuple):
    cause: str
    fix: str

    def line(self) -> str:
        return f"{self.cause}. Fix: {self.fix}"


def why_unchangeable(path: str, uid: int) -> tuple[str, str]:
    """(cause, fix) for a file pip could not change: immutable, read-only mount, or someone else's."""
    kind = pinned_attribute(path)
    if kind is not None:
        return f"{path} has the {kind} attribute (chattr +{kind[0]})", f"sudo chattr -{kind[0]} {path}"
    if is_read_only_mount(path if os.path.exists(path) else os.path.dirname(path)):
        return f"{path} is on a read-only mount", "install into a target on a writable filesystem"
    for candidate in (path, os.path.dirname(path)):
        try:
            owner = os.lstat(candidate).st_uid
        except OSError:
            continue
        if owner != uid:
            return (
                f"{candidate} is owned by {owner_name(owner)}",
                f"let safepip pick a target (drop --target/--prefix), or: sudo chown -R {owner_name(uid)} {candidate}",
            )
    return f"pip was not allowed to change {path}", "check its permissions with `ls -l` and `lsattr`"


def locate(name: str, roots: tuple[str, ...], limit: int = 50_000) -> str:
    """pip names some files relative to the directory it was in; find the one that cannot be changed."""
    if os.path.isabs(name):
        return name
    seen = 0
    for root in roots:
        for directory, _dirs, files in os.walk(root):
            seen += len(files)
            if name in files:
                candidate = os.path.join(directory, name)
                if pinned_attribute(candidate) or os.lstat(candidate).st_uid != os.geteuid():
                    return candidate
            if seen > limit:
                return name
    return name


def free_space_of(path: str) -> str:
    try:
        vfs = os.statvfs(path)
    except OSError:
        return "unknown"
    return format_bytes(vfs.f_bavail * vfs.f_frsize)


def diagnose(output: str, uid: int, temp_dir: str, roots: tuple[str, ...] = ()) -> Diagnosis | None:
    """The first known cause in pip's output, or None."""
    match = NOEXEC.search(output)
    if match:
        return Diagnosis(
            f"a compiled module in pip's build environment could not be loaded: {temp_dir} is on a noexec mount",
            "set TMPDIR to a directory on a mount without noexec",
        )
    match = ERRNO_PATH.search(output)
    if match:
        cause, fix = why_unchangeable(locate(match.group("path"), roots), uid)
        return Diagnosis(cause, fix)
    if NO_SPACE.search(output):
        return Diagnosis(
            f"no space left: {temp_dir} has {free_space_of(temp_dir)} free (pip may call this a network error)",
            "free space there, or set TMPDIR to a larger filesystem (safepip --min-tmp-space raises the bar)",
        )
    if LOCK_FAILED.search(output):
        return Diagnosis(
            "pip cannot lock files where it keeps its cache or temp files (a network filesystem, or another pip "
            "holding the lock)",
            "set PIP_CACHE_DIR and TMPDIR to a local filesystem, or wait for the other pip to finish",
        )
    if EXTERNALLY_MANAGED.search(output):
        return Diagnosis(
            "the interpreter is externally managed (PEP 668)",
            "let safepip choose the target (drop --target/--user), or pass --break-system-packages if you mean it",
        )
    return None
