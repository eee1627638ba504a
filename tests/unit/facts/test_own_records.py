"""safepip's own files are replaced whole, 0600, and a failed write leaves nothing behind; a damaged record
reads as nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.facts.own_records import decode_record, read_record, write_record

VALUE = {"a": [1, "é", None, True], "path": "/tmp/\udcff-not-utf-8", "nested": {"b": [("c", 2)]}}


def test_a_file_is_replaced_whole_and_private(tmp_path: Path) -> None:
    path = tmp_path / "record"
    path.write_text("old")
    path.chmod(0o644)
    write_record(str(path), VALUE)
    assert read_record(str(path)) == VALUE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["record"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "record"
    path.write_text("old")
    with pytest.raises(ValueError):
        write_record(str(path), {"not plain": object()})
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["record"]


def test_a_missing_directory_is_an_os_error(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_record(str(tmp_path / "missing" / "record"), {})


def test_a_link_in_its_place_is_never_written_through(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("theirs")
    (tmp_path / "record").symlink_to(elsewhere)
    write_record(str(tmp_path / "record"), VALUE)  # the link is replaced, not followed
    assert elsewhere.read_text() == "theirs"
    assert not (tmp_path / "record").is_symlink()


@pytest.mark.parametrize("data", [b"", b"{", b"\xff" * 16, b"[\x05\x00\x00\x00"])
def test_damaged_bytes_are_no_record(tmp_path: Path, data: bytes) -> None:
    assert decode_record(data) is None
    (tmp_path / "record").write_bytes(data)
    assert read_record(str(tmp_path / "record")) is None
    assert read_record(str(tmp_path / "missing")) is None


@pytest.mark.parametrize("python", sorted({sys.executable, "/usr/bin/python3"}))
def test_another_python_writes_records_this_one_reads(python: str) -> None:
    """The interpreter query answers in a record: the same bytes from any Python 3."""
    if not os.path.exists(python):
        pytest.skip(f"{python} is not on this machine")
    code = f"import marshal, sys; sys.stdout.buffer.write(marshal.dumps({VALUE!r}, 2))"
    done = subprocess.run([python, "-S", "-c", code], capture_output=True, check=True)
    assert decode_record(done.stdout) == VALUE


def test_a_record_is_read_only_from_a_regular_file_of_this_users_that_nobody_else_can_write(
    tmp_path: Path,
) -> None:
    """A team's shared venv holds the preflight record: another member's file, a FIFO or a link is no record."""
    path = tmp_path / "record"
    write_record(str(path), VALUE)
    assert read_record(str(path)) == VALUE
    path.chmod(0o620)  # group-writable: a member could have written it
    assert read_record(str(path)) is None
    path.chmod(0o600)
    (tmp_path / "link").symlink_to(path)
    assert read_record(str(tmp_path / "link")) is None
    os.mkfifo(tmp_path / "fifo", 0o600)
    assert read_record(str(tmp_path / "fifo")) is None  # returns at once: never waits for a writer
    if os.geteuid() == 0:
        os.chown(path, 54321, -1)  # another user's file
        assert read_record(str(path)) is None
