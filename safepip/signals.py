"""The signal numbers and `signal()` that safepip needs, without the `signal` module's enum classes: their
import (enum, functools, collections: about 3 ms) would come before pip's head start."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from signal import SIGINT, SIGKILL, SIGPIPE, SIGTERM, SIGXFSZ, signal
else:
    try:  # the C module under `signal`
        from _signal import SIGINT, SIGKILL, SIGPIPE, SIGTERM, SIGXFSZ, signal
    except ImportError:  # not CPython
        from signal import SIGINT, SIGKILL, SIGPIPE, SIGTERM, SIGXFSZ, signal

__all__ = ["SIGINT", "SIGKILL", "SIGPIPE", "SIGTERM", "SIGXFSZ", "signal"]
