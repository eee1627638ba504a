"""Scenario 20, the stock machine: python3 and nothing else of Python's (no ensurepip, no pip, no sudo), and
safepip.pyz built from this checkout.

The machine is produced for real in a private mount namespace per command: read-only overlays with whiteouts
over the directories that hold ensurepip, Debian's pip and its wheels, `pip`/`pip3` and sudo, so that they do
not exist there (not even as empty namespace packages); for the variant without PEP 668, Debian's
EXTERNALLY-MANAGED marker goes the same way. Each command runs as the test user inside its own namespace,
which vanishes with it: nothing needs undoing.
"""

from __future__ import annotations

import glob
import io
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

import safepip as safepip_package

from .support import (
    COMMAND_TIMEOUT,
    DEBIAN_PYTHON,
    assert_user_aftermath,
    built_once,
    clean_env,
    describe,
    is_under,
    target_line,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
# what a stock Debian or Ubuntu cloud image lacks: python3-venv (ensurepip), python3-pip (and its wheels), sudo
HIDDEN = (
    "{stdlib}/ensurepip",
    "/usr/lib/python3/dist-packages/pip",
    "/usr/lib/python3/dist-packages/pip-*.dist-info",
    "/usr/share/python-wheels",
    "/usr/bin/pip",
    "/usr/bin/pip3",
    "/usr/bin/pip3.*",
    "/usr/bin/sudo",
)
MOUNT_AND_BECOME = """\
set -e
while [ "$1" != -- ]; do mount -t overlay overlay -o "lowerdir=$1:$2" "$2"; shift 2; done
shift
cd "$SAFEPIP_STOCK_CWD"; unset SAFEPIP_STOCK_CWD
[ "$SAFEPIP_STOCK_UID" = 0 ] && exec "$@"
exec setpriv --reuid="$SAFEPIP_STOCK_UID" --regid="$SAFEPIP_STOCK_GID" --init-groups -- env -u SAFEPIP_STOCK_UID -u SAFEPIP_STOCK_GID "$@"
"""


def debian_stdlib() -> str:
    done = subprocess.run(
        [str(DEBIAN_PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@dataclass(frozen=True)
class StockMachine:
    """Runs commands as a user on the stock machine: `layers` are (whiteout directory, directory it covers)."""

    layers: tuple[tuple[Path, Path], ...]

    def run(
        self,
        user: User,
        argv: Sequence[str | os.PathLike[str]],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> subprocess.CompletedProcess[str]:
        mounts = [str(part) for layer in self.layers for part in layer]
        environ = clean_env(user, env)
        environ.update(
            SAFEPIP_STOCK_UID=str(user.uid),
            SAFEPIP_STOCK_GID=str(user.gid),
            SAFEPIP_STOCK_CWD=str(cwd or user.home),
        )
        command = ["unshare", "--mount", "--propagation", "private", "sh", "-c", MOUNT_AND_BECOME, "sh"]
        return subprocess.run(
            [*command, *mounts, "--", *(os.fspath(arg) for arg in argv)],
            env=environ,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            umask=0o022,
            timeout=COMMAND_TIMEOUT,
        )

    def ok(self, user: User, argv: Sequence[str | os.PathLike[str]], **kwargs: object) -> str:
        proc = self.run(user, argv, **kwargs)  # type: ignore[arg-type]
        assert proc.returncode == 0, describe(proc)
        return proc.stdout


def make_stock_machine(root: Path, pep668: bool) -> StockMachine:
    """Whiteout directories for everything in HIDDEN that exists here (and the PEP 668 marker, unless `pep668`)."""
    stdlib = debian_stdlib()
    hidden = [path for pattern in HIDDEN for path in glob.glob(pattern.format(stdlib=stdlib))]
    if not pep668:
        hidden += glob.glob(os.path.join(stdlib, "EXTERNALLY-MANAGED"))
    by_parent: dict[str, list[str]] = {}
    for path in sorted(hidden):
        by_parent.setdefault(os.path.dirname(path), []).append(os.path.basename(path))
    layers = []
    for index, (parent, names) in enumerate(sorted(by_parent.items())):
        whiteouts = root / f"{'pep668' if pep668 else 'no-pep668'}-{index}"
        whiteouts.mkdir(parents=True)
        for name in names:
            os.mknod(whiteouts / name, stat.S_IFCHR | 0o000, os.makedev(0, 0))  # overlayfs' whiteout
        whiteouts.chmod(stat.S_IMODE(os.stat(parent).st_mode))  # the merged directory takes these modes
        layers.append((whiteouts, Path(parent)))
    machine = StockMachine(tuple(layers))
    probe = machine.run(User("root", 0, 0, Path("/")), ["true"])
    if probe.returncode != 0:
        pytest.skip(f"no overlay mounts in a private mount namespace here: {probe.stderr.strip()}")
    return machine


# once a session: pytest-xdist may run this module's tests on a worker in more than one stretch, and the
# whiteout directories are made once (the commands only read them)
@pytest.fixture(scope="session")
def stock(scenario_root: Path) -> StockMachine:
    return make_stock_machine(scenario_root / "stock-machine", pep668=True)


@pytest.fixture(scope="session")
def stock_without_pep668(scenario_root: Path) -> StockMachine:
    return make_stock_machine(scenario_root / "stock-machine", pep668=False)


def build_pyz(output: Path) -> dict[str, object]:
    """safepip.pyz from this checkout, as the README's build command makes it (wheels cached under build/)."""
    proc = subprocess.run(
        [sys.executable, "-m", "safepip.zipapp.build", "--output", str(output)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, describe(proc)
    with zipfile.ZipFile(output) as archive:
        about: dict[str, object] = json.loads(archive.read("safepip_pyz.json"))
    return about


def make_pyz(home: Path) -> Path:
    """safepip.pyz in `home`, and beside it in pinned-wheels/ the wheels it was built from (the build's cache),
    world-readable in a root-owned directory."""
    home.mkdir(mode=0o755)
    output = home / "safepip.pyz"
    build_pyz(output)
    output.chmod(0o644)
    wheels = home / "pinned-wheels"
    shutil.copytree(REPO_ROOT / "build" / "zipapp-wheels", wheels)
    for path in (wheels, *wheels.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return output


@pytest.fixture(scope="session")
def pyz(shared_dir: Path) -> Path:
    """safepip.pyz, built once for the session's workers (its build writes the checkout's build/)."""
    return built_once(shared_dir, "pyz", make_pyz)


@pytest.fixture(scope="session")
def pinned_wheels(pyz: Path) -> Path:
    """The wheels the .pyz was built from, world-readable."""
    return pyz.parent / "pinned-wheels"


@pytest.fixture
def pyz_of_alice(pyz: Path, alice: User) -> Path:
    """The .pyz as a user has it after downloading it: a file of theirs in their home."""
    copy = alice.home / "safepip.pyz"
    shutil.copyfile(pyz, copy)
    os.chown(copy, alice.uid, alice.gid)
    return copy


def offline(find_links: Path) -> dict[str, str]:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(find_links)}


def carried_pip(pyz: Path) -> str:
    """The version of the pip the archive carries."""
    with zipfile.ZipFile(pyz) as archive:
        wheels = json.loads(archive.read("safepip_pyz.json"))["wheels"]
    return next(wheel for wheel in wheels if wheel.startswith("pip==")).split("==")[1]


def version_of(pyz: Path) -> str:
    """safepip's own version line for this build: its version and the pip the archive carries."""
    return f"safepip {safepip_package.__version__} (pip {carried_pip(pyz)})"


# ---------------------------------------------------------------- the archive


def test_the_archive_is_written_reproducibly(pyz: Path) -> None:
    """Its entries in a fixed order, date and mode, no bytecode (a clone builds the same bytes on the stock
    machine: test_a_clone_builds_the_same_pyz_on_the_stock_machine)."""
    assert pyz.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    with zipfile.ZipFile(pyz) as archive:
        infos = archive.infolist()
        about = json.loads(archive.read("safepip_pyz.json"))
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert not [name for name in names if name.endswith((".pyc", ".pyo")) or "/__pycache__/" in f"/{name}"]
    assert not [name for name in names if name.startswith("safepip/zipapp/")]  # the builder stays out
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {info.external_attr >> 16 for info in infos} == {0o100644, 0o040755}
    assert (about["name"], about["version"]) == ("safepip-cli", safepip_package.__version__)
    required = {"pip", "virtualenv", "filelock", "platformdirs", "packaging"}
    assert {str(wheel).split("==")[0] for wheel in about["wheels"]} >= required


# ---------------------------------------------------------------- the machine


def test_the_stock_machine_has_no_pip_no_ensurepip_no_sudo(stock: StockMachine, alice: User) -> None:
    """The situation is real: what a new user meets there."""
    no_pip = stock.run(alice, ["python3", "-m", "pip", "--version"])
    assert no_pip.returncode != 0 and "No module named pip" in no_pip.stderr, describe(no_pip)
    venv = stock.run(alice, ["python3", "-m", "venv", alice.home / "v"])
    assert venv.returncode != 0 and "ensurepip is not" in venv.stdout + venv.stderr, describe(venv)
    for command in ("pip", "pip3", "sudo"):
        assert stock.run(alice, ["sh", "-c", f"command -v {command}"]).returncode != 0, command
    # what safepip.pyz relies on instead: a venv without pip needs no ensurepip
    stock.ok(alice, ["python3", "-m", "venv", "--without-pip", alice.home / "bare"])
    assert (alice.home / "bare/bin/python").exists()


def test_install_from_the_pyz_then_import_through_safepip_python(
    stock: StockMachine, alice: User, pyz: Path, fixture_packages: Path
) -> None:
    proc = stock.run(alice, ["python3", pyz, "install", "spbase"], env=offline(fixture_packages))
    assert proc.returncode == 0, describe(proc)
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind == "managed" and is_under(Path(path), alice.home / ".local/share/safepip/venvs"), describe(
        proc
    )
    python = stock.ok(alice, ["python3", pyz, "python"]).strip()
    assert python == f"{path}/bin/python", python
    located = stock.ok(
        alice, ["sh", "-c", 'exec "$(python3 "$0" python)" -c "import spbase; print(spbase.__file__)"', pyz]
    )
    assert is_under(Path(located.strip()), Path(path))
    # the managed venv's pip is the archive's, extracted once into the user's data dir
    pip = stock.ok(alice, [python, "-m", "pip", "--version"])
    assert str(alice.home / ".local/share/safepip/seed/pip-") in pip, pip
    assert_user_aftermath(alice)


def test_every_command_works_from_the_pyz(
    stock: StockMachine, alice: User, pyz: Path, fixture_packages: Path
) -> None:
    env = offline(fixture_packages)
    # --version: the pip that runs for the target, here the one the archive carries (Debian's python3 has none)
    versions = stock.run(alice, ["python3", pyz, "--version"])
    assert versions.returncode == 0, describe(versions)
    assert versions.stdout.startswith(f"pip {carried_pip(pyz)} from "), describe(versions)
    assert f"safepip: {version_of(pyz)}" in versions.stderr, describe(versions)
    plan = json.loads(stock.ok(alice, ["python3", pyz, "--json", "explain", "spbase"], env=env))
    assert plan["target"]["kind"] == "managed", plan
    assert "[ok] target:" in stock.ok(alice, ["python3", pyz, "doctor"])
    stock.ok(alice, ["python3", pyz, "install", "spbase"], env=env)
    ran = stock.ok(
        alice, ["python3", pyz, "run", "--", "python", "-c", "import spbase, sys; print(sys.prefix)"]
    )
    assert ran.strip() == str(Path(plan["target"]["path"])), ran
    assert "spbase" in stock.ok(alice, ["python3", pyz, "list"])
    helped = stock.ok(alice, ["python3", pyz, "install", "--help"])  # pip's own help, from the pip it carries
    assert "pip install [options]" in helped, helped
    stock.ok(alice, ["python3", pyz, "uninstall", "-y", "spbase"])
    assert_user_aftermath(alice)


def sdist_with_a_build_requirement(fixture_packages: Path, dest: Path) -> Path:
    """The fixture sdist, needing spdep to build: pip installs that into its build environment by running
    itself again (`<python> <pip>/__pip-runner__.py install …`), which a pip inside a zip could not."""
    dest.mkdir(mode=0o755)
    shutil.copy2(next(fixture_packages.glob("spdep-*.whl")), dest)
    source = fixture_packages / "spsdist-1.0.tar.gz"
    with tarfile.open(source) as original, tarfile.open(dest / source.name, "w:gz") as changed:
        for member in original.getmembers():
            data = original.extractfile(member).read()  # type: ignore[union-attr]
            if member.name.endswith("/pyproject.toml"):
                data = data.replace(b"requires = []", b'requires = ["spdep"]')
                member.size = len(data)
            changed.addfile(member, io.BytesIO(data))
    for path in (dest, *dest.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return dest


def test_without_pep668_the_pyz_drives_python3_with_the_pip_it_carries(
    stock_without_pep668: StockMachine, alice: User, pyz: Path, fixture_packages: Path, scratch: Path
) -> None:
    """python3 has no pip: safepip runs the archive's pip with --python, for the user site."""
    stock = stock_without_pep668
    proc = stock.run(alice, ["python3", pyz, "-v", "install", "spbase"], env=offline(fixture_packages))
    assert proc.returncode == 0, describe(proc)
    assert target_line(proc.stderr, alice.home)[0] == "user", describe(proc)
    assert f"{pyz} __pip__ --python" in proc.stderr, describe(proc)
    located = stock.ok(alice, ["python3", "-c", "import spbase; print(spbase.__file__)"])
    assert is_under(Path(located.strip()), alice.home / ".local/lib"), located
    find_links = sdist_with_a_build_requirement(fixture_packages, scratch / "build-requirement")
    built = stock.run(
        alice, ["python3", pyz, "install", "--no-binary", "spsdist", "spsdist"], env=offline(find_links)
    )
    assert built.returncode == 0 and "Successfully installed spsdist-1.0" in built.stdout, describe(built)
    stock.ok(alice, ["python3", "-c", "import spsdist"])
    assert_user_aftermath(alice)


def test_the_carried_virtualenv_runs_from_the_pyz(stock: StockMachine, alice: User, pyz: Path) -> None:
    """virtualenv, safepip's way to a venv where the seed and the stdlib's venv cannot serve, runs from the
    archive through its hidden entry, as safepip starts it (no ensurepip needed)."""
    venv = alice.home / "by-virtualenv"
    options = ["--no-setuptools", "--no-periodic-update", "--quiet", "--app-data", alice.home / ".virtualenv"]
    stock.ok(alice, ["python3", pyz, "__virtualenv__", venv, "--python", "python3", *options])
    assert str(venv) in stock.ok(alice, [venv / "bin/python", "-m", "pip", "--version"])
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- self install


def tool_of(user: User) -> Path:
    return user.home / ".local/share/safepip/tool"


def test_self_install_is_idempotent_outlives_the_pyz_and_uninstalls(
    stock: StockMachine, alice: User, pyz_of_alice: Path, fixture_packages: Path
) -> None:
    shutil.copy2("/etc/skel/.profile", alice.home / ".profile")  # a new account's login profile
    os.chown(alice.home / ".profile", alice.uid, alice.gid)
    link = alice.home / ".local/bin/safepip"
    tool = tool_of(alice)
    first = stock.run(alice, ["python3", pyz_of_alice, "self", "install"])
    assert first.returncode == 0, describe(first)
    assert os.readlink(link) == str(tool / "bin/safepip"), describe(first)
    assert "include-system-site-packages = false" in (tool / "pyvenv.cfg").read_text()
    marker = (tool / ".safepip-tool.json").stat()

    again = stock.run(alice, ["python3", pyz_of_alice, "self", "install"])
    assert again.returncode == 0 and "installed already" in again.stderr, describe(again)
    assert (tool / ".safepip-tool.json").stat().st_mtime_ns == marker.st_mtime_ns

    version, pip = version_of(pyz_of_alice), carried_pip(pyz_of_alice)
    pyz_of_alice.unlink()  # what was installed no longer needs the .pyz
    login = stock.run(alice, ["bash", "-lc", "command -v safepip && safepip --version && safepip install spbase"],
                      env=offline(fixture_packages))  # fmt: skip
    assert login.returncode == 0, describe(login)
    assert login.stdout.splitlines()[0] == str(link), describe(login)
    assert login.stdout.splitlines()[1].startswith(f"pip {pip} from "), describe(login)  # the pip that runs
    assert f"safepip: {version}" in login.stderr, describe(login)
    assert target_line(login.stderr, alice.home)[0] == "managed", describe(login)
    stock.ok(alice, [tool / "bin/python", "-m", "pip", "check"])

    gone = stock.run(alice, ["bash", "-lc", "safepip self uninstall"])
    assert gone.returncode == 0, describe(gone)
    assert not link.is_symlink() and not tool.exists(), describe(gone)
    assert (alice.home / ".local/share/safepip/venvs").is_dir()  # what safepip installed for alice stays
    assert_user_aftermath(alice)


def test_self_update_replaces_another_build(stock: StockMachine, alice: User, pyz_of_alice: Path) -> None:
    stock.ok(alice, ["python3", pyz_of_alice, "-q", "self", "install"])
    tool = tool_of(alice)
    marker = tool / ".safepip-tool.json"
    older = {**json.loads(marker.read_text()), "build": "0000000000000000"}  # as an earlier build left it
    marker.write_text(json.dumps(older))
    leftover = next(tool.glob("lib/python*/site-packages")) / "left_by_the_older_build.py"
    leftover.write_text("")
    os.chown(leftover, alice.uid, alice.gid)

    install = stock.run(alice, ["python3", pyz_of_alice, "self", "install"])
    assert install.returncode == 0 and "self update" in install.stderr and leftover.exists(), describe(
        install
    )
    update = stock.run(alice, ["python3", pyz_of_alice, "self", "update"])
    assert update.returncode == 0 and "installed safepip" in update.stderr, describe(update)
    assert ", replacing safepip " in update.stderr and "(build 0000000000000000)" in update.stderr
    assert not leftover.exists() and json.loads(marker.read_text())["build"] != "0000000000000000"
    again = stock.run(alice, ["python3", pyz_of_alice, "self", "update"])
    assert again.returncode == 0 and "up to date" in again.stderr, describe(again)
    installed = stock.run(alice, [tool / "bin/safepip", "self", "update"])  # the installed one names the way
    assert installed.returncode == 0 and "NEW.pyz self update" in installed.stderr, describe(installed)
    stock.ok(alice, [alice.home / ".local/bin/safepip", "--version"])
    assert_user_aftermath(alice)


def test_self_install_leaves_a_foreign_safepip_alone(
    stock: StockMachine, alice: User, pyz_of_alice: Path
) -> None:
    link = alice.home / ".local/bin/safepip"
    link.parent.mkdir(parents=True)
    link.write_text("#!/bin/sh\necho another safepip\n")
    for path in (alice.home / ".local", link.parent, link):
        os.chown(path, alice.uid, alice.gid)
    proc = stock.run(alice, ["python3", pyz_of_alice, "self", "install"])
    assert proc.returncode == 77 and str(link) in proc.stderr, describe(proc)
    assert link.read_text() == "#!/bin/sh\necho another safepip\n"
    assert not tool_of(alice).exists()


def test_the_stock_transcript_reads_as_a_new_user_would_type_it(
    stock: StockMachine, alice: User, pyz_of_alice: Path, fixture_packages: Path
) -> None:
    """The commands of the closing note, in one shell: install, import, self install, a new login shell."""
    shutil.copy2("/etc/skel/.profile", alice.home / ".profile")
    os.chown(alice.home / ".profile", alice.uid, alice.gid)
    script = " && ".join(
        [
            "python3 safepip.pyz install spbase",
            '"$(python3 safepip.pyz python)" -c "import spbase"',
            "python3 safepip.pyz self install",
            "rm safepip.pyz",
            "bash -lc 'safepip install spcli && spcli-hello'",
        ]
    )
    proc = stock.run(alice, ["bash", "-c", script], env=offline(fixture_packages))
    assert proc.returncode == 0, describe(proc)
    assert "hello from spcli" in proc.stdout, describe(proc)
    assert_user_aftermath(alice)
    print(f"$ {shlex.join(['bash', '-c', script])}\n{proc.stdout}{proc.stderr}")


def copy_checkout(dest: Path, user: User) -> Path:
    """The working tree's files (tracked and new, not ignored), as a clone of it would hold them, owned by `user`."""
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    for name in listed.stdout.decode().split("\0"):
        if name and (REPO_ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, dest / name)
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(dest)], check=True)
    return dest


def test_a_clone_builds_the_same_pyz_on_the_stock_machine(
    stock: StockMachine, alice: User, pyz: Path, pinned_wheels: Path, fixture_packages: Path
) -> None:
    """No pip there: the builder needs the standard library only (the pinned wheels given, offline), and what
    alice builds is byte for byte what root built here."""
    clone = copy_checkout(alice.home / "safepip", alice)
    built = stock.run(
        alice, ["python3", "-m", "safepip.zipapp.build", "--wheels", pinned_wheels, "--offline"], cwd=clone
    )
    assert built.returncode == 0, describe(built)
    assert (clone / "dist/safepip.pyz").read_bytes() == pyz.read_bytes()
    stock.ok(alice, ["python3", clone / "dist/safepip.pyz", "-q", "self", "install"])
    proc = stock.run(
        alice, [alice.home / ".local/bin/safepip", "install", "spbase"], env=offline(fixture_packages)
    )
    assert proc.returncode == 0, describe(proc)
    assert_user_aftermath(alice)
