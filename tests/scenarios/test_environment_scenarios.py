"""Issue 15, item 8: the environments real users hit (SPEC scenarios 21-23) and the lines safepip prints
around pip ("Delegation and output").

Each situation is produced for real as root: root-owned conda-style prefixes, standalone Pythons that carry an
EXTERNALLY-MANAGED marker, a read-only root filesystem in a private mount namespace, a UID without a passwd
entry, a machine-wide pip.conf, a venv on a noexec tmpfs, a root-made venv whose build tools are too old, a
root-owned checkout. safepip runs as an ordinary user and either installs so that the interpreter
`safepip python` reports imports the package, or refuses with 77 before pip runs; never exit 0 with a package
that cannot be imported. Where plain pip fails in the same situation, the test runs it too (Debian's pip
23.0.1, or its bundled wheel run by a Python that has no pip), to show the situation is real.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import SESSION_PREFIX, WORKER_NUMBER
from .mounts import tmpfs
from .support import (
    COMMAND_TIMEOUT,
    DEBIAN_PYTHON,
    Safepip,
    assert_unwritable_by,
    assert_user_aftermath,
    built_once,
    clean_env,
    describe,
    dists_under,
    force_remove,
    import_location,
    is_under,
    make_plain_python,
    make_venv,
    path_with,
    plain_python_purelib,
    root_user,
    run_as,
    run_ok,
    snapshot,
    snapshot_diff,
    target_line,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
SITE = "lib/python3.11/site-packages"
DEBIAN_WHEELS = Path("/usr/share/python-wheels")  # python3-pip-whl and python3-setuptools-whl
NEW_SETUPTOOLS = "setuptools==80.9.0"  # a PEP 639 license expression needs setuptools >= 77
MAX_LINE = 120
# a container's UID with no passwd entry; another scenario user prefix gets another one, and so does each
# pytest-xdist worker (gw0..gw62; a run without xdist has the first), so that two sessions or workers side by
# side do not share (and remove) each other's private directory
SESSION_OFFSET = 0 if SESSION_PREFIX == "safepip" else 1 + zlib.crc32(SESSION_PREFIX.encode()) % 4000
ARBITRARY_UID = 54321 + 64 * SESSION_OFFSET + WORKER_NUMBER
# a private mount namespace where / is read-only and only /tmp can be written (a container's read-only root)
READ_ONLY_ROOT = 'mount --bind /tmp /tmp && mount -o remount,bind,ro / && exec "$@"'


def load_fixture_module(name: str) -> ModuleType:
    # by path, as conftest loads packages.py: how pytest names tests/fixtures must not matter here
    spec = importlib.util.spec_from_file_location(
        f"safepip_environment_fixtures_{name}", REPO_ROOT / "tests" / "fixtures" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


BUILD_TOOLS = load_fixture_module("build_tools")


def debian_wheel(project: str) -> Path | None:
    found = sorted(DEBIAN_WHEELS.glob(f"{project}-*-py3-none-any.whl"))
    return found[-1] if found else None


def download_new_setuptools(dest: Path) -> None:
    """setuptools >= 77 from the package index, once a session, as safepip_tool gets safepip's dependencies;
    left out when the index cannot be reached (the test that needs it says so and skips)."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(
            [DEBIAN_PYTHON, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", str(dest), NEW_SETUPTOOLS],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip


@pytest.fixture(scope="module")
def find_links(shared_dir: Path, fixture_packages: Path) -> Path:
    """The fixture packages, spnative (a cp311 wheel with a C extension, when gcc is there), spbuildtool 1.0 and
    2.0 with spnewtool, Debian's bundled setuptools and a setuptools >= 77; world-readable; built once for the
    session's workers."""

    def build(dest: Path) -> Path:
        shutil.copytree(fixture_packages, dest)
        native = load_fixture_module("native")
        with contextlib.suppress(native.NativeToolchainError):  # then the noexec test skips
            native.build_native_fixtures(dest, DEBIAN_PYTHON)
        BUILD_TOOLS.build_tool_fixtures(dest)
        bundled = debian_wheel("setuptools")
        if bundled is not None:
            shutil.copy(bundled, dest)
        download_new_setuptools(dest)
        subprocess.run(["chmod", "-R", "go+rX,go-w", str(dest)], check=True)
        return dest

    return built_once(shared_dir, "environment-find-links", build)


@pytest.fixture(scope="module")
def safepip(safepip_tool: Path, find_links: Path) -> Safepip:
    return Safepip(safepip_tool, find_links)


# ---------------------------------------------------------------- helpers


def run_merged(
    prefix: Sequence[str],
    argv: Sequence[str | os.PathLike[str]],
    env: Mapping[str, str],
    cwd: Path,
) -> subprocess.CompletedProcess[str]:
    """`prefix + argv` with stderr into stdout, so the order of safepip's lines and pip's is kept."""
    return subprocess.run(
        [*prefix, *(os.fspath(arg) for arg in argv)],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        umask=0o022,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


def as_user(user: User) -> list[str]:
    return ["setpriv", f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--"]


def as_arbitrary_uid() -> list[str]:
    return ["setpriv", f"--reuid={ARBITRARY_UID}", f"--regid={ARBITRARY_UID}", "--clear-groups", "--"]


def in_read_only_root(prefix: Sequence[str]) -> list[str]:
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY_ROOT, "sh", *prefix]


def safepip_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("safepip: ")]


def around_pip(output: str) -> tuple[list[str], list[str]]:
    """safepip's lines before pip's first line and after pip's last, in merged output."""
    lines = output.splitlines()
    pip_lines = [i for i, line in enumerate(lines) if not line.startswith("safepip: ")]
    assert pip_lines, f"pip printed nothing:\n{output}"
    return lines[: pip_lines[0]], lines[pip_lines[-1] + 1 :]


def plain_pip(python: Path) -> list[str]:
    """pip 23.0.1 for a Python that has no pip: Debian's bundled wheel, run directly."""
    wheel = debian_wheel("pip")
    if wheel is None:
        pytest.skip(f"no pip wheel in {DEBIAN_WHEELS} to run plain pip with")
    return [str(python), str(wheel / "pip")]


def version_of(user: User, python: Path, module: str, env: Mapping[str, str] | None = None) -> str:
    proc = run_as(user, [python, "-c", f"import {module}; print({module}.__version__)"], env=env)
    assert proc.returncode == 0, describe(proc)
    return proc.stdout.strip()


def private_roots(uid: int) -> list[Path]:
    return [Path(f"/var/tmp/safepip-{uid}"), Path(f"/tmp/safepip-{uid}")]


@pytest.fixture
def private_dirs_removed(alice: User) -> Iterator[User]:
    """alice, with safepip's private fallback dirs of hers removed before and after (whatever the test did)."""
    for root in private_roots(alice.uid):
        force_remove(root)
    yield alice
    for root in private_roots(alice.uid):
        force_remove(root)


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    BUILD_TOOLS.write_tree(root, dict(files))
    return root


def chown_tree(tree: Path, user: User) -> None:
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(tree)], check=True)


# ---------------------------------------------------------------- 1. root-owned conda-style environments


@pytest.fixture(scope="module")
def conda(shared_dir: Path) -> Path:
    """A root-owned conda-style installation: the base at conda/ (condabin/, conda-meta/) and the named env
    conda/envs/tools, each a full Python prefix with conda-meta/ and pip; the named env shares the base's files
    through hard links, as conda's environments do, and holds a module of its own (toolsmark). Made once for
    the session's workers: the tests only read it, as alice."""
    return built_once(shared_dir, "conda", make_conda)


def make_conda(base: Path) -> Path:
    python = make_plain_python(base)
    (base / "bin/python").symlink_to("python3.11")
    pip_wheel = debian_wheel("pip")
    if pip_wheel is not None:  # a wheel is a zip: unpacked into site-packages it is an installed pip
        with zipfile.ZipFile(pip_wheel) as wheel:
            wheel.extractall(plain_python_purelib(python))
    for directory in ("conda-meta", "condabin"):
        (base / directory).mkdir()
    named = base / "envs/tools"
    named.mkdir(parents=True)
    subprocess.run(["cp", "-al", *(str(base / d) for d in ("bin", "lib", "local", "conda-meta")), str(named)],
                   check=True)  # fmt: skip
    (plain_python_purelib(named / "bin/python3") / "toolsmark.py").write_text('ENV = "tools"\n')
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(base)], check=True)
    return base


def conda_env(conda: Path, name: str) -> dict[str, str]:
    """What `conda activate NAME` sets (base: the installation itself)."""
    prefix = conda if name == "base" else conda / "envs" / name
    return {
        "CONDA_PREFIX": str(prefix),
        "CONDA_DEFAULT_ENV": name,
        "CONDA_SHLVL": "1" if name == "base" else "2",
        "CONDA_EXE": str(conda / "bin/conda"),
        "PATH": path_with(prefix / "bin", conda / "condabin"),
    }


def test_conda_base_is_not_an_active_environment(safepip: Safepip, alice: User, conda: Path) -> None:
    """SPEC, Words: the base environment is the Python on PATH, not an active environment: it is not writable
    and not externally managed, so its user site, as pip itself falls back to."""
    env = conda_env(conda, "base")
    assert_unwritable_by(alice, plain_python_purelib(conda / "bin/python3"))
    before = snapshot(conda)

    proc = safepip.install(alice, ["spcli"], env=env)

    assert proc.returncode == 0, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert (kind, Path(path)) == ("user", alice.home / ".local"), describe(proc)
    python = safepip.python(alice, env=env)
    assert python.parent == conda / "bin", python
    assert is_under(import_location(alice, python, "spcli", env=env), alice.home / ".local")
    assert snapshot_diff(before, snapshot(conda)) == []
    assert_user_aftermath(alice)


def test_conda_named_environment_gets_an_overlay(safepip: Safepip, alice: User, conda: Path) -> None:
    """SPEC, decision 2: a non-base CONDA_PREFIX is the active environment; not writable, an overlay that still
    sees its packages (not the user site, which every other Python 3.11 of the user's would see too)."""
    named = conda / "envs/tools"
    env = conda_env(conda, "tools")
    assert_unwritable_by(alice, plain_python_purelib(named / "bin/python3"))
    before = snapshot(conda)

    proc = safepip.install(alice, ["spcli"], env=env)

    assert proc.returncode == 0, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind in ("overlay", "managed"), describe(proc)
    target = Path(path)
    assert is_under(target, alice.home / ".local/share/safepip"), describe(proc)
    python = safepip.python(alice, env=env)
    assert is_under(python.parent, target), python
    assert is_under(import_location(alice, python, "spcli", env=env), target)
    assert is_under(import_location(alice, python, "toolsmark", env=env), named), (
        "the env's packages are gone"
    )
    assert str(named) in proc.stderr, "no notice names the conda environment"
    assert snapshot_diff(before, snapshot(conda)) == []
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 2. a standalone Python with a PEP 668 marker

MARKER_TEXT = "[externally-managed]\nError=This Python is managed by uv. Use `uv pip install` or a venv.\n"


@pytest.mark.parametrize("owner", ["root", "alice"])
def test_standalone_python_with_marker_gets_a_managed_venv(
    owner: str, safepip: Safepip, alice: User, scratch: Path
) -> None:
    """A python-build-standalone or uv-managed Python (not a venv) whose stdlib dir holds EXTERNALLY-MANAGED:
    root's under /opt, or alice's own under ~/.local/share/uv/python, which she could write but must not."""
    if owner == "root":
        prefix = scratch / "opt/python3.11"
        python = make_plain_python(prefix)
    else:
        prefix = alice.home / ".local/share/uv/python/cpython-3.11-linux-x86_64-gnu"
        python = make_plain_python(prefix)
    (prefix / "lib/python3.11/EXTERNALLY-MANAGED").write_text(MARKER_TEXT)
    (prefix / "lib/python3.11/EXTERNALLY-MANAGED").chmod(0o644)
    if owner == "alice":
        chown_tree(alice.home / ".local", alice)
    env = {"PATH": path_with(python.parent)}
    before = snapshot(prefix)
    pip = run_as(alice, [*plain_pip(python), "install", *safepip.source_args(), "spcli"], env=env)
    assert pip.returncode != 0 and "externally-managed-environment" in pip.stderr, describe(pip)

    proc = safepip.install(alice, ["spcli"], env=env)

    assert proc.returncode == 0, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind == "managed", describe(proc)
    venv = Path(path)
    assert venv.parent == alice.home / ".local/share/safepip/venvs", describe(proc)
    python_used = safepip.python(alice, env=env)
    assert is_under(import_location(alice, python_used, "spcli", env=env), venv)
    assert os.path.realpath(python_used) == os.path.realpath(python), "the venv is not of the marked Python"
    assert snapshot_diff(before, snapshot(prefix)) == [], "the marked Python changed"
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 3. read-only root, only /tmp writable


def read_only_root_works(scratch: Path) -> str | None:
    """None when a private mount namespace with a read-only / can be made here, else why not."""
    probe = run_merged(
        in_read_only_root([]), ["touch", scratch / "probe"], {"PATH": "/usr/bin:/bin"}, scratch
    )
    if probe.returncode != 0:
        return f"cannot make a read-only root in a private mount namespace: {probe.stdout.strip()}"
    (scratch / "probe").unlink()
    return None


def test_read_only_root_with_only_tmp_writable(
    safepip: Safepip, private_dirs_removed: User, plain_python: Path, scratch: Path
) -> None:
    """A container with a read-only root filesystem (home, /var/tmp and the Python's prefix included) where only
    /tmp can be written: safepip's private directory under /tmp, or a clean refusal."""
    alice = private_dirs_removed
    why_not = read_only_root_works(scratch)
    if why_not:
        pytest.skip(why_not)
    env = clean_env(alice, {"PATH": path_with(plain_python.parent)})
    inside = in_read_only_root(as_user(alice))
    home_before = snapshot(alice.home)
    writes = run_merged(inside, ["touch", alice.home / "probe", Path("/var/tmp/probe")], env, alice.home)
    assert writes.returncode != 0 and writes.stdout.count("Read-only file system") == 2, describe(writes)
    pip = run_merged(
        inside, [*plain_pip(plain_python), "install", *safepip.source_args(), "spcli"], env, alice.home
    )
    assert pip.returncode != 0 and "Read-only file system" in pip.stdout, describe(pip)

    proc = run_merged(
        inside, [safepip.executable, "install", *safepip.source_args(), "spcli"], env, alice.home
    )

    private = Path(f"/tmp/safepip-{alice.uid}")
    if proc.returncode == 77:
        errors = [line for line in safepip_lines(proc.stdout) if line.startswith("safepip: error: ")]
        fixes = [line for line in safepip_lines(proc.stdout) if line.startswith("safepip: fix: ")]
        assert (len(errors), len(fixes)) == (1, 1), describe(proc)
        assert "Successfully installed" not in proc.stdout, f"pip ran:\n{describe(proc)}"
    else:
        assert proc.returncode == 0, describe(proc)
        kind, path, _reason = target_line(proc.stdout, alice.home)
        assert kind == "managed" and is_under(Path(path), private), describe(proc)
        where = run_merged(inside, [safepip.executable, "python"], env, alice.home)
        assert where.returncode == 0, describe(where)
        python = Path(where.stdout.strip())
        imported = run_merged(inside, [python, "-c", "import spcli; print(spcli.__file__)"], env, alice.home)
        assert imported.returncode == 0, describe(imported)
        assert is_under(Path(imported.stdout.strip()), private), describe(imported)
        assert (private.stat().st_uid, private.stat().st_mode & 0o777) == (alice.uid, 0o700)
    assert not Path(f"/var/tmp/safepip-{alice.uid}").exists()
    assert snapshot_diff(home_before, snapshot(alice.home)) == []
    for root in private_roots(alice.uid):
        force_remove(root)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 4. an arbitrary UID, no passwd entry, HOME=/


@pytest.fixture
def arbitrary_uid_dirs() -> Iterator[list[Path]]:
    """The private directories the arbitrary UID may get, removed before and after."""
    roots = private_roots(ARBITRARY_UID)
    for root in roots:
        force_remove(root)
    yield roots
    for root in roots:
        force_remove(root)


def owned_by(uid: int, places: Sequence[Path]) -> list[Path]:
    found = []
    for place in places:
        for entry in place.iterdir():
            try:
                if entry.lstat().st_uid == uid:
                    found.append(entry)
            except FileNotFoundError:
                continue
    return found


def test_arbitrary_uid_without_passwd_entry_and_home_slash(
    safepip: Safepip, plain_python: Path, arbitrary_uid_dirs: list[Path]
) -> None:
    """A container run with `--user 54321` (OpenShift): no passwd entry, HOME=/, a Python image without the
    PEP 668 marker. pip's user site would be /.local; safepip's private directory instead, nothing in /."""
    import pwd

    with pytest.raises(KeyError):
        pwd.getpwuid(ARBITRARY_UID)
    env = {
        "HOME": "/",
        "PATH": path_with(plain_python.parent),
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,
    }
    root_before = sorted(os.listdir("/"))
    pip = run_merged(
        as_arbitrary_uid(),
        [*plain_pip(plain_python), "install", *safepip.source_args(), "spcli"],
        env,
        Path("/"),
    )
    assert pip.returncode != 0 and "Permission denied: '/.local'" in pip.stdout, describe(pip)

    proc = run_merged(as_arbitrary_uid(), [safepip.executable, "install", *safepip.source_args(), "spcli"], env,
                      Path("/"))  # fmt: skip

    assert proc.returncode == 0, describe(proc)
    private = arbitrary_uid_dirs[0]  # /var/tmp/safepip-UID: the first private base
    kind, path, _reason = target_line(proc.stdout, Path("/"))
    assert kind == "managed" and is_under(Path(path), private), describe(proc)
    where = run_merged(as_arbitrary_uid(), [safepip.executable, "python"], env, Path("/"))
    assert where.returncode == 0, describe(where)
    python = Path(where.stdout.strip())
    imported = run_merged(
        as_arbitrary_uid(), [python, "-c", "import spcli; print(spcli.__file__)"], env, Path("/")
    )
    assert imported.returncode == 0 and is_under(Path(imported.stdout.strip()), private), describe(imported)
    assert sorted(os.listdir("/")) == root_before, "something was written to /"
    assert owned_by(ARBITRARY_UID, [Path("/"), Path("/tmp"), Path("/var/tmp")]) == [private]


# ---------------------------------------------------------------- 5. a machine-wide pip.conf (XDG_CONFIG_DIRS)

PIP_CONFIGS = {
    # id: (pip.conf [global] lines besides the constraint, the Python, the target kinds that are right)
    "user-plain-python": (["user = true"], "plain", ("explicit", "user")),
    "require-virtualenv-debian-python": (["require-virtualenv = true"], "debian", ("managed",)),
    # pip refuses both ways here (no venv; --user under PEP 668): a venv of safepip's, or a refusal that names
    # the file the setting came from
    "user-and-require-virtualenv-debian-python": (
        ["user = true", "require-virtualenv = true"],
        "debian",
        ("managed", "refused"),
    ),
    "user-in-alices-active-venv": (["user = true"], "venv", ("env",)),
}


@pytest.mark.parametrize("case", list(PIP_CONFIGS))
def test_machine_wide_pip_conf(
    case: str, safepip: Safepip, alice: User, plain_python: Path, scratch: Path
) -> None:
    """An administrator's /etc/xdg/pip/pip.conf (here a directory named by XDG_CONFIG_DIRS) with `user = true`,
    `require-virtualenv = true` and `constraint = FILE`: the right target, and the constraint holds."""
    settings, python_kind, kinds = PIP_CONFIGS[case]
    xdg = scratch / "xdg"
    (xdg / "pip").mkdir(parents=True)
    constraints = scratch / "constraints.txt"
    constraints.write_text("spcli<2\n")
    assert not any(char.isspace() for char in str(constraints)), "pip splits a constraint list on whitespace"
    (xdg / "pip/pip.conf").write_text("[global]\n" + "".join(f"{line}\n" for line in [
        *settings, f"constraint = {constraints}"]))  # fmt: skip
    subprocess.run(["chmod", "-R", "go+rX", str(xdg), str(constraints)], check=True)
    env = {"XDG_CONFIG_DIRS": str(xdg)}
    venv = None
    if python_kind == "plain":
        env["PATH"] = path_with(plain_python.parent)
    elif python_kind == "venv":
        venv = make_venv(alice, alice.home / "work-venv", "--without-pip")
        env.update(VIRTUAL_ENV=str(venv), PATH=path_with(venv / "bin"))

    proc = safepip.install(alice, ["spcli"], env=env)

    if proc.returncode == 77 and "refused" in kinds:
        assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
        errors = [line for line in safepip_lines(proc.stderr) if line.startswith("safepip: error: ")]
        fixes = [line for line in safepip_lines(proc.stderr) if line.startswith("safepip: fix: ")]
        assert (len(errors), len(fixes)) == (1, 1), describe(proc)
        assert str(xdg / "pip/pip.conf") in errors[0] + fixes[0], (
            f"the refusal does not say why:\n{describe(proc)}"
        )
        assert "drop --user" not in fixes[0], f"alice typed no --user:\n{describe(proc)}"
        assert dists_under(alice.home, "spcli") == []
        assert_user_aftermath(alice)
        return
    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spcli-1.0" in proc.stdout, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind in kinds, describe(proc)
    python = safepip.python(alice, env=env)
    location = import_location(alice, python, "spcli", env=env)
    assert is_under(location, Path(path)), describe(proc)
    assert version_of(alice, python, "spcli", env=env) == "1.0", "the constraint was not respected"
    if venv is not None:
        assert Path(path) == venv and dists_under(alice.home, "spcli") == [venv / SITE]
    assert "nothing to install" not in proc.stderr, f"pip installed spcli:\n{describe(proc)}"
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 6. a venv on a noexec mount, a compiled wheel


def test_noexec_venv_and_a_compiled_wheel(safepip: Safepip, alice: User, scratch: Path) -> None:
    """alice's venv on a noexec tmpfs (a hardened home, HPC scratch): pip installs spnative there with exit 0
    and it cannot be loaded. safepip installs it where it loads, or refuses with 77 before pip."""
    if not list(safepip.find_links.glob("spnative-*.whl")):
        pytest.skip("gcc and Python.h are needed to build the spnative wheel")
    with tmpfs(scratch / "noexec", f"noexec,mode=0755,uid={alice.uid},gid={alice.gid}") as mount:
        assert os.statvfs(mount).f_flag & os.ST_NOEXEC
        venv = make_venv(alice, mount / "venv")
        env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}
        before = snapshot(venv)

        proc = safepip.install(alice, ["spnative"], env=env)

        if proc.returncode == 77:
            assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
        else:
            assert proc.returncode == 0, describe(proc)
            python = safepip.python(alice, env=env)
            check = "import spnative; print(spnative._speedups.answer(), spnative.__file__)"
            loaded = run_as(alice, [python, "-c", check], env=env)
            assert loaded.returncode == 0, f"exit 0 with a module that cannot be loaded:\n{describe(loaded)}"
            answer, location = loaded.stdout.split()
            assert answer == "42" and not is_under(Path(location), mount), describe(loaded)
        assert snapshot_diff(before, snapshot(venv)) == [], "safepip changed the venv on the noexec mount"

        # where there is nowhere else to go: refused before pip, saying why
        for refused_args in (["--no-fallback", "install"], ["install", "--target", str(mount / "lib")]):
            args = [*refused_args, *safepip.source_args(), "spnative"]
            refused = safepip.run(alice, args, env=env)
            assert refused.returncode == 77 and refused.stdout == "", describe(refused)
            errors = [line for line in safepip_lines(refused.stderr) if line.startswith("safepip: error: ")]
            assert len(errors) == 1 and "noexec" in errors[0], describe(refused)
        assert snapshot_diff(before, snapshot(venv)) == []

        # plain pip: exit 0, and the module cannot be loaded
        pip = run_as(alice, [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), "spnative"])
        assert pip.returncode == 0, describe(pip)
        broken = run_as(alice, [venv / "bin/python", "-c", "import spnative"])
        assert "failed to map segment" in broken.stderr, describe(broken)

        # the lines say what is wrong with the venv (noexec), not that alice should chown it to herself
        lines = safepip_lines(proc.stderr)
        assert any("noexec" in line for line in lines), describe(proc)
        assert not any(f"sudo chown -R {alice.name}" in line for line in lines), describe(proc)
        assert not any(f"not writable by {alice.name} (owned by {alice.name})" in line for line in lines), (
            describe(proc)
        )
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 7. an overlay building with newer build tools


def setuptools_version(wheel: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in wheel.name.split("-")[1].split(".")[:2])


@pytest.mark.parametrize("tool", ["spbuildtool", "setuptools"])
def test_overlay_builds_with_its_own_build_requirements(
    tool: str, safepip: Safepip, alice: User, scratch: Path, root_home: Path
) -> None:
    """SPEC 23: a venv made by root (Debian's: pip 23.0.1, setuptools 66.1.1; with spbuildtool 1.0) is active;
    an sdist needing spbuildtool>=2 (or setuptools>=77 for its `license = "MIT"`) and `-e .` of a project of
    alice's needing the same build, through the overlay: built with their own build requirements, installed
    in the overlay, importable by its python; the root venv untouched."""
    root = root_user(root_home)
    venv = make_venv(root, scratch / "root-venv")
    if tool == "spbuildtool":
        run_ok(
            root, [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), "spbuildtool==1.0"]
        )
        project, files = BUILD_TOOLS.NEWTOOL, BUILD_TOOLS.newtool_sources()
    else:
        new = [w for w in safepip.find_links.glob("setuptools-*.whl") if setuptools_version(w) >= (77,)]
        if not new:
            pytest.skip(f"{NEW_SETUPTOOLS} could not be downloaded into the find-links dir")
        old = run_ok(root, [venv / "bin/python", "-c", "import setuptools; print(setuptools.__version__)"])
        assert int(old.stdout.split(".")[0]) < 77, old.stdout
        project, files = "spmodern", BUILD_TOOLS.setuptools_sources("spmodern", "77", license_expression=True)
    links = scratch / "links"  # the project's sdist, next to the fixture packages
    links.mkdir(mode=0o755)
    BUILD_TOOLS.write_sdist(links, project, files)
    assert_unwritable_by(alice, venv / SITE)
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}
    venv_before = snapshot(venv)

    # the sdist (no wheel cache: pip must build it here)
    proc = safepip.install(alice, ["--no-cache-dir", "--find-links", str(links), project], env=env)

    assert proc.returncode == 0, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind == "overlay", describe(proc)
    overlay = Path(path)
    python = safepip.python(alice, env=env)
    assert is_under(python.parent, overlay), python
    assert is_under(import_location(alice, python, project, env=env), overlay / SITE)
    if tool == "spbuildtool":
        built_by = run_ok(
            alice, [python, "-c", "import spnewtool._built_by as b; print(b.BUILT_BY)"], env=env
        )
        assert built_by.stdout.strip() == "spbuildtool 2.0", "built with the root venv's build tool"
        # the root venv's packages stay importable through the overlay
        assert is_under(import_location(alice, python, "spbuildtool", env=env), venv / SITE)
    pips = [
        run_ok(alice, [p, "-m", "pip", "--version"], env=env).stdout.split()[1]
        for p in (python, venv / "bin/python")
    ]
    assert tuple(map(int, pips[0].split(".")[:2])) >= tuple(map(int, pips[1].split(".")[:2])), (
        f"the overlay runs pip {pips[0]}, older than the root venv's {pips[1]}"
    )

    # `-e .` of alice's own project, through the same overlay
    checkout = write_tree(alice.home / "src" / project, files)
    chown_tree(alice.home / "src", alice)
    editable = safepip.install(alice, ["--no-cache-dir", "-e", "."], env=env, cwd=checkout)

    assert editable.returncode == 0, describe(editable)
    assert target_line(editable.stderr, alice.home)[:2] == ("overlay", str(overlay)), describe(editable)
    assert is_under(import_location(alice, python, project, env=env), checkout)
    (checkout / project / "__init__.py").write_text('__version__ = "1.0+edited"\n')
    assert version_of(alice, python, project, env=env) == "1.0+edited", "not an editable install"
    assert snapshot_diff(venv_before, snapshot(venv)) == [], "the root venv changed"
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 8. `-e .` of a root-owned checkout


@pytest.mark.parametrize("how", ["-e . in the checkout", "-e PATH from the home"])
def test_editable_install_of_a_root_owned_checkout(
    how: str, safepip: Safepip, alice: User, scratch: Path
) -> None:
    """setuptools writes `<name>.egg-info` into the source tree, which alice cannot write: pip's exit code, and
    one line that says so, naming that directory."""
    files = BUILD_TOOLS.setuptools_sources("spcheckout", "40", license_expression=False)
    checkout = write_tree(scratch / "checkout", files)
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(checkout)], check=True)
    assert_unwritable_by(alice, checkout)
    before = snapshot(checkout)
    cwd, target = (checkout, ".") if how.startswith("-e .") else (alice.home, str(checkout))

    proc = run_merged(as_user(alice), [safepip.executable, "install", *safepip.source_args(), "-e", target],
                      clean_env(alice), cwd)  # fmt: skip

    assert "could not create 'spcheckout.egg-info': Permission denied" in proc.stdout, describe(proc)
    # pip's own exit code: what pip itself exits with for this build, from the venv safepip made
    python = safepip.python(alice)
    pip = run_as(alice, [python, "-m", "pip", "install", *safepip.source_args(), "-e", target], cwd=cwd)
    assert pip.returncode not in (0, 77) and proc.returncode == pip.returncode, describe(proc) + describe(pip)
    _before_pip, after = around_pip(proc.stdout)
    causes = safepip_lines("\n".join(after))
    assert len(causes) == 1, describe(proc)
    assert str(checkout / "spcheckout.egg-info") in causes[0], describe(proc)
    assert "source tree" in causes[0] and "cannot write" in causes[0], describe(proc)
    assert snapshot_diff(before, snapshot(checkout)) == []
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 9. the lines around pip


TARGET_LINE = re.compile(r"^safepip: target managed ~/\.local/share/safepip/venvs/\S+ \(.+\)$")
AFTER_LINE = re.compile(
    r"^safepip: installed into ~/\S+; use ~/\S+/bin/python \(in scripts: \$\(safepip python\)\)$"
)


def safepip_install(safepip: Safepip, user: User, *args: str) -> subprocess.CompletedProcess[str]:
    """`safepip ARGS` with the fixture source options after `install`, output merged."""
    at = args.index("install") + 1
    argv: list[str | os.PathLike[str]] = [safepip.executable, *args[:at], *safepip.source_args(), *args[at:]]
    return run_merged(as_user(user), argv, clean_env(user), user.home)


def test_one_short_line_before_pip_and_one_after(safepip: Safepip, alice: User) -> None:
    """Debian's python3 (PEP 668), a fresh home: one line before pip (the target, ~/… for the home, the reason
    in a few words, at most 120 characters) and one after (how to use the Python that changed)."""
    proc = safepip_install(safepip, alice, "install", "spbase")

    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spbase-1.0" in proc.stdout, describe(proc)
    before, after = around_pip(proc.stdout)
    assert len(before) == 1 and TARGET_LINE.match(before[0]), describe(proc)
    assert len(before[0]) <= MAX_LINE, f"{len(before[0])} characters:\n{before[0]}"
    assert len(after) == 1 and AFTER_LINE.match(after[0]), describe(proc)
    assert not any(str(alice.home) in line for line in safepip_lines(proc.stdout)), describe(proc)
    assert_user_aftermath(alice)


def test_the_same_install_again_has_nothing_to_install_and_quiet_is_quiet(
    safepip: Safepip, alice: User
) -> None:
    """The same install again says there was nothing to install (pip's "already satisfied", answered without
    pip, or pip run and nothing changed) and nothing else; `-q` after `install` (pip's) or before it
    (safepip's) prints no line of safepip's."""
    first = safepip_install(safepip, alice, "install", "spbase")
    assert first.returncode == 0 and "Successfully installed spbase-1.0" in first.stdout, describe(first)

    again = safepip_install(safepip, alice, "install", "spbase")

    assert again.returncode == 0, describe(again)
    assert "Successfully installed" not in again.stdout, describe(again)
    lines = safepip_lines(again.stdout)
    said = [
        line
        for line in lines
        if "nothing to install" in line or ("already satisfied" in line and "pip not run" in line)
    ]
    assert len(said) == 1 and len(lines) == 1, describe(again)
    assert str(alice.home) not in said[0], describe(again)

    for quiet_args in (
        ["install", "-q", "spcli"],
        ["-q", "install", "spcli"],
    ):  # a real install, then a no-op
        quiet = safepip_install(safepip, alice, *quiet_args)
        assert quiet.returncode == 0, describe(quiet)
        assert safepip_lines(quiet.stdout) == [], describe(quiet)
    assert dists_under(alice.home, "spcli"), "nothing was installed"
    assert_user_aftermath(alice)
