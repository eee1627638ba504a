#!/usr/bin/env python3
"""`python -m safepip`, and the installed `safepip` command itself (pyproject.toml's shared-scripts): a
console-script entry point would do, but the wrapper installers write for one imports `re` first, about 5 ms
of every start, before safepip can start pip (head_start.py)."""

from __future__ import annotations

from safepip.entry import main

if __name__ == "__main__":
    main()
