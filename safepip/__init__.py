"""safepip: a drop-in `pip install` that picks a writable target instead of failing."""

from __future__ import annotations

__version__ = "0.1.0"
