"""The files safepip keeps for itself (caches and records): written whole or not at all, 0600, never
through a link that someone put in their place.

A record is a value of plain types (None, bool, int, str, lists, tuples and dicts of them) in `marshal`'s
format: marshal is built into every Python, where `json` costs more to import than the rest of an install's
checks (the benchmark's import costs show it). Format version 2 reads the same in every Python 3, so an
interpreter of another version can answer safepip in it. Only safepip's own files are read this way, in
directories the trust rule checked, and only a regular file of the user's own that nobody else can write:
never what another user could have put there (a record in a team's shared venv, a planted one, a FIFO).
"""

from __future__ import annotations

import marshal
import os

from safepip.facts.trust import own_file_info

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MARSHAL_VERSION = 2  # plain types only, no references between them: the same bytes from every Python 3


def write_record(path: str, value: Any) -> None:
    """Replace `path` with `value`: written to a new file beside it, then renamed over it, so a reader sees
    the old record or the new one. ValueError for a value of other types; OSError when it cannot be written
    (the caller decides whether that matters); the directory must exist."""
    data = marshal.dumps(value, MARSHAL_VERSION)
    temporary = f"{path}.{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with open(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


MAX_RECORD = 16 * 1024 * 1024


def read_record(path: str) -> Any:
    """The value a record holds; None when it is missing, unreadable, damaged, or not a regular file of this
    user's that only they can write (opened without following a link or waiting on a FIFO)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not own_file_info(info, os.geteuid()) or info.st_size > MAX_RECORD:
            return None
        with open(fd, "rb", closefd=False) as handle:
            return decode_record(handle.read())
    except OSError:
        return None
    finally:
        os.close(fd)


def decode_record(data: bytes) -> Any:
    """The value of a record's bytes; None when they are not one whole value."""
    try:
        return marshal.loads(data)
    except (EOFError, ValueError, TypeError, MemoryError):
        return None
