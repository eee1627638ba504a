#!/usr/bin/env python3
"""`python -m safepip`, and the installed `safepip` command itself: pyproject.toml installs this file as a
script (the installer points its `#!python` at the environment's Python) instead of a console-script
wrapper, which imports `re` before safepip starts (the benchmark's import costs show what that adds)."""

from __future__ import annotations

from safepip.cli.main import main

if __name__ == "__main__":
    main()
