"""sudo, concurrency, interruption and half-upgrade scenarios (SPEC 9, 13, 14, 16 and "Locking and integrity").

Produced for real: root runs safepip under a sudo environment; eight installs start at once; safepip is
signalled while it makes the managed venv and while pip works; files in the target are made immutable or
root-owned. Where plain pip or `sudo pip` does worse in the same situation, the test runs it too and pins
down what it does.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest

from .processes import (
    Background,
    CreationWatch,
    ProcessInfo,
    is_build_backend,
    is_pip,
    is_stopped,
    process_info,
    session_processes,
    start_as,
    wait_for,
    write_slow_sdist,
    write_wheel,
)
from .support import (
    Safepip,
    assert_user_aftermath,
    describe,
    dists_under,
    force_remove,
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
    temp_entries_of,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

SITE = "lib/python3.11/site-packages"
MARKER = ".safepip-complete"
SYSTEM_SITE = Path("/usr/local/lib/python3.11/dist-packages")
CONCURRENT = 8
ROUNDS = 10
SLOW_BUILD = 2.0  # seconds spslow 2.0's build backend takes: the window for signals "while pip works"
SAFEPIP_TEMP = ("safepip-tmp-", "safepip-report-")


# ---------------------------------------------------------------- helpers


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


def only_managed_venv(home: Path) -> Path:
    venvs = sorted(managed_venvs(home).iterdir())
    assert len(venvs) == 1, f"expected one managed venv, found {venvs}"
    return venvs[0]


def stash_in(site: Path) -> list[str]:
    return sorted(entry.name for entry in site.iterdir() if entry.name.startswith("~"))


def safepip_lines(stderr: str, kind: str) -> list[str]:
    """safepip's `error:` or `fix:` lines."""
    return [line for line in stderr.splitlines() if line.startswith(f"safepip: {kind}: ")]


def sudo_env(user: User, home: Path) -> dict[str, str]:
    """What `sudo` leaves for the command it runs as root on behalf of `user` (HOME as sudo was told)."""
    return {
        "HOME": str(home),
        "USER": "root",
        "LOGNAME": "root",
        "SUDO_USER": user.name,
        "SUDO_UID": str(user.uid),
        "SUDO_GID": str(user.gid),
        "SUDO_COMMAND": "/usr/bin/safepip install spcli",
    }


def venv_env(venv: Path) -> dict[str, str]:
    """An activated venv."""
    return {"VIRTUAL_ENV": str(venv), "PATH": path_with(venv / "bin")}


def chattr_unsupported(directory: Path) -> str | None:
    """None when `chattr +i` works on the filesystem of `directory`, else why not."""
    probe = directory / ".chattr-probe"
    probe.touch()
    try:
        made = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
        if made.returncode != 0:
            return f"chattr +i does not work on {directory}: {made.stderr.strip()}"
        return None
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()


def make_immutable(path: Path) -> None:
    subprocess.run(["chattr", "+i", str(path)], check=True, capture_output=True)


def clear_immutable(tree: Path) -> None:
    if tree.exists():
        subprocess.run(["chattr", "-R", "-i", str(tree)], capture_output=True)


def new_temp_entries(user: User) -> list[Path]:
    return sorted(temp_entries_of(user.uid) - user.temp_baseline)


@pytest.fixture(scope="session")
def integrity_links(scenario_root: Path) -> Path:
    """A world-readable find-links directory: spshared, spconc1..8 (each needs spshared, each with a
    console script), spslow 1.0 (wheel) and spslow 2.0 (an sdist that takes SLOW_BUILD seconds to build)."""
    links = scenario_root / "integrity-find-links"
    links.mkdir()
    links.chmod(0o755)
    write_wheel(links, "spshared", "1.0")
    for n in range(1, CONCURRENT + 1):
        name = f"spconc{n}"
        write_wheel(
            links, name, "1.0", requires=("spshared",), console_scripts={f"{name}-run": f"{name}:main"}
        )
    write_wheel(links, "spslow", "1.0")
    write_slow_sdist(links, "spslow", "2.0", SLOW_BUILD)
    return links


@pytest.fixture
def logs(scratch: Path) -> Path:
    """Where background runs write their stdout and stderr."""
    path = scratch / "logs"
    path.mkdir()
    return path


@pytest.fixture
def alice_temp_cleanup(alice: User) -> Iterator[User]:
    """alice, whose temp entries left by killed runs (nothing can clean those up) are removed afterwards."""
    yield alice
    for path in new_temp_entries(alice):
        if path.is_dir() and not path.is_symlink():
            force_remove(path)
        else:
            path.unlink(missing_ok=True)


# ---------------------------------------------------------------- SPEC 9: sudo


@pytest.mark.parametrize("home", ["alice", "root"], ids=["home-kept", "home-root"])
def test_sudo_install_runs_as_the_invoking_user(home: str, safepip: Safepip, alice: User) -> None:
    sudo_home = alice.home if home == "alice" else Path("/root")
    root_data = Path("/root/.local/share/safepip")
    root_data_before = root_data.exists()

    proc = run_as(
        root_user(sudo_home),
        [safepip.executable, "install", *safepip.source_args(), "spcli"],
        env=sudo_env(alice, sudo_home),
        cwd=alice.home,
    )

    assert proc.returncode == 0, describe(proc)
    assert f"safepip: running as {alice.name} (uid {alice.uid}), who ran sudo" in proc.stderr, describe(proc)
    kind, path, _ = target_line(proc.stderr, alice.home)
    venv = Path(path)
    assert (kind, venv.parent) == ("managed", managed_venvs(alice.home)), describe(proc)
    assert root_owned_under(alice.home) == []
    assert is_under(import_location(alice, safepip.python(alice), "spcli"), venv)
    # root's own home got nothing
    assert root_data.exists() == root_data_before
    assert dists_under(Path("/root/.local"), "spcli") == []

    # alice's next install, as herself, works in the same venv
    own = safepip.install(alice, ["spbase"])
    assert own.returncode == 0, describe(own)
    assert target_line(own.stderr, alice.home)[:2] == ("managed", str(venv)), describe(own)
    assert "running as" not in own.stderr, describe(own)
    assert is_under(import_location(alice, safepip.python(alice), "spbase"), venv)
    assert_user_aftermath(alice)


def test_sudo_system_still_honours_pep_668(safepip: Safepip, alice: User, root_home: Path) -> None:
    before = {path: snapshot(path) for path in (alice.home, SYSTEM_SITE)}
    root_home_before = snapshot(root_home)

    proc = run_as(
        root_user(root_home),
        [safepip.executable, "--system", "install", *safepip.source_args(), "spcli"],
        env=sudo_env(alice, root_home),
        cwd=alice.home,
    )

    assert proc.returncode == 77, describe(proc)
    assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
    errors = safepip_lines(proc.stderr, "error")
    assert len(errors) == 1 and "externally managed" in errors[0], describe(proc)
    assert "running as" not in proc.stderr, describe(proc)
    for path, snap in before.items():
        assert snapshot_diff(snap, snapshot(path)) == [], f"{path} changed"
    assert not Path("/usr/local/bin/spcli-hello").exists()
    # root's home: at most safepip's own cache (the interpreter facts it queried), no venv, no package
    changes = snapshot_diff(root_home_before, snapshot(root_home))
    assert all(
        change[2:] in (".cache", ".cache/safepip") or change[2:].startswith(".cache/safepip/")
        for change in changes
    ), changes


def test_sudo_system_keeps_root_for_a_system_python_without_pep_668(
    safepip: Safepip, alice: User, scratch: Path, root_home: Path
) -> None:
    python = make_plain_python(scratch / "python")
    purelib = plain_python_purelib(python)
    env = {**sudo_env(alice, root_home), "PATH": path_with(python.parent)}
    home_before = snapshot(alice.home)

    proc = run_as(
        root_user(root_home),
        [safepip.executable, "--system", "install", *safepip.source_args(), "spcli"],
        env=env,
        cwd=alice.home,
    )

    assert proc.returncode == 0, describe(proc)
    assert target_line(proc.stderr, alice.home)[0] == "env", describe(proc)
    assert dists_under(python.parent.parent, "spcli") == [purelib]
    assert (purelib / "spcli/__init__.py").stat().st_uid == 0, "--system did not keep root"
    assert snapshot_diff(home_before, snapshot(alice.home)) == []


def test_sudo_pip_leaves_root_owned_files_where_sudo_safepip_leaves_none(
    safepip: Safepip, alice: User
) -> None:
    """`sudo -E pip install` in an activated venv, and `sudo -E safepip install` in another: same situation."""
    pip_venv = make_venv(alice, alice.home / "pip-venv")
    safepip_venv = make_venv(alice, alice.home / "safepip-venv")
    sudo = root_user(alice.home)

    proc = run_as(
        sudo,
        [safepip.executable, "install", *safepip.source_args(), "spcli"],
        env={**sudo_env(alice, alice.home), **venv_env(safepip_venv)},
        cwd=alice.home,
    )
    assert proc.returncode == 0, describe(proc)
    assert target_line(proc.stderr, alice.home)[:2] == ("env", str(safepip_venv)), describe(proc)
    assert dists_under(safepip_venv, "spcli") == [safepip_venv / SITE]
    assert root_owned_under(alice.home) == []

    pip = run_as(
        sudo,
        [pip_venv / "bin/pip", "install", *safepip.source_args(), "spcli"],
        env={**sudo_env(alice, alice.home), **venv_env(pip_venv)},
        cwd=alice.home,
    )
    assert pip.returncode == 0, describe(pip)
    left = root_owned_under(alice.home)
    assert all(is_under(path, pip_venv) for path in left), left
    root_owned = {path.relative_to(pip_venv) for path in left}
    assert {
        Path(SITE, "spcli"),
        Path(SITE, "spcli/__init__.py"),
        Path(SITE, "spcli-2.0.dist-info/RECORD"),
        Path("bin/spcli-hello"),
    } <= root_owned, sorted(root_owned)


# ---------------------------------------------------------------- SPEC 13: eight installs at once


@pytest.mark.slow
def test_concurrent_installs_share_one_managed_venv(
    safepip: Safepip, alice: User, integrity_links: Path, logs: Path
) -> None:
    """Round 1 starts with no managed venv (they race to make it); rounds 2-10 reuse it with
    --force-reinstall, so all eight really write into it at once (spshared each time)."""
    source = ["--no-index", "--find-links", str(integrity_links)]
    packages = {"spshared", *(f"spconc{n}" for n in range(1, CONCURRENT + 1))}
    for round_number in range(1, ROUNDS + 1):
        again = [] if round_number == 1 else ["--force-reinstall"]
        runs: list[Background] = []
        try:
            for n in range(1, CONCURRENT + 1):
                argv = [
                    str(safepip.executable),
                    "-v",
                    "install",
                    *source,
                    *again,
                    f"spconc{n}",
                ]  # -v: who made it
                runs.append(start_as(alice, argv, logs, f"round{round_number}-{n}"))
            results = [run.finish() for run in runs]
        finally:
            for run in runs:
                run.end()
        where = f"round {round_number}"

        failed = [describe(proc) for proc in results if proc.returncode != 0]
        assert not failed, f"{where}:\n" + "\n".join(failed)
        venv = only_managed_venv(alice.home)
        assert all(target_line(proc.stderr, alice.home)[1] == str(venv) for proc in results), where
        created = [proc for proc in results if "created the managed venv" in proc.stderr]
        assert len(created) == (1 if round_number == 1 else 0), f"{where}: {len(created)} runs made the venv"
        assert any("waiting for another install into" in proc.stderr for proc in results), (
            f"{where}: no overlap"
        )
        assert (venv / MARKER).is_file(), where

        site = venv / SITE
        assert stash_in(site) == [], f"{where}: {stash_in(site)}"
        installed = {info.name.split("-")[0] for info in site.glob("sp*.dist-info")}
        assert installed == packages, f"{where}: {sorted(installed)}"
        check = run_as(alice, [venv / "bin/python", "-m", "pip", "check"])
        # the venv sees Debian's packages, whose own problems (pygobject wants pycairo) are not the venv's
        ours = [line for line in check.stdout.splitlines() if line.split(" ")[0].lower() in packages]
        assert ours == [], f"{where}: {describe(check)}"
    for n in range(1, CONCURRENT + 1):
        hello = run_as(alice, [alice.home / f".local/bin/spconc{n}-run"])
        assert (hello.returncode, hello.stdout) == (0, f"spconc{n} 1.0\n"), describe(hello)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- SPEC 14: interrupted runs


@dataclass(frozen=True)
class Interruption:
    signal: signal.Signals
    # "seed": safepip copies its pip seed for managed venvs (the first venv of a data dir); "venv": it lays
    # out the managed venv (milliseconds: caught with inotify and SIGSTOP); "pip": pip starts; "build": pip
    # runs spslow 2.0's build backend, with its temp dirs in use
    moment: str
    delay: float  # seconds after that moment is seen ("seed", "pip" and "build")

    @property
    def exit_code(self) -> int:
        return -self.signal if self.signal == signal.SIGKILL else 128 + self.signal

    def __str__(self) -> str:
        return f"{self.signal.name}-{self.moment}-{self.delay:g}s"


INTERRUPTIONS = [
    Interruption(signal.SIGINT, "seed", 0.0),
    Interruption(signal.SIGKILL, "seed", 0.0),
    Interruption(signal.SIGINT, "venv", 0.0),
    Interruption(signal.SIGTERM, "venv", 0.0),
    Interruption(signal.SIGKILL, "venv", 0.0),
    Interruption(signal.SIGTERM, "pip", 0.0),
    Interruption(signal.SIGKILL, "pip", 0.0),
    Interruption(signal.SIGINT, "build", 0.2),
    Interruption(signal.SIGINT, "build", 1.0),
    Interruption(signal.SIGTERM, "build", 0.5),
    Interruption(signal.SIGKILL, "build", 0.5),
]
CATCH_ATTEMPTS = 10  # tries to stop safepip between making the venv's directory and writing its marker


def first_in_session(run: Background, kind: Callable[[ProcessInfo], bool]) -> ProcessInfo | None:
    return next(filter(kind, session_processes(run.pid)), None)


def complete_venvs(venvs: Path) -> list[Path]:
    return [venv for venv in (venvs.iterdir() if venvs.is_dir() else []) if (venv / MARKER).exists()]


def signal_at(run: Background, case: Interruption, data: Path) -> None:
    """Wait for the moment, then send the signal to safepip itself (not to its process group)."""
    if case.moment == "seed":
        wait_for(lambda: next(data.glob("seed/.building-*"), None), 60, "safepip to copy its pip seed")
        time.sleep(case.delay)
        assert complete_venvs(data / "venvs") == [], f"a venv was complete before the signal: late for {case}"
    else:
        pip = wait_for(lambda: first_in_session(run, is_pip), 60, "pip to start")
        if case.moment == "build":
            wait_for(lambda: first_in_session(run, is_build_backend), 60, "pip to run the build backend")
        time.sleep(case.delay)
        still = process_info(pip.pid)
        assert still is not None and not still.is_zombie, f"pip was done before the signal: late for {case}"
    assert run.alive(), f"safepip ended before the signal {case}"
    os.kill(run.pid, case.signal)


def signal_while_laying_out(
    alice: User, argv: list[str], logs: Path, env: dict[str, str], venvs: Path, case: Interruption
) -> Background:
    """Start the install, stop it (SIGSTOP) as soon as it makes the managed venv's directory and, when the
    marker is not written yet, send the signal and let it go on (SIGCONT). Otherwise try again."""
    for attempt in range(1, CATCH_ATTEMPTS + 1):
        watch = CreationWatch(venvs)
        run = start_as(alice, argv, logs, f"attempt{attempt}", env=env)
        try:
            made = watch.next_made(timeout=60)
            while made is not None and made.startswith("."):  # safepip's writability probes
                made = watch.next_made(timeout=60)
            assert made is not None, "safepip made no managed venv"
            os.kill(run.pid, signal.SIGSTOP)
            wait_for(partial(is_stopped, run.pid), 10, "safepip to stop")
            if not (venvs / made / MARKER).exists():
                os.kill(run.pid, case.signal)
                os.kill(run.pid, signal.SIGCONT)
                return run
            # too late this time: end this run cleanly and remove the venv it completed
            os.kill(run.pid, signal.SIGTERM)
            os.kill(run.pid, signal.SIGCONT)
            run.finish(timeout=60)
        except BaseException:
            run.end()
            raise
        finally:
            watch.close()
        run.end()
        run_ok(alice, ["rm", "-rf", venvs / made])
    raise AssertionError(f"safepip was never stopped before its venv was complete in {CATCH_ATTEMPTS} tries")


@pytest.mark.parametrize("case", INTERRUPTIONS, ids=str)
def test_interrupted_install_leaves_nothing_half_made(
    case: Interruption,
    safepip: Safepip,
    alice_temp_cleanup: User,
    integrity_links: Path,
    logs: Path,
) -> None:
    alice = alice_temp_cleanup
    data = alice.home / ".local/share/safepip"
    venvs = data / "venvs"
    # TMPDIR missing: safepip makes a private /tmp/safepip-tmp-* for pip, which an interruption must not leave
    env = {"TMPDIR": str(alice.home / "no-such-tmp")}
    argv = [str(safepip.executable), "install", "--no-index", "--find-links", str(integrity_links), "spslow"]
    if case.moment == "venv":
        # data dir and pip seed made by an earlier run, the venv removed: only the layout is left to do
        run_ok(alice, ["rm", "-rf", safepip.python(alice).parent.parent])
        run = signal_while_laying_out(alice, argv, logs, env, venvs, case)
    else:
        run = start_as(alice, argv, logs, "interrupted", env=env)
    try:
        if case.moment != "venv":
            signal_at(run, case, data)
        proc = run.finish(timeout=60)
        pip_running = [info for info in session_processes(run.pid) if is_pip(info, dry_run=True)]
    finally:
        run.end()

    unmarked = [venv for venv in (venvs.iterdir() if venvs.is_dir() else []) if not (venv / MARKER).exists()]
    if case.signal == signal.SIGKILL:
        # nothing can clean up after SIGKILL: the next run must not use what was left
        if case.moment == "venv":
            assert len(unmarked) == 1, f"SIGKILL while the venv was laid out left {unmarked}"
        for venv in unmarked:
            run_ok(alice, ["touch", venv / "left-by-a-killed-run"])
    else:
        assert pip_running == [], f"safepip exited while pip still ran: {pip_running}\n{describe(proc)}"
        temp_left = [path for path in new_temp_entries(alice) if path.name.startswith(SAFEPIP_TEMP)]
        assert temp_left == [], describe(proc)
        assert new_temp_entries(alice) == [], describe(proc)
        assert unmarked == [], f"half-made venv left: {unmarked}\n{describe(proc)}"
        if case.moment in ("seed", "venv"):  # removed at once, not left for the next run
            assert not venvs.is_dir() or list(venvs.iterdir()) == [], describe(proc)
    half_seeds = list(data.glob("seed/.building-*"))

    after = safepip.run(alice, ["-v", "--lock-timeout", "30", "install", *safepip.source_args(), "spcli"])
    assert after.returncode == 0, describe(after)
    assert "waiting for another safepip" not in after.stderr, describe(after)
    kind, path, _ = target_line(after.stderr, alice.home)
    venv = Path(path)
    assert (kind, venv.parent) == ("managed", venvs), describe(after)
    assert (venv / MARKER).is_file(), describe(after)
    assert sorted(venvs.iterdir()) == [venv]
    if unmarked:
        assert unmarked == [venv]
        assert "created the managed venv" in after.stderr, describe(after)
        assert not (venv / "left-by-a-killed-run").exists(), "the next run used the half-made venv"
    assert is_under(import_location(alice, venv / "bin/python", "spcli"), venv)
    assert root_owned_under(alice.home) == []

    if case.signal != signal.SIGKILL:
        assert half_seeds == [], f"a half-copied pip seed was left: {half_seeds}\n{describe(proc)}"
    assert proc.returncode == case.exit_code, describe(proc)


# ---------------------------------------------------------------- SPEC 16 and "no half-upgrades"


@dataclass(frozen=True)
class Stuck:
    """How an old spcli 1.0 got stuck in alice's venv, and what safepip and pip say about it."""

    kind: str
    why: str  # in safepip's error line
    fix: str  # in safepip's fix line, with {user} and {entry}
    pip_error: str  # what pip 23.0.1 (Debian's venv) fails with


STUCK = [
    Stuck(
        "immutable", "immutable", "sudo chattr -i {entry}", "[Errno 1] Operation not permitted: '__init__.py'"
    ),
    Stuck(
        "root-owned",
        "owned by root",
        "sudo chown -R {user} {entry}",
        "[Errno 13] Permission denied: 'RECORD'",
    ),
]


@pytest.mark.parametrize("stuck", STUCK, ids=lambda stuck: stuck.kind)
def test_upgrade_over_stuck_files_is_refused_before_pip(
    stuck: Stuck, safepip: Safepip, alice: User, root_home: Path
) -> None:
    if stuck.kind == "immutable" and (why := chattr_unsupported(alice.home)):
        pytest.skip(why)
    venv = make_venv(alice, alice.home / "v")
    env = venv_env(venv)
    site = venv / SITE
    try:
        if stuck.kind == "immutable":
            made = safepip.install(alice, ["spcli==1.0"], env=env)
            assert made.returncode == 0, describe(made)
            entry = site / "spcli/__init__.py"
            make_immutable(entry)
        else:  # as `sudo pip install` leaves it: root-owned, in alice's venv
            root_pip = [
                str(venv / "bin/python"),
                "-m",
                "pip",
                "install",
                *safepip.source_args(),
                "spcli==1.0",
            ]
            run_ok(root_user(root_home), root_pip, env={**sudo_env(alice, root_home), **env})
            entry = site / "spcli"
            assert entry.stat().st_uid == 0
        before = snapshot(venv)

        proc = safepip.install(alice, ["--upgrade", "spcli"], env=env)

        assert proc.returncode == 77, describe(proc)
        assert proc.stdout == "", f"pip ran:\n{describe(proc)}"
        errors, fixes = safepip_lines(proc.stderr, "error"), safepip_lines(proc.stderr, "fix")
        assert len(errors) == 1 and f"{entry} ({stuck.why}" in errors[0], describe(proc)
        assert len(fixes) == 1 and stuck.fix.format(user=alice.name, entry=entry) in fixes[0], describe(proc)
        # nothing changed but the venv's lock file, which uv and safepip take there
        assert snapshot_diff(before, snapshot(venv)) in ([], ["+ .lock"]), (
            "the refused install changed the venv"
        )
        assert stash_in(site) == []

        # what the install does not touch is not blocked: spcli stays as it was
        other = safepip.install(alice, ["spbase"], env=env)
        assert other.returncode == 0, describe(other)
        assert "Successfully installed spbase-1.0" in other.stdout, describe(other)
        changes = snapshot_diff(before, snapshot(venv))
        assert all(change.startswith("+ ") for change in changes), changes
        assert not [change for change in changes if "spcli" in change], changes
        assert stash_in(site) == []

        # side by side, plain pip in the same venv: a half-upgrade
        pip = run_as(
            alice, [venv / "bin/pip", "install", *safepip.source_args(), "--upgrade", "spcli"], env=env
        )
        assert pip.returncode == 1, describe(pip)
        assert stuck.pip_error in pip.stderr, describe(pip)
        assert "~pcli" in stash_in(site), describe(pip)
        assert (site / "spcli-2.0.dist-info").is_dir(), "pip did not get halfway"
    finally:
        clear_immutable(venv)
    if stuck.kind == "immutable":
        assert_user_aftermath(alice)


def test_stash_entries_pip_leaves_are_reported(
    safepip: Safepip, alice: User, integrity_links: Path, logs: Path
) -> None:
    """A file becomes immutable after the preflight looked (while pip builds): pip leaves a stash entry."""
    if why := chattr_unsupported(alice.home):
        pytest.skip(why)
    source = ["--no-index", "--find-links", str(integrity_links)]
    first = safepip.run(alice, ["install", *source, "spslow==1.0"])
    assert first.returncode == 0, describe(first)
    venv = only_managed_venv(alice.home)
    site = venv / SITE
    run = start_as(alice, [safepip.executable, "install", *source, "--upgrade", "spslow"], logs, "upgrade")
    try:
        # pip starts before the preflight (held at the gate); building, it is past both
        wait_for(lambda: first_in_session(run, is_build_backend), 60, "pip to build spslow 2.0")
        make_immutable(site / "spslow/__init__.py")
        proc = run.finish(timeout=60)
    finally:
        run.end()
        clear_immutable(venv)

    assert "Successfully installed spslow-2.0" in proc.stdout, describe(proc)
    assert stash_in(site) == ["~pslow"], describe(proc)
    reports = [
        line for line in proc.stderr.splitlines() if line.startswith("safepip: pip left 1 stash entries")
    ]
    assert len(reports) == 1 and f"rm -rf {site / '~pslow'} (" in reports[0], describe(proc)
    assert_user_aftermath(alice)


def test_users_own_report_option_does_not_switch_the_preflight_off(safepip: Safepip, alice: User) -> None:
    if why := chattr_unsupported(alice.home):
        pytest.skip(why)
    made = safepip.install(alice, ["spcli==1.0"])
    assert made.returncode == 0, describe(made)
    venv = only_managed_venv(alice.home)
    site = venv / SITE
    try:
        make_immutable(site / "spcli/__init__.py")
        before = snapshot(venv)
        proc = safepip.install(alice, ["--report", str(alice.home / "report.json"), "--upgrade", "spcli"])
        after = snapshot(venv)
    finally:
        clear_immutable(venv)

    assert proc.returncode == 77, describe(proc)
    assert snapshot_diff(before, after) == [], "the refused install changed the venv"


def test_ordinary_upgrade_reports_no_stash(safepip: Safepip, alice: User) -> None:
    made = safepip.install(alice, ["spcli==1.0"])
    assert made.returncode == 0, describe(made)

    proc = safepip.install(alice, ["--upgrade", "spcli"])

    assert proc.returncode == 0, describe(proc)
    assert "Successfully uninstalled spcli-1.0" in proc.stdout, describe(proc)  # the stash path was used
    assert "Successfully installed spcli-2.0" in proc.stdout, describe(proc)
    assert "stash" not in proc.stderr, describe(proc)
    assert stash_in(only_managed_venv(alice.home) / SITE) == []
    assert_user_aftermath(alice)


def test_a_venv_interrupted_while_made_for_venv_is_removed_again(
    safepip: Safepip, alice_temp_cleanup: User, integrity_links: Path, logs: Path
) -> None:
    """`--venv PATH` that did not exist, SIGINT while safepip lays it out: the directory it made goes again
    (not left holding its lock file), and the next run makes the venv."""
    alice = alice_temp_cleanup
    parent = alice.home / "projects"
    run_ok(alice, ["mkdir", "-p", parent])
    venv = parent / "made-by-venv"
    argv = [str(safepip.executable), "--venv", str(venv), "install", "--no-index", "--find-links",
            str(integrity_links), "spslow"]  # fmt: skip
    run = signal_while_laying_out(alice, argv, logs, {}, parent, Interruption(signal.SIGINT, "venv", 0.0))
    try:
        proc = run.finish(timeout=60)
    finally:
        run.end()
    assert proc.returncode == 128 + signal.SIGINT, describe(proc)
    assert not venv.exists(), f"{sorted(p.name for p in venv.iterdir())}\n{describe(proc)}"

    after = safepip.run(alice, ["--venv", str(venv), "install", *safepip.source_args(), "spcli"])
    assert after.returncode == 0 and (venv / MARKER).is_file(), describe(after)
    assert is_under(import_location(alice, venv / "bin/python", "spcli"), venv)
