"""Directory facts: proven by a probe file, once per existing directory in a run."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts import fs


def test_missing_dirs_under_one_parent_share_its_probe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probed: list[str] = []
    write_probe = fs.write_probe

    def counted(directory: str) -> None:
        probed.append(directory)
        write_probe(directory)

    monkeypatch.setattr(fs, "write_probe", counted)
    known: dict[str, fs.DirFact] = {}
    first = fs.probe_dir(str(tmp_path / "a" / "lib"), known)
    second = fs.probe_dir(str(tmp_path / "b" / "bin"), known)
    parent = fs.probe_dir(str(tmp_path), known)
    assert probed == [str(tmp_path)]
    assert (first.path, first.exists, first.writable) == (str(tmp_path / "a" / "lib"), False, True)
    assert (second.path, second.probed, second.exists) == (str(tmp_path / "b" / "bin"), str(tmp_path), False)
    assert (parent.path, parent.exists) == (str(tmp_path), True)
    assert first._replace(path="", exists=True) == parent._replace(path="")
    assert fs.probe_dir(str(tmp_path / "a" / "lib")) == first  # the same fact without `known`
    assert probed == [str(tmp_path), str(tmp_path)]


def test_a_reused_probe_still_judges_the_path_itself(tmp_path: Path) -> None:
    """Two missing paths share their parent's probe, not its trust: `open/../x` goes through `open`."""
    safe = tmp_path / "safe"
    safe.mkdir()
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    known: dict[str, fs.DirFact] = {}
    assert fs.probe_dir(str(safe / "missing"), known).distrust is None
    through = fs.probe_dir(str(shared / ".." / "safe" / "other"), known)
    assert through.probed == str(safe) and through.distrust is not None
