"""Managed venvs: the direct layout matches the stdlib's venv, and pip works inside through the seed, as
`python -m pip` and as the venv's `pip`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.actions.venv_layout import can_lay_out
from safepip.actions.venvs import SEED_PTH, create_venv
from safepip.facts.interpreter import query_interpreter


def tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*")}


@pytest.mark.parametrize("system_site", [False, True])
def test_direct_layout_is_the_stdlib_venv_with_pip_from_the_seed(tmp_path: Path, system_site: bool) -> None:
    base = query_interpreter(sys.executable)
    if not can_lay_out(base.tag):
        pytest.skip("the direct layout is for CPython on Linux")
    reference, made = tmp_path / "reference", tmp_path / "made"
    options = ["--system-site-packages"] if system_site else []
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", *options, reference], check=True)
    create_venv(str(made), base.real_path, system_site, str(tmp_path / "data"), base)
    minor = f"{sys.version_info[0]}.{sys.version_info[1]}"
    pip_scripts = {"bin/pip", "bin/pip3", f"bin/pip{minor}"}
    assert tree(made) - {f"lib/python{minor}/site-packages/{SEED_PTH}", *pip_scripts} == tree(reference)
    config = (made / "pyvenv.cfg").read_text()
    assert f"include-system-site-packages = {'true' if system_site else 'false'}" in config
    python = made / "bin" / "python"
    done = subprocess.run(
        [python, "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == str(made)
    pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True, text=True, check=True)
    assert str(tmp_path / "data" / "seed") in pip.stdout
    activate = subprocess.run(["bash", "-c", f". {made}/bin/activate && command -v python pip"],
                              capture_output=True, text=True, check=True)  # fmt: skip
    assert activate.stdout.split() == [str(python), str(made / "bin" / "pip")]


ODD_NAMES = [b"with space", b"back\\N x", b"\xff-not-utf8", b"q'''s \"$(touch pwned)\" `touch pwned`"]


@pytest.mark.parametrize("name", ODD_NAMES, ids=["space", "backslash", "not-utf-8", "quotes"])
def test_the_pip_script_of_a_venv_whose_path_a_shebang_cannot_hold(tmp_path: Path, name: bytes) -> None:
    """`pip` in a venv whose path a `#!` line cannot hold, or Python could not read back, starts the
    `python` beside it through sh; the path is in no line of the script."""
    base = query_interpreter(sys.executable)
    made = Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + name + b"/venv"))
    create_venv(str(made), base.real_path, False, str(tmp_path / "data"), base)
    assert (made / "bin" / "pip").read_text().startswith("#!/bin/sh\n")
    for script in ("pip", "pip3"):
        done = subprocess.run(
            [made / "bin" / script, "--version"], capture_output=True, text=True, check=False, cwd=tmp_path
        )
        assert done.returncode == 0 and str(tmp_path / "data" / "seed") in done.stdout, done
    assert not (tmp_path / "pwned").exists()
