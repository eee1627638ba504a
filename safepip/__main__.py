#!/usr/bin/env python3
"""`python -m safepip`, the installed `safepip` command itself (pyproject.toml installs this file as a script,
the installer pointing its `#!python` at the environment's Python, instead of a console-script wrapper, which
imports `re` before safepip starts), and what safepip.pyz's own `__main__.py` goes through.

Before anything else is imported, safepip's own Python starts again with `-E -P` when a variable would have it
import code or read bytecode from elsewhere than its standard library and its own files: an empty PYTHONPATH
entry is the working directory, which could be anyone's. (No `from __future__` here or in `__init__.py`: that
is an import too, looked up through PYTHONPATH. The self-install's `safepip` runs with `-I` and needs none of
this.)
"""

import gc
import os
import sys

REDIRECTING = ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONUSERBASE", "PYTHONHOME", "PYTHONPLATLIBDIR")


def restart_ignoring_environment() -> None:
    """Become `python -E -P` running this same safepip with the same arguments; what safepip itself reads
    of the environment (os.environ, for the Pythons it starts) is unchanged."""
    flags = [sys.executable, "-E", *(["-P"] if sys.version_info >= (3, 11) else [])]
    if __spec__ is None:  # the installed script: its site dirs hold safepip
        os.execv(sys.executable, [*flags, *sys.argv])
    # python -m safepip (perhaps from a checkout), or safepip.pyz: the directory or archive this came from
    home = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    start = (
        "import sys\nif '' in sys.path: sys.path.remove('')\n"  # 3.10 has no -P: `-c` puts the cwd there
        f"if {home!r} not in sys.path: sys.path.insert(0, {home!r})\n"
        f"sys.argv[0] = {sys.argv[0]!r}\nfrom safepip.__main__ import main\nmain()\n"
    )
    os.execv(sys.executable, [*flags, "-c", start, *sys.argv[1:]])


if not sys.flags.ignore_environment and any(os.environ.get(name) for name in REDIRECTING):
    restart_ignoring_environment()

# No cyclic garbage collection in a run this short: each pass walks every object the imports have made, and
# they make many; what refcounting leaves is freed at exit
gc.disable()

from safepip.cli.main import main  # noqa: E402 (after the restart above, on purpose)

if __name__ == "__main__":
    main()
