"""decide_target() as a table: a frozen context and a request in, a plan out. No disk, no subprocess."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from safepip.facts.pip_args import parse_pip_args
from safepip.facts.pip_config import PipSetting, PipSwitches
from safepip.facts.records import SCHEME_KEYS, Context, DirFact, Identity, Interpreter, ProjectVenv
from safepip.facts.request import Options, Request
from safepip.policy.decide import decide_target
from safepip.policy.pip_command import pip_command
from safepip.policy.plan import Plan

HOME = "/home/alice"
USER_BASE = f"{HOME}/.local"
SYSTEM_PY = "/usr/bin/python3"
SYSTEM_PY_REAL = "/usr/bin/python3.11"
VENV = "/srv/app/venv"
CONDA = "/opt/conda/envs/work"
PROJECT = f"{HOME}/proj/.venv"
DATA = f"{HOME}/.local/share/safepip"
MANAGED = f"{DATA}/venvs/cp311-0123abcd"
OVERLAY = f"{DATA}/overlays/venv-cp311-89abcdef"
TARGET_DIR = "/opt/target"
NEW_VENV = f"{HOME}/new-venv"
OWN_PYTHON = "/opt/safepip/bin/python"


def python_in(prefix: str) -> str:
    return f"{prefix}/bin/python"


# ---------------------------------------------------------------- facts


def dir_fact(path: str, *, writable: bool = True, owner: str = "alice", read_only: bool = False) -> DirFact:
    uid = 0 if owner == "root" else 1000 if owner == "alice" else 1001
    mode = 0o755 if owner == "root" or not writable else 0o700
    return DirFact(path, path, True, uid, owner, mode, writable and not read_only, read_only)


def scheme_of(prefix: str) -> Mapping[str, str]:
    site = f"{prefix}/lib/python3.11/site-packages"
    paths = {"purelib": site, "platlib": site, "scripts": f"{prefix}/bin", "data": prefix}
    paths["include"] = f"{prefix}/include/python3.11"
    return MappingProxyType(paths)


def dir_facts(scheme: Mapping[str, str], *, writable: bool, owner: str) -> Mapping[str, DirFact]:
    return MappingProxyType(
        {key: dir_fact(scheme[key], writable=writable, owner=owner) for key in SCHEME_KEYS if key in scheme}
    )


def system_python(
    *, externally_managed: bool = False, user_site: bool = True, pip: str | None = "24.0"
) -> Interpreter:
    return Interpreter(
        executable=SYSTEM_PY,
        real_path=SYSTEM_PY_REAL,
        version="3.11.2",
        tag="cp311",
        prefix="/usr",
        base_prefix="/usr",
        is_venv=False,
        is_conda=False,
        system_site_packages=False,
        user_site_enabled=user_site,
        user_base=USER_BASE,
        stdlib="/usr/lib/python3.11",
        externally_managed=externally_managed,
        pip_version=pip,
        scheme=scheme_of("/usr"),
        user_scheme=scheme_of(USER_BASE),
    )


def venv_python(
    prefix: str = VENV, *, system_site_packages: bool = False, pip: str | None = "24.0", conda: bool = False
) -> Interpreter:
    return Interpreter(
        executable=python_in(prefix),
        real_path=SYSTEM_PY_REAL,
        version="3.11.2",
        tag="cp311",
        prefix=prefix,
        base_prefix="/usr",
        is_venv=not conda,
        is_conda=conda,
        system_site_packages=system_site_packages,
        user_site_enabled=True,
        user_base=USER_BASE,
        stdlib="/usr/lib/python3.11",
        externally_managed=False,
        pip_version=pip,
        scheme=scheme_of(prefix),
        user_scheme=scheme_of(USER_BASE),
    )


def project_venv(path: str = PROJECT, *, owner: str = "alice") -> ProjectVenv:
    trusted = owner in ("alice", "root")
    return ProjectVenv(
        path,
        python_in(path),
        1000 if owner == "alice" else 0 if owner == "root" else 1001,
        owner,
        trusted,
        None if trusted else f"owned by {owner}",
    )


def pip_switches(settings: Mapping[str, str | PipSetting]) -> PipSwitches:
    """`{"user": "1"}` reads as PIP_USER=1; a PipSetting keeps its own source (a config file)."""
    return PipSwitches(
        MappingProxyType(
            {
                key: value
                if isinstance(value, PipSetting)
                else PipSetting(value, "PIP_" + key.upper().replace("-", "_"))
                for key, value in settings.items()
            }
        )
    )


def make_context(
    *,
    interpreter: Interpreter | None = None,
    no_interpreter: bool = False,
    source: str = "PATH",
    active_env: str | None = None,
    env_writable: bool = True,
    env_owner: str = "root",
    user_writable: bool = True,
    user_dirs: bool = True,
    data_writable: bool = True,
    explicit: DirFact | None = None,
    pip: Mapping[str, str | PipSetting] | None = None,
    project_venvs: Sequence[ProjectVenv] = (),
    euid: int = 1000,
    sudo_uid: int | None = None,
    managed_ready: bool = False,
    overlay_ready: bool = False,
) -> Context:
    """A frozen context: alice (uid 1000) and the system python, unless a keyword says otherwise."""
    python = None if no_interpreter else (interpreter or system_python())
    name = "root" if euid == 0 else "alice"
    home = "/root" if euid == 0 else HOME
    env = dir_facts(python.scheme, writable=env_writable, owner=env_owner) if python else MappingProxyType({})
    user = (
        dir_facts(python.user_scheme, writable=user_writable, owner=name)
        if python and user_dirs
        else MappingProxyType({})
    )
    return Context(
        identity=Identity(uid=euid, euid=euid, name=name, home=home, sudo_uid=sudo_uid),
        interpreter=python,
        interpreter_source=source,
        interpreter_error="no python3 or python on PATH" if python is None else None,
        active_env=active_env,
        project_venvs=tuple(project_venvs),
        pip=pip_switches(pip or {}),
        env_dirs=env,
        user_dirs=user,
        explicit_dir=explicit,
        data_dir=dir_fact(DATA, writable=data_writable, owner=name if data_writable else "root"),
        managed_venv=MANAGED if python else None,
        managed_venv_ready=managed_ready,
        overlay_venv=OVERLAY if python and (python.is_venv or python.is_conda) else None,
        overlay_venv_ready=overlay_ready,
        own_prefix="/opt/safepip",
    )


def active_venv(
    *, system_site_packages: bool = False, pip_version: str | None = "24.0", **overrides: Any
) -> Context:
    """An activated virtualenv at VENV (VIRTUAL_ENV), alice's and writable unless told otherwise."""
    settings: dict[str, Any] = {"source": "VIRTUAL_ENV", "active_env": VENV, "env_owner": "alice"}
    settings.update(overrides)
    python = venv_python(VENV, system_site_packages=system_site_packages, pip=pip_version)
    return make_context(interpreter=python, **settings)


def request(*argv: str, **options: Any) -> Request:
    """`safepip [options] install ARGV`: the arguments read as the CLI reads them."""
    return Request("install", parse_pip_args(argv), Options(**options))


# ---------------------------------------------------------------- the table

NO_USER, USER, NONE = ("--no-user",), ("--user",), ()
REFUSED = "refused"


@dataclass(frozen=True)
class Expect:
    kind: str  # a target kind, or REFUSED (exit 77)
    path: str | None
    pip_options: tuple[str, ...]
    # (kind, a key word of the reason) of every candidate passed over, in order
    passed: tuple[tuple[str, str], ...] = ()
    reason: str | None = None  # a word of the target's reason, or of the refusal's message
    notice: str | None = None  # a word of one of the notices
    create_from: str | None = None
    system_site_packages: bool = False
    pip_args: tuple[str, ...] | None = None  # the user's arguments as pip gets them, when not unchanged
    env_overrides: tuple[tuple[str, str], ...] = ()


def row(context: Context, req: Request, expect: Expect, id: str, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(context, req, expect, id=id, marks=marks)


def unwritable(path: str = TARGET_DIR, *, read_only: bool = False) -> DirFact:
    return dir_fact(path, writable=False, owner="root", read_only=read_only)


PEP668 = system_python(externally_managed=True)
ISOLATED_VENV = venv_python(VENV)
TABLE = [
    # -- rule 1: explicit --target/--prefix/--root/--user, honoured as given
    row(make_context(explicit=dir_fact(TARGET_DIR)), request("--target", TARGET_DIR, "pkg"),
        Expect("explicit", TARGET_DIR, NONE, reason="--target on the command line"), "target-writable"),
    row(make_context(explicit=unwritable()), request(f"--target={TARGET_DIR}", "pkg"),
        Expect(REFUSED, None, NONE, reason="not writable"), "target-unwritable-refused"),
    row(make_context(explicit=dir_fact(TARGET_DIR), interpreter=PEP668), request("-t", TARGET_DIR, "pkg"),
        Expect("explicit", TARGET_DIR, NONE), "target-under-pep668-is-fine"),
    row(make_context(explicit=dir_fact("/opt/p")), request("--prefix", "/opt/p", "pkg"),
        Expect("explicit", "/opt/p", NONE, reason="--prefix"), "prefix-writable"),
    row(make_context(explicit=unwritable("/opt/p", read_only=True)), request("--prefix", "/opt/p", "pkg"),
        Expect(REFUSED, None, NONE, reason="read-only mount"), "prefix-read-only-mount-refused"),
    row(make_context(explicit=dir_fact("/chroot")), request("--root", "/chroot", "pkg"),
        Expect("explicit", "/chroot", NONE, reason="--root"), "root-writable"),
    row(make_context(explicit=unwritable("/chroot")), request("--root", "/chroot", "pkg"),
        Expect(REFUSED, None, NONE, reason="not writable"), "root-unwritable-refused"),
    row(make_context(env_writable=False), request("--user", "pkg"),
        Expect("explicit", USER_BASE, NONE, reason="--user on the command line"), "user-writable"),
    row(make_context(user_writable=False), request("--user", "pkg"),
        Expect(REFUSED, None, NONE, reason="not writable"), "user-unwritable-refused"),
    row(make_context(interpreter=PEP668), request("--user", "pkg"),
        Expect(REFUSED, None, NONE, reason="externally managed"), "user-under-pep668-refused"),
    row(make_context(interpreter=PEP668), request("--user", "--break-system-packages", "pkg"),
        Expect("explicit", USER_BASE, NONE), "user-under-pep668-break-system-packages"),
    row(active_venv(), request("--user", "pkg"),
        Expect(REFUSED, None, NONE, reason="not visible in this virtualenv"), "user-in-isolated-venv-refused"),
    row(active_venv(system_site_packages=True), request("--user", "pkg"),
        Expect("explicit", USER_BASE, NONE), "user-in-venv-with-system-site-packages"),
    row(make_context(interpreter=system_python(user_site=False)), request("--user", "pkg"),
        Expect(REFUSED, None, NONE, reason="disabled"), "user-site-disabled-refused"),
    row(make_context(pip={"require-virtualenv": "1"}), request("--user", "pkg"),
        Expect(REFUSED, None, NONE, reason="requires a virtualenv"), "user-with-require-virtualenv-refused"),
    row(make_context(explicit=dir_fact(TARGET_DIR)), request("--user", "--target", TARGET_DIR, "pkg"),
        Expect("explicit", TARGET_DIR, NONE, reason="--target"), "target-before-user"),
    row(make_context(explicit=dir_fact(TARGET_DIR), pip={"target": TARGET_DIR}), request("pkg"),
        Expect("explicit", TARGET_DIR, NONE, reason="from PIP_TARGET"), "pip-target-env-writable"),
    row(make_context(explicit=unwritable("/opt/p"), pip={"prefix": "/opt/p"}), request("pkg"),
        Expect(REFUSED, None, NONE, reason="not writable"), "pip-prefix-env-unwritable-refused"),
    row(make_context(pip={"target": ""}), request("pkg"),
        Expect("env", "/usr", NO_USER), "pip-target-empty-is-unset"),
    row(make_context(env_writable=False, pip={"user": "1"}), request("pkg"),
        Expect("explicit", USER_BASE, NONE, reason="from PIP_USER"), "pip-user-env"),
    row(make_context(env_writable=False, pip={"user": PipSetting("true", "/etc/pip.conf")}), request("pkg"),
        Expect("explicit", USER_BASE, NONE, reason="/etc/pip.conf"), "pip-user-config-file"),
    row(make_context(interpreter=PEP668, pip={"user": "yes"}), request("pkg"),
        Expect(REFUSED, None, NONE, reason="externally managed"), "pip-user-under-pep668-refused"),
    row(make_context(pip={"user": "0"}), request("pkg"),
        Expect("env", "/usr", NO_USER), "pip-user-0-is-not-explicit"),
    row(active_venv(pip={"user": "1"}), request("pkg"),
        Expect("env", VENV, NO_USER, notice="ignoring PIP_USER"), "pip-user-in-active-venv-ignored"),
    row(make_context(pip={"user": "1"}), request("--no-user", "pkg"),
        Expect("env", "/usr", NO_USER), "no-user-cancels-pip-user"),
    row(make_context(pip={"user": "1"}), request("--user", "--no-user", "pkg"),
        Expect("env", "/usr", NO_USER), "no-user-last-wins"),
    row(make_context(env_writable=False, pip={"user": "1"}), request("--no-user", "pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "--no-user")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True),
        "no-user-then-no-user-site"),
    row(make_context(explicit=dir_fact(TARGET_DIR), pip={"target": TARGET_DIR}), request("--no-user", "pkg"),
        Expect("explicit", TARGET_DIR, NONE, reason="from PIP_TARGET"),
        "no-user-leaves-pip-target"),
    # -- --fallback moves an explicit choice that cannot work; --no-fallback never moves
    row(make_context(explicit=unwritable(), env_writable=False),
        request("--target", TARGET_DIR, "-q", "pkg", fallback=True),
        Expect("user", USER_BASE, USER, passed=(("explicit", "--fallback"), ("env", "not writable")),
               pip_args=("-q", "pkg")), "fallback-moves-target"),
    row(make_context(explicit=unwritable()), request(f"--target={TARGET_DIR}", "pkg", fallback=True),
        Expect("env", "/usr", NO_USER, passed=(("explicit", "not writable"),), pip_args=("pkg",)),
        "fallback-moves-target-to-env"),
    row(make_context(explicit=unwritable(), pip={"target": TARGET_DIR}, env_writable=False),
        request("pkg", fallback=True),
        Expect("user", USER_BASE, USER, passed=(("explicit", "--fallback"), ("env", "not writable")),
               env_overrides=(("PIP_TARGET", ""), ("PIP_PREFIX", ""), ("PIP_USER", "0"))),
        "fallback-moves-pip-target"),
    row(make_context(interpreter=PEP668), request("--user", "pkg", fallback=True),
        Expect("managed", MANAGED, NO_USER,
               passed=(("explicit", "externally managed"), ("env", "PEP 668"), ("user", "PEP 668")),
               pip_args=("pkg",), create_from=SYSTEM_PY_REAL, system_site_packages=True),
        "fallback-moves-user-under-pep668"),
    row(active_venv(), request("--user", "pkg", fallback=True),
        Expect("env", VENV, NO_USER, passed=(("explicit", "not visible"),), pip_args=("pkg",)),
        "fallback-moves-user-in-venv"),
    row(make_context(explicit=unwritable()), request("--target", TARGET_DIR, "pkg", no_fallback=True),
        Expect(REFUSED, None, NONE, reason="not writable"), "no-fallback-target-unwritable"),
    row(active_venv(env_writable=False, env_owner="root"), request("pkg", no_fallback=True),
        Expect(REFUSED, None, NONE, passed=(("env", "not writable"),), reason="cannot be used"),
        "no-fallback-active-venv-unwritable"),
    row(make_context(env_writable=False), request("pkg", no_fallback=True),
        Expect(REFUSED, None, NONE, passed=(("env", "not writable"),), reason="cannot be used"),
        "no-fallback-system-env-unwritable"),
    row(active_venv(env_writable=False, project_venvs=[project_venv(owner="bob")]), request("pkg", no_fallback=True),
        Expect(REFUSED, None, NONE, passed=(("venv", "owned by bob"), ("env", "not writable")), reason=VENV),
        "no-fallback-names-the-active-env"),
    # -- rule 2: the active environment, or an overlay of it
    row(active_venv(), request("pkg"),
        Expect("env", VENV, NO_USER, reason="active virtualenv"), "active-venv-writable"),
    row(active_venv(env_writable=False, env_owner="root"), request("pkg"),
        Expect("overlay", OVERLAY, NO_USER, passed=(("env", "not writable"),), reason="owned by root",
               notice=f"sudo chown -R alice {VENV}", create_from=SYSTEM_PY_REAL), "active-venv-root-owned-overlay"),
    row(active_venv(env_writable=False, env_owner="root", overlay_ready=True), request("pkg"),
        Expect("overlay", OVERLAY, NO_USER, passed=(("env", "not writable"),), notice="sudo chown -R"),
        "overlay-ready"),
    row(active_venv(env_writable=False, env_owner="root", system_site_packages=True), request("pkg"),
        Expect("overlay", OVERLAY, NO_USER, passed=(("env", "not writable"),), create_from=SYSTEM_PY_REAL,
               system_site_packages=True), "overlay-of-venv-with-system-site-packages"),
    row(active_venv(env_writable=False, env_owner="root", data_writable=False), request("pkg"),
        Expect(REFUSED, None, NONE,
               passed=(("env", "not writable"), ("overlay", "not writable"), ("env", "not writable"),
                       ("user", "not visible"), ("managed", "not writable")),
               reason="no writable place"), "overlay-impossible-data-dir-unwritable"),
    row(make_context(interpreter=venv_python(CONDA, conda=True), source="CONDA_PREFIX", active_env=CONDA,
                     env_owner="alice"), request("pkg"),
        Expect("env", CONDA, NO_USER, reason="conda"), "active-conda-env"),
    # a root-owned conda env: an overlay, as for a venv (not the user site every other Python 3.11 sees)
    row(make_context(interpreter=venv_python(CONDA, conda=True), source="CONDA_PREFIX", active_env=CONDA,
                     env_owner="root", env_writable=False), request("pkg"),
        Expect("overlay", OVERLAY, NO_USER, passed=(("env", "not writable"),), create_from=SYSTEM_PY_REAL),
        "overlay-of-root-owned-conda-env"),
    row(active_venv(source="--python"), request("pkg"),
        Expect("env", VENV, NO_USER, reason="--python"), "python-option-into-a-venv"),
    row(active_venv(pip_version=None), request("pkg"),
        Expect("env", VENV, NO_USER), "active-venv-without-pip"),
    # -- rule 3: a project venv of the user's; another user's is passed over and never executed
    row(make_context(interpreter=venv_python(PROJECT), source="project venv", active_env=PROJECT,
                     env_owner="alice", project_venvs=[project_venv()]), request("pkg"),
        Expect("venv", PROJECT, NO_USER, reason="project venv"), "project-venv-trusted"),
    row(make_context(interpreter=venv_python(PROJECT), source="project venv", active_env=PROJECT,
                     env_writable=False, project_venvs=[project_venv(owner="root")]), request("pkg"),
        Expect("overlay", OVERLAY, NO_USER, passed=(("venv", "not writable"),), notice="sudo chown -R",
               create_from=SYSTEM_PY_REAL), "project-venv-root-owned-overlay"),
    row(make_context(env_writable=False, project_venvs=[project_venv(owner="bob")]), request("pkg"),
        Expect("user", USER_BASE, USER, passed=(("venv", "owned by bob"), ("env", "not writable")),
               notice="ignoring"), "project-venv-untrusted"),
    # -- rule 4: the interpreter's own environment
    row(make_context(), request("pkg"),
        Expect("env", "/usr", NO_USER, reason="is writable"), "system-env-writable"),
    row(make_context(interpreter=PEP668), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "PEP 668"), ("user", "PEP 668")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "system-env-pep668"),
    row(make_context(interpreter=PEP668), request("--break-system-packages", "pkg"),
        Expect("env", "/usr", NO_USER, reason="--break-system-packages"), "pep668-break-system-packages"),
    row(make_context(interpreter=PEP668), request("--break", "pkg"),
        Expect("env", "/usr", NO_USER), "pep668-break-system-packages-abbreviated"),
    row(make_context(interpreter=PEP668, pip={"break-system-packages": "1"}), request("pkg"),
        Expect("env", "/usr", NO_USER), "pep668-pip-break-system-packages-env"),
    row(make_context(pip={"require-virtualenv": "true"}), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "PIP_REQUIRE_VIRTUALENV"), ("user", "virtualenv")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "pip-require-virtualenv"),
    row(make_context(), request("--require-virtualenv", "pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "--require-virtualenv"), ("user", "--require-virtualenv")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "require-virtualenv-option"),
    row(make_context(), request("--require-venv", "pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "virtualenv"), ("user", "virtualenv")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "require-venv-alias"),
    row(make_context(euid=0, sudo_uid=1000), request("pkg"),
        Expect("user", USER_BASE, USER, passed=(("env", "sudo"),)), "under-sudo"),
    row(make_context(euid=0, sudo_uid=1000), request("pkg", system=True),
        Expect("env", "/usr", NO_USER), "sudo-system"),
    row(make_context(euid=0, sudo_uid=1000, interpreter=PEP668), request("pkg", system=True),
        Expect(REFUSED, None, NONE, passed=(("env", "PEP 668"),), reason="--system"), "sudo-system-pep668-refused"),
    row(make_context(euid=0, sudo_uid=1000, interpreter=PEP668), request("--break-system-packages", "pkg", system=True),
        Expect("env", "/usr", NO_USER), "sudo-system-break-system-packages"),
    row(make_context(env_writable=False), request("pkg", system=True),
        Expect(REFUSED, None, NONE, passed=(("env", "not writable"),), reason="--system"), "system-not-root-refused"),
    row(make_context(euid=0), request("pkg"),
        Expect("env", "/usr", NO_USER), "root-in-a-container"),
    row(make_context(euid=0, sudo_uid=0), request("pkg"),
        Expect("env", "/usr", NO_USER), "root-sudo-from-root"),
    row(make_context(euid=0, interpreter=PEP668), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "PEP 668"), ("user", "PEP 668")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "root-in-a-container-pep668"),
    # -- rule 5: pip's --user
    row(make_context(env_writable=False), request("pkg"),
        Expect("user", USER_BASE, USER, passed=(("env", "not writable"),), reason="not writable"),
        "system-env-unwritable-user-site"),
    row(make_context(env_writable=False, user_dirs=False), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "no user site")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "no-user-site-dirs"),
    row(make_context(env_writable=False, interpreter=system_python(user_site=False)), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "disabled")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "user-site-disabled"),
    row(make_context(env_writable=False), request("pkg", prefer="venv"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "--prefer venv")),
               create_from=SYSTEM_PY_REAL, system_site_packages=True), "prefer-venv"),
    row(make_context(), request("pkg", prefer="venv"),
        Expect("env", "/usr", NO_USER), "prefer-venv-writable-env-still-wins"),
    row(make_context(), request("pkg", prefer="user"),
        Expect("user", USER_BASE, USER, passed=(("env", "--prefer user"),)), "prefer-user"),
    row(make_context(env_writable=False), request("pkg", prefer="user"),
        Expect("user", USER_BASE, USER, passed=(("env", "not writable"),)), "prefer-user-env-unwritable"),
    # -- rule 6: the managed venv
    row(make_context(env_writable=False, user_writable=False), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "not writable")),
               reason="sees the system's packages", create_from=SYSTEM_PY_REAL, system_site_packages=True),
        "managed-to-create"),
    row(make_context(env_writable=False, user_writable=False, managed_ready=True), request("pkg"),
        Expect("managed", MANAGED, NO_USER, passed=(("env", "not writable"), ("user", "not writable")),
               system_site_packages=True), "managed-ready"),
    # -- rule 7 and the edges: nothing writable, no interpreter, --venv
    row(make_context(env_writable=False, user_writable=False, data_writable=False), request("pkg"),
        Expect(REFUSED, None, NONE,
               passed=(("env", "not writable"), ("user", "not writable"), ("managed", "not writable")),
               reason="no writable place"), "nothing-writable"),
    row(make_context(no_interpreter=True), request("pkg"),
        Expect(REFUSED, None, NONE, reason="no Python"), "no-interpreter"),
    row(make_context(no_interpreter=True, project_venvs=[project_venv(owner="bob")]), request("pkg"),
        Expect(REFUSED, None, NONE, passed=(("venv", "never executed"),), reason="no Python"),
        "no-interpreter-untrusted-project-venv"),
    row(make_context(), request("pkg", venv=NEW_VENV),
        Expect("venv", NEW_VENV, NO_USER, reason="created", create_from=SYSTEM_PY_REAL), "venv-to-create"),
    row(make_context(interpreter=venv_python(NEW_VENV), source="--venv", active_env=NEW_VENV, env_owner="alice"),
        request("pkg", venv=NEW_VENV),
        Expect("venv", NEW_VENV, NO_USER, reason="--venv"), "venv-existing"),
]  # fmt: skip


def passed_over(plan: Plan) -> list[tuple[str, str]]:
    return [(item.kind, item.reason) for item in plan.passed_over]


def check_passed(plan: Plan, expected: tuple[tuple[str, str], ...]) -> None:
    actual = passed_over(plan)
    assert [kind for kind, _ in actual] == [kind for kind, _ in expected], actual
    for (_, reason), (_, word) in zip(actual, expected, strict=True):
        assert word in reason, actual


def check_target(plan: Plan, expect: Expect) -> None:
    target = plan.target
    assert plan.refusal is None, plan.refusal
    assert target is not None
    assert (target.kind, target.path) == (expect.kind, expect.path), target
    assert plan.pip_options == expect.pip_options
    assert target.create_from == expect.create_from
    assert target.system_site_packages is expect.system_site_packages
    if expect.reason is not None:
        assert expect.reason in target.reason
    if target.kind in ("venv", "managed", "overlay"):
        assert target.python == python_in(target.path)


def check_refusal(plan: Plan, expect: Expect) -> None:
    assert plan.target is None
    assert plan.refusal is not None
    assert plan.refusal.exit_code == 77
    assert plan.refusal.hint
    assert plan.pip_options == ()
    if expect.reason is not None:
        assert expect.reason in plan.refusal.message


@pytest.mark.parametrize(("context", "req", "expect"), TABLE)
def test_decision(context: Context, req: Request, expect: Expect) -> None:
    plan = decide_target(context, req)
    if expect.kind == REFUSED:
        check_refusal(plan, expect)
    else:
        check_target(plan, expect)
    check_passed(plan, expect.passed)
    assert plan.pip_args == (req.pip_args.argv if expect.pip_args is None else expect.pip_args)
    assert plan.env_overrides == expect.env_overrides
    if expect.notice is not None:
        assert any(expect.notice in line for line in plan.notices + plan.advice), plan.notices + plan.advice


# the same rows without their xfail marks: a wrong decision is still a pure one
PURITY_TABLE = [pytest.param(*param.values, id=param.id) for param in TABLE]


@pytest.mark.parametrize(("context", "req", "expect"), PURITY_TABLE)
def test_decision_is_pure(context: Context, req: Request, expect: Expect) -> None:
    first = decide_target(context, req)
    assert decide_target(context, req) == first
    assert decide_target(context, req).passed_over == first.passed_over


def test_table_covers_every_target_kind_and_the_refusal() -> None:
    kinds = {param.values[2].kind for param in TABLE}
    assert kinds == {"explicit", "env", "user", "venv", "managed", "overlay", REFUSED}


# ---------------------------------------------------------------- beyond the table


def test_untrusted_project_venv_is_never_the_interpreter() -> None:
    bobs = project_venv(owner="bob")
    plan = decide_target(make_context(project_venvs=[bobs]), request("pkg"))
    assert plan.target is not None
    assert plan.target.python == SYSTEM_PY
    assert not plan.target.python.startswith(bobs.path)
    assert not (plan.target.create_from or "").startswith(bobs.path)
    assert passed_over(plan)[0] == ("venv", "owned by bob; its python is never executed")


def test_advice_for_an_overlay_names_owner_and_chown() -> None:
    plan = decide_target(active_venv(env_writable=False, env_owner="root"), request("pkg"))
    assert plan.target is not None
    assert plan.target.overlay_of == VENV
    assert plan.notices == ()
    (notice,) = plan.advice  # said once per target, not on every run
    assert "belongs to root" in notice
    assert notice.endswith(f"sudo chown -R alice {VENV}")


def test_pip_user_ignored_inside_a_venv_names_its_source() -> None:
    config = PipSetting("true", f"{HOME}/.config/pip/pip.conf")
    plan = decide_target(active_venv(pip={"user": config}), request("pkg"))
    assert plan.target is not None
    assert (plan.target.kind, plan.pip_options) == ("env", NO_USER)
    assert plan.notices == (
        f"ignoring `user = true` in {HOME}/.config/pip/pip.conf inside a virtualenv, where pip cannot install "
        "with --user",
    )


def test_user_from_a_config_file_that_cannot_work_is_refused_naming_the_file() -> None:
    config = PipSetting("true", "/etc/xdg/pip/pip.conf")
    context = make_context(interpreter=PEP668, env_writable=False, pip={"user": config})
    plan = decide_target(context, request("pkg"))
    assert plan.target is None and plan.refusal is not None and plan.refusal.exit_code == 77
    assert "--user from /etc/xdg/pip/pip.conf" in plan.refusal.message
    assert "drop --user" not in plan.refusal.hint  # the user typed none
    assert "--no-user (for `user = true` in /etc/xdg/pip/pip.conf)" in plan.refusal.hint


def test_target_without_pip_is_driven_with_python_option() -> None:
    plan = decide_target(active_venv(pip_version=None), request("-r", "req.txt"))
    assert plan.target is not None
    assert plan.target.has_pip is False
    assert pip_command(plan, "install") == [
        sys.executable, "-P", "-m", "pip", "--python", python_in(VENV), "install", "--no-user", "-r", "req.txt",
    ]  # fmt: skip


def test_target_with_pip_runs_its_own_pip() -> None:
    plan = decide_target(active_venv(), request("-r", "req.txt"))
    assert plan.target is not None
    assert plan.target.has_pip is True
    assert pip_command(plan, "install") == [
        python_in(VENV), "-P", "-m", "pip", "install", "--no-user", "-r", "req.txt",
    ]  # fmt: skip


def test_fallback_pip_command_lacks_the_target() -> None:
    context = make_context(explicit=unwritable(), env_writable=False)
    plan = decide_target(context, request("-t", TARGET_DIR, "--no-deps", "pkg", fallback=True))
    assert pip_command(plan, "install") == [
        SYSTEM_PY,
        "-P",
        "-m",
        "pip",
        "install",
        "--user",
        "--no-deps",
        "pkg",
    ]


def test_a_python_without_safe_path_gets_the_working_directory_dropped_another_way() -> None:
    plan = decide_target(
        make_context(interpreter=system_python()._replace(version="3.10.12"), env_writable=False),
        request("pkg"),
    )
    argv = pip_command(plan, "install")
    assert argv[:2] == [SYSTEM_PY, "-c"] and "del sys.path[0]" in argv[2]
    assert argv[3:] == ["install", "--user", "pkg"]


def test_fallback_keeps_flags_clustered_with_the_target() -> None:
    plan = decide_target(
        make_context(explicit=unwritable()), request("-Ut", TARGET_DIR, "pkg", fallback=True)
    )
    assert parse_pip_args(plan.pip_args).has("--upgrade")
    assert parse_pip_args(plan.pip_args).explicit_location is None


def test_empty_target_value_does_not_crash() -> None:
    # probe_context gives no explicit_dir for an empty value, as here
    plan = decide_target(make_context(), request("--target=", "pkg"))
    assert plan.target is not None
    assert plan.target.kind != "explicit"


def test_relative_venv_depends_only_on_the_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    context, req = make_context(), request("pkg", venv="rel-venv")
    monkeypatch.chdir(tmp_path)
    first = decide_target(context, req)
    monkeypatch.chdir("/")
    assert decide_target(context, req) == first


# ---------------------------------------------------------------- noexec mounts


def noexec(facts: Mapping[str, DirFact]) -> Mapping[str, DirFact]:
    return MappingProxyType({key: fact._replace(noexec=True) for key, fact in facts.items()})


def test_an_active_venv_on_a_noexec_mount_is_overlaid_where_its_code_can_run() -> None:
    context = active_venv()
    context = context._replace(env_dirs=noexec(context.env_dirs))
    plan = decide_target(context, request("pkg"))
    assert plan.target is not None and plan.target.kind == "overlay"
    assert "noexec mount" in plan.passed_over[0].reason
    assert "noexec mount" in plan.target.reason and "not writable" not in plan.target.reason
    (advice,) = plan.advice
    assert "noexec" in advice and "chown" not in advice  # the venv is alice's: chown would change nothing


def test_a_system_environment_on_noexec_falls_to_the_user_site() -> None:
    context = make_context(env_owner="alice")
    context = context._replace(env_dirs=noexec(context.env_dirs))
    plan = decide_target(context, request("pkg"))
    assert plan.target is not None and plan.target.kind == "user"


def test_an_explicit_target_on_noexec_is_refused_before_pip() -> None:
    target = dir_fact(TARGET_DIR)._replace(noexec=True)
    plan = decide_target(make_context(explicit=target), request("--target", TARGET_DIR, "pkg"))
    assert plan.target is None and plan.refusal is not None
    assert plan.refusal.exit_code == 77 and "noexec mount" in plan.refusal.message


def test_no_managed_venv_in_a_data_dir_on_noexec() -> None:
    context = make_context(interpreter=PEP668, env_writable=False)
    context = context._replace(data_dir=context.data_dir._replace(noexec=True))
    plan = decide_target(context, request("pkg"))
    assert plan.target is None and plan.refusal is not None and plan.refusal.exit_code == 77


# ---------------------------------------------------------------- commands that only read the target


def reading(command: str, *argv: str) -> Request:
    """`safepip COMMAND ARGV`: a pip command other than install."""
    return Request(command, parse_pip_args(argv), Options())


@pytest.mark.parametrize("command", ["list", "freeze", "show", "check", "inspect"])
def test_a_reading_command_makes_no_managed_venv_of_a_system_python(command: str) -> None:
    # `pip list` with pip going to safepip, before any install: the system's packages, nothing made
    context = make_context(interpreter=PEP668, env_writable=False)
    assert decide_target(context, request("pkg")).target.create_from is not None  # type: ignore[union-attr]
    target = decide_target(context, reading(command)).target
    assert target is not None and target.kind == "env" and target.create_from is None
    assert target.python == PEP668.executable and target.path == PEP668.prefix
    # once made, it is read as it is
    made = decide_target(
        make_context(interpreter=PEP668, env_writable=False, managed_ready=True), reading(command)
    )
    assert made.target is not None and made.target.kind == "managed"


def test_a_reading_command_makes_no_overlay() -> None:
    context = active_venv(env_writable=False, env_owner="root")
    assert decide_target(context, request("pkg")).target.kind == "overlay"  # type: ignore[union-attr]
    target = decide_target(context, reading("list")).target
    assert target is not None and (target.kind, target.path, target.create_from) == ("env", VENV, None)
    assert decide_target(context, reading("uninstall", "-y", "pkg")).target.kind == "overlay"  # type: ignore[union-attr]


def test_list_user_is_no_install_for_pep_668() -> None:
    context = make_context(interpreter=PEP668, env_writable=False)
    assert decide_target(context, request("--user", "pkg")).refusal is not None  # pip refuses it too
    plan = decide_target(context, reading("list", "--user"))
    assert plan.refusal is None and plan.target is not None and plan.target.kind == "explicit"


def test_config_user_is_pips_user_config_file_not_the_user_site() -> None:
    # `pip config --user edit` inside a venv: the user's pip.conf, nothing to do with the user site
    plan = decide_target(active_venv(), reading("config", "--user", "list"))
    assert plan.refusal is None and plan.target is not None and plan.target.kind == "env"
    refused = decide_target(
        active_venv(), request("--user", "pkg")
    )  # install --user in a venv: pip refuses too
    assert refused.refusal is not None


def test_pips_source_directory_outside_a_venv_is_refused_only_where_pip_uses_it() -> None:
    """pip checks an editable VCS requirement out into ./src when it runs outside a venv: another user's
    ./src stops the install there (the system's Python, writable for root), not in a venv, where it is the
    venv's own src."""
    why = "pip's source directory /tmp/src (pip's default) is not safe to write: ..."
    outside = make_context(euid=0)._replace(src_default_distrust=why)
    plan = decide_target(outside, request("-e", "git+https://example.org/x#egg=x"))
    assert plan.target is None and plan.refusal is not None and plan.refusal.message == why
    inside = active_venv()._replace(src_default_distrust=why)
    assert decide_target(inside, request("-e", "git+https://example.org/x#egg=x")).target is not None
