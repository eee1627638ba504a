"""The venv of `safepip self install`: its `safepip` imports nothing from the working directory and reads no
PYTHON* variable, whatever the shell has (an empty PYTHONPATH entry, as `export PYTHONPATH=/opt/app:$PYTHONPATH`
leaves when it was unset, means the working directory). The other launchers: tests/unit/test_launchers.py."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

from safepip.actions.tool_venv import put_tool_in_place
from safepip.facts.tool import Tool
from tests.unit.planting import plant_bytecode, plant_modules

STUB_MAIN = "import keyword\n\ndef main():\n    print('the real safepip ran')\n"


def make_tool(tmp_path: Path, main: str = STUB_MAIN) -> Tool:
    """A self-install from an archive whose safepip is a stub (`main`: by default, one that says it ran)."""
    archive = tmp_path / "stub.pyz"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("safepip/__init__.py", "")
        bundle.writestr("safepip/cli/__init__.py", "")
        bundle.writestr("safepip/cli/main.py", main)
    venv = tmp_path / "data" / "tool"
    venv.parent.mkdir()
    tool = Tool(str(venv.parent), str(venv), str(venv / "bin" / "safepip"), str(tmp_path / "bin" / "safepip"))
    put_tool_in_place(tool, sys.executable, str(archive), {"build": "stub"})
    return tool


def test_the_installed_safepip_imports_nothing_from_the_working_directory(tmp_path: Path) -> None:
    tool = make_tool(tmp_path)
    workdir, marker, prefix = tmp_path / "work", tmp_path / "imported", tmp_path / "pyc"
    workdir.mkdir()
    plant_modules(workdir, marker)
    plant_bytecode(prefix, "keyword", marker)
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    environ.update(PYTHONPATH=":/nonexistent", PYTHONPYCACHEPREFIX=str(prefix))
    done = subprocess.run([tool.script], cwd=workdir, env=environ, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "the real safepip ran\n"), done.stderr
    assert not marker.exists(), marker.read_text()


PRINT_START = (
    "import sys\n\ndef main():\n    print('site' in sys.modules, sys.prefix, sys.exec_prefix, sys.path[-1])\n"
)


def test_the_installed_safepip_runs_no_site_and_knows_its_venv(tmp_path: Path) -> None:
    """`-IS`: no site module (no .pth file runs, a shorter start-up), and what site would have set is set:
    the venv as sys.prefix, which own_environment reads to never take safepip's own Python as a target."""
    tool = make_tool(tmp_path, PRINT_START)
    done = subprocess.run([tool.script], capture_output=True, text=True, timeout=60, check=False)
    site = Path(tool.venv, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    assert done.stdout.split() == ["False", tool.venv, tool.venv, str(site)], done.stderr
