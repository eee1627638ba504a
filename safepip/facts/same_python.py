"""The facts of a venv of safepip's own Python, read here instead of asked (a first run then starts no
interpreter before pip).

Such a venv runs the binary that runs safepip, started from the same `home`: its standard library, sysconfig
and site module are the ones loaded here, so all that differs is the prefix, which self_report.describe()
takes as an argument; the query runs the same function there. Whenever that is not plainly so (a copied or
another binary, another home, safepip itself not in a venv, a variable that changes what the interpreter
reports), None: the interpreter is asked.
"""

from __future__ import annotations

import os
import site
import sys

from safepip.facts.python_trust import read_venv_home

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

# Variables of Python's that do not change what describe() reports; any other PYTHON* variable that is set
# could (PYTHONHOME, PYTHONUSERBASE, PYTHONNOUSERSITE, PYTHONPLATLIBDIR, ...): then the interpreter is asked.
# PYTHONPATH and PYTHONPYCACHEPREFIX are not passed to the query (interpreter.py's NOT_ASKED_WITH).
UNCHANGING = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED", "PYTHONHASHSEED", "PYTHONFAULTHANDLER",
              "PYTHONSAFEPATH", "PYTHONPATH", "PYTHONPYCACHEPREFIX")  # fmt: skip


def venv_prefix(python: str) -> str | None:
    """The venv `python` starts in: a pyvenv.cfg one level up, and none beside it."""
    exe_dir = os.path.dirname(os.path.abspath(python))
    if os.path.lexists(os.path.join(exe_dir, "pyvenv.cfg")):
        return None
    prefix = os.path.dirname(exe_dir)
    return prefix if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")) else None


def module_search_path() -> list[str] | None:
    """The import path this Python computed at start-up, before site ran: its standard library's zip, dir
    and lib-dynload, from the base prefixes. None unless this process's sys.path holds exactly those, in
    turn (what `-S` would leave of it)."""
    major, minor = sys.version_info[:2]
    platlib = getattr(sys, "platlibdir", "lib")
    lib = os.path.join(platlib, f"python{major}.{minor}")
    expected = [
        os.path.join(sys.base_prefix, platlib, f"python{major}{minor}.zip"),
        os.path.join(sys.base_prefix, lib),
        os.path.join(sys.base_exec_prefix, lib, "lib-dynload"),
    ]
    for start in range(len(sys.path) - 2):
        if sys.path[start : start + 3] == expected:
            return expected
    return None


def same_python_venv(python: str, environ: Mapping[str, str]) -> str | None:
    """The venv `python` starts in, when it is safepip's own Python started from the same home, so that
    asking it would report what same_python_answer reads here; else None."""
    if sys.implementation.name != "cpython" or os.name != "posix" or sys.prefix == sys.base_prefix:
        return None
    if any(value and name.startswith("PYTHON") and name not in UNCHANGING for name, value in environ.items()):
        return None
    if "DEB_PYTHON_INSTALL_LAYOUT" in environ or module_search_path() is None:
        return None
    if not hasattr(site, "_getuserbase") or not hasattr(site, "_get_path"):  # before 3.10
        return None
    prefix = venv_prefix(python)
    if prefix is None or os.path.realpath(python) != os.path.realpath(sys.executable):
        return None
    (home, ambiguous), (own_home, own_ambiguous) = read_venv_home(prefix), read_venv_home(sys.prefix)
    return prefix if home and home == own_home and ambiguous is None and own_ambiguous is None else None


def same_python_answer(python: str, prefix: str) -> dict[str, Any]:
    """describe()'s answer for `python` of the venv at `prefix` (same_python_venv), read here."""
    from safepip.facts.self_report import describe

    search_path = module_search_path()
    assert search_path is not None
    # site.getuserbase() as the query's Python computes it, from HOME as it is now: site keeps the first it
    # computed, before a switch to the user under sudo; check_enableusersite(): no -s, no PYTHONNOUSERSITE
    user_base: str = site._getuserbase()  # type: ignore[attr-defined]
    user_site = os.geteuid() == os.getuid() and os.getegid() == os.getgid()
    return describe(
        os.path.abspath(python), prefix, prefix, sys.base_prefix, user_base, user_site, search_path
    )
