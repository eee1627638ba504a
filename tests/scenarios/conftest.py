"""Fixtures for scenario tests: real users, root-owned directories, safepip installed in its own venv.

Run as root: `.venv/bin/python -m pytest tests/scenarios`.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .attacks import make_template_venv
from .support import (
    DEBIAN_PYTHON,
    Safepip,
    ScenarioUser,
    built_once,
    describe,
    ensure_user,
    force_remove,
    make_plain_python,
    remove_user,
    reset_home,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
# Another prefix lets two scenario sessions run side by side without sharing (and removing) each other's users;
# each pytest-xdist worker of a session (gw0, gw1, ...) adds its own id, so that its workers do not either.
SESSION_PREFIX = os.environ.get("SAFEPIP_SCENARIO_USER_PREFIX", "safepip")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
USER_PREFIX = f"{SESSION_PREFIX}-{WORKER}" if WORKER else SESSION_PREFIX
WORKER_NUMBER = 1 + int(WORKER.removeprefix("gw")) if WORKER else 0  # 0 without xdist
ALICE, BOB = f"{USER_PREFIX}-alice", f"{USER_PREFIX}-bob"
NOT_ROOT = "scenario tests need root to create users, root-owned directories and mounts; CI runs them as root"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.geteuid() == 0:
        return
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.skip(reason=NOT_ROOT))


@pytest.fixture(scope="session")
def scenario_root() -> Iterator[Path]:
    """A root-owned 0755 directory under /tmp holding everything this session builds."""
    root = Path(tempfile.mkdtemp(prefix="safepip-scenarios-", dir="/tmp"))
    root.chmod(0o755)
    yield root
    force_remove(root)


@pytest.fixture(scope="session")
def test_users() -> Iterator[dict[str, ScenarioUser]]:
    users = {name: ensure_user(name) for name in (ALICE, BOB)}
    yield users
    for name in users:
        remove_user(name)


@pytest.fixture
def alice(test_users: dict[str, ScenarioUser]) -> ScenarioUser:
    """The ordinary user every scenario runs safepip as, with a fresh empty home."""
    return reset_home(test_users[ALICE])


@pytest.fixture
def bob(test_users: dict[str, ScenarioUser]) -> ScenarioUser:
    """A second ordinary user, whose files alice must never execute."""
    return reset_home(test_users[BOB])


@pytest.fixture
def scratch(scenario_root: Path, request: pytest.FixtureRequest) -> Iterator[Path]:
    """A fresh root-owned 0755 directory for one test, removed afterwards whatever the test did to it."""
    path = Path(tempfile.mkdtemp(prefix=f"{request.node.name[:60]}-", dir=scenario_root))
    path.chmod(0o755)
    yield path
    force_remove(path)


@pytest.fixture
def root_home(scratch: Path) -> Path:
    """A fresh root-owned HOME for running safepip as root (a container without sudo)."""
    home = scratch / "root-home"
    home.mkdir(mode=0o700)
    return home


def _load_fixture_packages_builder() -> object:
    # by path: tests/ is not a package, and how pytest names tests/fixtures must not matter here
    spec = importlib.util.spec_from_file_location(
        "safepip_test_fixture_packages", REPO_ROOT / "tests" / "fixtures" / "packages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.build_fixture_packages


@pytest.fixture(scope="session")
def fixture_packages(scenario_root: Path) -> Path:
    """A world-readable find-links directory with spcli 1.0/2.0, spbase, spdep, spneedsdep, spneedscli
    (requires spcli) and the spsdist sdist."""
    build = _load_fixture_packages_builder()
    return build(scenario_root / "find-links")  # type: ignore[operator, no-any-return]


@pytest.fixture(scope="session")
def plain_python(scenario_root: Path) -> Path:
    """A system Python without the PEP 668 marker and without pip; its site-packages is root-owned."""
    return make_plain_python(scenario_root / "plain-python")


def make_safepip_tool(tool: Path) -> Path:
    """safepip installed from this checkout into its own root-owned venv at `tool`; its console script."""
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(tool)], check=True, capture_output=True)
    # the root environment passes through for this one install: its PIP_* settings reach the package index
    proc = subprocess.run(
        [str(tool / "bin" / "python"), "-m", "pip", "install", "--quiet", str(REPO_ROOT)],
        capture_output=True,
        text=True,
        cwd=tool.parent,
    )
    assert proc.returncode == 0, describe(proc)
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(tool)], check=True)
    executable = tool / "bin" / "safepip"
    assert os.access(executable, os.X_OK), f"no console script at {executable}"
    return executable


@pytest.fixture(scope="session")
def safepip_tool(shared_dir: Path) -> Path:
    """safepip installed from this checkout into its own root-owned venv (as pipx would), once for all the
    session's workers (no test writes into it: it is root's, go-w); its console script."""
    return built_once(shared_dir, "tool", make_safepip_tool)


@pytest.fixture(scope="session")
def template_venv(shared_dir: Path) -> Path:
    """A root-owned venv with pip, made once for the session's workers; tests use copies (attacks.copy_venv)."""
    return built_once(shared_dir, "template-venv", make_template_venv)


@pytest.fixture(scope="session")
def safepip(safepip_tool: Path, fixture_packages: Path) -> Safepip:
    return Safepip(safepip_tool, fixture_packages)
