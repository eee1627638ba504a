"""safepip reads pip's config files as pip does: compared with `pip config list` of the real pip."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from safepip.facts.pip_config import PipSetting, read_pip_switches


def pip_config_keys(environ: dict[str, str]) -> set[str]:
    """The keys of the [global] and [install] settings pip loaded from files."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        env=environ, capture_output=True, text=True, check=True, timeout=60,
    ).stdout  # fmt: skip
    keys = set()
    for line in listed.splitlines():
        section, _, rest = line.partition(".")
        if section in ("global", "install"):
            keys.add(rest.split("=", 1)[0])
    return keys


@pytest.mark.parametrize("config_file", [None, "file", os.devnull])
def test_the_files_pip_reads(tmp_path: Path, config_file: str | None) -> None:
    (tmp_path / "xdg" / "pip").mkdir(parents=True)
    (tmp_path / "xdg" / "pip" / "pip.conf").write_text("[global]\ntimeout = 7\n")
    (tmp_path / "home" / ".config" / "pip").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "pip" / "pip.conf").write_text("[install]\nno-compile = yes\n")
    (tmp_path / "env.conf").write_text("[global]\nretries = 2\n")
    environ = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_DIRS": str(tmp_path / "xdg"),
    }
    if config_file is not None:
        environ["PIP_CONFIG_FILE"] = str(tmp_path / "env.conf") if config_file == "file" else config_file
    expected = pip_config_keys(environ)
    switches = read_pip_switches(environ, environ["HOME"], sys.prefix)
    assert {
        key for key, setting in switches.settings.items() if not setting.source.startswith("PIP_")
    } == expected
    assert ("timeout" in expected) is (config_file != os.devnull)  # the case is what it claims to be


def test_the_commands_own_section_wins_over_every_files_global_one(tmp_path: Path) -> None:
    """As pip orders them: every file's [global], then every file's section of the command that runs."""
    (tmp_path / "xdg" / "pip").mkdir(parents=True)
    (tmp_path / "xdg" / "pip" / "pip.conf").write_text("[list]\npython = /a\n[install]\ntimeout = 3\n")
    (tmp_path / "home" / ".config" / "pip").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "pip" / "pip.conf").write_text("[global]\npython = /b\ntimeout = 9\n")
    environ = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": str(tmp_path / "xdg")}
    listing = read_pip_switches(environ, environ["HOME"], None, command="list")
    install = read_pip_switches(environ, environ["HOME"], None)
    assert [s.value for s in (listing.settings["python"], listing.settings["timeout"])] == ["/a", "9"]
    assert [s.value for s in (install.settings["python"], install.settings["timeout"])] == ["/b", "3"]


def ours(settings: Mapping[str, PipSetting], tmp_path: Path) -> dict[str, PipSetting]:
    """The settings from this test's files and variables, not the machine's own pip.conf files."""
    return {k: s for k, s in settings.items() if s.source.startswith(("PIP_", str(tmp_path)))}


def test_names_are_normalised_as_pip_does(tmp_path: Path) -> None:
    (tmp_path / "pip.conf").write_text("[global]\n--cache-dir = /c\nNo_Compile = yes\n")
    environ = {"PIP_CONFIG_FILE": str(tmp_path / "pip.conf"), "PIP___PYTHON": "/p", "PIP_USER": "1"}
    switches = read_pip_switches(environ, None, None)
    assert {key: s.value for key, s in ours(switches.settings, tmp_path).items()} == {
        "cache-dir": "/c", "no-compile": "yes", "python": "/p", "user": "1",
    }  # fmt: skip


def test_isolated_leaves_out_the_users_files_and_the_variables_not_the_others(tmp_path: Path) -> None:
    (tmp_path / "home" / ".config" / "pip").mkdir(parents=True)
    (tmp_path / "home" / ".config" / "pip" / "pip.conf").write_text("[global]\ntimeout = 9\n")
    (tmp_path / "xdg" / "pip").mkdir(parents=True)
    (tmp_path / "xdg" / "pip" / "pip.conf").write_text("[global]\nretries = 2\n")
    environ = {"HOME": str(tmp_path / "home"), "XDG_CONFIG_DIRS": str(tmp_path / "xdg"), "PIP_USER": "1"}
    isolated = read_pip_switches(environ, environ["HOME"], None, isolated=True)
    assert set(ours(isolated.settings, tmp_path)) == {"retries"}
    assert set(ours(isolated.main, tmp_path)) == {"retries", "timeout", "user"}  # pip's main parser: all


def test_a_blank_xdg_variable_is_unset_as_for_pip(tmp_path: Path) -> None:
    from safepip.facts.pip_cache import default_pip_cache
    from safepip.facts.pip_config import config_files

    assert default_pip_cache({"XDG_CACHE_HOME": " "}, "/h") == "/h/.cache/pip"
    files = config_files({"XDG_CONFIG_HOME": "  ", "XDG_CONFIG_DIRS": " "}, "/h", None)
    assert "/h/.config/pip/pip.conf" in files and "/etc/xdg/pip/pip.conf" in files
