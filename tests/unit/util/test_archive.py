"""Running from safepip.pyz: found from the package's own location, and the carried modules started through
the archive's hidden entries. A real archive of this checkout's safepip package, run by a real Python."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from safepip.util.archive import OWN_VERSION, own_module, running_archive
from safepip.util.process import python_file, python_module
from safepip.zipapp.build import source_entries, write_archive

CHECKOUT = Path(__file__).resolve().parents[3]
REPORT = b"""\
import json, sys
from safepip.util.archive import own_module, running_archive
print(json.dumps([running_archive(), own_module("pip", "list"), own_module("virtualenv", "v")]))
"""


def test_an_installed_safepip_runs_its_own_modules_with_dash_m() -> None:
    assert running_archive() is None
    assert own_module("pip", "list") == python_module(sys.executable, OWN_VERSION, "pip", "list")


def test_from_the_archive_they_run_through_its_hidden_entries(tmp_path: Path) -> None:
    archive = tmp_path / "safepip.pyz"
    write_archive({**source_entries(CHECKOUT), "__main__.py": REPORT}, archive)
    planted = tmp_path / "cwd" / "json"  # the working directory is never on the archive's import path
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text("raise SystemExit('imported from the working directory')\n")
    done = subprocess.run(
        python_file(sys.executable, OWN_VERSION, str(archive)),
        cwd=planted.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found, pip, virtualenv = json.loads(done.stdout)
    assert found == str(archive)
    assert pip == python_file(sys.executable, OWN_VERSION, str(archive), "__pip__", "list")
    assert virtualenv == python_file(sys.executable, OWN_VERSION, str(archive), "__virtualenv__", "v")
