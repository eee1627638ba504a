"""Lay out a CPython venv directly, as `python -m venv --without-pip` would on Linux, without starting Python.

A venv on POSIX is a few directories, `pyvenv.cfg`, three symlinks to the base interpreter and the
activation scripts; writing them takes a few milliseconds, where running the base interpreter's venv module
takes fifty or more. The activation scripts come from the stdlib's own templates, through the documented
`venv.EnvBuilder.install_scripts`. Used only for CPython on Linux; everything else goes through
`python -m venv` or virtualenv.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace


def can_lay_out(tag: str) -> bool:
    return tag.startswith("cp") and sys.platform.startswith("linux")


def lay_out_venv(path: str, base_executable: str, version: str, system_site_packages: bool) -> None:
    """Write the venv at `path` for the CPython at `base_executable` (version "3.11.2")."""
    import venv

    short = ".".join(version.split(".")[:2])
    bin_dir = os.path.join(path, "bin")
    for directory in (bin_dir, os.path.join(path, "include", f"python{short}"),
                      os.path.join(path, "lib", f"python{short}", "site-packages")):  # fmt: skip
        os.makedirs(directory, exist_ok=True)
    if sys.maxsize > 2**32:  # as venv does on 64-bit POSIX other than macOS
        os.symlink("lib", os.path.join(path, "lib64"))
    with open(os.path.join(path, "pyvenv.cfg"), "w", encoding="utf-8", errors="surrogateescape") as cfg:
        cfg.write(
            f"home = {os.path.dirname(base_executable)}\n"
            f"include-system-site-packages = {'true' if system_site_packages else 'false'}\n"
            f"version = {version}\n"
            f"executable = {os.path.realpath(base_executable)}\n"
            f"command = safepip (the layout of {base_executable} -m venv --without-pip)\n"
        )
    os.symlink(base_executable, os.path.join(bin_dir, "python3"))
    for alias in ("python", f"python{short}"):
        os.symlink("python3", os.path.join(bin_dir, alias))
    context = SimpleNamespace(
        env_dir=path,
        env_name=os.path.basename(os.path.normpath(path)),
        prompt=f"({os.path.basename(os.path.normpath(path))}) ",
        bin_name="bin",
        bin_path=bin_dir,
        env_exe=os.path.join(bin_dir, "python"),
    )
    builder = venv.EnvBuilder()
    builder.install_scripts(context, os.path.join(os.path.dirname(venv.__file__), "scripts"))
