"""A world for the no-op tests: local wheels, a real venv with some of them installed, and pip's own answer.

pip runs with PIP_CONFIG_FILE=os.devnull (and no PIP_* variable of the caller's), so the machine's pip
configuration takes no part; tests that are about a setting give it themselves.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from safepip.commands.install import already_satisfied
from safepip.facts.interpreter import query_interpreter
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.pip_config import PipSwitches, read_pip_switches
from tests.fixtures.packages import write_wheel

PACKAGES = [  # name, version, Requires-Dist, Provides-Extra
    ("alpha", "1.0", (), ()), ("alpha", "2.0", (), ()),
    ("beta", "1.0", ("alpha>=1.0",), ()),
    ("gamma", "1.0", ("beta", "delta; python_version < '3'"), ()),
    ("delta", "1.0", (), ()),
    ("eta", "1.0", ("theta; extra == 'fast'",), ("fast",)),
    ("theta", "1.0", (), ()),
    ("rho", "1.0", ("alpha; extra == 'x'",), ("x",)),
    ("Iota_Pkg", "1.0", (), ()),
    ("kappa", "1.0rc1", (), ()), ("kappa", "1.0", (), ()),
    ("mu", "1.0", ("nu",), ()), ("nu", "1.0", ("xi>=1",), ()), ("xi", "1.0", (), ()),
    ("omicron", "1.0", ("alpha>=2",), ()),
    ("lam", "1.0", ("alpha<2",), ()),
    ("sigma", "1.0", (), ()), ("sigma", "2.0", (), ()),
]  # fmt: skip
INSTALLED = [
    "alpha==1.0", "beta", "gamma", "eta", "rho", "Iota_Pkg", "kappa==1.0rc1", "mu", "nu", "omicron", "lam",
    "sigma==1.0",
]  # fmt: skip


@dataclass(frozen=True)
class World:
    python: Path
    wheels: Path
    files: Path  # the working directory of every check: requirements and constraints files

    @property
    def site_packages(self) -> Path:
        return next((self.python.parent.parent / "lib").glob("python*/site-packages"))


def make_wheel(
    dest: Path, name: str, version: str, requires: tuple[str, ...], extras: tuple[str, ...]
) -> None:
    path = write_wheel(str(dest), name, version, {f"{name.lower()}/__init__.py": ""}, requires=requires)
    if not extras:
        return
    # write_wheel knows no Provides-Extra: add it to METADATA and write RECORD again
    with zipfile.ZipFile(path) as wheel:
        members = {info.filename: wheel.read(info) for info in wheel.infolist()}
    info_dir = f"{name}-{version}.dist-info"
    metadata = members[f"{info_dir}/METADATA"].decode() + "".join(f"Provides-Extra: {e}\n" for e in extras)
    members[f"{info_dir}/METADATA"] = metadata.encode()
    lines = []
    for member, data in members.items():
        if not member.endswith("/RECORD"):
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{member},sha256={digest},{len(data)}\n")
    members[f"{info_dir}/RECORD"] = ("".join(lines) + f"{info_dir}/RECORD,,\n").encode()
    with zipfile.ZipFile(path, "w") as wheel:
        for member, data in members.items():
            wheel.writestr(member, data)


def clean_env(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    environ.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", NOOP_REQUIREMENT="beta")
    environ.update(extra)
    return environ


def age(paths: Iterable[Path], seconds: float = 60) -> None:
    """Put mtimes in the past: the cache keeps no entry built from a file changed in the last seconds."""
    when = time.time() - seconds
    for path in paths:
        os.utime(path, (when, when))


def make_world(root: Path, files: Mapping[str, str]) -> World:
    wheels = root / "wheels"
    wheels.mkdir()
    for name, version, requires, extras in PACKAGES:
        make_wheel(wheels, name, version, requires, extras)
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, capture_output=True)
    python = root / "venv" / "bin" / "python"
    pip_install(python, wheels, "--no-deps", *INSTALLED)
    world = World(python, wheels, root / "files")
    for name, text in files.items():
        (world.files / name).parent.mkdir(parents=True, exist_ok=True)
        (world.files / name).write_text(text)
    settle(world)
    return world


def settle(world: World) -> None:
    age([*world.site_packages.rglob("*"), *world.files.rglob("*")])


def pip_install(python: Path, wheels: Path, *args: str) -> None:
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-index", "--find-links", wheels, *args],
        check=True, capture_output=True, env=clean_env(),
    )  # fmt: skip


def pip_has_work(world: World, args: Sequence[str], environ: Mapping[str, str]) -> bool:
    """pip's own answer: True when it would install anything (or cannot resolve), False for nothing to do."""
    report = world.files.parent / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [world.python, "-m", "pip", "install", "--dry-run", "--report", report, "--no-index", "--find-links",
         world.wheels, *args],
        cwd=world.files, env=environ, capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode != 0 or bool(json.loads(report.read_text())["install"])


def answer(
    world: World,
    args: Sequence[str],
    environ: Mapping[str, str],
    cache_dir: Path | None = None,
    keep: bool = True,
    switches: PipSwitches | None = None,
) -> list[str] | None:
    """safepip's answer for `install ARGS` in the world's venv, from the world's files directory."""
    interpreter = query_interpreter(str(world.python), None, environ)
    if switches is None:
        switches = read_pip_switches(environ, environ.get("HOME", "/"), None)
    return already_satisfied(
        parse_pip_args(args), switches, interpreter.sys_path, interpreter.markers, environ, str(world.files),
        cache_dir=str(cache_dir) if cache_dir else None, keep=keep,
    )  # fmt: skip
