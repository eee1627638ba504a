"""pip's private temp directory: made 0700 below the chosen temp root, handed to pip as TMPDIR, TEMP and TMP,
removed when pip exits, whatever happens. pip keeps its own temp dirs (`pip-install-*`, `pip-build-tracker-*`)
in there, so an interrupted pip leaves nothing in /tmp either.

A run that is killed outright (SIGKILL) cannot clean up: each private directory holds a lock that its run
(and the pip it started) keeps for as long as it lives, and the next run removes the user's directories whose
lock nobody holds any more.
"""

from __future__ import annotations

import fcntl
import os

from safepip.facts.temp import TEMP_VARIABLES
from safepip.facts.trust import private_dir_info
from safepip.util.contexts import contextmanager
from safepip.util.dirs import make_dirs
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

PRIVATE_PREFIX = "safepip-tmp-"
ALIVE = ".safepip-alive"


class PrivateTemp(NamedTuple):
    variables: dict[str, str]  # TMPDIR, TEMP and TMP for pip; empty when no temp root was usable
    alive_fd: int | None  # pip inherits it: the directory is in use as long as pip runs


def remove_stale(parent: str, uid: int) -> None:
    """Remove the private temp dirs of this user's runs that died without cleaning up."""
    try:
        names = [name for name in os.listdir(parent) if name.startswith(PRIVATE_PREFIX)]
    except OSError:
        return
    for name in names:
        path = os.path.join(parent, name)
        try:
            info = os.lstat(path)
            if not private_dir_info(info, uid):  # as make_private_dir makes them
                continue
            fd = os.open(os.path.join(path, ALIVE), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue  # being made right now, or not one of ours
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            continue  # its run (or its pip) is still alive
        finally:
            os.close(fd)
        remove_dir(path)


def make_private_dir(parent: str) -> str:
    """A new 0700 directory below `parent` (as tempfile.mkdtemp, without its import)."""
    while True:
        path = os.path.join(parent, PRIVATE_PREFIX + os.urandom(6).hex())
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue


@contextmanager
def private_temp(parent: str | None, uid: int) -> Iterator[PrivateTemp]:
    """A private directory below `parent` for as long as the block runs; nothing when `parent` is None."""
    if parent is None:
        yield PrivateTemp({}, None)
        return
    remove_stale(parent, uid)
    make_dirs(parent)
    private = make_private_dir(parent)
    try:
        fd = os.open(os.path.join(private, ALIVE), os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield PrivateTemp(dict.fromkeys(TEMP_VARIABLES, private), fd)
        finally:
            os.close(fd)
    finally:
        remove_dir(private)


def remove_dir(path: str) -> None:
    """Remove a private dir; pip has usually emptied it, and then shutil need not even be imported."""
    try:
        os.unlink(os.path.join(path, ALIVE))
        os.rmdir(path)
        return
    except OSError:
        pass
    import shutil

    shutil.rmtree(path, ignore_errors=True)
