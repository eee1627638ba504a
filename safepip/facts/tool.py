"""Where `safepip self install` keeps safepip, and what is there now. Reads only.

The tool is a venv of its own, `<data dir>/tool`, with its `safepip` script linked into ~/.local/bin, as
pipx would put it (actions/tool_venv.py makes it); its marker, written last, records which build of
safepip.pyz it came from.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from safepip.errors import RefusedError
from safepip.facts.own_dirs import OwnDirs
from safepip.facts.python_trust import python_distrust
from safepip.facts.trust import distrust
from safepip.util.named_tuple import NamedTuple

COMMAND = "safepip"
TOOL_MARKER = ".safepip-tool.json"


class Tool(NamedTuple):
    data_root: str
    venv: str
    script: str  # <venv>/bin/safepip
    link: str  # ~/.local/bin/safepip

    @property
    def marker(self) -> str:
        return os.path.join(self.venv, TOOL_MARKER)


def locate_tool(dirs: OwnDirs, user_bin: str) -> Tool:
    """Where the self-install lives; refused when the home's data dir cannot be used (no private fallback:
    a command on PATH needs a home of the user's)."""
    if dirs.private_root is not None or not dirs.data.writable:
        raise RefusedError(
            f"no place for safepip's own venv: {dirs.home_problem or dirs.data.path + ' is not writable'}",
            "set HOME to a directory of yours that you can write, or run safepip.pyz directly",
        )
    venv = os.path.join(dirs.data.path, "tool")
    return Tool(
        data_root=dirs.data.path,
        venv=venv,
        script=os.path.join(venv, "bin", COMMAND),
        link=os.path.join(user_bin, COMMAND),
    )


def installed_tool(tool: Tool) -> dict[str, Any] | None:
    """The marker of a complete self-install (the build it came from), or None."""
    try:
        with open(tool.marker, encoding="utf-8") as handle:
            marker = json.load(handle)
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) and os.path.isfile(tool.script) else None


def tool_python() -> str:
    """The interpreter the tool venv is made from: the one running safepip, or the base of its venv."""
    python: str = getattr(sys, "_base_executable", None) or sys.executable
    found = python_distrust(python)
    if found is not None:
        raise RefusedError(
            f"will not make a venv from {python}: {found.reason()}", "run safepip.pyz with a Python you trust"
        )
    return python


def archive_distrust(archive: str) -> str | None:
    """Why the safepip.pyz a user named for `self update` must not be run; None when it may."""
    found = distrust(archive)
    return found.reason() if found is not None else None
