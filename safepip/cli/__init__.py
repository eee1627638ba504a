"""The command line: safepip's options (options.py), the edge that maps errors to output (main.py), and how
results look (output.py, render.py)."""

from __future__ import annotations

from safepip.cli.main import main

__all__ = ["main"]
