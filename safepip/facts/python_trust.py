"""The trust rule (trust.py) applied to a Python before it runs: the interpreter and every link on the way,
its venv or conda prefix, and the standard library it will take (its own, its venv's `home`, PYTHONHOME's,
or where PYTHONPLATLIBDIR moves it)."""

from __future__ import annotations

import os
import sys

from safepip.facts.trust import (
    Distrust,
    creatable_by_others,
    distrust,
    first_problem,
    group_shared,
    groups_of,
    top_distrust,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping


# where a standard library is looked for below a prefix (a lib64 Python's platlibdir taken from safepip's own)
LIB_DIRS = tuple(dict.fromkeys(["lib", getattr(sys, "platlibdir", "lib")]))


def venv_site_dirs(prefix: str) -> list[str]:
    """A venv's or conda prefix's site-packages directories, found without running its Python."""
    lib = os.path.join(prefix, "lib")
    try:
        names = sorted(os.listdir(lib))
    except OSError:
        return []
    return [
        os.path.join(lib, name, "site-packages")
        for name in names
        if name.startswith(("python", "pypy")) and os.path.isdir(os.path.join(lib, name, "site-packages"))
    ]


def pth_files(site_dir: str) -> list[str]:
    """The .pth files of a site dir: Python runs their `import` lines at every start."""
    try:
        return sorted(os.path.join(site_dir, n) for n in os.listdir(site_dir) if n.endswith(".pth"))
    except OSError:
        return []


def environment_distrust(prefix: str, uid: int | None = None) -> Distrust | None:
    """A venv or conda prefix: the prefix, its `pyvenv.cfg`, its site-packages and their .pth files (which
    Python executes at start-up). The first untrusted entry, a group-shared one only when nothing else is."""
    shared: Distrust | None = None
    paths = [prefix, os.path.join(prefix, "pyvenv.cfg")]
    for site in venv_site_dirs(prefix):
        paths += [site, *pth_files(site)]
    for path in paths:
        if path.endswith("pyvenv.cfg") and not os.path.lexists(path):
            continue
        found = distrust(path, uid)
        if found is not None and not group_shared(found):
            return found
        shared = shared or found
    return shared


def python_distrust(python: str, uid: int | None = None, env: str | None = None) -> Distrust | None:
    """Why `python` must not be run: the interpreter (every link on the way) and, when it belongs to a venv
    or conda prefix (`<prefix>/bin/python`), that environment, with the standard library it takes. What
    only a group of the user's can change is reported when nothing else is, one outside `env` (the
    environment the user activated) first (trust.first_problem)."""
    shared: list[Distrust] = []

    def worse(found: Distrust | None) -> Distrust | None:  # a group-shared one is kept for the end
        if found is not None and group_shared(found):
            shared.append(found)
            return None
        return found

    found = worse(distrust(python, uid)) or layout_distrust(python)
    if found is not None:
        return found
    prefix = os.path.dirname(os.path.dirname(os.path.abspath(python)))
    if os.path.isfile(os.path.join(prefix, "pyvenv.cfg")):
        home = venv_home(prefix)  # where the venv's Python looks for its standard library from
        found = worse(distrust(home, uid)) if home and os.path.exists(home) else None
        if found is not None:
            return found
        start = home or os.path.dirname(os.path.realpath(python))
        minor = python_minor(python, prefix)
        levels = stdlib_levels(start, minor) if minor else []
        if not levels:
            why = (
                f"{minor or 'its Python'} finds no standard library from there"
                if minor
                else "no Python version"
            )
            return Distrust(start if minor else os.path.join(prefix, "pyvenv.cfg"), "", error=why)
        checks = (*lib_dirs_distrust(start, uid), *levels_distrust(levels, uid))
        found = next(filter(None, (worse(found) for found in checks)), None)
        found = found or worse(environment_distrust(prefix, uid))
    elif os.path.isdir(os.path.join(prefix, "conda-meta")):
        found = worse(environment_distrust(prefix, uid))
    else:
        # a plain interpreter takes its standard library from its own prefix, or where it finds one above
        # its binary's directory: that runs before anything else
        real = os.path.realpath(python)
        minor = python_minor(python, prefix)
        levels = (minor and stdlib_levels(os.path.dirname(real), minor)) or [
            os.path.dirname(os.path.dirname(real))
        ]
        checks = (*lib_dirs_distrust(os.path.dirname(real), uid), *levels_distrust(levels, uid))
        found = next(filter(None, (worse(found) for found in checks)), None)
    return found or first_problem(shared, env)


def up_from(start: str) -> Iterator[str]:
    """`start` and each directory above it, to `/`: where CPython's start-up looks, in turn."""
    level = os.path.abspath(start)
    yield level
    while os.path.dirname(level) != level:
        level = os.path.dirname(level)
        yield level


def lib_dirs_distrust(start: str, uid: int | None) -> Iterator[Distrust | None]:
    """Every `lib` dir from `start` up to `/`: CPython's start-up looks in each, in turn, for a zip of its
    standard library (the first found goes first on its path, whatever the level), for the standard
    library and for lib-dynload. Each that exists (and the way to it), and each `python3*` entry in it."""
    for lib in (os.path.join(level, name) for level in up_from(start) for name in LIB_DIRS):
        try:
            names = [name for name in os.listdir(lib) if name.startswith("python3")]
        except OSError:
            continue
        yield distrust(lib, uid)
        yield from (distrust(os.path.join(lib, name), uid) for name in names)


def levels_distrust(levels: list[str], uid: int | None) -> Iterator[Distrust | None]:
    """The standard library at each directory it is taken from (stdlib_levels); the `lib` dirs on the way
    are lib_dirs_distrust's."""
    return (stdlib_distrust(level, uid) for level in levels)


def python_minor(python: str, prefix: str) -> str | None:
    """`pythonX.Y` of a venv's Python: its binary's name, or the version its pyvenv.cfg records."""
    name = os.path.basename(os.path.realpath(python))
    major, _, minor = name.removeprefix("python").rstrip("t").partition(".")
    if major == "3" and minor.isdigit():
        return name
    config = read_pyvenv_cfg(prefix)
    parts = (config.get("version") or config.get("version_info") or "").split(".")
    return (
        f"python{parts[0]}.{parts[1]}" if len(parts) > 1 and parts[0] == "3" and parts[1].isdigit() else None
    )


def stdlib_levels(start: str, minor: str) -> list[str]:
    """Where CPython's start-up takes `minor`'s standard library and lib-dynload from, as it looks for them
    from `start` (a venv's home) up: the first directory, `start` itself or one above it, with
    `lib/<minor>/os.py` (or os.pyc), and the first with `lib/<minor>/lib-dynload`. Those found."""
    levels = []
    for names, found in ((("os.py", "os.pyc"), os.path.isfile), (("lib-dynload",), os.path.isdir)):
        for level in up_from(start):
            if any(found(os.path.join(level, lib, minor, name)) for lib in LIB_DIRS for name in names):
                levels.append(level)
                break
    return list(dict.fromkeys(levels))


def stdlib_distrust(prefix: str, uid: int | None = None) -> Distrust | None:
    """`<prefix>/lib/pythonX.Y` (and its lib-dynload): see lib_distrust."""
    return lib_distrust(os.path.join(prefix, "lib"), uid)


def lib_distrust(lib: str, uid: int | None = None) -> Distrust | None:
    """`<lib>/pythonX.Y` (and its lib-dynload): the directory on the way and each entry at its top; a
    group-shared problem only when nothing else is."""
    uid = os.geteuid() if uid is None else uid
    groups = groups_of(uid)
    try:
        names = [name for name in os.listdir(lib) if name.startswith("python3")]
    except OSError:
        return None
    tops = [os.path.join(lib, name, *below) for name in names for below in ((), ("lib-dynload",))]
    problems: list[Distrust] = []
    for directory in (top for top in tops if os.path.isdir(top)):
        problems += top_distrust(directory, uid, groups)
        if any(not group_shared(problem) for problem in problems):
            break  # one no group alone can change: that is the answer
    return first_problem(problems)


def python_home_distrust(environ: Mapping[str, str], uid: int | None = None) -> Distrust | None:
    """PYTHONHOME (`prefix[:exec_prefix]`): every Python safepip starts takes its standard library from there,
    before anything else runs: each part checked as the standard library is."""
    for part in (environ.get("PYTHONHOME") or "").split(os.pathsep):
        if part:
            found = distrust(part, uid) or stdlib_distrust(os.path.abspath(part), uid)
            if found is not None:
                return found
    return None


def platlibdir_distrust(python: str, environ: Mapping[str, str], uid: int | None = None) -> Distrust | None:
    """PYTHONPLATLIBDIR: a Python takes its standard library from `<prefix>/<that dir>/pythonX.Y` (all of it
    from 3.11 on, its compiled part before), PYTHONHOME's prefix or else its own: checked there as a standard
    library (the way to it as the kernel follows it, `..` and all), and where it is missing, by who could
    create it."""
    libdir = environ.get("PYTHONPLATLIBDIR", "")
    if not libdir or libdir == "lib":
        return None
    prefixes = [os.path.abspath(part) for part in (environ.get("PYTHONHOME") or "").split(os.pathsep) if part]
    if not prefixes:
        venv = os.path.dirname(os.path.dirname(os.path.abspath(python)))
        home = venv_home(venv) if os.path.isfile(os.path.join(venv, "pyvenv.cfg")) else None
        real = os.path.dirname(os.path.dirname(os.path.realpath(python)))
        prefixes = [os.path.dirname(home) if home else real]
    for prefix in prefixes:
        lib = os.path.join(prefix, libdir)
        found = distrust(lib, uid, missing_ok=True)
        if found is None and not os.path.lexists(lib):
            found = creatable_by_others(lib, uid)
        found = found or lib_distrust(os.path.realpath(lib), uid)  # the way to it was checked above
        if found is not None:
            return found
    return None


def read_pyvenv_cfg(prefix: str) -> dict[str, str]:
    """A venv's pyvenv.cfg, keys and values in lower case, as site.venv() reads them ({} when it cannot be
    read); `home` as Python's start-up takes it is read_venv_home's."""
    values: dict[str, str] = {}
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    values[key.strip().lower()] = value.strip().lower()
    except (OSError, UnicodeDecodeError):
        return {}
    return values


def venv_home(prefix: str) -> str | None:
    return read_venv_home(prefix)[0]


def read_venv_home(prefix: str) -> tuple[str | None, str | None]:
    """The `home` of `<prefix>/pyvenv.cfg` as Python's start-up takes it (the first `home` line), and why
    the file is ambiguous, when it is: another `home` line, or a carriage return on its own (a line break
    to one reader and not to another)."""
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), "rb") as cfg:
            data = cfg.read(1 << 20)
    except OSError:
        return None, None
    text = data.decode("utf-8", errors="replace")
    if "\x00" in text or "\ufffd" in text:  # Python's start-up stops at a NUL, and keeps bytes undecoded
        return None, "a NUL or bytes that are not UTF-8"
    lines = (line.partition("=") for line in text.split("\n"))
    homes = [value.strip() for key, sep, value in lines if sep and key.strip().lower() == "home"]
    home = homes[0] if homes else None
    if "\r" in text.replace("\r\n", "\n"):
        return home, "a carriage return on its own"
    return home, f"{len(homes)} home lines" if len(homes) > 1 else None


def layout_distrust(python: str) -> Distrust | None:
    """What would have `python` start from an import path that safepip does not read: a ._pth file beside
    it or its binary (it sets the whole path, and can import site even under -S), a build tree's markers in
    its directory (or its venv's home), a pyvenv.cfg beside it (Python reads that one, safepip the one of
    the venv's prefix), or an ambiguous pyvenv.cfg."""
    executable = os.path.abspath(python)
    for path in dict.fromkeys([executable + "._pth", os.path.realpath(python) + "._pth"]):
        if os.path.lexists(path):
            return Distrust(path, "", error="a ._pth file sets the interpreter's import path, unchecked")
    prefix = os.path.dirname(os.path.dirname(executable))
    home = read_venv_home(prefix)[0]
    for directory in dict.fromkeys([os.path.dirname(os.path.realpath(python)), *([home] if home else [])]):
        # a build tree's own layout, where the executable's directory (a venv's home) has it
        for path in (
            os.path.join(directory, "pybuilddir.txt"),
            os.path.join(directory, "Modules", "Setup.local"),
        ):
            if os.path.lexists(path):
                return Distrust(
                    path, "", error="a Python build tree, whose import path safepip does not read"
                )
    beside = os.path.join(os.path.dirname(executable), "pyvenv.cfg")
    if os.path.lexists(beside):
        return Distrust(beside, "", error="a pyvenv.cfg beside the interpreter, not in its venv's prefix")
    ambiguous = read_venv_home(prefix)[1]
    if ambiguous is not None:
        return Distrust(
            os.path.join(prefix, "pyvenv.cfg"), "", error=f"Python could read it otherwise ({ambiguous})"
        )
    return None
