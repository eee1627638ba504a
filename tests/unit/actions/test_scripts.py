"""Console scripts: only the named projects' are linked, pip-* tools included, the venv's own never; a link
of safepip's that led elsewhere is moved only with a line that says so; files that are not safepip's stay."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.actions.scripts import (
    link_scripts,
    named_projects,
    project_scripts,
    remove_dangling_links,
    top_level_of,
    venv_own,
)

SITE = "lib/python3.11/site-packages"


def dist(venv: Path, name: str, version: str, scripts: list[str], requires: list[str] = ()) -> None:  # type: ignore[assignment]
    info = venv / SITE / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires)
        + "\nbody\n"
    )
    (info / "RECORD").write_text("".join(f"../../../bin/{s},sha256=x,1\n" for s in scripts))
    (venv / "bin").mkdir(exist_ok=True)
    for script in scripts:
        path = venv / "bin" / script
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)


def test_named_projects_scripts_only_and_pip_tools_too(tmp_path: Path) -> None:
    venv = tmp_path / "data" / "venvs" / "v"
    dist(venv, "jupyterlab", "4.0", ["jupyter-lab", "jlpm"], requires=["jupyter-server>=2"])
    dist(venv, "jupyter_server", "2.0", ["jupyter-server"])
    dist(venv, "pip_tools", "7.0", ["pip-compile", "pip-sync"])
    (venv / "bin" / "pip3.11").write_text("#!/bin/sh\n")
    (venv / "bin" / "pip3.11").chmod(0o755)
    names, unnamed = named_projects(["jupyterlab>=4", "pip-tools", "./local-dir"])
    assert names == {"jupyterlab", "pip-tools"} and unnamed
    site = str(venv / SITE)
    scripts = project_scripts(site, names) | {"pip3.11"}
    report = link_scripts(str(venv), scripts, str(tmp_path / "bin"), str(tmp_path / "data"))
    assert sorted(os.path.basename(link) for link in report.linked) == [
        "jlpm",
        "jupyter-lab",
        "pip-compile",
        "pip-sync",
    ]
    infos = {"jupyterlab-4.0.dist-info", "jupyter_server-2.0.dist-info"}
    assert top_level_of(site, infos) == {"jupyterlab"}  # jupyter-server came as a dependency


def test_a_link_into_another_venv_is_moved_and_said_and_a_stranger_is_left(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old, new = data / "venvs" / "old", data / "overlays" / "new"
    dist(old, "tool", "1.0", ["tool", "other"])
    dist(new, "tool", "2.0", ["tool", "other"])
    user_bin = tmp_path / "bin"
    user_bin.mkdir()
    (user_bin / "tool").symlink_to(old / "bin" / "tool")
    (user_bin / "other").write_text("mine")
    report = link_scripts(str(new), {"tool", "other"}, str(user_bin), str(data))
    assert report.moved == [(str(user_bin / "tool"), str(old / "bin" / "tool"))]
    assert report.left_alone == [str(user_bin / "other")]
    assert os.readlink(user_bin / "tool") == str(new / "bin" / "tool")
    again = link_scripts(str(new), {"tool"}, str(user_bin), str(data))
    assert (again.linked, again.moved) == ([], [])  # already there: nothing to say


def test_a_relative_link_of_the_users_own_is_read_from_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`~/.local/bin/tool -> ../mytools/tool`, the user's own: left alone from whatever working directory,
    also one where that relative path would lead into safepip's data dir."""
    data = tmp_path / "data"
    venv = data / "venvs" / "v"
    dist(venv, "tool", "1.0", ["tool"])
    (tmp_path / "mytools").mkdir()
    (tmp_path / "mytools" / "tool").write_text("#!/bin/sh\n")
    user_bin = tmp_path / "home" / "bin"
    user_bin.mkdir(parents=True)
    (user_bin / "tool").symlink_to("../../mytools/tool")
    monkeypatch.chdir(venv / "bin")  # from here, ../../mytools/tool is inside the data dir

    report = link_scripts(str(venv), {"tool"}, str(user_bin), str(data))

    assert report.left_alone == [str(user_bin / "tool")]
    assert os.readlink(user_bin / "tool") == "../../mytools/tool"


@pytest.mark.parametrize("name", ["python", "python3.11", "pip", "pip3", "pip3.11", "pydoc3", "idle3.1",
                                  "wheel", "activate", "activate.fish", "deactivate", "pip-compile", "pip.",
                                  "python3.", "pythonx", "pip3²", "pip٣", "tool", "pip3..1", "pipx"])  # fmt: skip
def test_a_venvs_own_script_is_told_as_the_pattern_tells_it(name: str) -> None:
    own = re.compile(r"(python|pip|pip3|pydoc|idle|wheel)(\d+(\.\d+)*)?|activate.*|deactivate")
    assert venv_own(name) == bool(own.fullmatch(name)), name


def test_what_a_link_reads_imports_no_re() -> None:
    """After every install into a managed venv, and on a satisfied one, the projects named are read: without
    `re`, whose import costs more than the rest of that work (benchmark row (f))."""
    code = (
        "import sys; from safepip.actions.scripts import named_projects, venv_own; "
        "assert named_projects(['spcli>=2', './x']) == ({'spcli'}, True); assert venv_own('pip3.11'); "
        "print('re' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False"]


def test_only_links_shaped_as_safepip_makes_them_are_removed_when_dangling(tmp_path: Path) -> None:
    venv, user_bin = tmp_path / "venv", tmp_path / "bin"
    (venv / "bin").mkdir(parents=True)
    user_bin.mkdir()
    (user_bin / "gone").symlink_to(venv / "bin" / "gone")  # as link_scripts makes it; its script is gone
    (user_bin / "mine").symlink_to(venv / "bin" / "other")  # the user's own name for it
    (user_bin / "relative").symlink_to(os.path.relpath(venv / "bin" / "relative", user_bin))
    (venv / "bin" / "here").write_text("")
    (user_bin / "here").symlink_to(venv / "bin" / "here")  # its script is there
    assert remove_dangling_links(str(user_bin), str(venv)) == [str(user_bin / "gone")]
    assert sorted(os.listdir(user_bin)) == ["here", "mine", "relative"]
