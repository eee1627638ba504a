"""pip's head start, end to end through the real CLI and a fake pip that logs every start: a repeated install,
or a first one into the active venv, starts pip before deciding; a head start that the decision does not
confirm never acts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safepip import head_start
from safepip.head_start import MAX_ENTRIES
from tests.unit.fake_pip import Run, clean_environment, run_safepip

HEAD_START_LINE = "safepip: head start: pip was started before deciding"
STOPPED_LINE = (
    "safepip: head start: the last identical run decided otherwise; that pip was stopped at the gate"
)
GUESSED_LINE = "safepip: head start: pip was started before deciding, for the active virtualenv"
GUESSED_STOPPED_LINE = (
    "safepip: head start: pip was started for the active virtualenv, which is not the target; "
    "that pip was stopped at the gate"
)
ORPHAN_GRACE = 1.0  # seconds in which an early pip left running after safepip's exit would have acted


def install(python: str, workdir: Path, *args: str) -> Run:
    started = workdir / "started.jsonl"
    return run_safepip(workdir, ["-v", "--python", python, "install", *args], FAKE_PIP_STARTED=str(started))


def starts(workdir: Path) -> list[list[str]]:
    """The argv of every fake pip started so far, stopped at the gate or not."""
    started = workdir / "started.jsonl"
    lines = started.read_text(encoding="utf-8").splitlines() if started.exists() else []
    return [json.loads(line) for line in lines]


def only_entry(workdir: Path) -> Path:
    [entry] = (workdir / "home" / ".cache" / "safepip" / "head-start").iterdir()
    return entry


def rewrite_entry(entry: Path, old: str, new: str) -> None:
    fields = entry.read_bytes().split(b"\0")
    assert old.encode() in fields
    entry.write_bytes(b"\0".join(new.encode() if field == old.encode() else field for field in fields))


def test_a_repeated_install_starts_pip_before_deciding(fake_venv_python: str, workdir: Path) -> None:
    first = install(fake_venv_python, workdir, "pkg")
    assert first.code == 0, first.stderr
    assert HEAD_START_LINE not in first.stderr
    second = install(fake_venv_python, workdir, "pkg")
    assert second.code == 0, second.stderr
    assert HEAD_START_LINE in second.stderr
    assert second.recorded == ["install", *second.gate_options(), "--no-user", "pkg"]
    assert len(starts(workdir)) == 2  # one pip per run: the early one was the one that ran


def test_a_head_start_the_decision_does_not_confirm_never_acts(fake_venv_python: str, workdir: Path) -> None:
    assert install(fake_venv_python, workdir, "pkg").code == 0
    rewrite_entry(only_entry(workdir), "pkg", "stale")  # as if the last run had decided otherwise
    run = install(fake_venv_python, workdir, "pkg")
    assert run.code == 0, run.stderr
    assert HEAD_START_LINE not in run.stderr
    assert STOPPED_LINE in run.stderr
    assert run.recorded == ["install", *run.gate_options(), "--no-user", "pkg"]  # only the right one acted
    assert "Traceback" not in run.stderr and "KeyboardInterrupt" not in run.stderr  # its output is dropped
    assert only_entry(workdir).read_bytes().split(b"\0")[-1] == b"pkg"  # and the entry is right again


def test_an_install_answered_without_pip_stops_the_early_pip_and_remembers_it(
    fake_venv_python: str, workdir: Path
) -> None:
    assert install(fake_venv_python, workdir, "newpkg").code == 0
    site = Path(fake_venv_python).parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    metadata = site / "site-packages" / "newpkg-1.0.dist-info"
    metadata.mkdir()
    try:
        (metadata / "METADATA").write_text("Metadata-Version: 2.1\nName: newpkg\nVersion: 1.0\n")
        (workdir / "record.json").unlink()
        run = install(fake_venv_python, workdir, "newpkg")
        again = install(fake_venv_python, workdir, "newpkg")
    finally:
        for child in metadata.iterdir():
            child.unlink()
        metadata.rmdir()
    assert run.code == 0, run.stderr
    assert "already satisfied" in run.stderr
    time.sleep(ORPHAN_GRACE)
    assert not (workdir / "record.json").exists()  # the early pip was stopped, not left to go on
    assert only_entry(workdir).read_bytes().split(b"\0")[2] == b"0"  # the entry says: no pip
    assert again.code == 0 and "already satisfied" in again.stderr
    assert only_entry(workdir).read_bytes().split(b"\0")[2] == b"0"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the trap python to another user")
def test_a_python_that_is_no_longer_trusted_is_never_run_early(
    fake_venv_python: str, workdir: Path, tmp_path: Path
) -> None:
    assert install(fake_venv_python, workdir, "pkg").code == 0
    trap_bin = tmp_path / "trap" / "bin"
    trap_bin.mkdir(parents=True)
    fired = tmp_path / "fired"
    trap = trap_bin / "python"
    trap.write_text(f"#!/bin/sh\ntouch {fired}\n")
    trap.chmod(0o755)
    os.chown(trap, 65534, 65534)  # nobody's
    rewrite_entry(only_entry(workdir), fake_venv_python, str(trap))
    run = install(fake_venv_python, workdir, "pkg")
    assert run.code == 0, run.stderr
    assert not fired.exists()
    assert run.recorded == ["install", *run.gate_options(), "--no-user", "pkg"]


def first_install_in_venv(python: str, workdir: Path, *args: str, **extra: str) -> Run:
    """`safepip -v install …` with `python`'s venv active and no entry from an earlier run."""
    venv = str(Path(python).parent.parent)
    started = str(workdir / "started.jsonl")
    return run_safepip(workdir, ["-v", "install", *args], VIRTUAL_ENV=venv, FAKE_PIP_STARTED=started, **extra)


def test_a_first_install_starts_the_active_venvs_pip_before_deciding(
    fake_venv_python: str, workdir: Path
) -> None:
    run = first_install_in_venv(fake_venv_python, workdir, "pkg")
    assert run.code == 0, run.stderr
    assert GUESSED_LINE in run.stderr
    assert run.recorded == ["install", *run.gate_options(), "--no-user", "pkg"]
    assert len(starts(workdir)) == 1  # the early pip was the one that ran
    again = first_install_in_venv(fake_venv_python, workdir, "pkg")
    assert HEAD_START_LINE in again.stderr  # then the entry's


def test_a_guess_the_decision_does_not_confirm_never_acts(fake_venv_python: str, workdir: Path) -> None:
    target = workdir / "target"
    run = first_install_in_venv(fake_venv_python, workdir, "--target", str(target), "pkg")
    assert run.code == 0, run.stderr
    assert GUESSED_STOPPED_LINE in run.stderr
    assert run.recorded == ["install", *run.gate_options(), "--target", str(target), "pkg"]
    *stopped, right = starts(workdir)  # the guess may be stopped before its first line
    assert "--no-user" not in right and all("--no-user" in argv for argv in stopped)


def test_a_refused_install_stops_the_guess_and_remembers_no_pip(fake_venv_python: str, workdir: Path) -> None:
    run = first_install_in_venv(fake_venv_python, workdir, "--user", "pkg")  # no --user inside a venv
    assert run.code == 77, run.stderr
    time.sleep(ORPHAN_GRACE)
    assert run.recorded is None and not (workdir / "record.json").exists()  # the guess never acted
    assert only_entry(workdir).read_bytes().split(b"\0")[2] == b"0"  # no pip


@pytest.mark.parametrize(
    ("args", "extra", "pips"),
    [
        (["--python", "PYTHON", "install", "pkg"], {}, 1),  # safepip's options choose the python
        (["install", "pkg"], {"SAFEPIP_PREFER": "user"}, 1),  # or its variables may
        # pip answers these before the gate, even a pip that is then stopped: no early pip
        (["install", "--help"], {}, 0),  # (safepip's own pip shows pip's help)
        (["install", "-V"], {}, 1),
    ],
)
def test_no_guess_when_safepips_options_choose_or_pip_answers_at_once(
    fake_venv_python: str, workdir: Path, args: list[str], extra: dict[str, str], pips: int
) -> None:
    venv = str(Path(fake_venv_python).parent.parent)
    args = [fake_venv_python if arg == "PYTHON" else arg for arg in args]
    started = str(workdir / "started.jsonl")
    run = run_safepip(workdir, ["-v", *args], VIRTUAL_ENV=venv, FAKE_PIP_STARTED=started, **extra)
    assert run.code == 0, run.stderr
    assert "head start" not in run.stderr
    assert len(starts(workdir)) == pips


def test_only_the_newest_entries_are_kept(fake_venv_python: str, workdir: Path) -> None:
    directory = workdir / "home" / ".cache" / "safepip" / "head-start"
    directory.mkdir(parents=True, mode=0o700)
    for number in range(MAX_ENTRIES + 10):
        old = directory / f"old{number:02d}"
        old.write_bytes(b"")
        os.utime(old, (1_000_000 + number, 1_000_000 + number))
    assert install(fake_venv_python, workdir, "pkg").code == 0
    kept = {path.name for path in directory.iterdir()}
    assert len(kept) == MAX_ENTRIES
    assert {f"old{number:02d}" for number in range(11)}.isdisjoint(
        kept
    )  # the oldest went, the new one stayed
    assert f"old{MAX_ENTRIES + 9:02d}" in kept


def test_no_early_pip_after_a_run_that_started_none(
    fake_venv_python: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process, where the early pip is seen at once (a stopped one may never log its start)."""
    monkeypatch.setenv("HOME", str(workdir / "home"))
    monkeypatch.setenv("VIRTUAL_ENV", str(Path(fake_venv_python).parent.parent))
    for variable in [name for name in os.environ if name.startswith(("SAFEPIP_", "XDG_"))]:
        monkeypatch.delenv(variable)
    args = ["install", "pkg"]
    for remembered, expected in ((None, True), (head_start.NO_PIP, False)):
        state = head_start.HeadStart()
        monkeypatch.setattr(head_start, "STATE", state)
        if remembered is not None:
            head_start.write_entry(head_start.entry_path(args), remembered)
        head_start.start(args)
        try:
            assert (state.early is not None) is expected
        finally:
            head_start.settle()


def test_the_safepip_command_starts_pip_before_its_heavy_imports(
    fake_venv_python: str, workdir: Path
) -> None:
    """The installed command (not a console-script wrapper, which imports `re`) starts pip's head start before
    importing re, enum, typing, subprocess, threading or collections. Python logs every import in order with
    PYTHONPROFILEIMPORTTIME; the gate module is the last one safepip imports before it starts pip."""
    command = Path(sys.executable).parent / "safepip"
    if not command.exists():
        pytest.skip(f"safepip is not installed next to {sys.executable}")
    environ = clean_environment(workdir, VIRTUAL_ENV=str(Path(fake_venv_python).parent.parent))
    environ.update(PYTHONPROFILEIMPORTTIME="1", FAKE_PIP_RECORD=str(workdir / "record.json"))
    done = subprocess.run(
        [str(command), "install", "pkg"], cwd=workdir / "cwd", env=environ,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    imported = [
        line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")
    ]
    before_pip = imported[: imported.index("safepip.pip_gate")]
    assert "safepip.head_start" in before_pip
    heavy = {"re", "enum", "typing", "subprocess", "threading", "collections"}
    assert heavy.isdisjoint(before_pip), sorted(heavy.intersection(before_pip))
