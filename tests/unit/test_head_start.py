"""pip's head start, end to end through the real CLI and a fake pip that logs every start: a repeated install
starts pip before deciding, and a head start that the new decision does not confirm never acts."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.unit.fake_pip import Run, run_safepip

HEAD_START_LINE = "safepip: head start: pip was started before deciding"
STOPPED_LINE = (
    "safepip: head start: the last identical run decided otherwise; that pip was stopped at the gate"
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


def test_an_install_answered_without_pip_stops_the_early_pip_and_forgets(
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
    finally:
        for child in metadata.iterdir():
            child.unlink()
        metadata.rmdir()
    assert run.code == 0, run.stderr
    assert "already satisfied" in run.stderr
    time.sleep(ORPHAN_GRACE)
    assert not (workdir / "record.json").exists()  # the early pip was stopped, not left to go on
    assert not any((workdir / "home" / ".cache" / "safepip" / "head-start").iterdir())


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
