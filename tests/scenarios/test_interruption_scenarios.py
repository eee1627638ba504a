"""Interruption (SPEC "Delegation" and "Locking and integrity", scenario 18, issue 13): a signal reaches pip's
whole process tree and safepip exits 128+n leaving nothing running and no temp dirs; a safepip killed while
it waits for another install's lock leaves nothing that installs later.

Produced for real: alice installs an sdist whose build backend starts a child process (as a compiler would)
and then takes its time; safepip gets the signal as `kill PID` sends it, to its own pid only. Processes are
found by alice's uid, so that a build reparented to init still counts.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .attacks import (
    activated,
    build_child_token,
    copy_find_links,
    copy_venv,
    describe_processes,
    end_processes_of,
    new_temp_entries,
    processes_of,
    remove_new_temp_entries,
    wait_until_none_of,
    write_sleeper_sdist,
)
from .processes import Background, ProcessInfo, start_as, wait_for
from .support import Safepip, describe, dists_under, root_owned_under
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

LONG_BUILD = 30.0  # seconds: far longer than any test waits, so a build that goes on is seen going on
HELD_BUILD = 120.0  # seconds spsleepheld's build waits at most for the test to let it finish
AFTERMATH = 3.0  # seconds after safepip exits for whatever it started to end


@pytest.fixture(scope="module")
def held_build_release(scenario_root: Path) -> Path:
    """The file whose existence lets spsleepheld's build finish."""
    return scenario_root / "spsleepheld-release"


@pytest.fixture(scope="module")
def sleeper_links(scenario_root: Path, fixture_packages: Path, held_build_release: Path) -> Path:
    """The fixture packages plus two sdists whose builds start a child process and wait: spsleeplong for
    LONG_BUILD seconds, spsleepheld until the test lets it finish."""
    links = copy_find_links(fixture_packages, scenario_root / "interruption-find-links")
    write_sleeper_sdist(links, "spsleeplong", "1.0", LONG_BUILD)
    write_sleeper_sdist(links, "spsleepheld", "1.0", HELD_BUILD, release=held_build_release)
    return links


@pytest.fixture
def release(held_build_release: Path) -> Iterator[Path]:
    """Not there at the start of the test: spsleepheld's build waits until the test makes it."""
    held_build_release.unlink(missing_ok=True)
    yield held_build_release
    held_build_release.unlink(missing_ok=True)


@pytest.fixture
def logs(scratch: Path) -> Path:
    path = scratch / "logs"
    path.mkdir()
    return path


@pytest.fixture
def alice_cleanup(alice: User) -> Iterator[User]:
    """alice, whose processes (a build reparented to init included) and temp entries are removed after the
    test, whatever it did."""
    yield alice
    end_processes_of(alice)
    remove_new_temp_entries(alice)


def install_argv(safepip: Safepip, links: Path, package: str) -> list[str]:
    return [str(safepip.executable), "install", "--no-index", "--find-links", str(links), package]


def build_child(user: User, package: str) -> ProcessInfo | None:
    """The child process that `package`'s build backend started, once it runs."""
    token = build_child_token(package)
    return next((info for info in processes_of(user) if token in info.argv), None)


def naming(user: User, word: str) -> list[ProcessInfo]:
    """The processes of `user` with `word` in their command line."""
    return [info for info in processes_of(user) if any(word in arg for arg in info.argv)]


def exit_code_after(sig: signal.Signals) -> int:
    """What safepip's parent sees: 128+n, as a shell reports a signal; SIGKILL cannot be caught."""
    return -sig if sig == signal.SIGKILL else 128 + sig


# ---------------------------------------------------------------- a signal while pip builds


BUILD_SIGNALS = [
    pytest.param(signal.SIGTERM, None, id="SIGTERM"),
    pytest.param(signal.SIGINT, None, id="SIGINT"),
    pytest.param(signal.SIGHUP, None, id="SIGHUP"),
    # TMPDIR missing: pip works in a private safepip-tmp-* dir of safepip's, which must go too
    pytest.param(signal.SIGTERM, "missing", id="SIGTERM-private-temp"),
]


@pytest.mark.parametrize(("sig", "tmpdir"), BUILD_SIGNALS)
def test_signal_during_a_source_build_ends_the_whole_build(
    sig: signal.Signals,
    tmpdir: str | None,
    safepip: Safepip,
    alice_cleanup: User,
    sleeper_links: Path,
    template_venv: Path,
    logs: Path,
) -> None:
    alice = alice_cleanup
    venv = copy_venv(template_venv, alice.home / "venv", alice)
    env = activated(venv)
    if tmpdir == "missing":
        env["TMPDIR"] = str(alice.home / "no-such-tmp")
    run = start_as(alice, install_argv(safepip, sleeper_links, "spsleeplong"), logs, "install", env=env)
    try:
        wait_for(lambda: build_child(alice, "spsleeplong"), 60, "the build backend to start its child")
        assert run.alive(), "safepip ended before the signal"
        os.kill(run.pid, sig)
        proc = run.finish(timeout=60)
        remaining = wait_until_none_of(alice, AFTERMATH)
    finally:
        run.end()
    left = new_temp_entries(alice)

    problems = []
    if proc.returncode != exit_code_after(sig):
        problems.append(f"exit {proc.returncode}, not {exit_code_after(sig)}")
    if remaining:
        problems.append(
            f"still running {AFTERMATH:g} s after safepip exited:\n{describe_processes(remaining)}"
        )
    if left:
        problems.append(f"temp entries left: {[str(path) for path in left]}")
    if dists_under(venv, "spsleeplong"):
        problems.append("the interrupted build was installed")
    assert not problems, "\n".join(problems) + "\n" + describe(proc)
    assert root_owned_under(alice.home) == []


# ---------------------------------------------------------------- killed while waiting for the lock


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGHUP, signal.SIGTERM], ids=lambda sig: sig.name)
def test_install_signalled_while_it_waits_for_the_lock_never_installs(
    sig: signal.Signals,
    safepip: Safepip,
    alice_cleanup: User,
    sleeper_links: Path,
    template_venv: Path,
    logs: Path,
    release: Path,
) -> None:
    """Install A holds alice's venv (its build waits for the test); install B of spbase into the same venv
    waits for the lock and is signalled. Nothing of B may install spbase, then or after A is done."""
    alice = alice_cleanup
    venv = copy_venv(template_venv, alice.home / "venv", alice)
    env = activated(venv)
    holder = start_as(alice, install_argv(safepip, sleeper_links, "spsleepheld"), logs, "holder", env=env)
    waiter: Background | None = None
    try:
        wait_for(lambda: build_child(alice, "spsleepheld"), 60, "install A to build")
        waiter = start_as(alice, install_argv(safepip, sleeper_links, "spbase"), logs, "waiter", env=env)
        stderr = waiter.stderr
        wait_for(lambda: "waiting" in stderr.read_text().lower(), 60, "install B to wait for the lock")
        assert holder.alive(), "install A ended before B was signalled: B did not wait for it"
        os.kill(waiter.pid, sig)
        waited = waiter.finish(timeout=60)
        time.sleep(1)
        b_running = naming(alice, "spbase")
        release.touch()
        held = holder.finish(timeout=120)
        time.sleep(3)  # well after A ended and let go of the lock
        b_running_late = naming(alice, "spbase")
    finally:
        for run in (holder, waiter):
            if run is not None:
                run.end()

    assert held.returncode == 0 and dists_under(venv, "spsleepheld"), describe(held)
    problems = []
    if dists_under(venv, "spbase"):
        problems.append("spbase was installed by the signalled install B")
    if b_running or b_running_late:
        problems.append(
            f"B still ran after its safepip ended:\n{describe_processes(b_running + b_running_late)}"
        )
    if waited.returncode != exit_code_after(sig):
        problems.append(f"B exited {waited.returncode}, not {exit_code_after(sig)}")
    if sig != signal.SIGKILL and (left := new_temp_entries(alice)):
        problems.append(f"temp entries left: {[str(path) for path in left]}")
    assert not problems, "\n".join(problems) + "\n--- B\n" + describe(waited) + "\n--- A\n" + describe(held)


def test_nothing_is_left_running_when_the_build_ends_normally(
    safepip: Safepip, alice_cleanup: User, sleeper_links: Path, template_venv: Path, release: Path
) -> None:
    """The control: uninterrupted, the same kind of build installs and leaves nothing behind, so what the
    tests above see is the interruption's doing."""
    alice = alice_cleanup
    venv = copy_venv(template_venv, alice.home / "venv", alice)

    own = Safepip(safepip.executable, sleeper_links)
    release.touch()

    proc = own.install(alice, ["spsleepheld"], env=activated(venv))

    assert proc.returncode == 0 and "Successfully installed spsleepheld-1.0" in proc.stdout, describe(proc)
    remaining = wait_until_none_of(alice, AFTERMATH)
    assert remaining == [], describe_processes(remaining)
    assert new_temp_entries(alice) == []
