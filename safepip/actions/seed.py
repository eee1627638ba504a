"""The pip that safepip's own venvs use: one copy of safepip's pip under the data dir ("the seed"), which each
managed venv finds through a .pth file, so that a new venv costs no pip install. pip never uninstalls it from
a venv: it lies outside every environment.

The copy is made of hard links where the filesystem allows (pip's files are never changed in place: an upgrade
replaces them), so the first venv costs little more than a later one. It is built in `.building-<pid>-…` and
renamed into place whole; a build whose process died (SIGKILL) is removed by the next run. safepip.pyz's
pip is extracted from the archive instead, and compiled.
"""

from __future__ import annotations

import os
import re
import shutil

from safepip.facts.python_trust import read_pyvenv_cfg
from safepip.facts.requirements import metadata_headers
from safepip.util.dirs import make_dirs

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

BUILDING = ".building-"
PIP_INFO = re.compile(r"(pip-[^/]+)\.dist-info/")


def link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def remove_dead_builds(seeds: str) -> None:
    """`.building-<pid>-…` directories whose process is gone."""
    try:
        names = [name for name in os.listdir(seeds) if name.startswith(BUILDING)]
    except OSError:
        return
    for name in names:
        pid = name[len(BUILDING) :].partition("-")[0]
        if not pid.isdigit() or not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(seeds, name), ignore_errors=True)


def pip_seed(data_root: str) -> str | None:
    """A copy of safepip's own pip (package and dist-info) under the data dir, made once; None without one.

    Managed venvs find pip there through a .pth file, so a new venv costs no pip install. pip never
    uninstalls it from a venv: it lies outside every environment."""
    import importlib.util

    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        return None
    package = os.path.dirname(spec.origin)
    site = os.path.dirname(package)
    if os.path.isfile(site):  # the pip inside safepip.pyz
        return seed_from_archive(site, data_root)
    infos = [name for name in os.listdir(site) if name.startswith("pip-") and name.endswith(".dist-info")]
    if len(infos) != 1:
        return None

    def copy(building: str) -> None:
        # bytecode too (valid: links and copy2 keep each source's mtime), so a new venv's first pip
        # does not compile pip first
        shutil.copytree(package, os.path.join(building, "pip"), copy_function=link_or_copy)
        shutil.copytree(os.path.join(site, infos[0]), os.path.join(building, infos[0]))

    return place_seed(os.path.join(data_root, "seed", infos[0][: -len(".dist-info")]), copy)


def seed_from_archive(archive: str, data_root: str) -> str | None:
    """The seed extracted from safepip.pyz: pip runs from a directory, not from the zip, because its own
    children (build isolation, `--python`) start `<python> <pip's directory>/__pip-runner__.py`."""
    import zipfile

    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
        found = sorted({match.group(1) for name in names if (match := PIP_INFO.match(name))})
        if len(found) != 1:
            return None
        seed = os.path.join(data_root, "seed", found[0])
        wanted = [
            n for n in names if n.startswith(("pip/", f"{found[0]}.dist-info/")) and not n.endswith("/")
        ]

        def extract(building: str) -> None:
            bundle.extractall(building, members=wanted)
            # compiled now, as pip compiles what it installs: pip starts from bytecode even where Python
            # cannot write it later (PYTHONDONTWRITEBYTECODE, a read-only home)
            import compileall

            compileall.compile_dir(building, quiet=2, ddir=seed)

        return place_seed(seed, extract)


def place_seed(seed: str, fill: Callable[[str], None]) -> str | None:
    """`seed`, filled by `fill` in a `.building-<pid>-…` directory and renamed into place whole, once; None
    when it could not be filled."""
    if os.path.isdir(seed):
        return seed
    seeds = os.path.dirname(seed)
    make_dirs(seeds)
    remove_dead_builds(seeds)
    building = os.path.join(seeds, f"{BUILDING}{os.getpid()}-{os.urandom(4).hex()}")
    try:
        os.mkdir(building, 0o755)
        fill(building)
        os.rename(building, seed)  # whole or not at all; another safepip may have won the race
    except OSError:
        shutil.rmtree(building, ignore_errors=True)
        return seed if os.path.isdir(seed) else None
    except BaseException:  # Ctrl-C, SIGTERM: no half-copied seed left behind
        shutil.rmtree(building, ignore_errors=True)
        raise
    return seed


def seed_supports(seed: str, venv: str) -> bool:
    """Whether the seeded pip's Requires-Python admits the venv's Python (read from pyvenv.cfg)."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    from packaging.version import InvalidVersion, Version

    config = read_pyvenv_cfg(venv)
    version = config.get("version") or config.get("version_info")
    metadata = os.path.join(
        seed, os.path.basename(seed) + ".dist-info", "METADATA"
    )  # seed/pip-X/pip-X.dist-info
    try:
        requires = metadata_headers(metadata).get("Requires-Python", [""])[0]
        return version is not None and Version(version) in SpecifierSet(requires)
    except (OSError, InvalidSpecifier, InvalidVersion):
        return False
