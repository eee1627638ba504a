"""The pip seed from safepip.pyz: extracted once, compiled, and placed whole."""

from __future__ import annotations

from pathlib import Path

from safepip.actions.seed import seed_from_archive
from safepip.zipapp.build import write_archive


def test_the_seed_is_extracted_once_from_the_archive_and_compiled(tmp_path: Path) -> None:
    archive = tmp_path / "safepip.pyz"
    write_archive(
        {"pip/__init__.py": b"", "pip/__main__.py": b"", "pip-26.0.dist-info/METADATA": b"", "other.py": b""},
        archive,
    )
    seed = seed_from_archive(str(archive), str(tmp_path / "data"))
    assert seed == str(tmp_path / "data" / "seed" / "pip-26.0")
    assert sorted(p.name for p in Path(seed).iterdir()) == ["pip", "pip-26.0.dist-info"]
    assert list((Path(seed) / "pip" / "__pycache__").glob("__main__.*.pyc"))
    assert sorted(p.name for p in (tmp_path / "data" / "seed").iterdir()) == ["pip-26.0"]  # no .building-…
    (Path(seed) / "pip" / "__main__.py").write_text("kept")
    assert seed_from_archive(str(archive), str(tmp_path / "data")) == seed
    assert (Path(seed) / "pip" / "__main__.py").read_text() == "kept"


def test_an_archive_without_one_pip_has_no_seed(tmp_path: Path) -> None:
    archive = tmp_path / "safepip.pyz"
    write_archive({"other.py": b""}, archive)
    assert seed_from_archive(str(archive), str(tmp_path / "data")) is None
