"""Where safepip keeps its own things: managed venvs, overlays, locks and its cache, in the user's data and
cache dirs (XDG, under HOME). Paths only: own_dirs.py checks them and falls back to a private directory.
"""

from __future__ import annotations

import os
import sys

from safepip.util.digest import sha256_hex

MARKER = ".safepip-complete"
VENV_LOCK = ".lock"  # a venv's lock, the file uv locks too (actions/locks.py)


def xdg_user_dir(variable: str, below_home: str) -> str:
    """platformdirs' answer on Linux, without its import (the benchmark's import costs): `$XDG_…_HOME` when it is an
    absolute path, else the default under the home (from passwd when HOME is not absolute); plus "safepip"."""
    base = os.environ.get(variable, "")
    if not os.path.isabs(base):
        home = os.environ.get("HOME", "")
        if not os.path.isabs(home):
            import pwd

            try:
                home = pwd.getpwuid(os.getuid()).pw_dir
            except KeyError:
                home = home or "/"
        base = os.path.join(home, below_home)
    return os.path.join(base, "safepip")


def data_dir() -> str:
    if sys.platform.startswith("linux"):
        return xdg_user_dir("XDG_DATA_HOME", ".local/share")
    from platformdirs import user_data_dir

    return user_data_dir("safepip", appauthor=False)


def cache_dir() -> str:
    if sys.platform.startswith("linux"):
        return xdg_user_dir("XDG_CACHE_HOME", ".cache")
    from platformdirs import user_cache_dir

    return user_cache_dir("safepip", appauthor=False)


def short_hash(text: str) -> str:
    return sha256_hex(text)[:8]


def managed_venv_path(root: str, tag: str, interpreter_real_path: str) -> str:
    return os.path.join(root, "venvs", f"{tag}-{short_hash(interpreter_real_path)}")


def ready_overlay_of(root: str, venv_prefix: str) -> str | None:
    """The overlay safepip made for `venv_prefix`, when there is one that is ready (found by its name's
    hash, without asking any Python)."""
    overlays = os.path.join(root, "overlays")
    suffix = "-" + short_hash(os.path.realpath(venv_prefix))
    try:
        names = sorted(name for name in os.listdir(overlays) if name.endswith(suffix))
    except OSError:
        return None
    ready = [os.path.join(overlays, name) for name in names if venv_is_ready(os.path.join(overlays, name))]
    return ready[0] if ready else None


def overlay_venv_path(root: str, tag: str, venv_prefix: str) -> str:
    name = os.path.basename(os.path.normpath(venv_prefix)).lstrip(".") or "venv"
    return os.path.join(root, "overlays", f"{name}-{tag}-{short_hash(os.path.realpath(venv_prefix))}")


def runtime_lock_path(own_dir: str, target_path: str) -> str:
    """The lock of a target that is not a venv (the user site, a --target directory, the system environment):
    in `$XDG_RUNTIME_DIR/safepip` when that is the user's private runtime dir (a tmpfs emptied at logout),
    else in `own_dir`: safepip's cache dir (its data dir when there is no usable cache)."""
    from safepip.facts.trust import distrust, is_private_dir

    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    usable = os.path.isabs(runtime) and is_private_dir(runtime) and distrust(runtime) is None
    base = os.path.join(runtime, "safepip") if usable else own_dir
    return os.path.join(base, "locks", short_hash(os.path.realpath(target_path)) + ".lock")


def venv_python(venv: str) -> str:
    return os.path.join(venv, "bin", "python")


def venv_is_ready(venv: str) -> bool:
    return os.path.isfile(os.path.join(venv, MARKER)) and os.path.exists(venv_python(venv))


def site_packages(venv: str) -> str:
    lib = os.path.join(venv, "lib")
    for name in sorted(os.listdir(lib)):
        candidate = os.path.join(lib, name, "site-packages")
        if name.startswith(("python", "pypy")) and os.path.isdir(candidate):
            return candidate
    raise OSError(f"no site-packages in {venv}")


def likely_site_dir(python: str) -> tuple[str, tuple[int, int]] | None:
    """A venv's site dir and Python version read off its layout before its interpreter says:
    `<venv>/lib/<its one pythonX.Y>/site-packages`. None for anything else (no pyvenv.cfg, two Pythons'
    libs, a name that is no version): a guess, used only where the interpreter's answer then agrees."""
    prefix = os.path.dirname(os.path.dirname(python))
    lib = os.path.join(prefix, "lib")
    try:
        versions = [name for name in os.listdir(lib) if name.startswith("python")]
    except OSError:
        return None
    if len(versions) != 1 or not os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
        return None
    major, _, minor = versions[0][len("python") :].rstrip("t").partition(".")  # python3.13t: free-threaded
    if not (major.isdigit() and minor.isdigit()):
        return None
    return os.path.join(lib, versions[0], "site-packages"), (int(major), int(minor))
