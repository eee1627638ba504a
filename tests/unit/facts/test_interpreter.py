"""The interpreter's facts: asked once in a child that runs while safepip goes on, kept in the cache, asked
again when the cache entry is damaged; the answer reads the same from any Python 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.facts.interpreter import query_interpreter, start_query

OTHER_PYTHONS = [python for python in ("/usr/bin/python3",) if os.path.exists(python)]


def make_venv(base: str, where: Path, *options: str) -> str:
    """`base -m venv --without-pip [options] where`; its python."""
    subprocess.run([base, "-m", "venv", "--without-pip", *options, str(where)], check=True)
    return str(where / "bin" / "python")


def asked_venv(where: Path, base: str = sys.executable) -> str:
    """A venv whose interpreter is asked: a copy of the binary (`--copies`) is not safepip's own Python, so
    its answer is not read here (same_python.py)."""
    return make_venv(base, where, "--copies")


def test_the_answer_is_asked_once_then_read_from_the_cache(tmp_path: Path) -> None:
    python = asked_venv(tmp_path / "venv")
    with start_query(python, str(tmp_path / "cache")) as query:
        assert query.asking
        first = query.result()
    [entry] = (tmp_path / "cache" / "interpreters").iterdir()
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    with start_query(python, str(tmp_path / "cache")) as query:
        assert not query.asking and not query.reading
        assert query.result() == first
    assert first.version == ".".join(map(str, sys.version_info[:3]))
    assert (
        first.prefix == str(tmp_path / "venv")
        and first.markers["python_version"] == f"{sys.version_info[0]}.{sys.version_info[1]}"
    )


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"[\x00\x00\x00\x00"])
def test_a_damaged_cache_entry_is_asked_again(tmp_path: Path, damage: bytes) -> None:
    python = asked_venv(tmp_path / "venv")
    first = query_interpreter(python, str(tmp_path / "cache"))
    [entry] = (tmp_path / "cache" / "interpreters").iterdir()
    entry.write_bytes(damage)
    with start_query(python, str(tmp_path / "cache")) as query:
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


@pytest.mark.parametrize("base", [sys.executable, *OTHER_PYTHONS])
def test_pth_files_read_while_the_python_answers_are_taken_only_where_it_names_those_site_dirs(
    tmp_path: Path, base: str
) -> None:
    """The .pth files of the site dir a venv most likely has are read while its interpreter is asked; the
    answer takes that reading when that site dir is the one of those it names that exists (Debian's Python
    names dist-packages dirs too), and reads its own otherwise."""
    from safepip.facts.paths import likely_site_dir

    python = asked_venv(tmp_path / "venv", base)
    guessed = likely_site_dir(python)
    assert guessed is not None
    site = Path(guessed[0])
    (site / "hook.pth").write_text("import hook_before\n")
    with start_query(python, str(tmp_path / "cache")) as query:
        assert query.asking
        query.read_ahead([str(site)], guessed[1])
        (site / "hook.pth").write_text("import hook_after\n")  # after the reading: the reading is taken
        found = query.result()
    assert "hook_before" in found.pth_imports and "hook_after" not in found.pth_imports

    with start_query(python) as query:  # a guess that the answer does not bear out is not taken
        query.read_ahead([str(tmp_path / "elsewhere")], guessed[1])
        assert "hook_after" in query.result().pth_imports
    with start_query(python) as query:
        query.read_ahead([str(site)], (guessed[1][0], guessed[1][1] + 1))  # another version: read again
        assert "hook_after" in query.result().pth_imports


@pytest.mark.parametrize("kind", ["asked", "read here"])
def test_the_callers_own_work_runs_while_the_interpreter_answers_or_its_trees_are_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """probe_context's `meanwhile` (an install imports its later stages there) runs once: while the
    interpreter is asked, before its answer is read; else (the answer read here, or kept) while find checks
    the venv's trees (tree_check.TreeCheck), before its verdict is read."""
    from safepip.facts import probe, tree_check
    from safepip.facts.pip_args import parse_pip_args
    from safepip.facts.request import Options, Request

    venv = tmp_path / "venv"
    python = asked_venv(venv) if kind == "asked" else make_venv(sys.executable, venv)
    (venv / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" / "site-packages" / "pip").mkdir()
    request = Request("install", parse_pip_args(["x"]), Options(python=python))
    monkeypatch.setenv("HOME", str(tmp_path))  # safepip's own dirs: a new home's
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    environ = dict(os.environ)
    calls: list[bool] = []

    read: list[str] = []
    walked = tree_check.TreeCheck.walked
    monkeypatch.setattr(tree_check.TreeCheck, "walked", lambda check: read.append("walked") or walked(check))

    def meanwhile() -> None:
        calls.append(any((tmp_path / "cache").rglob("interpreters/*")))
        read.append("meanwhile")

    first = probe.probe_context(request, environ, str(tmp_path), meanwhile=meanwhile)
    # an asked answer is written once read, after the caller's work, and find is not started beside the
    # interpreter asked (its trees are walked here in the wait); an answer read here is written before it
    assert calls == [kind != "asked"]
    assert read == (["meanwhile"] if kind == "asked" else ["meanwhile", "walked"])
    assert first.interpreter is not None and any((tmp_path / "cache").rglob("interpreters/*"))
    second = probe.probe_context(request, environ, str(tmp_path), meanwhile=meanwhile)
    assert calls[1:] == [True] and second.interpreter == first.interpreter
    assert read[-2:] == ["meanwhile", "walked"]


def test_a_pth_file_that_appears_while_the_site_dir_is_read_makes_the_cached_answer_stale(
    tmp_path: Path,
) -> None:
    """The cache keeps the .pth files' stamps as they were before they were read: one that appears (or
    changes) after the reading, while the interpreter still answers, is not missing from every later run's
    answer; the next run asks again and reads it."""
    from safepip.facts.paths import likely_site_dir

    python = asked_venv(tmp_path / "venv")
    guessed = likely_site_dir(python)
    assert guessed is not None
    site = Path(guessed[0])
    cache = str(tmp_path / "cache")
    with start_query(python, cache) as query:
        query.read_ahead([str(site)], guessed[1])
        (site / "late.pth").write_text("import late_hook\n")  # after the reading, before the answer is kept
        assert "late_hook" not in query.result().pth_imports
    with start_query(python, cache) as query:
        assert query.asking  # the kept answer does not describe the site dir as it is now
        assert "late_hook" in query.result().pth_imports
    with start_query(python, cache) as query:
        assert not query.asking
    (site / "late.pth").write_text("import later_hook\n")  # the same name, other content
    with start_query(python, cache) as query:
        assert query.asking and "later_hook" in query.result().pth_imports


def test_a_site_dir_that_appears_after_the_answer_was_kept_makes_it_stale(tmp_path: Path) -> None:
    """Every site dir site.main() would start from is in the answer's stamps, there or not (Debian's Python
    names dist-packages dirs a venv does not have): one that appears later is read at start-up, unchecked
    by an answer that did not know it, so the answer is asked again."""
    from safepip.facts.interpreter import cached_answer, keep_answer

    venv = tmp_path / "venv"
    python = make_venv(sys.executable, venv)
    with start_query(python) as query:
        query.result()
        raw = dict(query.raw or {})
    later = venv / "lib" / "python3" / "dist-packages"
    raw["site_candidates"] = [*raw["site_candidates"], str(later)]
    entry = str(tmp_path / "entry")
    keep_answer(entry, python, raw)
    assert cached_answer(entry) is not None
    later.mkdir(parents=True)
    assert cached_answer(entry) is None
