"""safepip in the background for scenario tests: started together, watched through /proc, signalled at a
chosen moment, and never left running.

Each process starts in a session of its own, so everything it starts (pip, build backends) can be found and
ended with it, whatever the test did to the process itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import select
import signal
import struct
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TypeVar

from .support import ScenarioUser, clean_env

REPO_ROOT = Path(__file__).resolve().parents[2]
POLL = 0.01
T = TypeVar("T")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    state: str  # as in /proc/PID/stat: R, S, D, Z, ...
    session: int
    argv: tuple[str, ...]

    @property
    def is_zombie(self) -> bool:
        return self.state in ("Z", "X")


def process_info(pid: int) -> ProcessInfo | None:
    try:
        stat = (
            Path(f"/proc/{pid}/stat").read_bytes().decode("utf-8", "replace")
        )  # a command name need not be UTF-8
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # the command name in parentheses may contain spaces and parentheses: split after the last ")"
    fields = stat.rsplit(")", 1)[1].split()
    argv = tuple(part.decode(errors="replace") for part in cmdline.split(b"\0") if part)
    return ProcessInfo(pid, fields[0], int(fields[3]), argv)


def session_processes(session: int) -> list[ProcessInfo]:
    """The live (not zombie) processes of a session."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = process_info(int(entry))
            if info is not None and info.session == session and not info.is_zombie:
                found.append(info)
    return found


def is_pip(info: ProcessInfo, dry_run: bool = False) -> bool:
    """`python -m pip ...`: pip itself, not its build backends; the preflight's `--dry-run` only if asked."""
    argv = list(info.argv)
    runs_pip = any(argv[i : i + 2] == ["-m", "pip"] for i in range(len(argv) - 1))
    return runs_pip and (dry_run or "--dry-run" not in argv)


def is_stopped(pid: int) -> bool:
    info = process_info(pid)
    return info is not None and info.state in ("T", "t")


def is_build_backend(info: ProcessInfo) -> bool:
    """pip's build backend runner (pyproject_hooks' `_in_process.py`), started by pip while it builds."""
    return any(arg.endswith("_in_process.py") for arg in info.argv)


def wait_for(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `check` until it returns something; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None and found is not False:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(POLL)


def end_session(session: int, timeout: float = 30) -> None:
    """SIGKILL every process of `session` until none is left (zombies are their parent's to reap)."""
    deadline = time.monotonic() + timeout
    while remaining := session_processes(session):
        for info in remaining:
            with contextlib.suppress(ProcessLookupError):
                os.kill(info.pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of session {session} would not die: {remaining}")
        time.sleep(POLL)


class CreationWatch:
    """inotify on one directory: the name of each entry made in it, as soon as it is made.

    Fast enough to stop a process a millisecond after it made a directory, where polling would miss it."""

    IN_CREATE = 0x00000100
    EVENT = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name

    def __init__(self, directory: Path) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        if libc.inotify_add_watch(self.fd, os.fsencode(directory), self.IN_CREATE) < 0:
            error = ctypes.get_errno()
            os.close(self.fd)
            raise OSError(error, f"inotify_add_watch failed for {directory}")
        self.pending: list[str] = []

    def next_made(self, timeout: float) -> str | None:
        if not self.pending:
            if not select.select([self.fd], [], [], timeout)[0]:
                return None
            data = os.read(self.fd, 64 * 1024)
            offset = 0
            while offset < len(data):
                _wd, _mask, _cookie, length = self.EVENT.unpack_from(data, offset)
                start = offset + self.EVENT.size
                self.pending.append(data[start : start + length].rstrip(b"\0").decode())
                offset = start + length
        return self.pending.pop(0)

    def close(self) -> None:
        os.close(self.fd)


@dataclass
class Background:
    """One command started as a user in a session of its own; its output goes to files."""

    process: subprocess.Popen[bytes]
    argv: list[str]
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def finish(self, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Wait for the process itself (not what it left running) and return what it printed."""
        returncode = self.process.wait(timeout)
        return subprocess.CompletedProcess(
            self.argv,
            returncode,
            self.stdout.read_text(errors="replace"),
            self.stderr.read_text(errors="replace"),
        )

    def end(self) -> None:
        """Kill whatever of it still runs, itself included, and reap it."""
        end_session(self.pid)
        if self.alive():
            self.process.kill()
        self.process.wait(30)


def start_as(
    user: ScenarioUser,
    argv: Sequence[str | os.PathLike[str]],
    logs: Path,
    name: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Background:
    """Start `argv` as `user` in a clean environment, as support.run_as runs it, without waiting."""
    command = [os.fspath(arg) for arg in argv]
    if user.uid != 0:
        command = ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--", *command]
    stdout, stderr = logs / f"{name}.out", logs / f"{name}.err"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        process = subprocess.Popen(
            command,
            env=clean_env(user, env),
            cwd=cwd or user.home,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            umask=0o022,
            start_new_session=True,  # setpriv execs: the session id is the command's pid
        )
    return Background(process, command, stdout, stderr)


# ---------------------------------------------------------------- packages for these scenarios


def load_fixture_packages() -> ModuleType:
    # by path, as conftest.py loads it: tests/ is not a package
    spec = importlib.util.spec_from_file_location(
        "safepip_integrity_fixture_packages", REPO_ROOT / "tests" / "fixtures" / "packages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_wheel(
    dest: Path,
    name: str,
    version: str,
    requires: tuple[str, ...] = (),
    console_scripts: dict[str, str] | None = None,
) -> Path:
    """A pure wheel with one module `name` whose `main()` prints its name and version."""
    body = f'__version__ = "{version}"\n\n\ndef main():\n    print("{name} {version}")\n'
    build = load_fixture_packages().write_wheel
    return Path(build(str(dest), name, version, {f"{name}/__init__.py": body}, requires, console_scripts))


def write_sdist_archive(dest: Path, base: str, members: dict[str, bytes]) -> Path:
    """tests/fixtures/packages.py's sdist writer."""
    return Path(load_fixture_packages().write_sdist_archive(dest, base, members))


SLOW_BACKEND = """\
import os
import shutil
import time

WHEEL = {wheel!r}


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    time.sleep({seconds!r})  # pip is busy here, with its temp dirs in use, for a known while
    shutil.copy(WHEEL, os.path.join(wheel_directory, WHEEL))
    return WHEEL
"""


def write_slow_sdist(dest: Path, name: str, version: str, seconds: float) -> Path:
    """An sdist whose in-tree backend takes `seconds` to build (its wheel is shipped inside, prebuilt)."""
    base = f"{name}-{version}"
    with tempfile.TemporaryDirectory() as build_dir:
        wheel = write_wheel(Path(build_dir), name, version)
        members = {
            "PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
            "pyproject.toml": textwrap.dedent(
                """\
                [build-system]
                requires = []
                build-backend = "backend"
                backend-path = ["."]
                """
            ).encode(),
            "backend.py": SLOW_BACKEND.format(wheel=wheel.name, seconds=seconds).encode(),
            wheel.name: wheel.read_bytes(),
        }
    return write_sdist_archive(dest, base, members)
