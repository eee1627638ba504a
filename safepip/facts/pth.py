"""The site dirs of an interpreter as site.main() grows them, read from the files without running any of
them: each site dir's .pth files, the paths they add (an overlay's base too, which a line adds with
`site.addsitedir`), the modules their `import` lines import, and the pip the interpreter would run.

The interpreter itself only says where site.main() starts (facts/interpreter.py asks it, with `-S`)."""

from __future__ import annotations

import os
import re

from safepip.util.named_tuple import NamedTuple

IMPORTS = re.compile(r"\bimport\s+([A-Za-z_][\w.]*(?:\s*,\s*[A-Za-z_][\w.]*)*)")
FROM_IMPORTS = re.compile(r"\bfrom\s+([A-Za-z_][\w.]*)\s+import\b")
DUNDER_IMPORTS = re.compile(r"__import__\(\s*['\"]([A-Za-z_][\w.]*)['\"]")
ADDED_SITE_DIRS = re.compile(r"addsitedir\(\s*(?:r?)(['\"])(.+?)\1")


class SiteDirs(NamedTuple):
    site_dirs: list[str]  # in sys.path order: the site dirs, then what their .pth files add
    pth_files: list[str]
    pth_imports: list[str]  # top-level modules that .pth import lines import
    pth_paths: list[str]  # every path a .pth file names, there or not
    pip_home: str | None  # the site dir pip is imported from
    pip_version: str | None


def pth_names(directory: str, version: tuple[int, ...]) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    hidden_ok = version < (3, 13)  # site.py reads hidden .pth files too before 3.13
    return sorted(name for name in names if name.endswith(".pth") and (hidden_ok or not name.startswith(".")))


def read_site_dirs(candidates: list[str], version: tuple[int, ...]) -> SiteDirs:
    """What site.main() would make of `candidates` (the interpreter's own site dirs, in order)."""
    pending = list(candidates)  # grows as .pth lines add site dirs
    site_path: list[str] = []
    pth_files: list[str] = []
    imports: list[str] = []
    pth_paths: list[str] = []
    for directory in pending:
        if not os.path.isdir(directory) or directory in site_path:
            continue
        site_path.append(directory)
        for name in pth_names(directory, version):
            pth_files.append(os.path.join(directory, name))
            try:
                with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as handle:
                    lines = handle.read().splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.rstrip()
                if line.startswith(("import ", "import\t")):  # code: what it imports, and the dirs it adds
                    imports += (
                        IMPORTS.findall(line) + FROM_IMPORTS.findall(line) + DUNDER_IMPORTS.findall(line)
                    )
                    for _quote, added in ADDED_SITE_DIRS.findall(line):
                        pth_paths.append(added)
                        if os.path.isdir(added) and added not in pending:
                            pending.append(added)
                    continue
                if not line or line.startswith("#"):
                    continue
                added = os.path.abspath(os.path.join(directory, line))
                pth_paths.append(added)
                if os.path.exists(added) and added not in site_path:
                    site_path.append(added)
    pip_home, pip_version = find_pip(site_path)
    modules = sorted({name.strip().split(".")[0] for line in imports for name in line.split(",")})
    return SiteDirs(site_path, pth_files, modules, pth_paths, pip_home, pip_version)


def find_pip(site_path: list[str]) -> tuple[str | None, str | None]:
    """The first directory on the path with a pip package, and pip's version from its dist-info there."""
    for directory in site_path:
        if os.path.isfile(os.path.join(directory, "pip", "__init__.py")):
            try:
                infos = [
                    n for n in os.listdir(directory) if n.startswith("pip-") and n.endswith(".dist-info")
                ]
            except OSError:
                infos = []
            return (directory, infos[0][4:-10]) if infos else (None, None)
    return None, None
