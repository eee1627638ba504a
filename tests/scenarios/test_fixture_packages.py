"""The locally built fixture packages are ones pip accepts, old (Debian's 23.0) and new (safepip's own)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .support import DEBIAN_PYTHON, ScenarioUser, describe, root_user, run_as, run_ok

pytestmark = pytest.mark.scenario


@pytest.mark.parametrize("pip", ["venv's own pip", "safepip's pip with --python"])
def test_fixture_packages_install_offline(
    pip: str, scratch: Path, root_home: Path, fixture_packages: Path, safepip_tool: Path
) -> None:
    root = root_user(root_home)
    venv = scratch / "venv"
    pip_command: list[str | os.PathLike[str]]
    if pip == "venv's own pip":
        run_ok(root, [DEBIAN_PYTHON, "-m", "venv", venv])
        pip_command = [venv / "bin/python", "-m", "pip"]
    else:
        run_ok(root, [DEBIAN_PYTHON, "-m", "venv", "--without-pip", venv])
        pip_command = [safepip_tool.parent / "python", "-m", "pip", "--python", venv / "bin/python"]
    source = ["--no-index", "--find-links", str(fixture_packages)]

    installed = run_ok(root, [*pip_command, "install", *source, "spcli", "spsdist", "spneedsdep"])
    assert "Successfully installed" in installed.stdout
    hello = run_ok(root, [venv / "bin/spcli-hello"])
    assert hello.stdout == "hello from spcli 2.0\n"
    versions = "import spcli, spsdist, spdep, spneedsdep; print(spcli.__version__, spsdist.__version__)"
    assert run_ok(root, [venv / "bin/python", "-c", versions]).stdout == "2.0 1.0\n"
    assert "No broken requirements" in run_ok(root, [*pip_command, "check"]).stdout

    run_ok(root, [*pip_command, "install", *source, "spcli==1.0"])
    assert run_ok(root, [venv / "bin/spcli-hello"]).stdout == "hello from spcli 1.0\n"


def test_fixture_packages_are_readable_by_an_ordinary_user(
    alice: ScenarioUser, fixture_packages: Path
) -> None:
    names = sorted(path.name for path in fixture_packages.iterdir())
    assert names == [
        "spbase-1.0-py3-none-any.whl",
        "spcli-0.5-py3-none-any.whl",
        "spcli-1.0-py3-none-any.whl",
        "spcli-2.0-py3-none-any.whl",
        "spdep-1.0-py3-none-any.whl",
        "spneedscli-1.0-py3-none-any.whl",
        "spneedsdep-1.0-py3-none-any.whl",
        "spsdist-1.0.tar.gz",
    ]
    proc = run_as(alice, ["sh", "-c", 'cat "$@" >/dev/null', "sh", *sorted(fixture_packages.iterdir())])
    assert proc.returncode == 0, describe(proc)
