"""Which Python an install is for: the activated project venv is checked once, and a distrusted one is still
refused when it is the one activated."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from safepip.facts import choice
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.request import Request
from safepip.facts.trust import Distrust
from tests.unit.facts.test_trust import real_venv


def counted_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The Pythons choice.py checks by the trust rule, in turn."""
    checked: list[str] = []
    check = choice.python_distrust

    def counting(python: str, *args: Any, **kwargs: Any) -> Any:
        checked.append(python)
        return check(python, *args, **kwargs)

    monkeypatch.setattr(choice, "python_distrust", counting)
    return checked


def chosen_in(project: Path, environ: dict[str, str]) -> choice.InterpreterChoice:
    uid = os.geteuid()
    venvs = choice.find_project_venvs(str(project), str(project), uid)
    request = Request("install", parse_pip_args(["x"]))
    named = choice.named_python(request, environ)
    return choice.choose_interpreter(request, environ, venvs, "", uid, named)


def test_the_activated_project_venv_is_checked_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    venv = real_venv(tmp_path / "project" / ".venv")
    python = str(venv / "bin" / "python")
    checked = counted_checks(monkeypatch)

    made = chosen_in(tmp_path / "project", {"VIRTUAL_ENV": str(venv), "PATH": "/usr/bin"})

    assert (made.python, made.source, made.active_env, made.refused) == (
        python,
        "VIRTUAL_ENV",
        str(venv),
        None,
    )
    assert checked == [python]


def test_an_activated_project_venv_others_can_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    venv = real_venv(tmp_path / "project" / ".venv")
    (venv / "bin").chmod(0o777)
    python = str(venv / "bin" / "python")
    checked = counted_checks(monkeypatch)

    made = chosen_in(tmp_path / "project", {"VIRTUAL_ENV": str(venv), "PATH": "/usr/bin"})

    assert made.python == python and made.refused is not None and "every user" in made.refused, made
    assert checked == [python, python]  # as a project venv, then as the one activated


def test_a_shared_environment_is_said_once_for_each_group() -> None:
    """What each group of the user's can change in the environment they activated: one line per group, the
    same group found again (the venv's bin, then its site-packages) not said twice."""
    team = Distrust("/v/bin", "group team", group=1500)
    again = Distrust("/v/lib/python3.11/site-packages", "group team", group=1500)
    other = Distrust("/v/lib/python3.11/site-packages/x.pth", "group other", group=1600)
    made = choice.InterpreterChoice("/v/bin/python", "VIRTUAL_ENV", "/v", shared_with=(team,))

    said = made.shared_also(again).shared_also(other).trust_notices

    assert len(said) == 2, said
    assert said[0].startswith("/v is shared: /v/bin is writable by group team")
    assert said[1].startswith(
        "/v is shared: /v/lib/python3.11/site-packages/x.pth is writable by group other"
    )


def test_without_path_the_pythons_are_looked_for_where_execvp_looks() -> None:
    """PATH unset (`env -i`): os.defpath, as a shell or execvp would search; PATH set but empty: nowhere."""
    on_defpath = [
        os.path.join(directory, name)
        for directory in os.defpath.split(os.pathsep)
        if directory
        for name in ("python3", "python")
        if os.access(os.path.join(directory, name), os.X_OK)
    ]
    if not on_defpath:
        pytest.skip(f"no python3 in {os.defpath}")
    assert choice.path_pythons({}, "") == on_defpath
    assert choice.path_pythons({"PATH": ""}, "") == []
