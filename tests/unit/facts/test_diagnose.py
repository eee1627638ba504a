"""Cause lines read from the messages pip and build backends really print. EDQUOT and a lock-less NFS cannot
be produced on these machines: their real messages are read here (the scenario tests produce the rest)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.facts.diagnose import diagnose, mount_point, source_trees
from safepip.facts.pip_args import parse_pip_args


def test_a_full_target_filesystem_is_named_with_its_free_space(tmp_path: Path) -> None:
    target = tmp_path / "venv" / "lib" / "site-packages"
    output = f"ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device: '{target}/x.so'"
    found = diagnose(output, uid=os.geteuid(), temp_dir="/tmp", roots=(str(target),))
    assert found is not None
    assert found.cause.startswith(f"no space left on {mount_point(str(tmp_path))} (")
    assert "free; pip was writing" in found.cause and "TMPDIR" in found.fix


def test_a_disk_quota_names_the_quota_not_temp(tmp_path: Path) -> None:
    output = f"ERROR: Could not install packages due to an OSError: [Errno 122] Disk quota exceeded: '{tmp_path}/a.py'"
    found = diagnose(output, uid=os.geteuid(), temp_dir="/tmp", roots=(str(tmp_path),))
    assert found is not None and "disk quota" in found.cause and "quota -s" in found.fix


def test_a_read_only_filesystem_is_named() -> None:
    output = "OSError: [Errno 30] Read-only file system: '/usr/lib/python3/dist-packages/x'"
    found = diagnose(output, uid=1000, temp_dir="/tmp", roots=("/usr/lib/python3/dist-packages",))
    assert found is not None and "read-only filesystem" in found.cause


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write any source tree")
def test_a_build_that_writes_into_a_source_tree_the_user_cannot_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "checkout"
    (source / "src").mkdir(parents=True)
    source.chmod(0o555)
    (source / "src").chmod(0o555)
    monkeypatch.chdir(source)
    output = "error: could not create 'src/x.egg-info': Permission denied"
    try:
        found = diagnose(output, uid=os.geteuid(), temp_dir="/tmp", roots=("/elsewhere/site-packages",))
    finally:
        (source / "src").chmod(0o755)
        source.chmod(0o755)
    assert found is not None and "its source tree" in found.cause and "cp -r" in found.fix


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write any source tree")
def test_an_editable_source_tree_given_by_path_is_where_the_build_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `safepip install -e /elsewhere/checkout` from the home: setuptools names the egg-info relative to the
    # checkout, where pip runs it, not to the working directory
    source = tmp_path / "checkout"
    source.mkdir()
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    source.chmod(0o555)
    output = "error: could not create 'x.egg-info': Permission denied"
    try:
        found = diagnose(output, uid=os.geteuid(), temp_dir="/tmp", sources=(str(source),))
    finally:
        source.chmod(0o755)
    assert found is not None and f"{source}/x.egg-info into its source tree" in found.cause
    assert f"cp -r {source} " in found.fix


def test_source_trees_are_the_local_directories_pip_builds_in_place(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    args = parse_pip_args(
        ["-e", ".[dev]", "--editable", f"file://{tmp_path}/a", "./b", "requests", "-r", "a"]
    )
    assert source_trees(args, str(tmp_path)) == (str(tmp_path), str(tmp_path / "a"), str(tmp_path / "b"))


@pytest.mark.parametrize(
    "output",
    [
        "OSError: [Errno 37] No locks available",
        "OSError: [Errno 524] Unknown error 524",
        "filelock._error.Timeout: The file lock '/home/a/.cache/pip/x.lock' could not be acquired.",
    ],
)
def test_lock_failures_on_nfs(output: str) -> None:
    found = diagnose(output, uid=1000, temp_dir="/tmp")
    assert found is not None and "NFS" in found.cause
