"""The target's lock: the flock uv and filelock take, on `<venv>/.lock`; it outlives safepip in the processes
that inherit it; a lock file that is a link is refused."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from safepip.actions.locks import target_lock
from safepip.errors import LockTimeoutError, RefusedError


def test_the_lock_excludes_filelock_and_the_other_way_round(tmp_path: Path) -> None:
    path = str(tmp_path / ".lock")
    messages: list[str] = []
    with FileLock(path), pytest.raises(LockTimeoutError), target_lock(path, "the venv", 0.1, messages.append):
        pass
    assert messages == ["waiting for another install into the venv (up to 0.1 s)"]
    with target_lock(path, "the venv", 0, messages.append), pytest.raises(TimeoutError):
        FileLock(path).acquire(timeout=0)
    with FileLock(path).acquire(timeout=0):
        pass


def test_a_child_that_inherits_the_lock_keeps_it_after_safepip_lets_go(tmp_path: Path) -> None:
    path = str(tmp_path / ".lock")
    with target_lock(path, "the venv", 0, lambda _m: None) as fd:
        assert fd is not None
        os.set_inheritable(fd, True)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1.5)"], close_fds=False)
        os.set_inheritable(fd, False)
    time.sleep(0.3)
    with pytest.raises(TimeoutError):
        FileLock(path).acquire(timeout=0)  # safepip closed its descriptor; the child still holds the lock
    child.wait()
    with FileLock(path).acquire(timeout=0):
        pass


def test_a_lock_file_that_is_a_link_is_refused(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("")
    link = tmp_path / ".lock"
    link.symlink_to(elsewhere)
    with (
        pytest.raises(RefusedError, match="cannot lock"),
        target_lock(str(link), "the venv", 0, lambda _m: None),
    ):
        pass


@pytest.mark.parametrize("made_by", ["another user", "anyone (0777)"])
def test_a_venv_directory_another_user_made_since_the_probe_is_refused(tmp_path: Path, made_by: str) -> None:
    """A `--venv` path missing when safepip probed (in a sticky /tmp, say) that someone else made before
    safepip's own mkdir: the lock's directory is judged by the trust rule once the lock is held."""
    if made_by == "another user" and os.geteuid() != 0:
        pytest.skip("making a directory another user's needs root (chown)")
    uid = os.geteuid() if os.geteuid() != 0 else 54321 + 1  # root judges as an ordinary user would
    venv = tmp_path / "venv"
    venv.mkdir()
    if made_by == "another user":
        os.chown(venv, 54321, 54321)
    else:
        venv.chmod(0o777)
    entered = False
    with (
        pytest.raises(RefusedError, match="is not safe to use"),
        target_lock(str(venv / ".lock"), str(venv), 0, lambda _m: None, 0o755, trusted_by=uid),
    ):
        entered = True
    assert not entered
    mine = tmp_path / "mine"
    mine.mkdir()
    if os.geteuid() == 0:
        os.chown(tmp_path, uid, uid)
        os.chown(mine, uid, uid)
    with target_lock(str(mine / ".lock"), str(mine), 0, lambda _m: None, 0o755, trusted_by=uid) as fd:
        assert fd is not None
