"""Which Python an install is for, and who asks: the user's identity, the project venvs around the working
directory, and the interpreter chosen by `--python`, `--venv`, an activated environment, a project venv or
PATH, each one judged by the trust rule before anything runs it. Reads only."""

from __future__ import annotations

import os
import pwd
import sys

from safepip.facts import paths
from safepip.facts.python_trust import python_distrust
from safepip.facts.records import Identity, ProjectVenv
from safepip.facts.trust import Distrust, owner_name, shared_in
from safepip.util.archive import running_archive
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.facts.request import Request

PROJECT_VENV_NAMES = (".venv", "venv")


def probe_identity(environ: Mapping[str, str]) -> Identity:
    uid, euid = os.getuid(), os.geteuid()
    try:
        entry = pwd.getpwuid(euid)
        name, passwd_home = entry.pw_name, entry.pw_dir
    except KeyError:
        name, passwd_home = str(euid), "/"
    sudo_uid = environ.get("SUDO_UID", "")
    return Identity(
        uid=uid,
        euid=euid,
        name=name,
        home=environ.get("HOME") or passwd_home,
        sudo_uid=int(sudo_uid) if sudo_uid.isdigit() else None,
    )


def find_project_venvs(cwd: str, home: str, uid: int) -> tuple[ProjectVenv, ...]:
    """`.venv` or `venv` holding a pyvenv.cfg in cwd and its parents, up to home or `/` (by stat only)."""
    found: list[ProjectVenv] = []
    current = os.path.abspath(cwd)
    stop = os.path.abspath(home)
    while True:
        for name in PROJECT_VENV_NAMES:
            candidate = os.path.join(current, name)
            if os.path.isfile(os.path.join(candidate, "pyvenv.cfg")):
                found.append(describe_project_venv(candidate, uid))
        parent = os.path.dirname(current)
        if current in (stop, parent):
            return tuple(found)
        current = parent


def describe_project_venv(path: str, uid: int) -> ProjectVenv:
    python = paths.venv_python(path)
    owner = os.stat(path).st_uid
    found = python_distrust(python, uid)
    reason = found.reason() if found is not None else None
    return ProjectVenv(path, python, owner, owner_name(owner), reason is None, reason)


def conda_env(environ: Mapping[str, str]) -> str | None:
    prefix = environ.get("CONDA_PREFIX")
    if (
        not prefix
        or environ.get("CONDA_DEFAULT_ENV") == "base"
        or os.path.isdir(os.path.join(prefix, "condabin"))
    ):
        return None
    return prefix


class InterpreterChoice(NamedTuple):
    python: str | None
    source: str  # "--python", "--venv", "VIRTUAL_ENV", "CONDA_PREFIX", "project venv", "PATH"
    active_env: str | None = None
    refused: str | None = None  # an explicit choice that is not trusted: why
    notices: tuple[str, ...] = ()  # Pythons passed over
    shared_with: tuple[Distrust, ...] = ()  # what groups of the user's can change in the env activated

    @property
    def shared_env(self) -> str | None:
        return shared_env_of(self.source, self.active_env)

    @property
    def trust_notices(self) -> tuple[str, ...]:
        """The Pythons passed over, and for a shared environment one line for each group that can change it."""
        return (*self.notices, *(shared_notice(self.shared_env, found) for found in self.shared_with))

    def shared_also(self, found: Distrust) -> InterpreterChoice:
        """With `found`, unless a finding for the same group is there already."""
        if any(known.group == found.group for known in self.shared_with):
            return self
        return self._replace(shared_with=(*self.shared_with, found))


def shared_env_of(source: str, active_env: str | None) -> str | None:
    """The environment inside which alone a problem only a group of the user's can change is accepted: one
    the user activated (trust.shared_in); none for a Python named or found."""
    return active_env if source in ("VIRTUAL_ENV", "CONDA_PREFIX") else None


def own_environment() -> str:
    """safepip's own venv (pipx, `self install`), never a target by accident; "" when safepip runs from
    safepip.pyz or from a Python that is no venv (`pip install --user`): that Python is the user's own."""
    if sys.prefix == sys.base_prefix or running_archive() is not None:
        return ""
    return sys.prefix


def path_pythons(environ: Mapping[str, str], own_prefix: str) -> list[str]:
    """The python3/python files on PATH, in order, safepip's own environment left out (pipx installs)."""
    own_bin = os.path.realpath(os.path.join(own_prefix, "bin")) if own_prefix else None
    found = []
    for directory in environ.get("PATH", os.defpath).split(os.pathsep):  # unset: where execvp looks
        if not directory or not os.path.isabs(directory) or os.path.realpath(directory) == own_bin:
            continue
        for name in ("python3", "python"):
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):  # what shutil.which checks
                found.append(candidate)
    return found


def from_path(environ: Mapping[str, str], own_prefix: str, uid: int) -> InterpreterChoice:
    """The first trusted python on PATH; each one passed over says whose it is."""
    notices: list[str] = []
    for python in path_pythons(environ, own_prefix):
        found = python_distrust(python, uid)
        if found is None:
            return InterpreterChoice(python, "PATH", notices=tuple(notices))
        notices.append(f"passed over {python} on PATH: {found.reason()}; safepip never runs it")
    return InterpreterChoice(None, "PATH", notices=tuple(notices))


def explicit(python: str, source: str, uid: int, active_env: str | None = None) -> InterpreterChoice:
    """A Python the user named or activated: used when trusted; an activated environment that only a group
    of the user's can also change is used with a notice (that group's, inside that environment only);
    anything else is refused."""
    shared_env = shared_env_of(source, active_env)
    found = python_distrust(python, uid, shared_env)
    if found is None:
        return InterpreterChoice(python, source, active_env)
    if found.error and not os.path.lexists(python):
        return InterpreterChoice(python, source, active_env)  # the query says what is wrong
    if shared_in(found, shared_env):
        return InterpreterChoice(python, source, active_env, shared_with=(found,))
    return InterpreterChoice(python, source, active_env, refused=found.reason())


def shared_notice(env: str | None, found: Distrust) -> str:
    return (
        f"{env} is shared: {found.reason()}, a group you are in, whose members can change what runs"
        " when you use it; using it as you activated it"
    )


def named_python(request: Request, environ: Mapping[str, str]) -> tuple[str, str, str | None] | None:
    """The Python the user named or activated (--python, --venv, VIRTUAL_ENV, CONDA_PREFIX), its source and
    the environment it was activated as, before any check; None when the choice is the system's or found."""
    options = request.options
    if options.python:
        python = options.python
        if "/" not in python:  # a name, as a shell would find it
            python = next((os.path.join(d, python) for d in environ.get("PATH", "").split(os.pathsep)
                           if d and os.access(os.path.join(d, python), os.X_OK)), python)  # fmt: skip
        if os.path.isdir(python):
            python = paths.venv_python(python)
        return os.path.abspath(python), "--python", None
    if options.system:  # the system environment: activated and project venvs do not count
        return None
    if options.venv and os.path.lexists(paths.venv_python(options.venv)):
        return paths.venv_python(options.venv), "--venv", os.path.abspath(options.venv)
    virtual_env = environ.get("VIRTUAL_ENV")
    if virtual_env and os.path.isabs(virtual_env) and os.path.lexists(paths.venv_python(virtual_env)):
        return paths.venv_python(virtual_env), "VIRTUAL_ENV", os.path.abspath(virtual_env)
    conda = conda_env(environ)
    if conda and os.path.isabs(conda):
        return os.path.join(conda, "bin", "python"), "CONDA_PREFIX", conda
    return None


def choose_interpreter(
    request: Request, environ: Mapping[str, str], project_venvs: tuple[ProjectVenv, ...], own_prefix: str,
    uid: int, named: tuple[str, str, str | None] | None,
) -> InterpreterChoice:  # fmt: skip
    """The interpreter (SPEC, "Words"): the one named or activated (`named`, named_python's answer), else a
    trusted project venv's, else the first trusted one on PATH."""
    if named is not None:
        python, source, active_env = named
        if any(venv.trusted and venv.python == python for venv in project_venvs):
            # the project venv the user activated, found trusted a moment ago (find_project_venvs): nothing
            # to report, as explicit() would find again
            return InterpreterChoice(python, source, active_env)
        return explicit(python, source, uid, active_env)
    if not request.options.system and not request.options.venv:
        for venv in project_venvs:
            if venv.trusted:
                return InterpreterChoice(venv.python, "project venv", venv.path)
    return from_path(environ, own_prefix, uid)
