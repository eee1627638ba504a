"""The interpreter's facts: asked once in a child that runs while safepip goes on, kept in the cache, asked
again when the cache entry is damaged; the answer reads the same from any Python 3."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safepip.facts.interpreter import query_interpreter, start_query

OTHER_PYTHONS = [python for python in ("/usr/bin/python3",) if os.path.exists(python)]


def test_the_answer_is_asked_once_then_read_from_the_cache(tmp_path: Path) -> None:
    with start_query(sys.executable, str(tmp_path)) as query:
        assert query.asking
        first = query.result()
    [entry] = (tmp_path / "interpreters").iterdir()
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    with start_query(sys.executable, str(tmp_path)) as query:
        assert not query.asking
        assert query.result() == first
    assert first.version == ".".join(map(str, sys.version_info[:3]))
    assert (
        first.prefix == sys.prefix
        and first.markers["python_version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"
    )


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"[\x00\x00\x00\x00"])
def test_a_damaged_cache_entry_is_asked_again(tmp_path: Path, damage: bytes) -> None:
    first = query_interpreter(sys.executable, str(tmp_path))
    [entry] = (tmp_path / "interpreters").iterdir()
    entry.write_bytes(damage)
    with start_query(sys.executable, str(tmp_path)) as query:
        assert query.asking
        assert query.result() == first


@pytest.mark.parametrize("python", OTHER_PYTHONS)
def test_another_python_answers_in_a_record_this_one_reads(python: str) -> None:
    found = query_interpreter(python)
    assert found.executable == python and found.scheme["purelib"].startswith("/")


def test_no_cache_where_another_user_could_have_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The home's dirs unusable and no private fallback either: nothing is read from or written to them."""
    from safepip.facts import probe
    from safepip.facts.fs import probe_dir
    from safepip.facts.own_dirs import OwnDirs
    from safepip.facts.pip_args import parse_pip_args
    from safepip.facts.request import Options, Request

    foreign = OwnDirs(probe_dir(str(tmp_path / "data")), probe_dir(str(tmp_path / "cache")), None, "not safe")
    monkeypatch.setattr(probe, "own_dirs", lambda _uid: foreign)
    request = Request("install", parse_pip_args(["x"]), Options(python=sys.executable))
    context = probe.probe_context(request, dict(os.environ, HOME=str(tmp_path)), str(tmp_path))
    assert context.interpreter is not None and context.own_cache is None
    assert not (tmp_path / "cache").exists()
