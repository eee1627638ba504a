"""The no-op fast path against pip's own answer: when safepip says "already satisfied, pip not run", pip's
`--dry-run --report` must agree that there is nothing to install. A real venv, real wheels, real pip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from safepip.facts.interpreter import query_interpreter
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.pip_config import read_pip_switches
from safepip.policy.noop import already_satisfied
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
]  # fmt: skip
INSTALLED = [
    "alpha==1.0",
    "beta",
    "gamma",
    "eta",
    "rho",
    "Iota_Pkg",
    "kappa==1.0rc1",
    "mu",
    "nu",
    "omicron",
    "lam",
]


@dataclass(frozen=True)
class World:
    python: Path
    wheels: Path
    files: Path


def make_wheel(
    dest: Path, name: str, version: str, requires: tuple[str, ...], extras: tuple[str, ...]
) -> None:
    path = write_wheel(str(dest), name, version, {f"{name.lower()}/__init__.py": ""}, requires=requires)
    if (
        extras
    ):  # write_wheel knows no Provides-Extra: add it to METADATA and RECORD stays valid enough for pip
        import base64
        import hashlib
        import zipfile

        with zipfile.ZipFile(path) as wheel:
            members = {info.filename: wheel.read(info) for info in wheel.infolist()}
        info_dir = f"{name}-{version}.dist-info"
        metadata = members[f"{info_dir}/METADATA"].decode() + "".join(
            f"Provides-Extra: {e}\n" for e in extras
        )
        members[f"{info_dir}/METADATA"] = metadata.encode()
        lines = []
        for member, data in members.items():
            if member.endswith("/RECORD"):
                continue
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            lines.append(f"{member},sha256={digest},{len(data)}\n")
        members[f"{info_dir}/RECORD"] = ("".join(lines) + f"{info_dir}/RECORD,,\n").encode()
        with zipfile.ZipFile(path, "w") as wheel:
            for member, data in members.items():
                wheel.writestr(member, data)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("noop")
    wheels = root / "wheels"
    wheels.mkdir()
    for name, version, requires, extras in PACKAGES:
        make_wheel(wheels, name, version, requires, extras)
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, capture_output=True)
    python = root / "venv" / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--find-links", wheels, *INSTALLED],
        check=True, capture_output=True, env=clean_env(),
    )  # fmt: skip
    files = root / "files"
    (files / "sub").mkdir(parents=True)
    (files / "plain.txt").write_text(
        "# comment\nalpha  # trailing comment\nbeta>=1 \\\n  ; python_version >= '3'\n"
    )
    (files / "nested.txt").write_text("-r sub/inner.txt\n--index-url https://example.invalid/simple\ngamma\n")
    (files / "sub" / "inner.txt").write_text("Iota-Pkg\n${NOOP_REQUIREMENT}\n")
    (files / "hashed.txt").write_text("alpha==1.0 --hash=sha256:0000\n")
    (files / "editable.txt").write_text("-e ./somewhere\n")
    (files / "constraints.txt").write_text("alpha<2\n")
    yield World(python, wheels, files)


def clean_env(**extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    environ.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", NOOP_REQUIREMENT="beta")
    environ.update(extra)
    return environ


def pip_has_work(world: World, args: list[str], environ: dict[str, str]) -> bool:
    """pip's own answer: True when it would install anything (or cannot resolve), False for nothing to do."""
    report = world.files / "report.json"
    report.unlink(missing_ok=True)
    done = subprocess.run(
        [world.python, "-m", "pip", "install", "--dry-run", "--report", report, "--no-index", "--find-links",
         world.wheels, *args],
        cwd=world.files, env=environ, capture_output=True, text=True,
    )  # fmt: skip
    return done.returncode != 0 or bool(json.loads(report.read_text())["install"])


CASES = [  # (pip arguments, extra environment, the fast path answers, pip has work (None: either))
    (["alpha"], {}, True, False),
    (["alpha==1.0"], {}, True, False),
    (["alpha>=1,<2"], {}, True, False),
    (["alpha==2.0"], {}, False, True),
    (["alpha>=2"], {}, False, True),
    (["beta"], {}, True, False),
    (["gamma"], {}, True, False),
    (["mu"], {}, False, True),
    (["omicron"], {}, False, True),
    (["eta"], {}, True, False),
    (["eta[fast]"], {}, False, True),
    (["rho[x]"], {}, True, False),
    (["iota-pkg"], {}, True, False),
    (["IOTA.PKG"], {}, True, False),
    (["Iota_Pkg==1.0"], {}, True, False),
    (["kappa"], {}, True, False),
    (["kappa>=1.0"], {}, False, True),
    (["alpha; python_version >= '3'"], {}, True, False),
    (["alpha; python_version < '3'", "beta"], {}, True, False),
    (["lam", "alpha>=2"], {}, False, True),
    (["delta"], {}, False, True),
    (["-r", "plain.txt"], {}, True, False),
    (["-rplain.txt", "rho"], {}, True, False),
    (["--requirement=nested.txt"], {}, True, False),
    (["-r", "nested.txt"], {"NOOP_REQUIREMENT": "delta"}, False, True),
    (["-r", "hashed.txt"], {}, False, None),
    (["-r", "editable.txt"], {}, False, None),
    (["-c", "constraints.txt", "alpha"], {}, False, None),
    (["-U", "alpha"], {}, False, None),
    (["--upgrade", "beta"], {}, False, None),
    (["--force-reinstall", "alpha"], {}, False, None),
    (["-I", "alpha"], {}, False, None),
    (["alpha"], {"PIP_UPGRADE": "1"}, False, None),
    (["--no-index", "--find-links", "/elsewhere", "alpha"], {}, True, False),
    (["-i", "https://example.invalid/simple", "beta"], {}, True, False),
    (["-q", "--no-deps", "--prefer-binary", "alpha"], {}, True, False),
    (["--", "alpha"], {}, False, None),
    (["./wheels/alpha-1.0-py3-none-any.whl"], {}, False, None),
    (["alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl"], {}, False, None),
    (["--report", "out.json", "alpha"], {}, False, None),
]


@pytest.mark.parametrize(
    ("args", "extra", "fast", "work"), CASES, ids=[" ".join(c[0]) + (" +env" if c[1] else "") for c in CASES]
)
def test_fast_path_agrees_with_pip(
    world: World, args: list[str], extra: dict[str, str], fast: bool, work: bool | None
) -> None:
    environ = clean_env(**extra)
    interpreter = query_interpreter(str(world.python), None, environ)
    switches = read_pip_switches(environ, environ.get("HOME", "/"), None)
    answer = already_satisfied(parse_pip_args(args), switches, interpreter.sys_path, interpreter.markers,
                               environ, str(world.files))  # fmt: skip
    assert (answer is not None) is fast, answer
    if not fast and work is None:
        return  # an option the fast path leaves to pip: nothing of pip's to compare
    pip_work = pip_has_work(world, [a for a in args if a != "out.json" and a != "--report"], environ)
    if fast:
        assert not pip_work, "the fast path answered, but pip would install something"
    if work is not None:
        assert pip_work is work


def test_answer_names_the_closure(world: World) -> None:
    environ = clean_env()
    interpreter = query_interpreter(str(world.python), None, environ)
    switches = read_pip_switches(environ, "/", None)
    answer = already_satisfied(parse_pip_args(["gamma"]), switches, interpreter.sys_path, interpreter.markers,
                               environ, str(world.files))  # fmt: skip
    assert answer == ["alpha==1.0", "beta==1.0", "gamma==1.0"]
