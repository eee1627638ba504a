"""What `safepip install` imports on its way to pip: none of the modules whose import costs more than the
checks they would serve (the benchmark's import costs give the figures). A first run (a new HOME: the
interpreter is asked about itself) and a repeated one (its answer read from the cache) alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.fake_pip import TIMEOUT, clean_environment, run_safepip

# json, re, enum (signal's and re's), typing, argparse, subprocess, ctypes, packaging, importlib.metadata,
# tempfile, shutil, contextlib with the collections and functools it imports, and `_ast` for setuptools' .pth
# line (facts/pth.py, KNOWN_LINES): each one costs a visible share of the one-wheel install's 10 % (benchmark
# row (f))
KEPT_OFF = ("json", "re", "enum", "typing", "argparse", "subprocess", "ctypes", "packaging", "importlib.metadata",
            "tempfile", "shutil", "threading", "hashlib", "contextlib", "collections", "functools", "ast",
            "_ast")  # fmt: skip


def imported(stderr: str) -> set[str]:
    """The modules `-X importtime` reported."""
    return {line.split("|")[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


DISTUTILS_PRECEDENCE = (  # setuptools' .pth file, in most venvs: its import line is read on a first run
    "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, 'local') == 'local'; "
    "enabled and __import__('_distutils_hack').add_shim(); \n"
)


@pytest.fixture(scope="module")
def venv_with_pth(fake_venv_python: str) -> str:
    """The fake-pip venv, with setuptools' .pth file and the module it imports."""
    site = next(Path(fake_venv_python).parent.parent.glob("lib/python*/site-packages"))
    (site / "distutils-precedence.pth").write_text(DISTUTILS_PRECEDENCE, encoding="utf-8")
    (site / "_distutils_hack").mkdir(exist_ok=True)
    (site / "_distutils_hack" / "__init__.py").write_text("def add_shim():\n    pass\n", encoding="utf-8")
    return fake_venv_python


@pytest.mark.parametrize("run", ["first", "repeated"])
def test_an_install_imports_none_of_the_costly_modules(venv_with_pth: str, workdir: Path, run: str) -> None:
    argv = ["--python", venv_with_pth, "-q", "install", "somepackage"]
    if run == "repeated":
        assert run_safepip(workdir, argv).code == 0
    done = subprocess.run(
        # as the installed `safepip` script starts (`-m` would import runpy and its imports first); the
        # report is this process's only, not its children's
        [sys.executable, "-X", "importtime", "-c", "from safepip.cli.main import main; main()", *argv],
        cwd=workdir / "cwd", env=clean_environment(workdir), capture_output=True, text=True, timeout=TIMEOUT,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (workdir / "record.json").exists()  # pip ran: the whole way to it was taken
    modules = imported(done.stderr)
    assert "safepip.commands.install" in modules  # the report is read right
    costly = sorted(name for name in modules if name.split(".")[0] in KEPT_OFF or name in KEPT_OFF)
    assert costly == [], f"imported on the way to pip: {costly}"
    assert os.path.isdir(workdir / "home" / ".cache" / "safepip" / "interpreters")


def test_an_installs_later_stages_are_not_imported_before_its_interpreter_is_asked() -> None:
    """The decision, the lock and running pip are imported once the probe has started the interpreter's
    question (commands/install.py, import_later_stages), and so are the facts only the rest of the probe
    needs (facts/probe.py), so that on a first run they load during its wait."""
    later = [
        "safepip.facts.pip_cache",
        "safepip.facts.pip_config",
        "safepip.facts.site_trust",
        "safepip.facts.temp",
        "safepip.policy.decide",
        "safepip.commands.run_pip",
        "safepip.actions.locks",
        "safepip.policy.noop",
    ]
    code = (
        "import sys, safepip.cli.main, safepip.commands.install; "
        f"print([name for name in {later!r} if name in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    assert done.stdout.strip() == "[]"
