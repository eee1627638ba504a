"""What another user plants, and what outlives a safepip, for the trust and interruption scenarios (issue 13).

Every trap leaves a marker named after the uid that ran it (`executed-by-<uid>`) in a world-writable,
sticky markers directory, then behaves as what it replaced, so that whoever ran it goes on unaware. A test
asserts that the directory stays empty. Processes are found by the uid they run as: the test users run
nothing but what these tests start, so every process of theirs is one a test started, and is ended by pid.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path

from .processes import ProcessInfo, process_info, write_sdist_archive, write_wheel
from .support import DEBIAN_PYTHON, ScenarioUser, force_remove, make_venv, run_ok, temp_entries_of

TRAP_PYTHON = """\
#!/bin/sh
touch {markers}/executed-by-$(id -u)-pid$$
exec /usr/bin/python3 "$@"
"""
# a .pth line that starts with `import` is executed by every Python that processes the site dir it is in
TRAP_PTH = "import os; open(os.path.join({markers!r}, 'executed-by-%d' % os.getuid()), 'w').close()\n"
# a `pip` package in the working directory: `python -m pip` run there imports it instead of pip
FAKE_PIP_INIT = TRAP_PTH
FAKE_PIP_MAIN = "import sys\n\nsys.exit(0)  # as if everything was installed\n"


# ---------------------------------------------------------------- markers and planted code


def markers_dir(parent: Path) -> Path:
    """Where traps leave their markers: world-writable and sticky, as /tmp, so that anyone's trap can."""
    markers = parent / "markers"
    markers.mkdir()
    markers.chmod(0o1777)
    return markers


def executed(markers: Path) -> list[str]:
    """The markers traps left: `executed-by-<uid>` (a `.pth` or a fake `pip`, once per uid), or
    `executed-by-<uid>-pid<pid>` (a planted interpreter, once per run)."""
    return sorted(entry.name for entry in markers.iterdir())


def owned_dir(path: Path, user: ScenarioUser, mode: int = 0o755) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    os.chown(path, user.uid, user.gid)
    path.chmod(mode)
    return path


def plant_python(path: Path, markers: Path, owner: ScenarioUser) -> Path:
    """A "python" that leaves a marker, then runs Debian's python3 with the same arguments."""
    if path.is_symlink() or path.exists():
        path.unlink()
    path.write_text(TRAP_PYTHON.format(markers=markers))
    os.chown(path, owner.uid, owner.gid)
    path.chmod(0o755)
    return path


def trapped_venv(owner: ScenarioUser, path: Path, markers: Path) -> Path:
    """A venv made by `owner` whose interpreters are all traps (owned by `owner`)."""
    make_venv(owner, path, "--without-pip")
    for interpreter in sorted((path / "bin").glob("python*")):
        plant_python(interpreter, markers, owner)
    return path


def assert_trap_armed(user: ScenarioUser, python: Path, markers: Path) -> None:
    """Running the trap leaves its marker: the test would see it if safepip ran it (the marker is removed)."""
    run_ok(user, [python, "-c", "pass"])
    left = [name for name in executed(markers) if name.split("-pid")[0] == f"executed-by-{user.uid}"]
    assert left, f"the trap {python} left no marker"
    for name in left:
        (markers / name).unlink()


def write_as(user: ScenarioUser, path: Path, text: str) -> None:
    """Write `text` into `path` as `user` (`cat >`): an existing file keeps its owner, a new one is theirs."""
    run_ok(user, ["sh", "-c", f"cat > {shlex.quote(str(path))} <<'EOF'\n{text}EOF\n"])


def fake_pip_package(directory: Path, markers: Path) -> Path:
    """A `pip/` package in `directory` whose import leaves a marker and whose `-m` run exits 0."""
    package = directory / "pip"
    package.mkdir()
    (package / "__init__.py").write_text(FAKE_PIP_INIT.format(markers=str(markers)))
    (package / "__main__.py").write_text(FAKE_PIP_MAIN)
    for path in (package, package / "__init__.py", package / "__main__.py"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return package


# ---------------------------------------------------------------- who wrote where


def entries_written_into_dirs_of(owner: ScenarioUser, writer: ScenarioUser, *trees: Path) -> list[Path]:
    """Entries owned by `writer` directly inside a directory `owner` owns, under `trees` (links not
    followed, the trees' own links included): what `writer` wrote through `owner`'s directories."""
    found: list[Path] = []
    for tree in trees:
        real = Path(os.path.realpath(tree))
        if not real.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(real):
            if os.lstat(dirpath).st_uid != owner.uid:
                continue
            for name in (*dirnames, *filenames):
                path = Path(dirpath, name)
                with contextlib.suppress(FileNotFoundError):
                    if path.lstat().st_uid == writer.uid:
                        found.append(path)
    return sorted(set(found))


def remove_new_temp_entries(user: ScenarioUser) -> None:
    """What killed or failing runs of `user` left in /tmp and /var/tmp since the test began."""
    for path in sorted(temp_entries_of(user.uid) - user.temp_baseline):
        if path.is_dir() and not path.is_symlink():
            force_remove(path)
        else:
            path.unlink(missing_ok=True)


def new_temp_entries(user: ScenarioUser, prefixes: Sequence[str] = ("pip-", "safepip-")) -> list[Path]:
    return sorted(
        path
        for path in temp_entries_of(user.uid) - user.temp_baseline
        if path.name.startswith(tuple(prefixes))
    )


# ---------------------------------------------------------------- venvs, fast


def make_template_venv(dest: Path) -> Path:
    """A venv with pip made once (Debian's `python3 -m venv` takes seconds); copies of it are instant."""
    if not (dest / "bin/python").exists():
        subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(dest)], check=True, capture_output=True)
        subprocess.run(["chmod", "-R", "go+rX,go-w", str(dest)], check=True)
    return dest


def copy_venv(template: Path, dest: Path, owner: ScenarioUser) -> Path:
    """A venv of `owner`'s at `dest`: the template copied and given to them. pip is run as `python -m pip`,
    so the template's paths in bin/pip do not matter."""
    subprocess.run(["cp", "-a", str(template), str(dest)], check=True)
    subprocess.run(["chown", "-R", f"{owner.uid}:{owner.gid}", str(dest)], check=True)
    return dest


def activated(venv: Path) -> dict[str, str]:
    from .support import path_with

    return {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}


# ---------------------------------------------------------------- processes of a user


def uid_of(pid: int) -> int | None:
    try:
        status = Path(f"/proc/{pid}/status").read_bytes().decode("utf-8", "replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    for line in status.splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    return None


def processes_of(user: ScenarioUser) -> list[ProcessInfo]:
    """The live (not zombie) processes running as `user`, whatever session or parent they have now."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and uid_of(int(entry)) == user.uid:
            info = process_info(int(entry))
            if info is not None and not info.is_zombie:
                found.append(info)
    return found


def wait_until_none_of(user: ScenarioUser, timeout: float) -> list[ProcessInfo]:
    """Wait up to `timeout` seconds for every process of `user` to end; those still running."""
    deadline = time.monotonic() + timeout
    while (remaining := processes_of(user)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return remaining


def end_processes_of(user: ScenarioUser, timeout: float = 30) -> None:
    """SIGKILL each process of `user` (a test user: all of them were started by these tests)."""
    if user.uid == 0:
        raise AssertionError("never for root")
    deadline = time.monotonic() + timeout
    while remaining := processes_of(user):
        for info in remaining:
            with contextlib.suppress(ProcessLookupError):
                os.kill(info.pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            raise AssertionError(f"processes of {user.name} would not die: {remaining}")
        time.sleep(0.02)


def describe_processes(found: Sequence[ProcessInfo]) -> str:
    return "\n".join(f"  {info.pid} [{info.state}] {' '.join(info.argv)}" for info in found) or "  none"


# ---------------------------------------------------------------- a build that takes its time (or is told when to end)


WAIT_FOR_RELEASE = """\
import os, sys, time
release, seconds = sys.argv[1], float(sys.argv[2])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline and not (release and os.path.exists(release)):
    time.sleep(0.05)
"""

SLEEPER_BACKEND = """\
import os
import shutil
import subprocess
import sys

WHEEL = {wheel!r}
WAIT = {wait!r}
ARGS = [{release!r}, {seconds!r}]


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    # a child of the build, as a compiler is: it must not outlive an interrupted build
    subprocess.Popen([sys.executable, "-c", WAIT, *ARGS, {token!r}])
    subprocess.run([sys.executable, "-c", WAIT, *ARGS], check=True)
    shutil.copy(WHEEL, os.path.join(wheel_directory, WHEEL))
    return WHEEL
"""


def build_child_token(name: str) -> str:
    """The argument that marks the child process of `name`'s build in `ps`."""
    return f"{name}-build-child"


def write_sleeper_sdist(
    dest: Path, name: str, version: str, seconds: float, release: Path | None = None
) -> Path:
    """An sdist whose in-tree backend starts a child process, then waits (and so does the child) for
    `seconds` or until the file `release` exists, before it returns the wheel shipped inside (prebuilt)."""
    base = f"{name}-{version}"
    with tempfile.TemporaryDirectory() as build_dir:
        wheel = write_wheel(Path(build_dir), name, version)
        backend = SLEEPER_BACKEND.format(
            wheel=wheel.name,
            wait=WAIT_FOR_RELEASE,
            release=str(release or ""),
            seconds=str(seconds),
            token=build_child_token(name),
        )
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
            "backend.py": backend.encode(),
            wheel.name: wheel.read_bytes(),
        }
    return write_sdist_archive(dest, base, members)


def copy_find_links(source: Path, dest: Path) -> Path:
    """A world-readable copy of a find-links directory, to add packages to."""
    if not dest.exists():
        shutil.copytree(source, dest)
        subprocess.run(["chmod", "-R", "go+rX,go-w", str(dest)], check=True)
    return dest


# ---------------------------------------------------------------- a link flipped in a loop


FLIPPER = """\
import os
import sys
import time

link, first, second = sys.argv[1:4]
spare = link + ".next"
while True:
    for target in (first, second):
        try:
            os.unlink(spare)
        except FileNotFoundError:
            pass
        os.symlink(target, spare)
        os.rename(spare, link)  # atomic: the link always exists, pointing at one or the other
        time.sleep(0.0005)
"""
