"""Make the venvs safepip owns: managed venvs, overlays, and a `--venv` that does not exist yet.

Always called under the target's lock. A venv is made at its final path and the marker is written
last, so one without the marker (interrupted, disk full) is removed and made again.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from safepip import paths
from safepip.context import Interpreter
from safepip.errors import SafepipError, UsageError
from safepip.interpreter_query import read_pyvenv_cfg
from safepip.plan import Target
from safepip.requirement_reading import Unreadable, metadata_headers, read_requirement
from safepip.venv_layout import can_lay_out, lay_out_venv

OVERLAY_PTH = "_safepip_overlay.pth"
SEED_PTH = "_safepip_pip.pth"  # puts the shared pip seed on sys.path, after the venv's own site-packages


def ensure_venv(
    target: Target, data_root: str, overlay_site_dirs: tuple[str, ...] = (), base: Interpreter | None = None
) -> bool:
    """Make the target's venv when the plan says so; True when it was made now."""
    if target.create_from is None or paths.venv_is_ready(target.path):
        return False  # ready, or made by another safepip while we waited for the lock
    owned = target.kind in ("managed", "overlay")
    if os.path.lexists(target.path):
        if not owned:
            raise UsageError(
                f"{target.path} exists but is not a venv", "pass --venv a new directory or an existing venv"
            )
        shutil.rmtree(target.path)  # a half-made venv of safepip's own (no marker)
    try:
        create_venv(target.path, target.create_from, target.system_site_packages, data_root, base)
        if target.kind == "overlay":
            write_overlay_pth(target.path, overlay_site_dirs)
        with open(os.path.join(target.path, paths.MARKER), "w", encoding="utf-8") as marker:
            marker.write(f"made by safepip from {target.create_from}\n")
    except (
        BaseException
    ):  # Ctrl-C, SIGTERM, a full disk: leave no half-made venv (SIGKILL: the marker is missing)
        shutil.rmtree(target.path, ignore_errors=True)
        raise
    return True


def create_venv(
    path: str, python: str, system_site_packages: bool, data_root: str, base: Interpreter | None = None
) -> None:
    """A venv without pip (laid out directly for CPython on Linux, else the stdlib's venv in one short
    subprocess), with pip from a seed shared by safepip's venvs; virtualenv when that is not possible (no venv
    module, or a Python the seeded pip does not support)."""
    seed = pip_seed(data_root)
    if seed is not None and base is not None and can_lay_out(base.tag):
        lay_out_venv(path, python, base.version, system_site_packages)
        made = True
    else:
        made = seed is not None and make_stdlib_venv(path, python, system_site_packages)
    if seed is not None and made:
        if seed_supports(seed, path):
            with open(os.path.join(site_packages(path), SEED_PTH), "w", encoding="utf-8") as handle:
                handle.write(seed + "\n")
            return
        shutil.rmtree(path, ignore_errors=True)
    make_virtualenv(path, python, system_site_packages, data_root)


def make_stdlib_venv(path: str, python: str, system_site_packages: bool) -> bool:
    args = [
        python,
        "-m",
        "venv",
        "--without-pip",
        *(["--system-site-packages"] if system_site_packages else []),
        path,
    ]
    try:
        done = subprocess.run(args, capture_output=True, cwd="/", timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is None or done.returncode != 0 or not os.path.exists(paths.venv_python(path)):
        shutil.rmtree(path, ignore_errors=True)
        return False
    return True


def pip_seed(data_root: str) -> str | None:
    """A copy of safepip's own pip (package and dist-info) under the data dir, made once; None without one.

    Managed venvs find pip there through a .pth file, so a new venv costs no pip install. pip never
    uninstalls it from a venv: it lies outside every environment."""
    import importlib.util
    import tempfile

    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        return None
    package = os.path.dirname(spec.origin)
    site = os.path.dirname(package)
    infos = [name for name in os.listdir(site) if name.startswith("pip-") and name.endswith(".dist-info")]
    if len(infos) != 1:
        return None
    seed = os.path.join(data_root, "seed", infos[0][: -len(".dist-info")])
    if os.path.isdir(seed):
        return seed
    os.makedirs(os.path.dirname(seed), exist_ok=True)
    building = tempfile.mkdtemp(prefix=".building-", dir=os.path.dirname(seed))
    try:
        shutil.copytree(package, os.path.join(building, "pip"), ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(os.path.join(site, infos[0]), os.path.join(building, infos[0]))
        os.rename(building, seed)  # whole or not at all; another safepip may have won the race
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        return seed if os.path.isdir(seed) else None
    except BaseException:  # Ctrl-C, SIGTERM: no half-copied seed left behind
        shutil.rmtree(building, ignore_errors=True)
        raise
    return seed


def seed_supports(seed: str, venv: str) -> bool:
    """Whether the seeded pip's Requires-Python admits the venv's Python (read from pyvenv.cfg)."""
    config = read_pyvenv_cfg(venv)
    version = config.get("version") or config.get("version_info")
    metadata = os.path.join(
        seed, os.path.basename(seed) + ".dist-info", "METADATA"
    )  # seed/pip-X/pip-X.dist-info
    requires = metadata_headers(metadata).get("Requires-Python", [""])[0]
    try:  # read as the requirement "python<specifier>": without packaging's import when it is plain
        return version is not None and read_requirement(f"python {requires}", {}).accepts(version)
    except Unreadable:
        return False


def make_virtualenv(path: str, python: str, system_site_packages: bool, data_root: str) -> None:
    from virtualenv import cli_run  # ~100 ms of imports, only paid when the stdlib's venv cannot be used

    args = [
        path,
        "--python", python,
        "--no-setuptools",
        "--no-periodic-update",
        "--app-data", os.path.join(data_root, "virtualenv"),
        "--quiet",
    ]  # fmt: skip
    if system_site_packages:
        args.append("--system-site-packages")
    try:
        cli_run(args, setup_logging=False)
    except (Exception, SystemExit) as error:  # virtualenv reports bad interpreters with both
        shutil.rmtree(path, ignore_errors=True)
        raise SafepipError(
            f"could not create the venv {path} from {python}: {error}",
            "check that the interpreter runs and that the directory is writable",
        ) from error


def site_packages(venv: str) -> str:
    lib = os.path.join(venv, "lib")
    for name in sorted(os.listdir(lib)):
        candidate = os.path.join(lib, name, "site-packages")
        if name.startswith(("python", "pypy")) and os.path.isdir(candidate):
            return candidate
    raise SafepipError(f"no site-packages in {venv}")


def write_overlay_pth(overlay: str, site_dirs: tuple[str, ...]) -> None:
    """Put the unwritable venv's site-packages after the overlay's own, with its .pth files processed."""
    lines = [f"import site; site.addsitedir({directory!r})\n" for directory in dict.fromkeys(site_dirs)]
    with open(os.path.join(site_packages(overlay), OVERLAY_PTH), "w", encoding="utf-8") as handle:
        handle.writelines(lines)
