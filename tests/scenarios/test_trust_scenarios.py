"""Trust (SPEC "Trust", scenarios 17 and 19, issue 13): nothing another user controls runs, nothing is written
through a directory another user controls, no requirement stream is lost, and nothing runs as root before
the switch to the user who ran sudo.

Each attack is produced for real: bob (a second ordinary user) plants interpreters, `.pth` files, a `pip`
package, a temp dir and links where alice's safepip looks; a link is flipped in a loop while alice runs
safepip; root runs safepip with malformed sudo variables. Every planted program leaves a marker when it
runs (attacks.py), and each test first proves that its trap is armed.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .attacks import (
    FLIPPER,
    TRAP_PTH,
    TRAP_PYTHON,
    activated,
    assert_trap_armed,
    copy_venv,
    end_processes_of,
    entries_written_into_dirs_of,
    executed,
    fake_pip_package,
    markers_dir,
    owned_dir,
    plant_python,
    remove_new_temp_entries,
    trapped_venv,
    write_as,
)
from .processes import CreationWatch, start_as
from .support import (
    DEBIAN_PYTHON,
    Safepip,
    assert_user_aftermath,
    describe,
    dists_under,
    import_location,
    is_under,
    make_plain_python,
    make_venv,
    path_with,
    plain_python_purelib,
    root_owned_under,
    root_user,
    run_as,
    run_ok,
    snapshot,
    snapshot_diff,
    target_line,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

SITE = "lib/python3.11/site-packages"
FLIPS = 25  # the count: 5 of 25 runs executed the other user's script


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def markers(scratch: Path) -> Path:
    return markers_dir(scratch)


@pytest.fixture
def logs(scratch: Path) -> Path:
    path = scratch / "logs"
    path.mkdir()
    return path


@pytest.fixture
def alice_cleanup(alice: User) -> Iterator[User]:
    """alice, whose processes and temp entries are removed after the test, whatever it did."""
    yield alice
    end_processes_of(alice)
    remove_new_temp_entries(alice)


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


def safepip_lines(stderr: str, kind: str = "") -> list[str]:
    start = f"safepip: {kind}: " if kind else "safepip: "
    return [line for line in stderr.splitlines() if line.startswith(start)]


def assert_refused_unrun(proc: subprocess.CompletedProcess[str], markers: Path, *named: str) -> None:
    """assert_refused, and the trap another user planted (TRAP_PTH) never ran."""
    assert_refused(proc, *named)
    assert executed(markers) == [], describe(proc)


def assert_refused(proc: subprocess.CompletedProcess[str], *named: str) -> None:
    """Exit 77 before pip ran: one error line naming each of `named`, one fix line, no traceback."""
    assert proc.returncode == 77, describe(proc)
    assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
    assert "Traceback" not in proc.stderr, describe(proc)
    errors = safepip_lines(proc.stderr, "error")
    assert len(errors) == 1, describe(proc)
    assert all(name in errors[0] for name in named), (
        f"the error does not name all of {named}:\n{describe(proc)}"
    )
    assert len(safepip_lines(proc.stderr, "fix")) == 1, describe(proc)


def assert_passed_over(proc: subprocess.CompletedProcess[str], *named: str) -> None:
    """One line of safepip's, not the target line, naming all of `named`."""
    lines = [
        line
        for line in safepip_lines(proc.stderr)
        if not line.startswith("safepip: target ") and all(name in line for name in named)
    ]
    assert len(lines) == 1, f"expected one line naming {named}:\n{describe(proc)}"


def assert_installed_spcli(proc: subprocess.CompletedProcess[str], kind: str) -> None:
    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spcli-2.0" in proc.stdout, describe(proc)
    assert target_line(proc.stderr)[0] == kind, describe(proc)


def group_name(gid: int) -> str:
    return grp.getgrgid(gid).gr_name


# ---------------------------------------------------------------- 17. a `pip` package in the working directory


@pytest.mark.parametrize("who", ["alice-managed-venv", "alice-active-venv", "root-system-python"])
def test_scenario_17_pip_package_in_the_working_directory_is_never_run(
    who: str,
    safepip: Safepip,
    alice: User,
    scratch: Path,
    root_home: Path,
    markers: Path,
    template_venv: Path,
) -> None:
    """`python -m pip` run in a directory holding `pip/` runs that package: as root in a container build
    step, or as alice in a checkout. The requirements file stays relative to that same directory."""
    env: dict[str, str] = {}
    if who == "root-system-python":
        user, kind = root_user(root_home), "env"
        python = make_plain_python(scratch / "python")  # no PEP 668 marker, no pip: safepip's own pip
        env = {"PATH": path_with(python.parent)}
        project = scratch / "project"
        project.mkdir()
    else:
        user = alice
        project = owned_dir(alice.home / "project", alice)
        kind = "managed"
        if who == "alice-active-venv":
            env, kind = activated(copy_venv(template_venv, alice.home / "venv", alice)), "env"
    fake_pip_package(project, markers)
    (project / "requirements.txt").write_text("spcli\n")
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(project)], check=True)
    # armed: pip run the usual way in that directory runs the fake
    fake = run_as(user, [DEBIAN_PYTHON, "-m", "pip", "install", "spcli"], env=env, cwd=project)
    assert fake.returncode == 0 and executed(markers) == [f"executed-by-{user.uid}"], describe(fake)
    (markers / f"executed-by-{user.uid}").unlink()

    proc = safepip.install(user, ["-r", "requirements.txt"], env=env, cwd=project)

    assert executed(markers) == [], f"the pip package in {project} ran:\n{describe(proc)}"
    assert_installed_spcli(proc, kind)
    python = safepip.python(user, env=env)
    location = import_location(user, python, "spcli", env=env)
    if who == "root-system-python":
        assert location.parent.parent == plain_python_purelib(python), location
    else:
        assert is_under(location, alice.home), location
        assert_user_aftermath(alice)


# ---------------------------------------------------------------- 19. a TMPDIR another user owns


def test_scenario_19_tmpdir_owned_by_another_user_is_not_used(
    safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path
) -> None:
    """bob's 1777 TMPDIR: sticky keeps alice's entries hers, but bob can still put his own where pip is
    about to make one (a build dir, a build env) and run code as alice. A source build uses the most."""
    alice = alice_cleanup
    bob_tmp = owned_dir(scratch / "bob-tmp", bob, 0o1777)
    env = {"TMPDIR": str(bob_tmp)}

    watch = CreationWatch(bob_tmp)
    try:
        proc = safepip.install(alice, ["spsdist"], env=env)
        made = []
        while (name := watch.next_made(timeout=0)) is not None:
            made.append(name)
    finally:
        watch.close()

    # a write probe of safepip's own is allowed; a directory of pip's is not
    pips = [name for name in made if not name.startswith(".safepip-probe-")]
    assert pips == [], f"pip worked in bob's TMPDIR: {pips}\n{describe(proc)}"
    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spsdist-1.0" in proc.stdout, describe(proc)
    notices = safepip_lines(proc.stderr, "temp")
    assert len(notices) == 1 and notices[0].startswith(f"safepip: temp: {bob_tmp}"), describe(proc)
    assert list(bob_tmp.iterdir()) == []

    explained = safepip.explain(alice, ["spsdist"], env=env)
    temp = explained.plan["temp"]
    assert temp["keep"] is False and temp["parent"] not in (None, str(bob_tmp)), temp
    assert [path for path, _why in temp["passed_over"]][:1] == [str(bob_tmp)], temp
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 19. interpreters another user controls


def bobs_venv(bob: User, scratch: Path, markers: Path) -> Path:
    """A venv of bob's (in a directory of his) whose interpreters are traps."""
    venv = trapped_venv(bob, owned_dir(scratch / "bob", bob) / "venv", markers)
    assert_trap_armed(bob, venv / "bin/python", markers)
    return venv


@pytest.mark.parametrize("how", ["VIRTUAL_ENV", "--python", "SAFEPIP_PYTHON", "--venv", "CONDA_PREFIX"])
def test_scenario_19_explicitly_chosen_python_of_another_user_is_refused(
    how: str, safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path, markers: Path
) -> None:
    alice = alice_cleanup
    venv = bobs_venv(bob, scratch, markers)
    options: list[str] = []
    env: dict[str, str] = {}
    if how == "VIRTUAL_ENV":
        env = activated(venv)
    elif how == "--python":
        options = ["--python", str(venv / "bin/python")]
    elif how == "SAFEPIP_PYTHON":
        env = {"SAFEPIP_PYTHON": str(venv / "bin/python")}
    elif how == "--venv":
        options = ["--venv", str(venv)]
    else:  # a conda environment of bob's, activated
        prefix = owned_dir(scratch / "bob/conda-env", bob)
        owned_dir(prefix / "conda-meta", bob)
        plant_python(owned_dir(prefix / "bin", bob) / "python", markers, bob)
        env = {
            "CONDA_PREFIX": str(prefix),
            "CONDA_DEFAULT_ENV": "bobs-env",
            "PATH": path_with(prefix / "bin"),
        }
    bobs_before = snapshot(scratch / "bob")

    proc = safepip.run(alice, [*options, "install", *safepip.source_args(), "spcli"], env=env)

    assert executed(markers) == [], f"bob's python ran:\n{describe(proc)}"
    assert_refused(proc, bob.name)
    assert snapshot_diff(bobs_before, snapshot(scratch / "bob")) == []
    assert dists_under(alice.home, "spcli") == []
    assert_user_aftermath(alice)


def test_scenario_19_root_never_runs_another_users_activated_venv(
    safepip: Safepip, bob: User, root_home: Path, markers: Path
) -> None:
    """Root without sudo (a shell where bob's venv was activated): bob's python would run as root, and pip
    would leave root-owned files in bob's home."""
    venv = trapped_venv(bob, bob.home / "venv", markers)
    assert_trap_armed(bob, venv / "bin/python", markers)
    home_before = snapshot(bob.home)

    proc = safepip.run(
        root_user(root_home), ["install", *safepip.source_args(), "spcli"], env=activated(venv)
    )

    assert executed(markers) == [], f"root ran bob's python:\n{describe(proc)}"
    assert_refused(proc, bob.name)
    assert root_owned_under(bob.home) == []
    assert snapshot_diff(home_before, snapshot(bob.home)) == []


def test_scenario_19_python_on_path_in_another_users_directory_is_passed_over(
    safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path, markers: Path
) -> None:
    alice = alice_cleanup
    bob_bin = owned_dir(scratch / "bob-bin", bob)
    assert_trap_armed(bob, plant_python(bob_bin / "python3", markers, bob), markers)
    env = {"PATH": path_with(bob_bin)}

    proc = safepip.install(alice, ["spcli"], env=env)

    assert executed(markers) == [], f"bob's python3 on PATH ran:\n{describe(proc)}"
    assert_installed_spcli(proc, "managed")
    assert_passed_over(proc, str(bob_bin), bob.name)
    venv = Path(target_line(proc.stderr, alice.home)[1])
    assert is_under(import_location(alice, venv / "bin/python", "spcli"), venv)
    assert executed(markers) == []
    assert_user_aftermath(alice)


def test_scenario_19_group_writable_project_venv_is_passed_over(
    safepip: Safepip, alice_cleanup: User, bob: User, markers: Path
) -> None:
    """alice's own project `.venv`, writable by bob's group: bob rewrote its interpreters in place, so they
    are still alice's files."""
    alice = alice_cleanup
    project = owned_dir(alice.home / "project", alice)
    venv = make_venv(alice, project / ".venv", "--without-pip", "--copies")
    subprocess.run(["chgrp", "-R", str(bob.gid), str(venv)], check=True)
    subprocess.run(["chmod", "-R", "g+w", str(venv)], check=True)
    for python in sorted((venv / "bin").glob("python*")):
        write_as(bob, python, TRAP_PYTHON.format(markers=markers))
        assert python.stat().st_uid == alice.uid
    assert_trap_armed(alice, venv / "bin/python", markers)

    proc = safepip.install(alice, ["spcli"], cwd=project)

    assert executed(markers) == [], f"the group-writable venv's python ran:\n{describe(proc)}"
    assert_installed_spcli(proc, "managed")
    assert_passed_over(proc, str(venv), group_name(bob.gid))
    assert dists_under(venv, "spcli") == []
    assert_user_aftermath(alice)


@pytest.mark.parametrize("how", ["project venv", "activated", "overlay made earlier"])
def test_scenario_19_root_venv_with_world_writable_site_packages(
    how: str, safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path, root_home: Path, markers: Path
) -> None:
    """A root-owned venv whose site-packages anyone can write: bob's `.pth` there runs in every Python that
    reads that site dir, the venv's own and an overlay's (which processes the original's `.pth` files)."""
    alice = alice_cleanup
    shared = scratch / "shared"
    shared.mkdir()
    venv = make_venv(root_user(root_home), shared / ".venv", "--without-pip")
    site = venv / SITE
    env = activated(venv) if how != "project venv" else {}
    if how == "overlay made earlier":  # while the site dir was still root's alone
        made = safepip.install(alice, ["spbase"], env=env)
        assert made.returncode == 0 and target_line(made.stderr)[0] == "overlay", describe(made)
    site.chmod(0o777)
    write_as(bob, site / "zz-bob.pth", TRAP_PTH.format(markers=str(markers)))
    assert_trap_armed(bob, venv / "bin/python", markers)

    proc = safepip.install(alice, ["spcli"], env=env, cwd=shared)

    assert executed(markers) == [], f"bob's .pth ran:\n{describe(proc)}"
    if how == "project venv":
        assert_installed_spcli(proc, "managed")
        assert_passed_over(proc, str(venv))
    else:
        assert_refused(proc, str(venv))
    assert dists_under(venv, "spcli") == []
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- 19. a link flipped in a loop


def test_scenario_19_link_flipped_in_a_loop_never_runs_the_other_users_script(
    safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path, markers: Path, logs: Path
) -> None:
    """`--python <sticky dir>/link/python`, where `link` is bob's and flips between a root-owned directory
    holding Debian's python3 and a directory of bob's holding his script, while alice runs safepip."""
    alice = alice_cleanup
    good = scratch / "good"  # root's, 0755
    good.mkdir()
    (good / "python").symlink_to(DEBIAN_PYTHON)
    shared = scratch / "x"  # like /tmp: root's, world-writable, sticky
    shared.mkdir()
    shared.chmod(0o1777)
    evil = owned_dir(shared / "evil", bob)
    assert_trap_armed(bob, plant_python(evil / "python", markers, bob), markers)
    link = shared / "link"
    run_ok(bob, ["ln", "-s", str(good), str(link)])
    python = link / "python"

    flipper = start_as(bob, [DEBIAN_PYTHON, "-c", FLIPPER, link, good, evil], logs, "flipper")
    runs: list[subprocess.CompletedProcess[str]] = []
    try:
        seen = set()
        deadline = time.monotonic() + 30
        while len(seen) < 2 and time.monotonic() < deadline and flipper.alive():
            seen.add(str(link.readlink()))
        assert seen == {str(good), str(evil)}, f"the link does not flip: {seen}\n{flipper.stderr.read_text()}"
        for _ in range(FLIPS):
            runs.append(
                safepip.run(alice, ["--python", str(python), "install", *safepip.source_args(), "spcli"])
            )
    finally:
        flipper.end()

    ran = executed(markers)
    assert ran == [], (
        f"bob's script was run {len(ran)} times in {FLIPS} runs; the first run:\n{describe(runs[0])}"
    )
    for proc in runs:
        assert_refused(proc, bob.name)
    assert dists_under(alice.home, "spcli") == []


def test_a_log_another_user_planted_as_a_link_is_never_written_through(
    safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path
) -> None:
    """pip appends its log to whatever --log leads to. In a shared sticky directory (as /tmp): bob's link
    there to a file of alice's, and a name bob could make there first, stop the command before pip runs;
    a log file of alice's own there is written."""
    alice = alice_cleanup
    shared = scratch / "x"
    shared.mkdir()
    shared.chmod(0o1777)
    precious = alice.home / "precious.txt"
    write_as(alice, precious, "alice's\n")
    try:
        run_ok(bob, ["ln", "-s", str(precious), str(shared / "pip.log")])
        assert_refused(safepip.run(alice, ["list", "--log", str(shared / "pip.log")]), bob.name)
        assert precious.read_text() == "alice's\n"
        assert_refused(
            safepip.run(alice, ["list", "--log", str(shared / "new.log")]), "any user can create it"
        )
        assert not (shared / "new.log").exists()
        write_as(alice, shared / "mine.log", "")
        mine = safepip.run(alice, ["list", "--log", str(shared / "mine.log")])
        assert mine.returncode == 0 and (shared / "mine.log").read_text() != "", describe(mine)
    finally:
        precious.unlink(missing_ok=True)


# ---------------------------------------------------------------- 19. a home another user can write


@pytest.mark.parametrize("writable", ["world-writable", "group-writable"])
def test_scenario_19_data_dir_planted_in_a_writable_home_is_not_written_through(
    writable: str, safepip: Safepip, alice_cleanup: User, bob: User, scratch: Path
) -> None:
    """alice's home lets bob in (0777, or 0775 with bob's group): bob makes her `~/.local` and links
    safepip's data dir (world-writable home) or the `share` dir on its way (group-writable home) to a
    directory of his that she can write. Whatever safepip writes there (venvs, locks, script links) bob can
    swap for his own code."""
    alice = alice_cleanup
    if writable == "world-writable":
        alice.home.chmod(0o777)
    else:
        shutil.chown(alice.home, alice.uid, bob.gid)
        alice.home.chmod(0o775)
    bobs = owned_dir(scratch / "bob-data", bob, 0o777)
    local = alice.home / ".local"
    if writable == "world-writable":
        plant = f"umask 000 && mkdir -p {local}/share && ln -s {bobs} {local}/share/safepip"
    else:
        plant = f"umask 000 && mkdir {local} && ln -s {bobs} {local}/share"
    run_ok(bob, ["sh", "-c", plant])
    assert local.lstat().st_uid == bob.uid

    proc = safepip.install(alice, ["spcli"])

    written = entries_written_into_dirs_of(bob, alice, alice.home, bobs)
    assert written == [], f"alice wrote through bob's directories: {written}\n{describe(proc)}"
    assert list(bobs.iterdir()) == [], describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)
    assert proc.returncode in (0, 77), describe(proc)
    if proc.returncode == 0:
        python = safepip.python(alice)
        assert not is_under(import_location(alice, python, "spcli"), bobs)
    assert root_owned_under(alice.home) == []


# ---------------------------------------------------------------- requirements from a stream


STREAMS = {
    # id: (how the stream is given, spcli installed before, the requirement, pip's exit code, pip's words)
    "stdin-new": ("stdin", None, "spcli", 0, "Successfully installed spcli-2.0"),
    "stdin-installed": ("stdin", "2.0", "spcli", 0, "Requirement already satisfied: spcli"),
    "stdin-upgrade": ("stdin", "1.0", "spcli==2.0", 0, "Successfully installed spcli-2.0"),
    "stdin-missing": ("stdin", None, "spnothere", 1, "No matching distribution found for spnothere"),
    "process-substitution-new": ("fd", None, "spcli", 0, "Successfully installed spcli-2.0"),
    "process-substitution-installed": ("fd", "2.0", "spcli", 0, "Requirement already satisfied: spcli"),
}
STREAM_CASES = [
    *(pytest.param("active venv", case, id=f"active-{case}") for case in STREAMS),
    # where the no-op check answers for a venv of safepip's own: the issue's `echo six | safepip install …`
    *(pytest.param("managed venv", case, id=f"managed-{case}") for case in ("stdin-new", "stdin-installed")),
]


@pytest.mark.parametrize(("target", "case"), STREAM_CASES)
def test_requirements_from_a_stream_reach_pip(
    target: str, case: str, safepip: Safepip, alice_cleanup: User, template_venv: Path
) -> None:
    """`… | safepip install -r /dev/stdin` and `-r <(…)`: a stream can be read once; pip must be the one
    that reads it, and what safepip says must be what pip did."""
    alice = alice_cleanup
    given, installed, requirement, exit_code, words = STREAMS[case]
    # no machine-wide pip.conf: a setting there (a constraints file) would keep the no-op check from looking
    env = {"PIP_CONFIG_FILE": os.devnull}
    if target == "active venv":
        venv = copy_venv(template_venv, alice.home / "venv", alice)
        env.update(activated(venv))
        if installed:
            pip = [venv / "bin/python", "-m", "pip", "install", *safepip.source_args(), f"spcli=={installed}"]
            run_ok(alice, pip, env=env)
    else:  # the managed venv, made (with spcli when the case says so) by an earlier install
        made = safepip.install(alice, [f"spcli=={installed}" if installed else "spbase"], env=env)
        assert made.returncode == 0, describe(made)
        venv = Path(target_line(made.stderr, alice.home)[1])
    install = shlex.join([str(safepip.executable), "install", *safepip.source_args()])
    stream = f"printf '%s\\n' {shlex.quote(requirement)}"
    script = f"{stream} | {install} -r /dev/stdin" if given == "stdin" else f"{install} -r <({stream})"

    proc = run_as(alice, ["bash", "-c", script], env=env)

    assert proc.returncode == exit_code, describe(proc)
    assert words in proc.stdout + proc.stderr, f"pip did not see {requirement!r}:\n{describe(proc)}"
    assert "pip not run" not in proc.stderr, describe(proc)
    versions = [info.name for info in (venv / SITE).glob("spcli-*.dist-info")]
    assert versions == ([] if requirement == "spnothere" else ["spcli-2.0.dist-info"]), describe(proc)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- sudo with malformed variables


def unknown_uid() -> int:
    uid = 60000
    while True:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
        uid += 1


def sudo_env(user: User, home: Path) -> dict[str, str]:
    """What `sudo` (HOME kept) leaves for the command it runs as root on behalf of `user`."""
    return {
        "HOME": str(home),
        "USER": "root",
        "LOGNAME": "root",
        "SUDO_USER": user.name,
        "SUDO_UID": str(user.uid),
        "SUDO_GID": str(user.gid),
        "SUDO_COMMAND": "/usr/bin/safepip install spcli",
    }


BAD_SUDO = ["SUDO_UID=abc", "SUDO_UID=0", "SUDO_UID= <uid>", "SUDO_UID=<no passwd entry>", "SUDO_GID=abc"]


@pytest.mark.parametrize("variable", BAD_SUDO)
def test_malformed_sudo_variables_stop_safepip_before_anything(
    variable: str, safepip: Safepip, alice: User
) -> None:
    name, _, value = variable.partition("=")
    value = value.replace("<uid>", str(alice.uid)).replace("<no passwd entry>", str(unknown_uid()))
    env = {**sudo_env(alice, alice.home), name: value}

    proc = run_as(
        root_user(alice.home), [safepip.executable, "install", *safepip.source_args(), "spcli"], env=env
    )

    assert root_owned_under(alice.home) == [], describe(proc)
    assert_refused(proc)
    error = safepip_lines(proc.stderr, "error")[0]
    assert name in error or value.strip() in error, describe(proc)
    assert dists_under(alice.home, "spcli") == []


def test_sudo_install_completion_writes_nothing_root_owned_into_the_users_home(
    safepip: Safepip, alice: User
) -> None:
    """typer's eager --install-completion ran as root, before the switch: `.bashrc` and the completion
    script became root's. Run from bash, as typer finds the shell from its parent process."""
    env = {**sudo_env(alice, alice.home), "SHELL": "/bin/bash"}
    command = f"{shlex.quote(str(safepip.executable))} --install-completion"

    proc = run_as(root_user(alice.home), ["bash", "-c", f"{command}; exit $?"], env=env)

    assert root_owned_under(alice.home) == [], describe(proc)
    assert "Traceback" not in proc.stderr, describe(proc)


# ---------------------------------------------------------------- a team's shared venv


@pytest.fixture
def team(alice_cleanup: User, bob: User) -> Iterator[str]:
    """A group of alice's and bob's: the team a shared venv belongs to (removed after the test); named after
    alice, so that each pytest-xdist worker has its own."""
    name = f"{alice_cleanup.name}-team"
    subprocess.run(["groupdel", name], check=False, capture_output=True)  # left by an interrupted run
    subprocess.run(["groupadd", name], check=True)
    try:
        subprocess.run(
            ["gpasswd", "-M", f"{alice_cleanup.name},{bob.name}", name], check=True, capture_output=True
        )
        yield name
    finally:
        subprocess.run(["groupdel", name], check=True)


def shared_venv(template_venv: Path, alice: User, team: str) -> Path:
    """alice's venv, made writable by her team (every directory setgid, as teams set them up)."""
    venv = copy_venv(template_venv, alice.home / "team-venv", alice)
    subprocess.run(["chgrp", "-R", team, str(venv)], check=True)
    subprocess.run(["chmod", "-R", "g+w", str(venv)], check=True)
    subprocess.run(["find", str(venv), "-type", "d", "-exec", "chmod", "g+s", "{}", "+"], check=True)
    return venv


def used_shared_venv(
    safepip: Safepip, template_venv: Path, alice: User, team: str
) -> tuple[Path, dict[str, str], subprocess.CompletedProcess[str]]:
    """alice's shared venv, activated, and her first install into it (which keeps its interpreter's answer)."""
    venv = shared_venv(template_venv, alice, team)
    env = activated(venv)
    first = safepip.install(alice, ["spcli"], env=env)
    assert first.returncode == 0, describe(first)
    return venv, env, first


def test_a_shared_venv_still_judges_what_a_member_put_below_its_shared_directories(
    safepip: Safepip, template_venv: Path, alice_cleanup: User, bob: User, team: str, markers: Path
) -> None:
    """alice's activated venv that her team can write is used, with a notice; but bob, in that team, put
    pip's `cli/main.py` there as his own file: a shared directory is no reason to stop looking below it.
    First run and repeated run (pip's tree read by find, then walked) alike."""
    alice = alice_cleanup
    venv, env, first = used_shared_venv(safepip, template_venv, alice, team)
    assert first.stderr.count("is shared") == 1, describe(first)  # one notice, naming the group
    assert team in first.stderr, describe(first)
    cli = next(venv.glob("lib/python3*/site-packages/pip/_internal/cli"))
    run_ok(bob, ["sh", "-c", f"cd {shlex.quote(str(cli))} && cp main.py m2 && mv -f m2 main.py"])
    with (cli / "main.py").open("a") as main:
        main.write("\n" + TRAP_PTH.format(markers=str(markers)))
    assert (cli / "main.py").stat().st_uid == bob.uid
    armed = run_as(alice, [venv / "bin/python", "-m", "pip", "--version"], env=env)  # imports cli/main.py
    assert executed(markers) == [f"executed-by-{alice.uid}"], describe(armed)
    (markers / f"executed-by-{alice.uid}").unlink()
    for cached in (True, False):  # the interpreter's answer kept (find reads pip's tree), then asked again
        if not cached:
            shutil.rmtree(alice.home / ".cache/safepip/interpreters")
        proc = safepip.install(alice, ["--force-reinstall", "--no-deps", "spcli"], env=env)
        assert_refused_unrun(proc, markers, str(cli / "main.py"), bob.name)
    assert_user_aftermath(alice)


def test_a_site_dir_that_appears_after_the_answer_was_kept_is_checked_before_pip_runs(
    safepip: Safepip, template_venv: Path, alice_cleanup: User, bob: User, team: str, markers: Path
) -> None:
    """Debian's Python names site dirs a venv does not have (`lib/python3/dist-packages`): bob, in alice's
    team, made one in their shared venv after safepip had kept its interpreter's answer, with a `.pth` file
    in it. Python reads it at start-up; the kept answer, which did not know it, is asked again."""
    alice = alice_cleanup
    venv, env, _first = used_shared_venv(safepip, template_venv, alice, team)
    appeared = venv / "lib/python3/dist-packages"
    run_ok(bob, ["mkdir", "-p", str(appeared)])
    write_as(bob, appeared / "zz.pth", TRAP_PTH.format(markers=str(markers)))
    # armed: the venv's Python reads it at start-up
    assert_trap_armed(alice, venv / "bin/python", markers)

    proc = safepip.install(alice, ["--force-reinstall", "--no-deps", "spcli"], env=env)

    assert_refused_unrun(proc, markers, str(venv / "lib/python3"), bob.name)
    assert_user_aftermath(alice)


def test_a_group_writable_directory_outside_the_activated_venv_is_not_taken_as_shared(
    safepip: Safepip, template_venv: Path, alice_cleanup: User, bob: User, team: str, markers: Path
) -> None:
    """The shared-venv notice covers the venv alice activated, nothing beyond it: a PYTHONPATH entry of hers
    that her team can write (bob rewrote her module there) is refused as any other directory others can
    change."""
    alice = alice_cleanup
    venv = copy_venv(template_venv, alice.home / "own-venv", alice)
    team_dir = owned_dir(alice.home / "team-modules", alice, 0o2775)
    subprocess.run(["chgrp", team, str(team_dir)], check=True)
    team_dir.chmod(0o2775)
    write_as(alice, team_dir / "urllib3_secure_extra.py", "")
    (team_dir / "urllib3_secure_extra.py").chmod(0o664)
    write_as(bob, team_dir / "urllib3_secure_extra.py", TRAP_PTH.format(markers=str(markers)))
    env = {**activated(venv), "PYTHONPATH": str(team_dir)}

    proc = safepip.install(alice, ["spcli"], env=env)

    assert_refused_unrun(proc, markers, "PYTHONPATH", str(team_dir), team)
    assert_user_aftermath(alice)


def test_a_standard_library_python_finds_above_its_home_is_checked_there(
    safepip: Safepip, template_venv: Path, alice_cleanup: User, bob: User, scratch: Path, markers: Path
) -> None:
    """CPython looks for its standard library from the venv's `home` up, one directory at a time. alice's
    venv takes its Python from a directory of root's below a sticky one (as /tmp) that has no `lib` of its
    own: bob made one above it, the real standard library linked in and his own `sitecustomize.py`, which
    Python runs at start-up. safepip refuses before anything runs."""
    alice = alice_cleanup
    venv = copy_venv(template_venv, alice.home / "venv", alice)
    minor = next(venv.glob("lib/python3*")).name
    sticky = scratch / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    base = sticky / "base" / "bin"
    base.mkdir(parents=True)
    run_ok(bob, ["mkdir", "-p", str(sticky / "lib" / minor)])
    real = Path("/usr/lib") / minor
    links = " ".join(shlex.quote(str(entry)) for entry in real.iterdir() if entry.name != "sitecustomize.py")
    run_ok(bob, ["sh", "-c", f"ln -s {links} {shlex.quote(str(sticky / 'lib' / minor))}/"])
    write_as(bob, sticky / "lib" / minor / "sitecustomize.py", TRAP_PTH.format(markers=str(markers)))
    config = venv / "pyvenv.cfg"
    lines = [line for line in config.read_text().splitlines() if not line.startswith("home")]
    config.write_text("\n".join([f"home = {base}", *lines]) + "\n")
    assert_trap_armed(alice, venv / "bin/python", markers)  # Python takes bob's standard library

    proc = safepip.install(alice, ["spcli"], env=activated(venv))

    assert_refused_unrun(proc, markers, str(sticky / "lib"), bob.name)
    assert_user_aftermath(alice)
