"""The venv of `safepip self install` and the launchers safepip starts from: neither the installed `safepip`
nor safepip.pyz imports anything from the working directory, whatever PYTHONPATH says (an empty entry, as
`export PYTHONPATH=/opt/app:$PYTHONPATH` leaves when it was unset, means the working directory)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from safepip.actions.tool_venv import put_tool_in_place
from safepip.facts.tool import Tool
from safepip.zipapp.build import CHECKOUT, MAIN, source_entries, write_archive

# what a run of safepip imports after its start-up, and the package itself
PLANTED = ("safepip", "json", "zipfile", "argparse", "select", "fcntl", "shutil", "tempfile", "subprocess")
STUB_MAIN = "def main():\n    print('the real safepip ran')\n"


def plant_modules(directory: Path, marker: Path) -> None:
    """Packages in `directory` that leave `marker` behind when imported."""
    for name in PLANTED:
        package = directory / name
        package.mkdir()
        (package / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\n")


def planted_dir(tmp_path: Path, under: str = ".") -> tuple[Path, Path]:
    """The working directory, with the modules planted in it or in `under` inside it."""
    workdir, marker = tmp_path / "work", tmp_path / "imported"
    (workdir / under).mkdir(parents=True)
    plant_modules(workdir / under, marker)
    return workdir, marker


def environ_with_empty_pythonpath_entry() -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
        "PYTHONPATH": ":/nonexistent",
    }


def make_tool(tmp_path: Path) -> Tool:
    """A self-install from an archive whose safepip is a stub that says it ran."""
    archive = tmp_path / "stub.pyz"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("safepip/__init__.py", "")
        bundle.writestr("safepip/cli/__init__.py", "")
        bundle.writestr("safepip/cli/main.py", STUB_MAIN)
    venv = tmp_path / "data" / "tool"
    venv.parent.mkdir()
    tool = Tool(str(venv.parent), str(venv), str(venv / "bin" / "safepip"), str(tmp_path / "bin" / "safepip"))
    put_tool_in_place(tool, sys.executable, str(archive), {"build": "stub"})
    return tool


def test_the_installed_safepip_imports_nothing_from_the_working_directory(tmp_path: Path) -> None:
    tool = make_tool(tmp_path)
    workdir, marker = planted_dir(tmp_path)
    done = subprocess.run([tool.script], cwd=workdir, env=environ_with_empty_pythonpath_entry(),
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert (done.returncode, done.stdout) == (0, "the real safepip ran\n"), done.stderr
    assert not marker.exists(), marker.read_text()


@pytest.mark.parametrize(
    ("pythonpath", "under"), [(":/nonexistent", "."), ("/nonexistent:", "."), ("lib", "lib")]
)
def test_the_pyz_imports_nothing_from_the_working_directory(
    tmp_path: Path, pythonpath: str, under: str
) -> None:
    """safepip.pyz's own code (its `__main__.py` and safepip's sources; no carried wheels here): `--help`
    imports argparse and the rest after start-up, where PYTHONPATH comes before the standard library."""
    archive = tmp_path / "safepip.pyz"
    entries = source_entries(CHECKOUT)
    entries["__main__.py"] = MAIN.format(minimum=(3, 10), requires=">=3.10").encode()
    write_archive(entries, archive)
    workdir, marker = planted_dir(tmp_path, under)
    environ = {**environ_with_empty_pythonpath_entry(), "PYTHONPATH": pythonpath}
    done = subprocess.run([sys.executable, str(archive), "--help"], cwd=workdir, env=environ,
                          capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0 and "usage:" in done.stdout, done.stderr
    assert not marker.exists(), marker.read_text()
