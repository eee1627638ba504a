"""Guards every test: none reads the machine's pip configuration, and none may leak a change to os.environ or
the working directory. Gives the pytest-xdist workers of a session one directory to share what they build."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SHARED = pytest.StashKey[Path]()
SHARED_INPUT = "safepip_tests_shared"  # the name of the shared directory in a pytest-xdist worker's input


def pytest_configure(config: pytest.Config) -> None:
    """For the whole session, from collection on: no pip config file and no PIP_* variable of the machine's.

    A machine-wide pip.conf (`constraint =`, `user = true`, `require-virtualenv = true`) or a PIP_* variable
    in the runner's shell changes what pip and safepip decide, so the suite would pass on one machine and
    fail on the next. PIP_CONFIG_FILE=/dev/null makes pip skip every config file (global, user, site);
    XDG_CONFIG_DIRS on an empty directory also keeps the machine-wide one from a child that drops PIP_*.
    Tests about pip configuration set up their own (scenario tests through support.clean_env's `extra`).
    """
    machine = {name: value for name, value in os.environ.items() if name.startswith("PIP_")}
    machine_xdg = os.environ.get("XDG_CONFIG_DIRS")
    no_config = tempfile.mkdtemp(prefix="safepip-tests-no-pip-config-")
    for name in machine:
        del os.environ[name]
    os.environ["PIP_CONFIG_FILE"] = os.devnull
    os.environ["XDG_CONFIG_DIRS"] = no_config

    def restore() -> None:
        for name in [name for name in os.environ if name.startswith("PIP_")]:
            del os.environ[name]
        os.environ.update(machine)
        if machine_xdg is None:
            os.environ.pop("XDG_CONFIG_DIRS", None)
        else:
            os.environ["XDG_CONFIG_DIRS"] = machine_xdg
        shutil.rmtree(no_config, ignore_errors=True)

    config.add_cleanup(restore)

    if hasattr(config, "workerinput"):  # a pytest-xdist worker: its controller made the directory
        config.stash[SHARED] = Path(config.workerinput[SHARED_INPUT])
    else:
        # in /tmp, world-readable: the scenario tests' users run what is built there (root-owned, never theirs)
        shared = Path(tempfile.mkdtemp(prefix="safepip-tests-shared-", dir="/tmp"))
        shared.chmod(0o755)
        config.stash[SHARED] = shared
        config.add_cleanup(lambda: shutil.rmtree(shared, ignore_errors=True))


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: the controller hands the directory to each worker
def pytest_configure_node(node: Any) -> None:  # xdist.workermanage.WorkerController
    node.workerinput[SHARED_INPUT] = str(node.config.stash[SHARED])


@pytest.fixture(scope="session")
def shared_dir(request: pytest.FixtureRequest) -> Path:
    """One directory for the whole session, whichever pytest-xdist worker runs the test (see built_once)."""
    return request.config.stash[SHARED]


@pytest.fixture(autouse=True)
def no_leaked_environment_or_cwd() -> Iterator[None]:
    environ_before = dict(os.environ)
    cwd_before = os.getcwd()
    yield
    changed = {
        key for key in set(environ_before) | set(os.environ) if environ_before.get(key) != os.environ.get(key)
    }
    leaked = changed - {"PYTEST_CURRENT_TEST"}  # pytest's own, set for every phase
    moved = os.getcwd() != cwd_before
    os.environ.clear()
    os.environ.update(environ_before)
    os.chdir(cwd_before)
    assert not leaked, f"test changed os.environ: {sorted(leaked)}"
    assert not moved, f"test changed the working directory from {cwd_before}"
