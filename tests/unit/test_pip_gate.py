"""The gate, with real pip: a pip started early acts only once safepip lets it, and a pip stopped at the
gate leaves nothing behind, not even its own temp dirs.

"At the gate" is observed, not assumed: pip has opened `/dev/fd/N` once a second descriptor of its own
points at the gate's pipe.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from safepip.delegate import PipProcess
from safepip.pip_gate import Gate
from tests.fixtures.packages import write_wheel

TIMEOUT = 60


class World(NamedTuple):
    python: str
    wheels: Path
    temp: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("gate")
    wheels = root / "wheels"
    wheels.mkdir()
    write_wheel(str(wheels), "gated", "1.0", {"gated/__init__.py": "VALUE = 1\n"})
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, capture_output=True)
    return World(str(root / "venv" / "bin" / "python"), wheels, root / "temp")


@pytest.fixture
def temp(world: World) -> Iterator[Path]:
    """pip's TMPDIR, empty before each test."""
    world.temp.mkdir()
    yield world.temp
    subprocess.run(["rm", "-rf", str(world.temp)], check=True)
    subprocess.run([world.python, "-m", "pip", "uninstall", "-qy", "gated"], capture_output=True)


def pip_install(world: World, gate: Gate, temp: Path) -> PipProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    environ.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", TMPDIR=str(temp))
    argv = [world.python, "-m", "pip", "install", *gate.pip_options]
    argv += ["--no-index", "--find-links", str(world.wheels), "gated"]
    return PipProcess(argv, environ, gate=gate)


def installed(world: World) -> bool:
    return subprocess.run([world.python, "-c", "import gated"], capture_output=True).returncode == 0


def link_of(fd_path: str) -> str | None:
    try:
        return os.readlink(fd_path)
    except FileNotFoundError:  # closed meanwhile
        return None


def wait_at_gate(pid: int, gate: Gate) -> None:
    pipe = os.readlink(f"/dev/fd/{gate.read_fd}")  # "pipe:[inode]"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if (
            sum(link_of(f"/proc/{pid}/fd/{fd}") == pipe for fd in os.listdir(f"/proc/{pid}/fd")) >= 2
        ):  # the inherited read end, and the constraints file pip opened
            return
        time.sleep(0.02)
    raise AssertionError("pip never reached the gate")


def test_pip_waits_at_the_gate_until_safepip_lets_it_go(world: World, temp: Path) -> None:
    gate = Gate()
    with pip_install(world, gate, temp) as pip:
        pip.start()
        assert pip.child is not None
        wait_at_gate(pip.child.pid, gate)
        time.sleep(0.5)
        assert pip.child.poll() is None
        assert not installed(world)
        code, _errors = pip.wait()
    assert code == 0
    assert installed(world)


def test_pip_stopped_at_the_gate_leaves_nothing_behind(
    world: World, temp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    gate = Gate()
    with pytest.raises(RuntimeError), pip_install(world, gate, temp) as pip:
        pip.start()
        assert pip.child is not None
        wait_at_gate(pip.child.pid, gate)
        assert any(temp.iterdir())  # pip has made its temp dirs by now
        raise RuntimeError("a refusal, say")
    assert pip.child.returncode is not None
    assert not installed(world)
    assert list(temp.iterdir()) == []  # pip removed its temp dirs: it was stopped, not killed
    assert "Operation cancelled" not in capfd.readouterr().err


def test_pip_exits_on_its_own_before_the_gate(world: World, temp: Path) -> None:
    """A usage error: pip never reaches the gate, and its own exit code and message come back."""
    gate = Gate()
    environ = {**os.environ, "TMPDIR": str(temp)}
    argv = [world.python, "-m", "pip", "install", *gate.pip_options, "--no-such-option"]
    with PipProcess(argv, environ, gate=gate) as pip:
        pip.start()
        code, errors = pip.wait()
    assert code == 2
    assert "no such option: --no-such-option" in errors
