"""safepip.pyz's hidden entries, by which safepip starts the modules the archive carries (util/archive.py):
`python3 safepip.pyz __pip__ ARGS…` hands the process to the archive's pip, run from its seed (extracted
once into the data dir, actions/seed.py); `__virtualenv__ ARGS…` runs virtualenv from the archive."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

from safepip.actions.own_dirs import make_private_root
from safepip.actions.seed import pip_seed
from safepip.errors import SafepipError
from safepip.facts.own_dirs import own_dirs
from safepip.util.archive import CARRIED_ENTRIES, OWN_VERSION, running_archive
from safepip.util.process import python_file, replace_process


def run_carried(entry: str, argv: list[str]) -> int:
    """Run the module behind `entry` with `argv`; its exit code (`__pip__` does not return)."""
    if CARRIED_ENTRIES[entry] == "pip":
        run_pip(argv)
    import runpy

    sys.argv = [CARRIED_ENTRIES[entry], *argv]
    try:
        runpy.run_module(CARRIED_ENTRIES[entry], run_name="__main__", alter_sys=True)
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return 0


def run_pip(argv: list[str]) -> NoReturn:
    """This Python becomes the archive's pip, run from its seed: pip's children (build isolation, `--python`)
    start `<python> <pip's directory>/__pip-runner__.py`, which a zip does not have."""
    uid = os.geteuid()
    dirs = own_dirs(uid)
    seed = None
    if dirs.data.writable:
        if dirs.private_root is not None:
            make_private_root(dirs.private_root, uid)
        seed = pip_seed(dirs.data.path)
    if seed is None:
        raise SafepipError(
            f"cannot extract the pip in {running_archive() or 'safepip'} into {dirs.data.path}",
            "set HOME (or XDG_DATA_HOME) to a directory you can write",
        )
    # pip's __main__.py puts the seed on sys.path itself, as for `python pip-X.whl/pip`
    replace_process(python_file(sys.executable, OWN_VERSION, os.path.join(seed, "pip"), *argv), os.environ)
