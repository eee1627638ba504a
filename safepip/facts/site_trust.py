"""The trust rule (trust.py) applied to what a Python imports at start-up and pip then runs: its site dirs, the
.pth files there, and the modules they import, sitecustomize, usercustomize and pip, whole."""

from __future__ import annotations

import os

from safepip.facts.trust import (
    Distrust,
    creatable_by_others,
    distrust,
    first_problem,
    groups_of,
    top_distrust,
    tree_distrust,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


STARTUP_MODULES = ("sitecustomize", "usercustomize", "pip")  # what Python and pip import from site dirs
OPAQUE = (
    "a line of it runs code whose imports cannot be checked (exec, a computed name, a change to sys.path)"
)


def version_of(text: str | None) -> tuple[int, ...]:
    """The leading numbers of a version: (23, 0, 1) for "23.0.1", () for none."""
    numbers: list[int] = []
    for part in (text or "").split("."):
        if not part.isdigit():
            break
        numbers.append(int(part))
    return tuple(numbers)


def builds_in_target(sys_path: Sequence[str], pip_version: str | None) -> bool:
    """Whether pip would build a project that has only a setup.py (no pyproject.toml) in the target's own
    environment, without isolation: it does when it can import setuptools there, from pip 23.1 on wheel too
    (pip's `pyproject.py`), unless told to use PEP 517. No pip of the target's own: safepip's runs (23.1 or
    later)."""
    needed = (
        ("setuptools", "wheel") if not pip_version or version_of(pip_version) >= (23, 1) else ("setuptools",)
    )
    return all(
        any(os.path.isdir(os.path.join(entry, name)) or os.path.isfile(os.path.join(entry, f"{name}.py"))
            for entry in sys_path)
        for name in needed
    )  # fmt: skip


def module_trees(site_dirs: tuple[str, ...], names: tuple[str, ...]) -> list[str]:
    """Where these top-level modules are in the site dirs: package directories and module files, and each
    site dir's `__pycache__` (a module's cached bytecode is what runs)."""
    found: list[str] = []
    listings: dict[str, list[str]] = {}
    for directory in site_dirs:
        try:
            listings[directory] = os.listdir(directory)
        except OSError:
            listings[directory] = []
    for name in dict.fromkeys(names):
        for directory in site_dirs:
            package = os.path.join(directory, name)
            if os.path.isdir(package):  # a link to a package too: tree_distrust follows it
                found.append(package)
            found += [
                os.path.join(directory, entry)
                for entry in listings[directory]
                if entry.partition(".")[0] == name and entry.endswith((".py", ".so"))
            ]
    found += [
        os.path.join(d, "__pycache__") for d in site_dirs if os.path.isdir(os.path.join(d, "__pycache__"))
    ]
    return list(dict.fromkeys(found))


def site_distrust(
    site_dirs: tuple[str, ...],
    pth_files: tuple[str, ...],
    uid: int | None = None,
    imported: tuple[str, ...] = (),
    opaque: tuple[str, ...] = (),
    named: tuple[str, ...] = (),
    walked: Mapping[str, list[Distrust]] | None = None,
    whole: tuple[str, ...] = (),
    trees: Sequence[str] | None = None,
    tops: Mapping[str, list[Distrust]] | None = None,
    env: str | None = None,
) -> Distrust | None:
    """What a Python imports at start-up and pip then runs from: every site dir (and every directory and
    link on the way), each entry at its top (a package, a module, `sitecustomize.py`), and the .pth files.
    Whole: the modules the .pth files import (`imported`), sitecustomize, usercustomize and pip. The first
    entry another user can change; a group-shared one only when nothing else is. `walked`: trees already
    walked in this run (walk_trees), by their roots. `whole`: directories (or files) checked with everything
    below them (PYTHONPATH's entries; the site dirs when pip builds without isolation). `trees`: the
    startup_trees of these site dirs and imports, when the caller has them already; `tops`: site dirs whose
    top was read already in this run (read_tops); `env`: the environment the user activated, inside which
    alone a group-shared problem can be taken (trust.first_problem)."""
    uid = os.geteuid() if uid is None else uid
    groups = groups_of(uid)
    found: list[Distrust | None] = []
    for directory in site_dirs:
        found += tops[directory] if tops and directory in tops else top_distrust(directory, uid, groups)
    found += [distrust(path, uid) for path in pth_files]
    found += [Distrust(path, "", error=OPAQUE) for path in opaque]
    # a directory a .pth line names that is missing now is added by Python if it exists when pip starts
    found += [creatable_by_others(path, uid) for path in named if not os.path.lexists(path)]
    for tree in whole:  # the directories and links on the way (as the kernel follows them), then all below
        if os.path.lexists(tree):
            found += [distrust(tree, uid), *tree_distrust(tree, uid, groups)]
    for tree in startup_trees(site_dirs, imported) if trees is None else trees:
        found += walked[tree] if walked and tree in walked else tree_distrust(tree, uid, groups)
    return first_problem(found, env)


def walk_trees(roots: list[str], uid: int) -> dict[str, list[Distrust]]:
    """tree_distrust of each root, for site_distrust's `walked`."""
    groups = groups_of(uid)
    return {root: tree_distrust(root, uid, groups) for root in roots}


def read_tops(directories: list[str], uid: int) -> dict[str, list[Distrust]]:
    """top_distrust of each directory, for site_distrust's `tops`."""
    groups = groups_of(uid)
    return {directory: top_distrust(directory, uid, groups) for directory in directories}


def startup_trees(site_dirs: tuple[str, ...], imported: tuple[str, ...]) -> list[str]:
    """The trees site_distrust checks whole in any case: the modules the .pth files import, sitecustomize,
    usercustomize and pip, and each site dir's bytecode."""
    return module_trees(site_dirs, (*imported, *STARTUP_MODULES))
