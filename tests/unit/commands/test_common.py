"""The target's lock and its venv: a directory another user made between the probe and safepip's mkdir."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import safepip.actions.locks as locks
from safepip.commands.common import locked_target, make_request
from safepip.errors import RefusedError
from safepip.facts.request import Options
from safepip.policy.plan import Target
from tests.unit.policy.test_decide import make_context


def test_a_venv_directory_made_by_someone_else_meanwhile_is_refused_and_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--venv PATH` missing when safepip looked; someone makes it, open to all, with a file of theirs, just
    before safepip's mkdir (forced here at that moment): refused, and nothing in it removed."""
    venv = tmp_path / "new-venv"
    make_dirs = locks.make_dirs

    def someone_first(path: str, mode: int = 0o700) -> None:
        if path == str(venv) and not venv.exists():
            venv.mkdir()
            venv.chmod(0o777)
            (venv / "theirs").write_text("")
        make_dirs(path, mode)

    monkeypatch.setattr(locks, "make_dirs", someone_first)
    context = make_context(euid=os.geteuid())
    target = Target(
        "venv", str(venv), str(venv / "bin" / "python"), "--venv given", create_from=sys.executable
    )
    said: list[str] = []
    with (
        pytest.raises(RefusedError, match="is not safe to use"),
        locked_target(context, target, make_request("install", ["x"], Options()), said.append),
    ):
        pass
    assert sorted(entry.name for entry in venv.iterdir()) == [".lock", "theirs"]
