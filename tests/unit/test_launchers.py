"""How safepip's own Python starts (safepip/__main__.py): safepip.pyz, `python -m safepip` and the installed
script import nothing from the working directory and read no bytecode from PYTHONPYCACHEPREFIX, whatever
the shell has: they start again with `-E -P` first. Real processes, planted code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.zipapp.build import CHECKOUT, MAIN, source_entries, write_archive
from tests.unit.planting import PLANTED, plant_bytecode, plant_modules

TIMEOUT = 60


def environ_with(**variables: str) -> dict[str, str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    return {**environ, **variables}


@pytest.fixture(scope="module")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """safepip.pyz's own code: its `__main__.py` and safepip's sources (no carried wheels: `--help` needs none)."""
    archive = tmp_path_factory.mktemp("pyz") / "safepip.pyz"
    entries = source_entries(CHECKOUT)
    entries["__main__.py"] = MAIN.format(minimum=(3, 10), requires=">=3.10").encode()
    write_archive(entries, archive)
    return archive


@pytest.fixture
def script(tmp_path: Path) -> Path:
    """safepip/__main__.py as pip installs it: a script whose `#!` names this Python, safepip in its site dirs."""
    path = tmp_path / "bin" / "safepip"
    path.parent.mkdir()
    text = (CHECKOUT / "safepip" / "__main__.py").read_text()
    path.write_text(f"#!{sys.executable}\n" + text.split("\n", 1)[1])
    path.chmod(0o755)
    return path


def launch(how: str, pyz: Path, script: Path) -> list[str]:
    return {
        "pyz": [sys.executable, str(pyz)],
        "-m": [sys.executable, "-m", "safepip"],
        "script": [str(script)],
    }[how]


@pytest.mark.parametrize("how", ["pyz", "-m", "script"])
@pytest.mark.parametrize(
    ("pythonpath", "under"), [(":/nonexistent", "."), ("/nonexistent:", "."), ("lib", "lib")]
)
def test_nothing_is_imported_from_the_working_directory(
    tmp_path: Path, pyz: Path, script: Path, how: str, pythonpath: str, under: str
) -> None:
    workdir, marker = tmp_path / "work", tmp_path / "imported"
    (workdir / under).mkdir(parents=True)
    # `python -m safepip` looks for safepip in the working directory before anything runs: only a shell
    # function that runs it from anywhere could meet one there (commands/shell_init.py own_command does not)
    plant_modules(workdir / under, marker, PLANTED if how != "-m" else PLANTED[1:])
    done = subprocess.run([*launch(how, pyz, script), "--help"], cwd=workdir,
                          env=environ_with(PYTHONPATH=pythonpath), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)  # fmt: skip
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize("how", ["pyz", "-m", "script"])
def test_no_bytecode_is_read_from_pycache_prefix(tmp_path: Path, pyz: Path, script: Path, how: str) -> None:
    prefix, marker = tmp_path / "pyc", tmp_path / "loaded"
    # what `--help` imports once safepip's code runs (runpy, which starts `-m` and an archive, has imported
    # keyword and contextlib before that: no code of safepip's can keep those out, `-I` can: own_command)
    for module in ("argparse", "gettext"):
        plant_bytecode(prefix, module, marker)
    done = subprocess.run([*launch(how, pyz, script), "--help"], cwd=tmp_path,
                          env=environ_with(PYTHONPYCACHEPREFIX=str(prefix)), capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)  # fmt: skip
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
    assert not marker.exists()


def shell_function(argv: list[str], cwd: Path) -> str:
    done = subprocess.run([*argv, "shell-init", "bash"], cwd=cwd, env=environ_with(), capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return next(line for line in done.stdout.splitlines() if line.startswith("pip() {"))


def test_shell_init_functions_start_safepip_without_the_working_directory(tmp_path: Path, pyz: Path) -> None:
    """`pip` typed in any directory runs this safepip, never one found there or through a PYTHON* variable."""
    assert shell_function([sys.executable, str(pyz)], tmp_path).startswith(
        f"pip() {{ {sys.executable} -I {pyz} "
    )
    flags = "-E -P" if sys.version_info >= (3, 11) else "-I"
    function = shell_function([sys.executable, "-m", "safepip"], tmp_path)
    assert f"{sys.executable} {flags} -m safepip " in function


def test_shell_init_refuses_a_safepip_found_only_in_the_working_directory() -> None:
    """`python -m safepip` in a checkout, where nothing else has safepip (-S: no site dirs)."""
    done = subprocess.run([sys.executable, "-S", "-m", "safepip", "shell-init", "bash"], cwd=CHECKOUT,
                          env=environ_with(), capture_output=True, text=True, timeout=TIMEOUT, check=False)  # fmt: skip
    assert done.returncode == 2 and done.stdout == "", done.stdout
    assert f"this safepip runs from the working directory ({CHECKOUT})" in done.stderr


def test_the_launcher_restarts_for_the_variables_children_are_kept_from() -> None:
    """safepip/__main__.py cannot import its list: it runs before anything may be imported."""
    import safepip.__main__ as launcher
    from safepip.util.process import REDIRECTING

    assert launcher.REDIRECTING == REDIRECTING
