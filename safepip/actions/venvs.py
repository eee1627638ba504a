"""Make the venvs safepip owns: managed venvs, overlays, and a `--venv` that does not exist yet.

Always called under the target's lock. A venv is made at its final path and the marker is written
last, so one without the marker (interrupted, disk full) is removed and made again.
"""

from __future__ import annotations

import contextlib
import os
import shutil

from safepip.actions.seed import pip_seed, seed_supports
from safepip.actions.venv_layout import can_lay_out, lay_out_venv
from safepip.errors import SafepipError, UsageError
from safepip.facts import paths
from safepip.facts.paths import VENV_LOCK, site_packages
from safepip.facts.python_trust import read_pyvenv_cfg
from safepip.facts.records import Interpreter
from safepip.util.archive import own_module
from safepip.util.process import python_module
from safepip.util.questions import NoAnswer, ask

# .pth files are read in name order: the seed's pip (_safepip_pip.pth) comes before the base venv's packages, so
# an overlay runs safepip's pip, never an older one of the base's
OVERLAY_PTH = "_safepip_z_overlay.pth"
OLD_OVERLAY_PTHS = ("_safepip_overlay.pth",)  # what earlier versions wrote
SEED_PTH = "_safepip_pip.pth"  # puts the shared pip seed on sys.path, after the venv's own site-packages
VENV_TIMEOUT = 300.0
# `pip` in a venv whose pip is the seed: `python -m pip`, as a venv's own pip script would run it (sys.argv[0]
# stays `…/bin/pip`, so pip's messages say `pip`); an install of pip into the venv replaces it
PIP_SCRIPT = """\
{shebang}
# put here by safepip: this venv's pip is the copy that safepip's venvs share
import runpy

runpy.run_module("pip", run_name="__main__")
"""
# a Python whose path a `#!` line cannot hold (whitespace, over 127 bytes), or Python could not read back in
# its own script (bytes that are not UTF-8), is the `python` beside the script, started through sh: the
# second line is sh's `exec` and, to Python, a string (one that holds no path and no backslash)
SH_TRAMPOLINE = """#!/bin/sh
'''exec' "$(dirname -- "$(readlink -f -- "$0")")/python" "$0" "$@"
' '''"""


def clear_half_made(path: str) -> None:
    """Empty a venv directory that has no marker (a run was interrupted), keeping `.lock`: other runs
    wait on that very file."""
    for name in os.listdir(path):
        if name == VENV_LOCK:
            continue
        entry = os.path.join(path, name)
        if os.path.isdir(entry) and not os.path.islink(entry):
            shutil.rmtree(entry)
        else:
            os.unlink(entry)


def remove_if_unused(path: str) -> None:
    """Remove a venv of safepip's own that is not ready, unless another run holds its lock (it is making it
    now): a run interrupted before it even held the lock leaves nothing behind either."""
    from safepip.actions.locks import open_lock_file, try_lock

    if paths.venv_is_ready(path):
        return
    try:
        fd = open_lock_file(os.path.join(path, VENV_LOCK))
    except OSError:
        return
    try:
        if try_lock(fd) and not paths.venv_is_ready(path):
            shutil.rmtree(path, ignore_errors=True)
    finally:
        os.close(fd)


def ensure_venv(
    path: str,
    *,
    create_from: str,
    owned: bool,
    system_site_packages: bool,
    data_root: str,
    base: Interpreter | None = None,
    overlay_site_dirs: tuple[str, ...] = (),
    lock_fd: int | None = None,
) -> bool:
    """Make the venv at `path` (its directory and lock exist already: this runs under that lock); True when
    it was made now, False when it was ready (made by another run while this one waited)."""
    if paths.venv_is_ready(path):
        return False
    if os.listdir(path) not in ([], [VENV_LOCK]):
        if not owned:
            raise UsageError(
                f"{path} exists but is not a venv", "pass --venv a new directory or an existing venv"
            )
        clear_half_made(path)  # a half-made venv of safepip's own (no marker)
    try:
        create_venv(path, create_from, system_site_packages, data_root, base, lock_fd)
        if overlay_site_dirs:
            write_overlay_pth(path, overlay_site_dirs)
        with open(
            os.path.join(path, paths.MARKER), "w", encoding="utf-8", errors="surrogateescape"
        ) as marker:
            marker.write(f"made by safepip from {create_from}\n")
    except BaseException:  # Ctrl-C, SIGTERM, a full disk: leave no half-made venv (SIGKILL: no marker)
        if owned:  # safepip's own: removed whole, lock file included (waiting runs then lock a new one)
            shutil.rmtree(path, ignore_errors=True)
        else:
            clear_half_made(path)
        raise
    return True


def create_venv(
    path: str,
    python: str,
    system_site_packages: bool,
    data_root: str,
    base: Interpreter | None = None,
    lock_fd: int | None = None,
) -> None:
    """A venv without pip (laid out directly for CPython on Linux, else the stdlib's venv in one short
    subprocess), with pip from a seed shared by safepip's venvs; virtualenv when that is not possible (no venv
    module, or a Python the seeded pip does not support)."""
    seed = pip_seed(data_root)
    if seed is not None and base is not None and can_lay_out(base.tag):
        lay_out_venv(path, python, base.version, system_site_packages)
        made = True
    else:
        version = base.version if base is not None else None
        made = seed is not None and make_stdlib_venv(path, python, version, system_site_packages, lock_fd)
    if seed is not None and made:
        if seed_supports(seed, path):
            with open(
                os.path.join(site_packages(path), SEED_PTH), "w", encoding="utf-8", errors="surrogateescape"
            ) as handle:
                handle.write(seed + "\n")
            write_pip_scripts(path)
            return
        clear_half_made(path)
    make_virtualenv(path, python, system_site_packages, data_root, lock_fd)


def plain_shebang(path: str) -> bool:
    """`#!path` works: no whitespace, printable UTF-8, short enough for the kernel's line (127 bytes)."""
    try:
        size = len(path.encode("utf-8"))
    except UnicodeEncodeError:  # a path of bytes that are not UTF-8 (surrogate escapes)
        return False
    return size <= 125 and path.isprintable() and not any(c.isspace() for c in path)


def write_pip_scripts(venv: str) -> None:
    """`pip`, `pip3` and `pip3.X` in the venv's bin, for the seed's pip: activated, the venv's `pip` is its
    own, not the next one on PATH (on Debian, the system's, which PEP 668 stops). One there is left alone;
    nothing for a venv whose pip is not the seed."""
    if not os.path.isfile(os.path.join(site_packages(venv), SEED_PTH)):
        return
    python = paths.venv_python(venv)
    shebang = f"#!{python}" if plain_shebang(python) else SH_TRAMPOLINE
    short = ".".join(read_pyvenv_cfg(venv).get("version", "").split(".")[:2])
    for name in ("pip", "pip3", *([f"pip{short}"] if short.startswith("3.") else [])):
        script = os.path.join(venv, "bin", name)
        if os.path.lexists(script):
            continue
        with open(script, "x", encoding="utf-8", errors="surrogateescape") as handle:
            handle.write(PIP_SCRIPT.format(shebang=shebang))
        os.chmod(script, 0o755)


def make_stdlib_venv(
    path: str, python: str, version: str | None, system_site_packages: bool, lock_fd: int | None = None
) -> bool:
    args = ["--without-pip", *(["--system-site-packages"] if system_site_packages else []), path]
    try:
        done = ask(
            python_module(python, version, "venv", *args), os.environ, VENV_TIMEOUT, inherit=fds(lock_fd)
        )
    except NoAnswer:
        done = None
    if done is None or done.code != 0 or not os.path.exists(paths.venv_python(path)):
        clear_half_made(path)
        return False
    return True


def fds(lock_fd: int | None) -> list[int]:
    """The lock passes to the child that makes the venv: it never writes there without it."""
    return [lock_fd] if lock_fd is not None else []


def make_virtualenv(
    path: str, python: str, system_site_packages: bool, data_root: str, lock_fd: int | None = None
) -> None:
    """virtualenv, in a child process of safepip's own Python (through util/process.py like every child);
    from safepip.pyz, the one it carries."""
    args = [
        path,
        "--python", python,
        "--no-setuptools",
        "--no-periodic-update",
        "--app-data", os.path.join(data_root, "virtualenv"),
        "--quiet",
        *(["--system-site-packages"] if system_site_packages else []),
    ]  # fmt: skip
    try:
        done = ask(
            own_module("virtualenv", *args),
            os.environ,
            VENV_TIMEOUT,
            inherit=fds(lock_fd),
        )
        failure = None if done.code == 0 else done.last_error_line()
    except NoAnswer as error:
        failure = str(error)
    if failure is not None:
        clear_half_made(path)
        raise SafepipError(
            f"could not create the venv {path} from {python}: {failure}",
            "check that the interpreter runs and that the directory is writable",
        )


def overlay_pth_line(site_dirs: tuple[str, ...]) -> str:
    """Adds the base venv's site dirs (their .pth files processed) with a fresh `known_paths`, so that pip's
    isolated build environment, which re-adds this venv's own site dirs to find and drop what they bring,
    drops the base's packages too: a build sees only its own build requirements."""
    adds = "".join(f"; site.addsitedir({directory!r}, _known)" for directory in dict.fromkeys(site_dirs))
    return f"import site; _known = set(){adds}\n"


def write_overlay_pth(overlay: str, site_dirs: tuple[str, ...]) -> None:
    """Put the base venv's site-packages after the overlay's own; rewrite it when it is out of date (an
    overlay made by an earlier safepip, or a base whose site dirs moved)."""
    site = site_packages(overlay)
    for old in OLD_OVERLAY_PTHS:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(os.path.join(site, old))
    path = os.path.join(site, OVERLAY_PTH)
    line = overlay_pth_line(site_dirs)
    with contextlib.suppress(OSError), open(path, encoding="utf-8") as current:
        if current.read() == line:
            return
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(line)
