"""One lock per target, so that concurrent safepip runs neither race to make a venv nor to install.

On POSIX the lock is flock(2) on a file in safepip's data dir, taken here directly: the same lock filelock's
UnixFileLock takes, without its import (about 25 ms, much of a managed venv's 80). Elsewhere, filelock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from safepip.errors import LockTimeoutError, RefusedError

POLL = 0.05  # seconds between tries while another safepip holds the lock (filelock's default)


class PosixLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self.handle: int | None = None

    def acquire(self, timeout: float) -> bool:
        """True once held; False when `timeout` seconds passed first."""
        import fcntl

        handle = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self.handle = handle
                    return True
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        os.close(handle)
                        return False
                    time.sleep(POLL)
        except BaseException:
            if self.handle is None:
                os.close(handle)
            raise

    def release(self) -> None:
        if self.handle is not None:
            os.close(self.handle)  # closing the last descriptor releases the flock
            self.handle = None


class PortableLock:
    def __init__(self, path: str) -> None:
        from filelock import FileLock

        self.lock = FileLock(path)

    def acquire(self, timeout: float) -> bool:
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=timeout)
        except Timeout:
            return False
        return True

    def release(self) -> None:
        self.lock.release()


@contextmanager
def target_lock(lock_file: str, target: str, timeout: float, notify: Callable[[str], None]) -> Iterator[None]:
    lock_dir = os.path.dirname(lock_file)
    try:
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        if os.stat(lock_dir).st_uid != os.geteuid():  # another user could then take or break our locks
            raise RefusedError(
                f"the lock directory {lock_dir} is not yours",
                f"remove {lock_dir}; safepip makes it again, private to you",
            )
        lock = PosixLock(lock_file) if os.name == "posix" else PortableLock(lock_file)
        if not lock.acquire(0):
            notify(f"waiting for another safepip working on {target} (up to {timeout:g} s)")
            if not lock.acquire(timeout):
                raise LockTimeoutError(
                    f"gave up after {timeout:g} s waiting for the lock on {target} ({lock_file})",
                    "wait for the other install to finish, or raise --lock-timeout",
                )
    except OSError as error:
        notify(f"warning: cannot lock {target} ({error.strerror}); going on without a lock")
        yield
        return
    try:
        yield
    finally:
        lock.release()
