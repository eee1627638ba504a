"""One lock per target, so that concurrent installs neither race to make a venv nor to install.

For a venv the lock is `<venv>/.lock`, the file uv locks for the same venv (uv-python's
`PythonEnvironment::lock`), so safepip, uv and every member of a shared venv take turns; the other targets
are locked in safepip's runtime dir (commands/common.py's lock_file_for says which file). The lock is flock(2), as uv and
filelock's UnixFileLock take it, here without filelock's import (see the benchmark's import costs). Its
descriptor is handed to the processes safepip starts for the target, so the lock lives as long as any of them.

Where the filesystem has no locks (some NFS: ENOLCK), safepip warns and goes on; any other failure to lock
stops it, since an unlocked venv creation or install is what the lock is there to prevent.
"""

from __future__ import annotations

import errno
import os
import stat
import time

from safepip.errors import LockTimeoutError, RefusedError
from safepip.util.contexts import contextmanager
from safepip.util.dirs import make_dirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

if os.name == "posix":
    import fcntl

POLL = 0.05  # seconds between tries while another process holds the lock (filelock's default)
UNSUPPORTED = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)


def open_lock_file(path: str) -> int:
    """The lock file, created readable by all (members of a shared venv lock the same file), never a link."""
    flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK  # a FIFO must not hang us
    fd = os.open(path, flags, 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "not a regular file", path)
    return fd


def try_lock(fd: int, shared: bool = False) -> bool:
    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def portable_lock(lock_file: str, what: str, timeout: float) -> Iterator[None]:
    """Where there is no flock (not POSIX): filelock, which has no descriptor to hand on."""
    from filelock import FileLock, Timeout

    lock = FileLock(lock_file)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockTimeoutError(
            f"gave up after {timeout:g} s waiting for the lock on {what}", "raise --lock-timeout"
        ) from None
    try:
        yield
    finally:
        lock.release()


def still_there(fd: int, path: str) -> bool:
    """The locked file is still the one at `path`: a venv whose making was interrupted is removed, lock file
    and all, by the run that held the lock; a run that waited on the old file must lock the new one."""
    try:
        mine, now = os.fstat(fd), os.stat(path, follow_symlinks=False)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino)


def acquire(
    fd: int,
    what: str,
    lock_file: str,
    deadline: float,
    timeout: float,
    notify: Callable[[str], None],
    shared: bool = False,
) -> None:
    if try_lock(fd, shared):
        return
    notify(f"waiting for another install into {what} (up to {timeout:g} s)")
    while not try_lock(fd, shared):
        if time.monotonic() >= deadline:
            raise LockTimeoutError(
                f"gave up after {timeout:g} s waiting for the lock on {what} ({lock_file})",
                "wait for the other install to finish, or raise --lock-timeout",
            )
        time.sleep(POLL)


@contextmanager
def target_lock(
    lock_file: str,
    what: str,
    timeout: float,
    notify: Callable[[str], None],
    dir_mode: int = 0o700,
    trusted_by: int | None = None,
    shared: bool = False,
) -> Iterator[int | None]:
    """Hold the lock on `what` for the block; yields its descriptor (None where locks are unsupported).
    `shared`: for a command that only reads the target; any number of them hold it at once, never beside an
    install, which holds it alone.
    The lock file's directory is made with `dir_mode` when missing (a venv about to be made: 0o755).
    `trusted_by`: that directory (a venv's) is judged by the trust rule for this uid once the lock is held:
    where it was missing when the probe looked (a new `--venv` in /tmp), another user may have made it
    since, and make_dirs takes a directory that is there."""
    if os.name != "posix":
        with portable_lock(lock_file, what, timeout):
            yield None
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            make_dirs(os.path.dirname(lock_file), dir_mode)
            fd = open_lock_file(lock_file)
        except OSError as error:
            raise RefusedError(
                f"cannot lock {what}: {lock_file}: {error.strerror}",
                f"make sure {os.path.dirname(lock_file)} is writable, or pick another target",
            ) from None
        try:
            acquire(fd, what, lock_file, deadline, timeout, notify, shared)
        except OSError as error:
            os.close(fd)
            if error.errno not in UNSUPPORTED:
                raise RefusedError(
                    f"cannot lock {what}: {error.strerror}", "pick a target on a local filesystem"
                ) from None
            notify(
                f"warning: {lock_file} cannot be locked ({error.strerror}, e.g. NFS); going on without a lock"
            )
            yield None
            return
        except BaseException:
            os.close(fd)
            raise
        if still_there(fd, lock_file):
            break
        os.close(fd)
        notify = lambda _message: None  # noqa: E731  (said once already)
    if trusted_by is not None:
        from safepip.facts.trust import distrust

        found = distrust(os.path.dirname(lock_file), trusted_by)
        if found is not None:
            os.close(fd)
            raise RefusedError(
                f"{os.path.dirname(lock_file)} is not safe to use: {found.reason()}",
                "pass a directory of yours that no one else can write",
            )
    try:
        yield fd
    finally:
        os.close(fd)  # closing our descriptor; a child that inherited it keeps the lock until it ends
