"""A venv whose `pip` only records its arguments, and the real safepip CLI run against it in a subprocess.

The fixtures are registered in tests/unit/conftest.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

FAKE_PIP_MAIN = """\
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_PIP_RECORD"], "w", encoding="utf-8") as record:
    record.write(json.dumps({"argv": args, "cwd_on_path": "" in sys.path or os.getcwd() in sys.path,
                             "cache_dir": os.environ.get("PIP_CACHE_DIR")}))
code = int(os.environ.get("FAKE_PIP_EXIT", "0"))
if code < 0:
    os.kill(os.getpid(), -code)
sys.exit(code)
"""
# With a version, the probe sees a venv with its own pip and runs `<venv python> -m pip`.
FAKE_PIP_METADATA = "Metadata-Version: 2.1\nName: pip\nVersion: 99.0\n"
DROPPED_VARIABLES = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "SUDO_UID", "PYTHONPATH")
TIMEOUT = 60


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    recorded: list[str] | None  # the fake pip's argv, None when it did not run
    cwd_on_path: bool | None = None  # whether the working directory was on the fake pip's import path
    cache_dir: str | None = None  # PIP_CACHE_DIR in the fake pip's environment


@pytest.fixture(scope="module")
def fake_venv_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv of the running interpreter (made --without-pip) whose `pip` only records its arguments."""
    venv = tmp_path_factory.mktemp("fake-pip") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=TIMEOUT)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True, timeout=TIMEOUT,
    ).stdout.strip()  # fmt: skip
    package = Path(site) / "pip"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "__main__.py").write_text(FAKE_PIP_MAIN, encoding="utf-8")
    metadata = Path(site) / "pip-99.0.dist-info"
    metadata.mkdir()
    (metadata / "METADATA").write_text(FAKE_PIP_METADATA, encoding="utf-8")
    return str(python)


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A home of its own and a working directory with no project venv in it."""
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    yield tmp_path


def clean_environment(workdir: Path, **extra: str) -> dict[str, str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "SAFEPIP_", "XDG_")) and key not in DROPPED_VARIABLES
    }
    environ.update(HOME=str(workdir / "home"), FAKE_PIP_RECORD=str(workdir / "record.json"), **extra)
    environ.setdefault(
        "PIP_CONFIG_FILE", os.devnull
    )  # no machine pip.conf, whatever the runner's environment
    return environ


def run_safepip(workdir: Path, safepip_args: Sequence[str], **extra: str) -> Run:
    record = workdir / "record.json"
    record.unlink(missing_ok=True)
    done = subprocess.run(
        [sys.executable, "-m", "safepip", *safepip_args],
        cwd=workdir / "cwd",
        env=clean_environment(workdir, **extra),
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=TIMEOUT,
        check=False,
    )
    recorded = json.loads(record.read_text(encoding="utf-8")) if record.exists() else None
    if recorded is None:
        return Run(done.returncode, done.stdout, done.stderr, None)
    return Run(
        done.returncode,
        done.stdout,
        done.stderr,
        recorded["argv"],
        recorded["cwd_on_path"],
        recorded["cache_dir"],
    )
