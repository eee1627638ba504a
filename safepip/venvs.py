"""Make the venvs safepip owns: managed venvs, overlays, and a `--venv` that does not exist yet.

Always called under the target's lock. A venv is made at its final path and the marker is written
last, so one without the marker (interrupted, disk full) is removed and made again.
"""

from __future__ import annotations

import os
import shutil

from safepip import paths
from safepip.errors import SafepipError, UsageError
from safepip.plan import Target

OVERLAY_PTH = "_safepip_overlay.pth"


def ensure_venv(target: Target, data_root: str, overlay_site_dirs: tuple[str, ...] = ()) -> bool:
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
        create_venv(target.path, target.create_from, target.system_site_packages, data_root)
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


def create_venv(path: str, python: str, system_site_packages: bool, data_root: str) -> None:
    from virtualenv import cli_run  # ~100 ms of imports, only paid when a venv is made

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
