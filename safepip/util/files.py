"""The files safepip keeps for itself (caches and records): written whole or not at all, 0600, never
through a link that someone put in their place."""

from __future__ import annotations

import contextlib
import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def write_json(path: str, document: Any) -> None:
    """Replace `path` with `document` as JSON: written to a new file beside it, then renamed over it, so
    a reader sees the old file or the new one. OSError when it cannot be written (the caller decides
    whether that matters); the directory must exist."""
    temporary = f"{path}.{os.getpid()}-{os.urandom(4).hex()}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with open(fd, "w", encoding="utf-8") as out:
            out.write(json.dumps(document))  # dumps, not dump: only dumps has the C encoder
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
