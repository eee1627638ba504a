"""SHA-256 of a text, for names safepip derives from paths (managed venvs, cache entries). Through the C
module `_sha256` (`_sha2` from 3.12) where it exists: `hashlib` loads OpenSSL first (the benchmark's import
costs show it)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha256 import sha256
    except ImportError:
        try:
            from _sha2 import sha256
        except ImportError:
            from hashlib import sha256


def sha256_hex(text: str) -> str:
    return str(sha256(text.encode("utf-8", "surrogateescape")).hexdigest())
