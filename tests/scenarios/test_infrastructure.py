"""The scenario machinery itself: clean environments, real permissions, snapshots that notice changes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .support import (
    DEFAULT_PATH,
    assert_unwritable_by,
    assert_user_aftermath,
    dists_under,
    plain_python_purelib,
    root_owned_under,
    run_as,
    run_ok,
    snapshot,
    snapshot_diff,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario


def test_run_as_is_the_user_in_a_clean_environment(alice: User) -> None:
    proc = run_ok(alice, ["sh", "-c", "id -u; id -g; pwd; umask; env | sort"])
    uid, gid, cwd, umask, *env = proc.stdout.splitlines()
    assert (int(uid), int(gid), cwd, umask) == (alice.uid, alice.gid, str(alice.home), "0022")
    variables = {line.split("=", 1)[0]: line.split("=", 1)[1] for line in env}
    variables.pop("PWD", None)  # sh sets it itself
    assert variables == {
        "HOME": str(alice.home),
        "USER": alice.name,
        "LOGNAME": alice.name,
        "PATH": DEFAULT_PATH,
        "LANG": "C.UTF-8",
        "PIP_CONFIG_FILE": os.devnull,  # no machine pip.conf unless a test sets up its own
    }
    assert alice.home.stat().st_uid == alice.uid and alice.home.stat().st_mode & 0o777 == 0o755
    assert list(alice.home.iterdir()) == []


def test_plain_python_is_a_system_python_alice_cannot_write(
    alice: User, plain_python: Path, safepip_tool: Path, fixture_packages: Path
) -> None:
    query = "import sys, sysconfig; print(sys.prefix); print(sysconfig.get_paths()['purelib'])"
    prefix, purelib = run_ok(alice, [plain_python, "-c", query]).stdout.splitlines()
    assert Path(prefix) == plain_python.parent.parent
    assert Path(purelib) == plain_python_purelib(plain_python)
    assert not (Path(prefix) / "lib/python3.11/EXTERNALLY-MANAGED").exists()
    assert run_as(alice, [plain_python, "-c", "import pip"]).returncode != 0
    assert_unwritable_by(alice, Path(purelib))

    # what pip itself does there: a --user install, which scenario 1 expects safepip to choose too
    pip: list[str | os.PathLike[str]] = [
        safepip_tool.parent / "python",
        "-m",
        "pip",
        "--python",
        plain_python,
    ]
    run_ok(alice, [*pip, "install", "--user", "--no-index", "--find-links", fixture_packages, "spcli"])
    assert dists_under(alice.home, "spcli") == [alice.home / ".local/lib/python3.11/site-packages"]
    assert run_ok(alice, [alice.home / ".local/bin/spcli-hello"]).stdout == "hello from spcli 2.0\n"
    assert_user_aftermath(alice)


def test_snapshot_notices_content_mode_and_owner(scratch: Path, alice: User) -> None:
    tree = scratch / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "file").write_text("one")
    before = snapshot(tree)
    assert set(before) == {".", "sub", "sub/file"}
    assert snapshot(tree) == before

    (tree / "sub" / "file").write_text("two")
    assert snapshot_diff(before, snapshot(tree)) == ["~ sub/file"]
    (tree / "sub" / "file").write_text("one")
    mode = (tree / "sub" / "file").stat().st_mode
    (tree / "sub" / "file").chmod(0o600)
    assert snapshot_diff(before, snapshot(tree)) == ["~ sub/file"]
    (tree / "sub" / "file").chmod(mode)
    os.chown(tree / "sub", alice.uid, alice.gid)
    (tree / "new").symlink_to("sub")
    assert snapshot_diff(before, snapshot(tree)) == ["+ new", "~ sub"]


def test_aftermath_finds_root_owned_files_and_stray_temp_dirs(alice: User) -> None:
    assert_user_aftermath(alice)
    (alice.home / ".cache").mkdir()
    assert root_owned_under(alice.home) == [alice.home / ".cache"]
    with pytest.raises(AssertionError, match="root-owned"):
        assert_user_aftermath(alice)
    (alice.home / ".cache").rmdir()

    stray = Path(run_ok(alice, ["mktemp", "-d"]).stdout.strip())
    try:
        with pytest.raises(AssertionError, match="left temp entries behind"):
            assert_user_aftermath(alice)
    finally:
        stray.rmdir()
