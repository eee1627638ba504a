"""What safepip has already said once: advice that would only repeat itself on every run (the chown that
would let the user install into a root's venv directly; stash entries an earlier pip left). One empty file
per thing said, named by a hash of it, in safepip's cache dir: nothing of the text is kept."""

from __future__ import annotations

import os

from safepip.util.digest import sha256_hex
from safepip.util.dirs import make_dirs


def said_first_time(cache_dir: str | None, what: str) -> bool:
    """Record `what` as said; True when this is the first time (or when it cannot be recorded, so that
    nothing goes unsaid)."""
    if cache_dir is None:
        return True
    said = os.path.join(cache_dir, "said")
    name = sha256_hex(what)[:32]
    try:
        make_dirs(said)
        os.close(
            os.open(os.path.join(said, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        )
    except FileExistsError:
        return False
    except OSError:
        return True
    return True
