"""safepip's own files are replaced whole, 0600, and a failed write leaves nothing behind."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from safepip.util.files import write_json


def test_a_file_is_replaced_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text("old")
    path.chmod(0o644)
    write_json(str(path), {"a": [1, "é"]})
    assert json.loads(path.read_text(encoding="utf-8")) == {"a": [1, "é"]}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["record.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text("old")
    with pytest.raises(TypeError):
        write_json(str(path), {"not json": object()})
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["record.json"]


def test_a_missing_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_json(str(tmp_path / "missing" / "record.json"), {})
