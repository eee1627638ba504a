"""The one module that starts children: the import path, the process tree and signals, timeouts. Real
processes throughout."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from safepip.util.process import (
    descendants,
    pycache_prefix,
    python_code,
    python_module,
    run_streaming,
    safe_python_environment,
)
from safepip.util.questions import ask

PYTHON = sys.executable
VERSION = ".".join(map(str, sys.version_info[:3]))


def plant_module(directory: Path, name: str, marker: Path) -> None:
    package = directory / name
    package.mkdir()
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    (package / "__main__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")


@pytest.mark.parametrize("version", [VERSION, "3.10.4"], ids=["with -P", "3.10 equivalent"])
def test_a_module_in_the_working_directory_is_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    marker = tmp_path / "ran"
    plant_module(tmp_path, "json", marker)
    monkeypatch.chdir(tmp_path)
    argv = python_module(PYTHON, version, "json.tool", "--help")
    code, _ = run_streaming(argv, os.environ, tee_stderr=False)
    assert code == 0
    assert not marker.exists()
    answer = ask(python_code(PYTHON, "import json, os; print(os.getcwd())"), os.environ, 30)
    assert answer.stdout.decode().strip() == str(tmp_path)  # the working directory itself is unchanged
    assert not marker.exists()


def test_sigterm_reaches_the_whole_tree_and_the_exit_code_is_143(tmp_path: Path) -> None:
    """safepip (here: a Python running run_streaming) gets SIGTERM while its child's child sleeps: both end,
    and safepip reports 128 + 15."""
    pid_file = tmp_path / "pids"
    driver = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[3])!r})
        from safepip.util.process import run_streaming
        code, _ = run_streaming(["/bin/sh", "-c", "sleep 300 & echo $! > {pid_file}; wait"], os.environ)
        print(code)
        """
    )
    proc = subprocess.Popen([PYTHON, "-c", driver], stdout=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 20
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sleeper = int(pid_file.read_text())
    assert sleeper in descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert out.strip() == "143"
    time.sleep(0.2)
    assert not Path(f"/proc/{sleeper}").exists() or b") Z" in Path(f"/proc/{sleeper}/stat").read_bytes()


def test_a_relative_pycache_prefix_reaches_children_as_the_directory_that_was_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert pycache_prefix({"PYTHONPYCACHEPREFIX": "pyc/../cache"}) == str(tmp_path / "cache")
    assert pycache_prefix({"PYTHONPYCACHEPREFIX": ""}) is None and pycache_prefix({}) is None
    environ = safe_python_environment({"PYTHONPYCACHEPREFIX": "cache", "PYTHONPATH": ":/opt/lib"})
    assert environ == {"PYTHONPYCACHEPREFIX": str(tmp_path / "cache"), "PYTHONPATH": "/opt/lib"}
