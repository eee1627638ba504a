"""Helpers for scenario tests: test users, clean environments, tree snapshots, running safepip.

Everything here acts for real (users, ownership, modes); nothing is mocked.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
DEBIAN_PYTHON = Path("/usr/bin/python3")
COMMAND_TIMEOUT = 180
TEMP_ROOTS = (Path("/tmp"), Path("/var/tmp"))
_TARGET_LINE = re.compile(r"^safepip: target (\S+) (.+?) \((.*)\)$")


@dataclass(frozen=True)
class ScenarioUser:
    name: str
    uid: int
    gid: int
    home: Path
    # entries in the temp roots this user owned before the test, to find the ones a test leaves behind
    temp_baseline: frozenset[Path] = field(default=frozenset(), compare=False)


# ---------------------------------------------------------------- users


def ensure_user(name: str) -> ScenarioUser:
    """Create an ordinary user with a home under /home, or reuse the one a crashed run left behind."""
    home = f"/home/{name}"
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _check(["useradd", "--create-home", "--home-dir", home, "--shell", "/bin/bash", name])
        entry = pwd.getpwnam(name)
    # a user of that name we did not make: its home is wiped per test, so refuse rather than guess
    assert entry.pw_dir == home and entry.pw_uid != 0, f"{name} exists and is not a test user: {entry}"
    return ScenarioUser(name, entry.pw_uid, entry.pw_gid, Path(home))


def remove_user(name: str) -> None:
    # userdel exits 12 when the mail spool is missing; anything else is worth a look but must not mask a test
    proc = subprocess.run(["userdel", "-r", name], capture_output=True, text=True)
    if proc.returncode not in (0, 12):
        print(f"userdel -r {name} failed ({proc.returncode}): {proc.stderr}", file=sys.stderr)


def reset_home(user: ScenarioUser) -> ScenarioUser:
    """Give the user an empty home (theirs, 0755) and note which temp entries they already own."""
    force_remove(user.home)
    user.home.mkdir(parents=True)
    os.chown(user.home, user.uid, user.gid)
    user.home.chmod(0o755)
    return ScenarioUser(user.name, user.uid, user.gid, user.home, frozenset(temp_entries_of(user.uid)))


def root_user(home: Path) -> ScenarioUser:
    return ScenarioUser("root", 0, 0, home)


# ---------------------------------------------------------------- running commands


def clean_env(user: ScenarioUser, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a fresh login: nothing inherited from the test runner (no PIP_*, no VIRTUAL_ENV).

    pip reads no config file either, not the machine's (/etc/pip.conf, /etc/xdg/pip/pip.conf) nor the
    user's, unless `extra` names PIP_CONFIG_FILE or XDG_CONFIG_DIRS: a test about pip configuration sets up
    its own that way, and then pip reads its files as on any machine.
    """
    env = {
        "HOME": str(user.home),
        "USER": user.name,
        "LOGNAME": user.name,
        "PATH": DEFAULT_PATH,
        "LANG": "C.UTF-8",
    }
    extra = extra or {}
    if "PIP_CONFIG_FILE" not in extra and "XDG_CONFIG_DIRS" not in extra:
        env["PIP_CONFIG_FILE"] = os.devnull
    env.update(extra)
    return env


def run_as(
    user: ScenarioUser,
    argv: Sequence[str | os.PathLike[str]],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = COMMAND_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` as `user` (uid, gid and supplementary groups) in a clean environment."""
    command = [os.fspath(arg) for arg in argv]
    if user.uid != 0:
        command = ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--", *command]
    return subprocess.run(
        command,
        env=clean_env(user, env),
        cwd=cwd or user.home,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        umask=0o022,  # what a login shell gives, whatever the test runner's umask is
        text=True,
        timeout=timeout,
    )


def path_with(*dirs: Path) -> str:
    """A PATH with `dirs` in front of the default one."""
    return ":".join([*(str(d) for d in dirs), DEFAULT_PATH])


def describe(proc: subprocess.CompletedProcess[str]) -> str:
    """Everything about a finished command, for assertion messages."""
    return f"$ {' '.join(proc.args)}\nexit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"


def _check(argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, describe(proc)
    return proc


def run_ok(
    user: ScenarioUser, argv: Sequence[str | os.PathLike[str]], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A set-up step in a clean environment; fails the test when it fails."""
    proc = run_as(user, argv, env=env)
    assert proc.returncode == 0, describe(proc)
    return proc


def make_venv(user: ScenarioUser, path: Path, *options: str) -> Path:
    """A venv made by `user` with Debian's `python3 -m venv` (with pip unless `--without-pip`)."""
    run_ok(user, [DEBIAN_PYTHON, "-m", "venv", *options, path])
    return path


def assert_unwritable_by(user: ScenarioUser, directory: Path) -> None:
    """Prove the situation is real: `user` cannot create a file in `directory`."""
    probe = directory / f".probe-{user.name}"
    proc = run_as(user, ["touch", probe])
    assert proc.returncode != 0 and not probe.exists(), f"{user.name} can write {directory}"


# ---------------------------------------------------------------- safepip


@dataclass(frozen=True)
class Explained:
    returncode: int
    plan: dict[str, Any]
    stderr: str

    @property
    def target(self) -> dict[str, Any]:
        target = self.plan["target"]
        assert target is not None, f"no target in plan: {json.dumps(self.plan, indent=2)}"
        return dict(target)


@dataclass(frozen=True)
class Safepip:
    """safepip as a user runs it: the console script of its own root-owned venv, fixture packages offline."""

    executable: Path
    find_links: Path

    def source_args(self) -> list[str]:
        return ["--no-index", "--find-links", str(self.find_links)]

    def run(
        self,
        user: ScenarioUser,
        args: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return run_as(user, [self.executable, *args], env=env, cwd=cwd)

    def install(
        self,
        user: ScenarioUser,
        pip_args: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        return self.run(user, ["install", *self.source_args(), *pip_args], env=env, cwd=cwd)

    def explain(
        self,
        user: ScenarioUser,
        pip_args: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Explained:
        args = [*self.source_args(), *pip_args]
        proc = self.run(user, ["--json", "explain", *args], env=env, cwd=cwd)
        try:
            plan = json.loads(proc.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"explain did not print one JSON object\n{describe(proc)}") from None
        assert isinstance(plan, dict), describe(proc)
        assert (plan.get("schema"), plan.get("kind")) == ("safepip/1", "explain"), describe(proc)
        assert plan.get("command") == "install", describe(proc)
        assert plan.get("pip_args") == args, describe(proc)
        return Explained(proc.returncode, plan, proc.stderr)

    def python(
        self, user: ScenarioUser, env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> Path:
        proc = self.run(user, ["python"], env=env, cwd=cwd)
        assert proc.returncode == 0, describe(proc)
        lines = proc.stdout.splitlines()
        assert len(lines) == 1 and Path(lines[0]).is_absolute(), describe(proc)
        return Path(lines[0])


def target_line(stderr: str, home: Path | None = None) -> tuple[str, str, str]:
    """The `safepip: target <kind> <path> (<reason>)` line of an install, as (kind, path, reason); a path under
    `home` is shown as `~/…` there and returned in full."""
    found = [m.groups() for m in map(_TARGET_LINE.match, stderr.splitlines()) if m]
    assert len(found) == 1, f"expected one 'safepip: target' line on stderr, got:\n{stderr}"
    kind, path, reason = found[0]
    if home is not None and (path == "~" or path.startswith("~/")):
        path = str(home) + path[1:]
    return kind, path, reason


def import_location(
    user: ScenarioUser, python: Path, module: str, env: Mapping[str, str] | None = None
) -> Path:
    """Where `python`, run as `user`, imports `module` from."""
    proc = run_as(user, [python, "-c", f"import {module}; print({module}.__file__)"], env=env)
    assert proc.returncode == 0, describe(proc)
    return Path(proc.stdout.strip())


def interpreter_prefix(user: ScenarioUser, python: Path) -> Path:
    proc = run_as(user, [python, "-c", "import sys; print(sys.prefix)"])
    assert proc.returncode == 0, describe(proc)
    return Path(proc.stdout.strip())


# ---------------------------------------------------------------- looking at trees


Entry = tuple[int, int, int, str]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path under `root` (itself included): (owner uid, mode, size, content).

    Content is the sha256 of a file, the target of a symlink, "" for anything else. Directory sizes and times
    are left out: a writability probe that creates and deletes a file is allowed to touch them.
    """
    entries: dict[str, Entry] = {}
    if not root.exists() and not root.is_symlink():
        return entries
    paths = [root]
    for dirpath, dirnames, filenames in os.walk(root):
        paths += [Path(dirpath, name) for name in (*dirnames, *filenames)]
    for path in paths:
        info = path.lstat()
        if stat.S_ISREG(info.st_mode):
            content, size = hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size
        elif stat.S_ISLNK(info.st_mode):
            content, size = os.readlink(path), 0
        else:
            content, size = "", 0
        entries[str(path.relative_to(root))] = (info.st_uid, info.st_mode, size, content)
    return entries


def snapshot_diff(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """Readable differences between two snapshots; empty when equal."""
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(p for p in before.keys() & after.keys() if before[p] != after[p])
    return [f"+ {p}" for p in added] + [f"- {p}" for p in removed] + [f"~ {p}" for p in changed]


def root_owned_under(tree: Path) -> list[Path]:
    found = [tree] if tree.lstat().st_uid == 0 else []
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            if path.lstat().st_uid == 0:
                found.append(path)
    return found


def dists_under(tree: Path, project: str) -> list[Path]:
    """Directories under `tree` holding an installed `project` (its `<project>-<version>.dist-info`)."""
    return sorted(info.parent for info in tree.rglob(f"{project}-*.dist-info") if info.is_dir())


def site_dirs_under(tree: Path) -> set[Path]:
    """The site-packages directories under `tree` that hold installed distributions.

    Unpacked wheels in caches (virtualenv's app-data holds `pip-*.dist-info` too) are not environments.
    """
    found = {info.parent for info in tree.rglob("*.dist-info") if info.is_dir()}
    return {site for site in found if site.name in ("site-packages", "dist-packages")}


def temp_entries_of(uid: int) -> set[Path]:
    found = set()
    for root in TEMP_ROOTS:
        for entry in root.iterdir():
            try:
                if entry.lstat().st_uid == uid:
                    found.add(entry)
            except FileNotFoundError:
                continue
    return found


def assert_user_aftermath(user: ScenarioUser) -> None:
    """What every scenario promises afterwards: no root-owned file in the home, no stray temp directory."""
    root_owned = root_owned_under(user.home)
    assert not root_owned, f"root-owned paths in {user.home}: {root_owned}"
    stray = temp_entries_of(user.uid) - user.temp_baseline
    assert not stray, f"{user.name} left temp entries behind: {sorted(stray)}"


def is_under(path: Path, parent: Path) -> bool:
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(parent))


# ---------------------------------------------------------------- setting up and tearing down


def make_plain_python(dest: Path) -> Path:
    """Copy Debian's python3.11 to `dest` as a system Python without the PEP 668 marker and without pip.

    Its site-packages (`dest/local/lib/python3.11/dist-packages`) and scripts dir are root-owned 0755.
    Returns the interpreter.
    """
    (dest / "bin").mkdir(parents=True)
    (dest / "lib").mkdir()
    shutil.copy2("/usr/bin/python3.11", dest / "bin")
    (dest / "bin" / "python3").symlink_to("python3.11")
    _check(["cp", "-a", "/usr/lib/python3.11", str(dest / "lib")])
    shutil.rmtree(dest / "lib/python3.11/test")
    (dest / "lib/python3.11/EXTERNALLY-MANAGED").unlink(missing_ok=True)
    for made in (dest / "local/lib/python3.11/dist-packages", dest / "local/bin"):
        made.mkdir(parents=True)
    for directory in (
        dest,
        dest / "bin",
        dest / "lib",
        dest / "local",
        dest / "local/lib",
        dest / "local/lib/python3.11",
        dest / "local/lib/python3.11/dist-packages",
        dest / "local/bin",
    ):
        directory.chmod(0o755)
    return dest / "bin" / "python3"


def plain_python_purelib(python: Path) -> Path:
    return python.parent.parent / "local/lib/python3.11/dist-packages"


def force_remove(path: Path) -> None:
    """Remove a test's tree whatever a test did to it: mounts below it, immutable or read-only entries."""
    if not path.exists() and not path.is_symlink():
        return
    real = os.path.realpath(path)
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    for point in sorted(points, key=len, reverse=True):
        if point == real or point.startswith(real + "/"):
            subprocess.run(["umount", "-l", point], capture_output=True)
    subprocess.run(["chattr", "-R", "-i", "-a", real], capture_output=True)
    shutil.rmtree(real, onerror=_make_writable_and_retry)


def _make_writable_and_retry(function: Any, path: str, _exc: Any) -> None:
    os.chmod(os.path.dirname(path), 0o700)
    function(path)


def built_once(shared: Path, name: str, build: Callable[[Path], Path]) -> Path:
    """`build(shared / name)`, run by the first pytest-xdist worker of the session that asks; the others wait
    for it and get the same path. Only for what no test changes: a test that changes it works on a copy."""
    done = shared / f"{name}.built"  # what `build` returned, written once it has returned
    with FileLock(shared / f"{name}.lock"):
        if not done.exists():
            force_remove(shared / name)  # what a worker whose build failed left
            done.write_text(os.fspath(build(shared / name)))
    return Path(done.read_text())
