"""Console scripts of managed and overlay venvs, linked into the user's bin directory (as pipx does).

A file there that safepip did not make is never overwritten.
"""

from __future__ import annotations

import os

VENV_OWN_SCRIPTS = ("python", "pip", "activate", "deactivate", "wheel")


class LinkReport:
    def __init__(self) -> None:
        self.linked: list[str] = []
        self.left_alone: list[str] = []


def user_bin_dir(home: str) -> str:
    return os.path.join(home, ".local", "bin")


def bin_entries(venv: str) -> set[str]:
    try:
        return set(os.listdir(os.path.join(venv, "bin")))
    except OSError:
        return set()


def is_console_script(path: str, name: str) -> bool:
    if name.startswith(VENV_OWN_SCRIPTS) or not os.path.isfile(path):
        return False
    return os.access(path, os.X_OK)


def made_by_safepip(link: str, data_root: str) -> bool:
    if not os.path.islink(link):
        return False
    return os.path.realpath(os.readlink(link)).startswith(os.path.realpath(data_root) + os.sep)


def link_new_scripts(venv: str, before: set[str], user_bin: str, data_root: str) -> LinkReport:
    report = LinkReport()
    for name in sorted(bin_entries(venv) - before):
        source = os.path.join(venv, "bin", name)
        if not is_console_script(source, name):
            continue
        link = os.path.join(user_bin, name)
        if os.path.lexists(link):
            if not made_by_safepip(link, data_root):
                report.left_alone.append(link)
                continue
            os.unlink(link)
        os.makedirs(user_bin, exist_ok=True)
        os.symlink(source, link)
        report.linked.append(link)
    return report


def on_path(directory: str, path_variable: str) -> bool:
    wanted = os.path.realpath(directory)
    return any(os.path.realpath(entry) == wanted for entry in path_variable.split(os.pathsep) if entry)


def remove_dangling_links(user_bin: str, venv: str) -> list[str]:
    """safepip's links into `venv` whose script is gone (after `pip uninstall`): removed, and returned."""
    removed: list[str] = []
    prefix = os.path.realpath(os.path.join(venv, "bin")) + os.sep
    try:
        names = sorted(os.listdir(user_bin))
    except OSError:
        return removed
    for name in names:
        link = os.path.join(user_bin, name)
        if os.path.islink(link) and not os.path.exists(link):
            pointed = os.path.join(os.path.dirname(link), os.readlink(link))
            if os.path.normpath(pointed).startswith(prefix) or os.path.realpath(pointed).startswith(prefix):
                os.unlink(link)
                removed.append(link)
    return removed
