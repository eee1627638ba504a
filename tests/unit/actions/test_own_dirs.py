"""safepip's own pip cache (actions/own_dirs.py): 0700 and the user's, or emptied and made so."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from safepip.actions.own_dirs import private_pip_cache


def test_a_missing_cache_is_made_private(tmp_path: Path) -> None:
    cache = tmp_path / "cache" / "pip-cache"
    assert private_pip_cache(str(cache), os.geteuid()) is None
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700 and stat.S_IMODE(cache.parent.stat().st_mode) == 0o700


def test_a_private_cache_is_kept_as_it_is(tmp_path: Path) -> None:
    cache = tmp_path / "pip-cache"
    (cache / "wheels").mkdir(parents=True)
    cache.chmod(0o700)
    (cache / "wheels" / "kept.whl").write_text("")
    assert private_pip_cache(str(cache), os.geteuid()) is None
    assert (cache / "wheels" / "kept.whl").exists()


def test_a_cache_that_was_open_to_others_is_emptied_and_made_private(tmp_path: Path) -> None:
    cache = tmp_path / "pip-cache"
    (cache / "wheels" / "d8").mkdir(parents=True)
    (cache / "wheels" / "d8").chmod(0o777)
    (cache / "wheels" / "d8" / "planted.whl").write_text("")
    cache.chmod(0o755)
    said = private_pip_cache(str(cache), os.geteuid())
    assert said == f"emptied safepip's own pip cache {cache}: it was open to other users"
    assert list(cache.iterdir()) == [] and stat.S_IMODE(cache.stat().st_mode) == 0o700
    link = tmp_path / "linked-cache"
    link.symlink_to(tmp_path / "elsewhere")
    assert private_pip_cache(str(link), os.geteuid()) is not None
    assert link.is_dir() and not link.is_symlink()
