"""One lock per target, so that concurrent safepip runs neither race to make a venv nor to install."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from safepip.errors import LockTimeoutError, RefusedError


@contextmanager
def target_lock(lock_file: str, target: str, timeout: float, notify: Callable[[str], None]) -> Iterator[None]:
    from filelock import FileLock, Timeout

    lock_dir = os.path.dirname(lock_file)
    try:
        os.makedirs(lock_dir, mode=0o700, exist_ok=True)
        if os.stat(lock_dir).st_uid != os.geteuid():  # another user could then take or break our locks
            raise RefusedError(
                f"the lock directory {lock_dir} is not yours",
                f"remove {lock_dir}; safepip makes it again, private to you",
            )
        lock = FileLock(lock_file)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            notify(f"waiting for another safepip working on {target} (up to {timeout:g} s)")
            try:
                lock.acquire(timeout=timeout)
            except Timeout:
                raise LockTimeoutError(
                    f"gave up after {timeout:g} s waiting for the lock on {target} ({lock_file})",
                    "wait for the other install to finish, or raise --lock-timeout",
                ) from None
    except OSError as error:
        notify(f"warning: cannot lock {target} ({error.strerror}); going on without a lock")
        yield
        return
    try:
        yield
    finally:
        lock.release()
