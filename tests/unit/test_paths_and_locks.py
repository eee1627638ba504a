"""safepip's own dirs without platformdirs' import, and its lock without filelock's: both must give what the
libraries give, so that nothing moves and locks still exclude each other across versions of safepip."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from filelock import FileLock
from platformdirs import user_cache_dir, user_data_dir

from safepip.locking import PosixLock
from safepip.paths import cache_dir, data_dir

HOMES = ["/h/alice", "", "relative/home", None, "/"]
XDG_VALUES = ["/x/dirs", "", "relative/xdg", None, "~/x"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG answer is computed on Linux only")
@pytest.mark.parametrize("home", HOMES)
@pytest.mark.parametrize("xdg", XDG_VALUES)
def test_data_and_cache_dirs_are_platformdirs_answers(
    monkeypatch: pytest.MonkeyPatch, home: str | None, xdg: str | None
) -> None:
    for name, value in (("HOME", home), ("XDG_DATA_HOME", xdg), ("XDG_CACHE_HOME", xdg)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert data_dir() == user_data_dir("safepip", appauthor=False)
    assert cache_dir() == user_cache_dir("safepip", appauthor=False)


def test_the_lock_excludes_filelock_and_the_other_way_round(tmp_path: Path) -> None:
    path = str(tmp_path / "target.lock")
    theirs = FileLock(path)
    with theirs:
        assert not PosixLock(path).acquire(0)
    ours = PosixLock(path)
    assert ours.acquire(0)
    try:
        assert not PosixLock(path).acquire(0.1)  # another safepip, same version: it waits, then gives up
        with pytest.raises(TimeoutError):
            FileLock(path).acquire(timeout=0)
    finally:
        ours.release()
    assert PosixLock(path).acquire(0)
