"""Temp and cache scenarios: a TMPDIR that pip cannot use, a pip cache taken by `sudo pip`, no usable home,
an immutable file in the way of an upgrade, and `--no-cache-dir`.

Each situation is produced for real as root (tmpfs mounts, root-owned directories, `chattr +i`, directories
planted by another user) and safepip runs as the ordinary user alice. Where plain pip fails in the same
situation, the test runs it too, to show the situation is real and that safepip gets past it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import pytest

from .mounts import chattr_works, clear_immutable, fill, is_immutable, set_immutable, tmpfs
from .support import (
    DEBIAN_PYTHON,
    Safepip,
    assert_unwritable_by,
    assert_user_aftermath,
    built_once,
    describe,
    force_remove,
    import_location,
    is_under,
    make_venv,
    path_with,
    root_owned_under,
    run_as,
    run_ok,
    snapshot,
    snapshot_diff,
    target_line,
    temp_entries_of,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE = "lib/python3.11/site-packages"
GIB = 1 << 30
PRIVATE_TEMP = "safepip-tmp-*"
PIP_CACHE_WARNING = "or its parent directory is not owned or is not writable by the current user"

# what the `safepip: temp:` notice says about each kind of unusable TMPDIR
TEMP_WHY = {
    "missing": "missing",
    "root-owned": "not writable",
    "noexec": "noexec",
    "2m": "free",
}
PACKAGES = ("spcli", "spsdist", "spneedsnative")
# the situations where the test runs plain pip too, and what pip says when it fails
PIP_FAILS = {
    ("noexec", "spneedsnative"): "failed to map segment from shared object",
    ("2m", "spsdist"): "No space left on device",
}
# pip needs only a few KiB of temp space for these packages, so an empty 2 MiB tmpfs is enough for it; and
# Python's tempfile passes over a TMPDIR where it cannot write a probe file (missing, not writable, or full)
# and uses /tmp. So in the side-by-side case the tmpfs is filled to within a few pages: room for that probe,
# not for pip's work.
NEARLY_FULL = {("2m", "spsdist"): 16 * 1024}


def load_native() -> ModuleType:
    # by path, as conftest loads packages.py: how pytest names tests/fixtures must not matter here
    spec = importlib.util.spec_from_file_location(
        "safepip_scenario_native_fixtures", REPO_ROOT / "tests" / "fixtures" / "native.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def find_links(shared_dir: Path, fixture_packages: Path) -> Path:
    """The fixture packages plus spnative (a cp311 wheel with a C extension) and spneedsnative (an sdist that
    needs it to build), world-readable; built once for the session's workers."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the spnative C extension")

    def build(dest: Path) -> Path:
        shutil.copytree(fixture_packages, dest)
        load_native().build_native_fixtures(dest, DEBIAN_PYTHON)
        subprocess.run(["chmod", "-R", "go+rX,go-w", str(dest)], check=True)
        return dest

    return built_once(shared_dir, "temp-cache-find-links", build)


@pytest.fixture(scope="module")
def safepip(safepip_tool: Path, find_links: Path) -> Safepip:
    """safepip, installing offline from the find-links dir that holds the native fixtures too."""
    return Safepip(safepip_tool, find_links)


# ---------------------------------------------------------------- helpers


def safepip_lines(stderr: str, start: str = "safepip: ") -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(start)]


def flat(text: str) -> str:
    """Whitespace collapsed: pip may wrap long lines."""
    return " ".join(text.split())


def private_temp_dirs(user: User, *places: Path) -> list[Path]:
    """safepip's private temp dirs of `user` in the temp roots, in `places` and in the user's own cache."""
    found: list[Path] = []
    for place in (Path("/tmp"), Path("/var/tmp"), *places, user.home / ".cache/safepip/tmp"):
        if not place.is_dir():
            continue
        for entry in place.glob(PRIVATE_TEMP):
            try:
                if entry.lstat().st_uid == user.uid:
                    found.append(entry)
            except FileNotFoundError:
                continue  # another session's, gone meanwhile
    return found


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


def plain_pip(
    user: User, venv: Path, safepip: Safepip, package: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    """pip itself, from a venv of the user's, offline from the same find-links dir."""
    return run_as(
        user, [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), package], env=env
    )


@contextmanager
def unusable_tmpdir(kind: str, scratch: Path) -> Iterator[Path]:
    """A TMPDIR alice cannot use, made for real under `scratch`; unmounted afterwards."""
    point = scratch / f"tmpdir-{kind}"
    if kind == "missing":
        yield point
    elif kind == "root-owned":
        point.mkdir(mode=0o755)
        point.chmod(0o755)
        yield point
    elif kind == "noexec":
        with tmpfs(point, "noexec,mode=1777"):
            yield point
    elif kind == "2m":
        with tmpfs(point, "size=2m,mode=1777"):
            yield point
    else:
        raise AssertionError(kind)


def assert_tmpdir_is_unusable(kind: str, tmpdir: Path, user: User) -> None:
    """The situation is real before safepip runs."""
    if kind == "missing":
        assert not tmpdir.exists()
    elif kind == "root-owned":
        assert tmpdir.stat().st_uid == 0
        assert_unwritable_by(user, tmpdir)
    elif kind == "noexec":
        assert os.statvfs(tmpdir).f_flag & os.ST_NOEXEC
    else:
        vfs = os.statvfs(tmpdir)
        assert vfs.f_bavail * vfs.f_frsize <= 2 * 1024 * 1024 < GIB


# ---------------------------------------------------------------- 1. an unusable TMPDIR


@pytest.mark.parametrize("package", PACKAGES)
@pytest.mark.parametrize("kind", list(TEMP_WHY))
def test_unusable_tmpdir_gets_a_private_temp_dir(
    kind: str, package: str, safepip: Safepip, alice: User, scratch: Path
) -> None:
    with unusable_tmpdir(kind, scratch) as tmpdir:
        if (kind, package) in NEARLY_FULL:
            fill(tmpdir, leave=NEARLY_FULL[kind, package])
        assert_tmpdir_is_unusable(kind, tmpdir, alice)
        env = {"TMPDIR": str(tmpdir)}

        pip_error = PIP_FAILS.get((kind, package))
        if pip_error is not None:
            venv = make_venv(alice, alice.home / "pip-venv")
            pip = plain_pip(alice, venv, safepip, package, env)
            assert pip.returncode != 0, describe(pip)
            assert pip_error in pip.stdout + pip.stderr, describe(pip)

        proc = safepip.install(alice, [package], env=env)
        assert proc.returncode == 0, describe(proc)
        assert f"Successfully installed {package}-" in proc.stdout, describe(proc)
        notices = safepip_lines(proc.stderr, "safepip: temp: ")
        assert len(notices) == 1, describe(proc)
        assert notices[0].startswith(f"safepip: temp: {tmpdir}: "), describe(proc)
        assert TEMP_WHY[kind] in notices[0], describe(proc)
        assert notices[0].endswith("pip gets a private directory in /tmp"), describe(proc)
        assert target_line(proc.stderr, alice.home)[0] == "managed", describe(proc)

        python = safepip.python(alice, env=env)
        assert is_under(import_location(alice, python, package), managed_venvs(alice.home))
        assert private_temp_dirs(alice, tmpdir) == []

        again = safepip.install(alice, [package], env=env)  # satisfied: pip not run, so no temp line
        assert again.returncode == 0 and "pip not run" in again.stderr, describe(again)
        assert safepip_lines(again.stderr, "safepip: temp: ") == [], describe(again)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 2. a usable TMPDIR is left alone


def test_usable_tmpdir_holds_pips_private_dir(safepip: Safepip, alice: User, scratch: Path) -> None:
    """A usable TMPDIR is where pip's private temp dir goes; it is removed afterwards, with what pip left."""
    tmpdir = scratch / "alice-tmp"
    tmpdir.mkdir()
    shutil.chown(tmpdir, alice.uid, alice.gid)
    tmpdir.chmod(0o700)
    env = {"TMPDIR": str(tmpdir)}

    explained = safepip.explain(alice, ["spsdist"], env=env)
    plan = json.dumps(explained.plan, indent=2)
    assert explained.returncode == 0, plan
    assert explained.plan["temp"]["keep"] is True, plan
    assert explained.plan["temp"]["parent"] == str(tmpdir), plan
    assert str(tmpdir) in explained.plan["temp"]["reason"], plan

    proc = safepip.install(alice, ["spsdist"], env=env)
    assert proc.returncode == 0, describe(proc)
    assert safepip_lines(proc.stderr, "safepip: temp") == [], describe(proc)
    assert private_temp_dirs(alice, tmpdir) == []
    assert list(tmpdir.iterdir()) == [], "pip left its temp files behind"
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 3. and 6. a pip cache taken by `sudo pip`


@contextmanager
def root_owned_pip_cache(user: User) -> Iterator[Path]:
    """~/.cache is the user's; ~/.cache/pip and its http-v2 are root's (0755), as after `sudo pip`."""
    cache = user.home / ".cache"
    cache.mkdir()
    shutil.chown(cache, user.uid, user.gid)
    pip_cache = cache / "pip"
    try:
        (pip_cache / "http-v2").mkdir(parents=True)
        for directory in (pip_cache, pip_cache / "http-v2"):
            directory.chmod(0o755)
        assert_unwritable_by(user, pip_cache)
        yield pip_cache
    finally:
        force_remove(pip_cache)


def test_root_owned_pip_cache_is_redirected_and_left_alone(safepip: Safepip, alice: User) -> None:
    with root_owned_pip_cache(alice) as pip_cache:
        before = snapshot(pip_cache)
        # pip itself: it warns and runs without a cache
        venv = make_venv(alice, alice.home / "pip-venv")
        pip = plain_pip(alice, venv, safepip, "spsdist", {})
        assert pip.returncode == 0, describe(pip)
        assert PIP_CACHE_WARNING in flat(pip.stderr), describe(pip)
        assert f"The directory '{pip_cache}'" in flat(pip.stderr), describe(pip)

        proc = safepip.install(alice, ["spsdist"])
        assert proc.returncode == 0, describe(proc)
        fix = f"sudo chown -R {alice.name} {pip_cache}"
        notices = [line for line in safepip_lines(proc.stderr) if fix in line]
        assert len(notices) == 1, describe(proc)
        assert PIP_CACHE_WARNING not in flat(proc.stderr), describe(proc)

        own_cache = alice.home / ".cache/safepip/pip-cache"
        assert str(own_cache) in notices[0], describe(proc)
        assert own_cache.is_dir() and own_cache.stat().st_uid == alice.uid
        built = sorted(own_cache.rglob("spsdist-1.0-*.whl"))
        assert built, f"pip did not cache the wheel it built in {own_cache}"
        assert all(wheel.stat().st_uid == alice.uid for wheel in built)
        assert snapshot_diff(before, snapshot(pip_cache)) == [], "the root-owned cache changed"
        assert sorted(root_owned_under(alice.home)) == [pip_cache, pip_cache / "http-v2"]
    assert_user_aftermath(alice)


def test_no_cache_dir_is_honoured(safepip: Safepip, alice: User) -> None:
    with root_owned_pip_cache(alice) as pip_cache:
        before = snapshot(pip_cache)
        explained = safepip.explain(alice, ["--no-cache-dir", "spsdist"])
        plan = json.dumps(explained.plan, indent=2)
        assert explained.returncode == 0, plan
        assert explained.plan["cache"]["redirect_to"] is None, plan
        assert "disabled" in explained.plan["cache"]["reason"], plan
        assert "--no-cache-dir" in explained.plan["cache"]["reason"], plan

        proc = safepip.install(alice, ["--no-cache-dir", "spsdist"])
        assert proc.returncode == 0, describe(proc)
        assert [line for line in safepip_lines(proc.stderr) if "cache" in line] == [], describe(proc)
        assert PIP_CACHE_WARNING not in flat(proc.stderr), describe(proc)
        assert not (alice.home / ".cache/safepip/pip-cache").exists()
        assert snapshot_diff(before, snapshot(pip_cache)) == []
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 4. no usable home


def private_roots(user: User) -> tuple[Path, Path]:
    return Path(f"/var/tmp/safepip-{user.uid}"), Path(f"/tmp/safepip-{user.uid}")


def remove_planted(path: Path) -> None:
    if path.is_symlink():
        path.unlink()  # force_remove would follow it and remove what it points to
    else:
        force_remove(path)


@pytest.mark.parametrize("home", ["/nonexistent", "/"], ids=["nonexistent", "slash"])
def test_no_usable_home_falls_back_to_a_private_dir(
    home: str, safepip: Safepip, alice: User, scratch: Path
) -> None:
    private, other = private_roots(alice)
    for leftover in (private, other):
        remove_planted(leftover)  # from a run that was killed
    env = {"HOME": home}
    try:
        proc = safepip.install(alice, ["spcli"], env=env, cwd=scratch)
        assert proc.returncode == 0, describe(proc)
        homes = safepip_lines(proc.stderr, "safepip: home:")
        assert len(homes) == 1 and str(private) in homes[0], describe(proc)
        assert "did not link console scripts" in proc.stderr, describe(proc)  # spcli has one
        no_scripts = safepip.install(alice, ["spbase"], env=env, cwd=scratch)
        assert no_scripts.returncode == 0, describe(no_scripts)
        assert "console scripts" not in no_scripts.stderr, describe(no_scripts)  # spbase has none

        info = private.lstat()
        assert stat.S_ISDIR(info.st_mode), f"{private} is not a directory"
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (alice.uid, 0o700)
        python = safepip.python(alice, env=env, cwd=scratch)
        assert python.is_relative_to(private / "data/venvs"), python  # a venv's python is a symlink
        location = import_location(alice, python, "spcli", env=env)
        assert is_under(location, private / "data/venvs"), location
        assert not other.exists() and not other.is_symlink()
        assert temp_entries_of(alice.uid) - alice.temp_baseline == {private}
        assert private_temp_dirs(alice) == []
    finally:
        remove_planted(private)
        remove_planted(other)
    assert_user_aftermath(alice)


@pytest.mark.parametrize("planted", ["bob's 0700 dirs", "symlinks to a dir of alice's"])
def test_private_dir_planted_by_someone_else_is_not_used(
    planted: str, safepip: Safepip, alice: User, bob: User, scratch: Path
) -> None:
    roots = private_roots(alice)
    elsewhere = scratch / "alice-elsewhere"
    elsewhere.mkdir()
    shutil.chown(elsewhere, alice.uid, alice.gid)
    elsewhere.chmod(0o700)
    try:
        for root in roots:
            remove_planted(root)
            if planted.startswith("bob"):
                root.mkdir()
                shutil.chown(root, bob.uid, bob.gid)
                root.chmod(0o700)
            else:
                root.symlink_to(elsewhere)
        before = {root: snapshot(root) for root in roots}

        proc = safepip.install(alice, ["spcli"], env={"HOME": "/nonexistent"}, cwd=scratch)
        assert proc.returncode == 77, describe(proc)
        assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
        assert "Traceback" not in proc.stderr, describe(proc)
        errors = safepip_lines(proc.stderr, "safepip: error: ")
        assert len(errors) == 1, describe(proc)
        assert all(f"{root} exists and is not a private directory" in errors[0] for root in roots), describe(
            proc
        )
        assert len(safepip_lines(proc.stderr, "safepip: fix: ")) == 1, describe(proc)
        assert all(line.startswith("safepip: ") for line in proc.stderr.splitlines()), describe(proc)
        for root in roots:
            assert snapshot_diff(before[root], snapshot(root)) == [], f"{root} changed"
        assert list(elsewhere.iterdir()) == [], "safepip wrote through the symlink"
    finally:
        for root in roots:
            remove_planted(root)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 5. an immutable file in the way of an upgrade


INIT_PY = re.compile(r"(/\S+/__init__\.py)")


def test_immutable_file_blocking_an_upgrade_is_named(safepip: Safepip, alice: User) -> None:
    unsupported = chattr_works(alice.home)
    if unsupported:
        pytest.skip(unsupported)
    venv = make_venv(alice, alice.home / "v")
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}
    first = safepip.install(alice, ["spcli==1.0"], env=env)
    assert first.returncode == 0, describe(first)
    assert target_line(first.stderr, alice.home)[:2] == ("env", str(venv)), describe(first)
    site = venv / SITE
    locked = site / "spcli/__init__.py"
    try:
        set_immutable(locked)
        assert run_as(alice, ["rm", "-f", locked]).returncode != 0 and locked.exists()
        before = snapshot(venv)

        proc = safepip.install(alice, ["--upgrade", "spcli"], env=env)
        assert proc.returncode != 0, describe(proc)
        if proc.returncode == 77:  # refused before pip ran: the error names the file, the fix says how
            errors = safepip_lines(proc.stderr, "safepip: error: ")
            fixes = safepip_lines(proc.stderr, "safepip: fix: ")
            assert len(errors) == 1 and len(fixes) == 1, describe(proc)
            cause, fix = errors[0], fixes[0]
            assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
            assert snapshot_diff(before, snapshot(venv)) == [], "the venv changed though pip did not run"
        else:  # pip ran and failed; one line says why
            diagnoses = [line for line in safepip_lines(proc.stderr) if "immutable" in line]
            assert len(diagnoses) == 1, describe(proc)
            cause = fix = diagnoses[0]
            assert "Could not install packages due to an OSError" in proc.stderr, describe(proc)
        assert "immutable" in cause, describe(proc)
        named = INIT_PY.search(cause)
        assert named is not None, describe(proc)
        path = Path(named.group(1))
        # the file itself, or where pip's uninstall stashed it (`~pcli`-like, next to it)
        assert path.parent.parent == site, describe(proc)
        assert path.parent.name == "spcli" or path.parent.name.startswith("~"), describe(proc)
        assert path.exists() and is_immutable(path), f"{path} is not the immutable file"
        assert f"chattr -i {path}" in fix, describe(proc)
    finally:
        clear_immutable(venv)
    assert_user_aftermath(alice)


def test_immutable_file_pip_cannot_overwrite_is_diagnosed(safepip: Safepip, alice: User) -> None:
    """A stray immutable file where a new package puts one of its own: pip fails, and safepip says why."""
    unsupported = chattr_works(alice.home)
    if unsupported:
        pytest.skip(unsupported)
    venv = make_venv(alice, alice.home / "v")
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}
    stray = venv / SITE / "spbase/__init__.py"
    run_ok(alice, ["mkdir", stray.parent])
    run_ok(alice, ["touch", stray])
    try:
        set_immutable(stray)
        proc = safepip.install(alice, ["spbase"], env=env)
        assert proc.returncode == 1, describe(proc)  # pip's own exit code
        assert f"[Errno 1] Operation not permitted: '{stray}'" in proc.stderr, describe(proc)
        diagnoses = [line for line in safepip_lines(proc.stderr) if "immutable" in line]
        assert len(diagnoses) == 1, describe(proc)
        assert proc.stderr.strip().splitlines()[-1] == diagnoses[0], describe(proc)
        assert str(stray) in diagnoses[0], describe(proc)
        assert diagnoses[0].endswith(f"Fix: sudo chattr -i {stray}"), describe(proc)
    finally:
        clear_immutable(venv)
    assert_user_aftermath(alice)
