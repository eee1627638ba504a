"""Guards every test: none may leak a change to os.environ or the working directory."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


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
