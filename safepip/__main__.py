#!/usr/bin/env python3
"""`python -m safepip`, and the installed `safepip` command itself: pyproject.toml installs this file as a
script (the installer points its `#!python` at the environment's Python) instead of a console-script
wrapper, which imports `re` before safepip starts (the benchmark's import costs show what that adds)."""

from __future__ import annotations

import gc
import os
import sys

# A PYTHONPATH entry that is empty or relative puts the working directory on safepip's own import path
# (`export PYTHONPATH=/opt/app:$PYTHONPATH` when it was unset): start again without it, before importing more.
if not sys.flags.ignore_environment and any(
    not os.path.isabs(entry) for entry in os.environ.get("PYTHONPATH", "/").split(os.pathsep)
):
    os.execv(
        sys.executable, [sys.executable, "-E", *(["-P"] if sys.version_info >= (3, 11) else []), *sys.argv]
    )

# No cyclic garbage collection in a run this short: each pass walks every object the imports have made, and
# they make many; what refcounting leaves is freed at exit
gc.disable()

from safepip.cli.main import main  # noqa: E402 (after the two lines above, on purpose)

if __name__ == "__main__":
    main()
