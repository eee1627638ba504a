"""One lock per target, so that concurrent safepip runs neither race to make a venv nor to install."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from safepip.errors import LockTimeoutError


@contextmanager
def target_lock(lock_file: str, target: str, timeout: float, notify: Callable[[str], None]) -> Iterator[None]:
    from filelock import FileLock, Timeout

    try:
        os.makedirs(os.path.dirname(lock_file), mode=0o700, exist_ok=True)
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
