"""Entries with their lstat, read relative to the directory's descriptor."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from safepip.util.listing import lstat_entries


def test_entries_come_with_their_own_lstat_links_not_followed(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "dir")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    found = dict(lstat_entries(str(tmp_path)))
    assert sorted(found) == ["dangling", "dir", "file", "link"]
    assert stat.S_ISLNK(found["link"].st_mode) and stat.S_ISLNK(found["dangling"].st_mode)
    assert stat.S_ISDIR(found["dir"].st_mode) and found["file"].st_size == 1
    assert found["file"].st_ino == os.lstat(tmp_path / "file").st_ino


def test_a_directory_that_cannot_be_listed_raises(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        lstat_entries(str(tmp_path / "missing"))
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        lstat_entries(str(tmp_path / "file"))
