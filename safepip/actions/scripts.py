"""Console scripts of managed and overlay venvs, linked into the user's bin directory (as pipx does).

Only the scripts of the projects the user asked for are linked, not those of their dependencies. A file there
that safepip did not make is never overwritten; a link of safepip's that leads into another of its venvs is
moved only with a line that says so.
"""

from __future__ import annotations

import os

from safepip.util.dirs import make_dirs
from safepip.util.names import normalize, requirement_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

# the venv's own scripts, with a version or not (python3.11, pip3): never linked (pip-compile, pip-audit
# and other pip-* tools are)
VENV_OWN = ("python", "pip", "pydoc", "idle", "wheel")


def venv_own(name: str) -> bool:
    """`(python|pip|pip3|pydoc|idle|wheel)(\\d+(\\.\\d+)*)?|activate.*|deactivate`, without `re`."""
    if name.startswith("activate") or name == "deactivate":
        return True
    for own in VENV_OWN:
        version = name[len(own) :] if name.startswith(own) else None
        if version == "" or (version and all(part.isdecimal() for part in version.split("."))):
            return True
    return False


class LinkReport:
    def __init__(self) -> None:
        self.linked: list[str] = []
        self.left_alone: list[str] = []
        self.moved: list[tuple[str, str]] = []  # (link, where it led before)


def user_bin_dir(home: str) -> str:
    return os.path.join(home, ".local", "bin")


def is_console_script(path: str, name: str) -> bool:
    if venv_own(name) or not os.path.isfile(path):
        return False
    return os.access(path, os.X_OK)


def link_target(link: str) -> str:
    """Where a symlink leads, a relative one read from the link's own directory (not the working one)."""
    return os.path.join(os.path.dirname(link), os.readlink(link))


def made_by_safepip(link: str, data_root: str) -> bool:
    if not os.path.islink(link):
        return False
    return os.path.realpath(link_target(link)).startswith(os.path.realpath(data_root) + os.sep)


def project_scripts(site: str, projects: Iterable[str]) -> set[str]:
    """The names of the scripts in `bin/` that these projects' RECORD files list."""
    wanted = {normalize(project) for project in projects}
    names: set[str] = set()
    try:
        infos = [name for name in os.listdir(site) if name.endswith(".dist-info")]
    except OSError:
        return names
    for info in infos:
        if normalize(info[: -len(".dist-info")].rpartition("-")[0]) not in wanted:
            continue
        try:
            with open(os.path.join(site, info, "RECORD"), encoding="utf-8") as record:
                rows = [line.split(",", 1)[0] for line in record]
        except OSError:
            continue
        names.update(os.path.basename(row) for row in rows if os.path.basename(os.path.dirname(row)) == "bin")
    return names


def dist_infos(site: str) -> set[str]:
    try:
        return {name for name in os.listdir(site) if name.endswith(".dist-info")}
    except OSError:
        return set()


def top_level_of(site: str, infos: Iterable[str]) -> set[str]:
    """The projects among `infos` that none of the others requires: what an unnamed requirement (a path,
    `-e .`, a requirements file) brought in itself, not as a dependency."""
    projects = {normalize(info[: -len(".dist-info")].rpartition("-")[0]): info for info in infos}
    required: set[str] = set()
    for info in projects.values():
        try:
            with open(os.path.join(site, info, "METADATA"), encoding="utf-8", errors="replace") as metadata:
                for line in metadata:
                    if not line.strip():
                        break
                    if line.startswith("Requires-Dist:"):
                        found = requirement_name(line[len("Requires-Dist:") :].strip())
                        if found:
                            required.add(normalize(found))
        except OSError:
            continue
    return set(projects) - required


def named_projects(positionals: Iterable[str]) -> tuple[set[str], bool]:
    """The projects the user named on the command line, and whether some requirement names none (a path, a
    URL); wheel and sdist file names count as named."""
    names: set[str] = set()
    unnamed = False
    for arg in positionals:
        base = os.path.basename(arg)
        if base.endswith((".whl", ".tar.gz", ".zip")):
            names.add(normalize(base.split("-")[0]))
        elif "/" in arg or ":" in arg or arg.startswith("."):
            unnamed = True
        elif found := requirement_name(arg.strip()):
            names.add(normalize(found))
    return names, unnamed


def link_scripts(venv: str, names: Iterable[str], user_bin: str, data_root: str) -> LinkReport:
    report = LinkReport()
    for name in sorted(names):
        source = os.path.join(venv, "bin", name)
        if not is_console_script(source, name):
            continue
        link = os.path.join(user_bin, name)
        if os.path.lexists(link):
            if not made_by_safepip(link, data_root):
                report.left_alone.append(link)
                continue
            before = link_target(link)
            if before == source:
                continue
            os.unlink(link)
            if os.path.exists(before) and not before.startswith(os.path.join(venv, "")):
                report.moved.append((link, before))
        make_dirs(user_bin, 0o755)
        os.symlink(source, link)
        report.linked.append(link)
    return report


def on_path(directory: str, path_variable: str) -> bool:
    wanted = os.path.realpath(directory)
    return any(os.path.realpath(entry) == wanted for entry in path_variable.split(os.pathsep) if entry)


def remove_dangling_links(user_bin: str, venv: str) -> list[str]:
    """safepip's links into `venv` whose script is gone (an uninstall, a downgrade): removed, and returned.
    A link is safepip's only as link_scripts makes it: `NAME` leading to exactly `<venv>/bin/NAME`; a link
    of the user's own (another name, a relative path) is left as it is, dangling or not."""
    removed: list[str] = []
    try:
        names = sorted(os.listdir(user_bin))
    except OSError:
        return removed
    for name in names:
        link = os.path.join(user_bin, name)
        try:
            made = os.readlink(link) == os.path.join(venv, "bin", name)
        except OSError:
            continue  # not a link
        if made and not os.path.exists(link):
            os.unlink(link)
            removed.append(link)
    return removed
