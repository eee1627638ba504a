"""SHA-256 of a text, for names safepip derives from paths (managed venvs, cache entries). Through the C
module `_sha256` (`_sha2` from 3.12) where it exists: `hashlib` loads OpenSSL first (the benchmark's import
costs show it)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

TYPE_CHECKING = False  # typing itself is not imported on the hot path
if TYPE_CHECKING:
    from typing import Any


def find_sha256() -> Callable[[bytes], Any]:
    for module in ("_sha256", "_sha2", "hashlib"):
        try:
            return importlib.import_module(module).sha256  # type: ignore[no-any-return]
        except (ImportError, AttributeError):
            continue
    raise ImportError("no sha256")


SHA256 = find_sha256()


def sha256_hex(text: str) -> str:
    return str(SHA256(text.encode("utf-8", "surrogateescape")).hexdigest())
