"""SPEC scenarios 1-6, 10, 11, 12 and 15, set up for real as root and run as the ordinary user alice.

Each ends with the package importable by the interpreter `safepip python` reports, pre-existing environments
unchanged, no stray temp directory and no root-owned file in the user's home.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .support import (
    DEBIAN_PYTHON,
    Safepip,
    assert_unwritable_by,
    assert_user_aftermath,
    describe,
    dists_under,
    import_location,
    interpreter_prefix,
    is_under,
    make_plain_python,
    make_venv,
    path_with,
    plain_python_purelib,
    root_user,
    run_as,
    run_ok,
    site_dirs_under,
    snapshot,
    snapshot_diff,
    target_line,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

SYSTEM_SITE = Path("/usr/local/lib/python3.11/dist-packages")
SYSTEM_SCRIPTS = Path("/usr/local/bin")
DEBIAN_DIST_PACKAGES = Path("/usr/lib/python3/dist-packages")
SITE = "lib/python3.11/site-packages"


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


@dataclass(frozen=True)
class Installed:
    target: dict[str, Any]
    plan: dict[str, Any]
    install_stderr: str
    python: Path
    spcli: Path

    @property
    def path(self) -> Path:
        return Path(self.target["path"])


def install_spcli(
    safepip: Safepip,
    user: User,
    kind: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    untouched: Sequence[Path] = (),
) -> Installed:
    """explain, install and `safepip python` for `spcli`, with the checks every scenario shares.

    `untouched` are the pre-existing environments that must come out byte-for-byte the same.
    """
    before = {path: snapshot(path) for path in untouched}
    home_before = snapshot(user.home)
    sites_before = site_dirs_under(user.home)

    explained = safepip.explain(user, ["spcli"], env=env, cwd=cwd)
    plan = json.dumps(explained.plan, indent=2)
    assert explained.returncode == 0, f"{plan}\n{explained.stderr}"
    assert explained.target["kind"] == kind, plan
    assert snapshot_diff(home_before, snapshot(user.home)) == [], "explain wrote into the home"
    target = Path(explained.target["path"])

    proc = safepip.install(user, ["spcli"], env=env, cwd=cwd)
    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spcli-2.0" in proc.stdout, describe(proc)
    assert target_line(proc.stderr, user.home)[:2] == (kind, str(target)), describe(proc)

    python = safepip.python(user, env=env, cwd=cwd)
    spcli = import_location(user, python, "spcli")
    assert is_under(spcli, target), f"spcli imported from {spcli}, outside the target {target}"
    # nothing was installed into the home outside the target
    assert all(is_under(found, target) for found in dists_under(user.home, "spcli")), plan
    new_sites = site_dirs_under(user.home) - sites_before
    assert all(is_under(site, target) for site in new_sites), f"new environments {new_sites} outside {target}"
    for path, snap in before.items():
        assert snapshot_diff(snap, snapshot(path)) == [], f"{path} changed"
    return Installed(explained.target, explained.plan, proc.stderr, python, spcli)


def prefix_of(user: User, installed: Installed) -> Path:
    return interpreter_prefix(user, installed.python)


@pytest.fixture
def system_site_guard() -> Iterator[None]:
    """For tests that run safepip as root: put the Debian system site back if a bug installed into it."""
    site_before = set(SYSTEM_SITE.iterdir())
    scripts_before = set(SYSTEM_SCRIPTS.iterdir())
    yield
    for stray in set(SYSTEM_SITE.iterdir()) - site_before:
        if not stray.name.startswith(("spcli", "spbase", "__pycache__")):
            continue
        if stray.is_dir():
            shutil.rmtree(stray)
        else:
            stray.unlink()
    for stray in set(SYSTEM_SCRIPTS.iterdir()) - scripts_before:
        if stray.name == "spcli-hello":
            stray.unlink()


# ---------------------------------------------------------------- 1. system Python, root-owned site-packages


def test_scenario_1_system_python_with_root_owned_site_packages_installs_to_user_site(
    safepip: Safepip, alice: User, plain_python: Path
) -> None:
    purelib = plain_python_purelib(plain_python)
    assert_unwritable_by(alice, purelib)
    env = {"PATH": path_with(plain_python.parent)}

    installed = install_spcli(
        safepip, alice, "user", env=env, untouched=[plain_python.parent.parent / "local"]
    )

    assert installed.python.samefile(plain_python)
    assert dists_under(alice.home, "spcli") == [alice.home / ".local" / SITE]
    hello = run_ok(alice, [alice.home / ".local/bin/spcli-hello"])
    assert hello.stdout == "hello from spcli 2.0\n"
    assert not managed_venvs(alice.home).exists()
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 2. Debian's externally managed python3


def test_scenario_2_externally_managed_debian_python_installs_to_managed_venv(
    safepip: Safepip, alice: User
) -> None:
    assert Path("/usr/lib/python3.11/EXTERNALLY-MANAGED").exists()

    installed = install_spcli(safepip, alice, "managed", untouched=[SYSTEM_SITE])

    assert installed.path.parent == managed_venvs(alice.home)
    assert prefix_of(alice, installed) == installed.path
    # what the distribution installed stays importable, as after a global install
    yaml = import_location(alice, installed.python, "yaml")
    assert is_under(yaml, DEBIAN_DIST_PACKAGES)
    assert not (SYSTEM_SCRIPTS / "spcli-hello").exists()
    assert_user_aftermath(alice)


def test_plain_pip_fails_where_scenario_2_succeeds(safepip: Safepip, alice: User) -> None:
    """The problem safepip exists for: pip on Debian refuses, safepip finds a target."""
    pip = run_as(alice, [DEBIAN_PYTHON, "-m", "pip", "install", *safepip.source_args(), "spcli"])
    assert pip.returncode != 0, describe(pip)
    assert "externally-managed-environment" in pip.stderr, describe(pip)

    proc = safepip.install(alice, ["spcli"])
    assert proc.returncode == 0, describe(proc)
    assert target_line(proc.stderr, alice.home)[0] == "managed", describe(proc)
    assert import_location(alice, safepip.python(alice), "spcli").is_relative_to(alice.home)
    assert_user_aftermath(alice)


def test_managed_venv_console_scripts_are_linked_into_user_bin(safepip: Safepip, alice: User) -> None:
    # SPEC, decision 6: console scripts of a managed venv are linked into ~/.local/bin, as pip --user and pipx do
    proc = safepip.install(alice, ["spcli"])
    assert proc.returncode == 0, describe(proc)
    assert target_line(proc.stderr, alice.home)[0] == "managed", describe(proc)
    hello = run_as(alice, [alice.home / ".local/bin/spcli-hello"])
    assert (hello.returncode, hello.stdout) == (0, "hello from spcli 2.0\n"), describe(hello)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 3. active venv created by root


def test_scenario_3_root_owned_active_venv_gets_an_overlay(
    safepip: Safepip, alice: User, scratch: Path, root_home: Path
) -> None:
    venv = make_venv(root_user(root_home), scratch / "root-venv")
    run_ok(
        root_user(root_home), [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), "spbase"]
    )
    assert_unwritable_by(alice, venv / SITE)
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}

    installed = install_spcli(safepip, alice, "overlay", env=env, untouched=[venv])

    # where overlays live is not pinned down by the spec, beyond safepip's own data directory
    assert is_under(installed.path, alice.home / ".local/share/safepip")
    assert prefix_of(alice, installed) == installed.path
    assert is_under(import_location(alice, installed.python, "spbase"), venv / SITE)
    assert "sudo chown -R" in installed.install_stderr
    assert str(venv) in installed.install_stderr
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 4. active venv owned by the user


def test_scenario_4_users_own_active_venv_is_the_target(safepip: Safepip, alice: User) -> None:
    venv = make_venv(alice, alice.home / "work-venv")
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}
    venv_before = snapshot(venv)

    installed = install_spcli(safepip, alice, "env", env=env, untouched=[SYSTEM_SITE])

    assert installed.path == venv
    assert prefix_of(alice, installed) == venv
    assert dists_under(alice.home, "spcli") == [venv / SITE]
    assert site_dirs_under(alice.home) == {venv / SITE}
    changes = snapshot_diff(venv_before, snapshot(venv))
    assert [c for c in changes if not c.startswith("+ ")] == [], "pip changed or removed what was there"
    assert not (alice.home / ".local/bin/spcli-hello").exists()
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 5. project .venv in a parent directory


def test_scenario_5_project_venv_in_a_parent_directory(safepip: Safepip, alice: User) -> None:
    project = alice.home / "project"
    venv = make_venv(alice, project / ".venv")
    workdir = project / "src" / "pkg"
    run_ok(alice, ["mkdir", "-p", workdir])

    installed = install_spcli(safepip, alice, "venv", cwd=workdir, untouched=[SYSTEM_SITE])

    assert installed.path == venv
    assert prefix_of(alice, installed) == venv
    assert dists_under(alice.home, "spcli") == [venv / SITE]
    assert not managed_venvs(alice.home).exists()
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 6. .venv owned by another user


TRAP = """#!/bin/sh
touch {marker}/executed-by-$(id -un)
exec /usr/bin/python3 "$@"
"""


def test_scenario_6_other_users_venv_is_passed_over_and_never_executed(
    safepip: Safepip, alice: User, bob: User, scratch: Path
) -> None:
    markers = scratch / "markers"
    markers.mkdir()
    markers.chmod(0o1777)
    shared = scratch / "shared"
    shared.mkdir()
    shutil.chown(shared, bob.uid, bob.gid)
    shared.chmod(0o755)
    venv = make_venv(bob, shared / ".venv", "--without-pip")
    interpreters = sorted((venv / "bin").glob("python*"))
    assert interpreters, "bob's venv has no interpreter to booby-trap"
    for interpreter in interpreters:
        interpreter.unlink()
        interpreter.write_text(TRAP.format(marker=markers))
        interpreter.chmod(0o755)
        shutil.chown(interpreter, bob.uid, bob.gid)
    # the trap is armed: running bob's interpreter leaves a marker
    run_ok(bob, [venv / "bin/python", "-c", "pass"])
    armed = markers / f"executed-by-{bob.name}"
    assert armed.exists()
    armed.unlink()
    venv_before = snapshot(venv)

    explained = safepip.explain(alice, ["spcli"], cwd=shared)
    plan = json.dumps(explained.plan, indent=2)
    assert explained.returncode == 0, plan
    passed = [c for c in explained.plan["passed_over"] if c["path"] and Path(c["path"]) == venv]
    assert len(passed) == 1, plan
    assert bob.name in passed[0]["reason"] or str(bob.uid) in passed[0]["reason"], plan
    assert list(markers.iterdir()) == [], "explain executed bob's interpreter"

    installed = install_spcli(safepip, alice, "managed", cwd=shared, untouched=[venv])

    assert installed.path.parent == managed_venvs(alice.home)
    assert str(venv) in installed.install_stderr, "no warning about the passed-over venv"
    assert list(markers.iterdir()) == [], "safepip executed bob's interpreter"
    assert snapshot_diff(venv_before, snapshot(venv)) == []
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 10. root in a container, no sudo


def test_scenario_10_root_without_sudo_installs_into_a_plain_system_python(
    safepip: Safepip, scratch: Path, root_home: Path, system_site_guard: None
) -> None:
    python = make_plain_python(scratch / "python")  # its own copy: this test installs into it
    root = root_user(root_home)
    env = {"PATH": path_with(python.parent)}

    installed = install_spcli(safepip, root, "env", env=env, untouched=[SYSTEM_SITE])

    assert installed.python.samefile(python)
    assert dists_under(python.parent.parent, "spcli") == [plain_python_purelib(python)]
    assert installed.spcli.parent.parent == plain_python_purelib(python)
    assert not managed_venvs(root_home).exists()
    assert dists_under(root_home, "spcli") == []


def test_scenario_10_root_without_sudo_still_honours_pep_668(
    safepip: Safepip, root_home: Path, system_site_guard: None
) -> None:
    root = root_user(root_home)

    installed = install_spcli(safepip, root, "managed", untouched=[SYSTEM_SITE])

    assert installed.path.parent == managed_venvs(root_home)
    assert prefix_of(root, installed) == installed.path
    assert not (SYSTEM_SCRIPTS / "spcli-hello").exists()


# ---------------------------------------------------------------- 11. pip's own switches


def test_scenario_11_pip_user_inside_a_venv_installs_into_the_venv(safepip: Safepip, alice: User) -> None:
    venv = make_venv(alice, alice.home / "work-venv")
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin"), "PIP_USER": "1"}
    # the situation is real: pip itself refuses here
    pip = run_as(
        alice, [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), "spcli"], env=env
    )
    assert pip.returncode != 0 and "User site-packages are not visible in this virtualenv" in pip.stderr

    installed = install_spcli(safepip, alice, "env", env=env, untouched=[SYSTEM_SITE])

    assert installed.path == venv
    assert "--no-user" in installed.plan["pip_command"], json.dumps(installed.plan, indent=2)
    assert dists_under(alice.home, "spcli") == [venv / SITE]
    assert not (alice.home / ".local/lib").exists()
    assert_user_aftermath(alice)


def test_scenario_11_require_virtualenv_outside_a_venv_installs_into_a_managed_venv(
    safepip: Safepip, alice: User
) -> None:
    env = {"PIP_REQUIRE_VIRTUALENV": "1"}

    installed = install_spcli(safepip, alice, "managed", env=env, untouched=[SYSTEM_SITE])

    assert installed.path.parent == managed_venvs(alice.home)
    assert prefix_of(alice, installed) == installed.path
    assert not (alice.home / ".local/lib").exists()
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 12. explicit target that is not writable


@pytest.mark.parametrize("option", ["--target", "--prefix"])
def test_scenario_12_unwritable_explicit_target_is_refused(
    option: str, safepip: Safepip, alice: User, scratch: Path
) -> None:
    locked = scratch / "locked"
    locked.mkdir(mode=0o755)
    assert_unwritable_by(alice, locked)
    locked_before = snapshot(locked)
    pip_args = [option, str(locked), "spcli"]

    explained = safepip.explain(alice, pip_args)
    plan = json.dumps(explained.plan, indent=2)
    assert explained.returncode == 77, plan
    refusal = explained.plan["refusal"]
    assert refusal is not None and refusal["exit_code"] == 77, plan
    assert str(locked) in refusal["message"], plan

    proc = safepip.install(alice, pip_args)
    assert proc.returncode == 77, describe(proc)
    assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
    lines = proc.stderr.splitlines()
    assert lines and all(line.startswith("safepip: ") for line in lines), describe(proc)
    assert any(str(locked) in line for line in lines), describe(proc)

    assert snapshot_diff(locked_before, snapshot(locked)) == []
    assert dists_under(alice.home, "spcli") == []
    assert site_dirs_under(alice.home) == set()
    assert not managed_venvs(alice.home).exists()
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 15. target venv without pip


def test_scenario_15_active_venv_without_pip(safepip: Safepip, alice: User) -> None:
    venv = make_venv(alice, alice.home / "bare-venv", "--without-pip")
    env = {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}

    installed = install_spcli(safepip, alice, "env", env=env, untouched=[SYSTEM_SITE])

    assert installed.path == venv
    assert prefix_of(alice, installed) == venv
    assert dists_under(alice.home, "spcli") == [venv / SITE]
    assert dists_under(venv, "pip") == [], "safepip put pip into the user's venv"
    assert_user_aftermath(alice)


def test_scenario_3_the_shell_follows_into_the_overlay(
    safepip: Safepip, alice: User, scratch: Path, root_home: Path
) -> None:
    """With `shell-init` loaded, `pip install` in a shell whose active venv is root's switches that shell to
    the overlay, so its `python` imports what was installed; the chown advice is said once per target."""
    venv = make_venv(root_user(root_home), scratch / "root-venv")
    find_links = " ".join(safepip.source_args())
    script = (
        f"export VIRTUAL_ENV={venv} PATH={venv}/bin:$PATH\n"
        f'eval "$({safepip.executable} shell-init bash)"\n'
        f"pip install {find_links} spcli > first.log 2>&1; grep -c 'sudo chown -R' first.log\n"
        'python -c "import spcli, sys; print(spcli.__file__); print(sys.prefix)"\n'
        'echo "VIRTUAL_ENV=$VIRTUAL_ENV"\n'
        f"pip install {find_links} spbase > again.log 2>&1; grep -c 'sudo chown -R' again.log || true\n"
    )
    proc = run_as(alice, ["bash", "-c", script])
    assert proc.returncode == 0, describe(proc)
    said_first, module, prefix, active, said_again = proc.stdout.splitlines()
    overlay = Path(prefix)
    assert is_under(overlay, alice.home / ".local/share/safepip/overlays"), describe(proc)
    assert is_under(Path(module), overlay), describe(proc)
    assert active == f"VIRTUAL_ENV={overlay}", describe(proc)
    assert (said_first, said_again) == ("1", "0"), describe(proc)
    assert_user_aftermath(alice)
