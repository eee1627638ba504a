"""Facts about directories: who owns them and whether a file can really be made there.

`os.access` lies for root, read-only mounts, ACLs, immutable directories and NFS root-squash, so
writability is proven by creating and removing a probe file.
"""

from __future__ import annotations

import os
import stat

from safepip.facts.trust import distrust, group_shared, owner_name
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

PROBE_PREFIX = ".safepip-probe-"


class DirFact(NamedTuple):
    """What one directory pip would write really allows, proven with a probe file."""

    path: str
    probed: str | None  # the directory probed: `path`, or its nearest existing parent
    exists: bool
    owner_uid: int | None
    owner_name: str | None
    mode: int | None
    writable: bool
    read_only_mount: bool
    error: str | None = None
    noexec: bool = False  # on a noexec mount: compiled modules and scripts installed there cannot run
    distrust: str | None = None  # another user can change it, or a directory or link on the way to it


def nearest_existing(path: str) -> str | None:
    current = os.path.abspath(path)
    while not os.path.lexists(current):
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent
    return current


def probe_dir(path: str, known: dict[str, DirFact] | None = None) -> DirFact:
    """Whether pip could create files in `path` (or, when it does not exist yet, create it). `known`: the
    facts of directories probed before in this run, by path: a missing directory whose nearest existing
    parent is among them is judged by that parent's fact without probing it again (a user scheme's five
    missing directories share one)."""
    probed = nearest_existing(path)
    exists = probed == os.path.abspath(path)
    if probed is None:
        return DirFact(path, None, False, None, None, None, False, False, "no existing parent")
    if (
        known is not None and probed in known
    ):  # the probe's answer is the parent's; the path's own trust is not
        found = distrust(path, missing_ok=True)
        unsafe = found.reason() if found is not None and not group_shared(found) else None
        return known[probed]._replace(path=path, exists=exists, distrust=unsafe)
    fact = probed_fact(path, probed, exists)
    if known is not None:
        known[probed] = fact._replace(path=probed, exists=True)
    return fact


def probed_fact(path: str, probed: str, exists: bool) -> DirFact:
    try:
        info = os.stat(probed)
    except OSError as error:
        return DirFact(path, probed, exists, None, None, None, False, False, error.strerror)
    flags = mount_flags(probed)
    fact = DirFact(
        path=path,
        probed=probed,
        exists=exists,
        owner_uid=info.st_uid,
        owner_name=owner_name(info.st_uid),
        mode=stat.S_IMODE(info.st_mode),
        writable=False,
        read_only_mount=bool(flags & os.ST_RDONLY),
        noexec=bool(flags & os.ST_NOEXEC),
    )
    if not stat.S_ISDIR(info.st_mode):
        return replace_fact(fact, error="not a directory")
    found = distrust(path, missing_ok=True)
    if found is not None and not group_shared(found):  # a group's own venv is judged where it was chosen
        fact = fact._replace(distrust=found.reason())
    try:
        write_probe(probed)
    except OSError as error:
        return replace_fact(fact, error=error.strerror or str(error))
    return replace_fact(fact, writable=True)


def write_probe(directory: str) -> None:
    """Create and remove a file in `directory`: the only sure test that one can be made there.
    (Not tempfile: its import costs more than every probe of a run.)"""
    path = os.path.join(directory, PROBE_PREFIX + os.urandom(6).hex())
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
    os.unlink(path)


def replace_fact(fact: DirFact, writable: bool = False, error: str | None = None) -> DirFact:
    return fact._replace(writable=writable, error=error)


def mount_flags(path: str) -> int:
    try:
        return os.statvfs(path).f_flag
    except OSError:
        return 0


def is_read_only_mount(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


FS_IOC_GETFLAGS = 0x80086601  # from linux/fs.h, for 64-bit Linux
FS_IMMUTABLE_FL = 0x00000010
FS_APPEND_FL = 0x00000020


def file_flags(path: str) -> int | None:
    """The inode flags (chattr), or None where they cannot be read (symlinks, unreadable files)."""
    import fcntl  # here: a walk that finds nothing changed reads no flags
    import struct

    try:
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        raw = fcntl.ioctl(handle, FS_IOC_GETFLAGS, struct.pack("i", 0))
        return int(struct.unpack("i", raw)[0])
    except OSError:
        return None
    finally:
        os.close(handle)


def pinned_attribute(path: str) -> str | None:
    """ "immutable" or "append-only" when that attribute stops even the owner from removing `path`."""
    flags = file_flags(path)
    if flags is None:
        return None
    if flags & FS_IMMUTABLE_FL:
        return "immutable"
    return "append-only" if flags & FS_APPEND_FL else None


# (owner uid, "immutable"/"append-only"/None, is a directory (not a symlink)) of one path, or None when gone
if TYPE_CHECKING:
    Inspector = Callable[[str], "tuple[int, str | None, bool] | None"]
STATX_ATTR_IMMUTABLE = 0x10
STATX_ATTR_APPEND = 0x20


SLOW_CALLS = 64  # loading ctypes costs about as much as this many slow inspections


def entry_inspector() -> Inspector:
    """Owner, pinned attribute and kind of a path. A walk over a large site-packages goes through statx(2)
    in one call per path where the C library has it (instead of lstat, open, ioctl and close per file);
    a small one never loads ctypes."""
    calls = 0
    fast: Inspector | None = None

    def inspect(path: str) -> tuple[int, str | None, bool] | None:
        nonlocal calls, fast
        if fast is not None:
            return fast(path)
        calls += 1
        if calls > SLOW_CALLS:
            fast = statx_inspector() or slow_inspect
        return slow_inspect(path)

    return inspect


def statx_inspector() -> Inspector | None:
    import struct

    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        statx = libc.statx
    except (OSError, AttributeError):
        return None
    statx.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint, ctypes.c_char_p]
    buffer = ctypes.create_string_buffer(256)  # struct statx

    def inspect(path: str) -> tuple[int, str | None, bool] | None:
        # AT_FDCWD, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS
        if statx(-100, os.fsencode(path), 0x100, 0x7FF, buffer) != 0:
            return None
        attributes, owner, mode = struct.unpack_from("<8xQ4xI4xH", buffer, 0)
        pinned = "immutable" if attributes & STATX_ATTR_IMMUTABLE else None
        if attributes & STATX_ATTR_APPEND:
            pinned = pinned or "append-only"
        return owner, pinned, stat.S_ISDIR(mode)

    return inspect


def slow_inspect(path: str) -> tuple[int, str | None, bool] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return info.st_uid, pinned_attribute(path), stat.S_ISDIR(info.st_mode)
