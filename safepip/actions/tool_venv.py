"""Make, link and remove the venv of `safepip self install` (facts/tool.py says where it is).

The venv is made with `python -m venv --without-pip`, which needs no ensurepip, and filled with what
safepip.pyz carries (safepip, pip and the rest, laid out as their wheels install, each with its
dist-info), compiled as pip compiles what it installs; its `safepip` script is linked into ~/.local/bin.
Nothing of it needs the archive afterwards. Its marker is written last: one without it is made again.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any

from safepip.actions.scripts import made_by_safepip
from safepip.errors import SafepipError
from safepip.facts.paths import site_packages, venv_python
from safepip.facts.tool import Tool
from safepip.util.archive import ARCHIVE_INFO, OWN_VERSION
from safepip.util.dirs import make_dirs
from safepip.util.process import python_module
from safepip.util.questions import NoAnswer, ask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

NOT_COPIED = ("__main__.py", ARCHIVE_INFO)  # the archive's own entry and its build record
# `-IS`: safepip's own Python reads no PYTHON* variable (PYTHONPATH, PYTHONHOME, ...), never imports from
# the working directory, and runs no `site`: no .pth file, no sitecustomize, and its start-up is shorter
# (the benchmark's (a) rows). What `site` would do for this venv is written out instead: the venv as
# sys.prefix (facts/choice.py's own_environment reads it), its site-packages last on the path. What pip is
# started with is checked by safepip (facts/python_trust.py).
SCRIPT = """\
#!{python} -IS
# `safepip`, put here by `safepip.pyz self install` (safepip/actions/tool_venv.py)
import sys

sys.prefix = sys.exec_prefix = {venv!r}
sys.path.append({site!r})
from safepip.cli.main import main

main()
"""
TIMEOUT = 300.0


def run_python(argv: list[str]) -> str | None:
    """Why `argv` failed; None when it succeeded."""
    try:
        done = ask(argv, os.environ, TIMEOUT)
    except NoAnswer as error:
        return str(error)
    return None if done.code == 0 else done.last_error_line()


def fill_tool_venv(venv: str, archive: str) -> None:
    """Copy the archive's packages and dist-infos into the venv's site-packages; compile; write the script."""
    import zipfile

    site = site_packages(venv)
    with zipfile.ZipFile(archive) as bundle:
        members = [name for name in bundle.namelist() if not name.endswith("/") and name not in NOT_COPIED]
        bundle.extractall(site, members=members)
    # every `safepip` starts from bytecode, whatever PYTHONDONTWRITEBYTECODE says later
    run_python(python_module(venv_python(venv), OWN_VERSION, "compileall", "-q", site))  # best effort
    script = os.path.join(venv, "bin", "safepip")
    with open(script, "w", encoding="utf-8", errors="surrogateescape") as handle:
        handle.write(SCRIPT.format(python=venv_python(venv), venv=venv, site=site))
    os.chmod(script, 0o755)


def put_tool_in_place(tool: Tool, python: str, archive: str, about: Mapping[str, Any]) -> None:
    """The tool venv made anew from `archive` with `python` (the base of the Python running safepip, so
    of the same version); its marker last."""
    if os.path.lexists(tool.venv):
        shutil.rmtree(tool.venv)
    try:
        failure = run_python(python_module(python, OWN_VERSION, "venv", "--without-pip", tool.venv))
        if failure is not None:
            raise SafepipError(
                f"could not make the venv {tool.venv} with {python}: {failure}",
                f"check that `{python} -m venv --without-pip DIR` works",
            )
        fill_tool_venv(tool.venv, archive)
        with open(tool.marker, "w", encoding="utf-8", errors="surrogateescape") as handle:
            json.dump({**about, "python": python, "from": archive}, handle, indent=1, sort_keys=True)
    except BaseException:  # a half-made tool venv is removed; one that SIGKILL left has no marker
        shutil.rmtree(tool.venv, ignore_errors=True)
        raise


def link_tool(tool: Tool) -> bool:
    """~/.local/bin/safepip leads to the tool's script; True when it was (re)made now. The caller checked
    that a link already there is safepip's own."""
    if os.path.lexists(tool.link):
        if os.path.islink(tool.link) and os.readlink(tool.link) == tool.script:
            return False
        os.unlink(tool.link)
    make_dirs(os.path.dirname(tool.link), 0o755)
    os.symlink(tool.script, tool.link)
    return True


def remove_tool(tool: Tool) -> list[str]:
    """The link (when safepip's own) and the venv, removed; what was removed."""
    removed = []
    if os.path.islink(tool.link) and made_by_safepip(tool.link, tool.data_root):
        os.unlink(tool.link)
        removed.append(f"the link {tool.link}")
    if os.path.lexists(tool.venv):
        shutil.rmtree(tool.venv)
        removed.append(tool.venv)
    return removed
