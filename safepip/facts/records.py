"""The facts safepip decides on: frozen, gathered once by `probe_context`, read by `decide_target`."""

from __future__ import annotations

from safepip.facts.fs import DirFact
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.facts.pip_cache import CacheFact
    from safepip.facts.pip_config import PipSwitches
    from safepip.facts.temp import TempFact

MappingProxyType = type(type.__dict__)  # as the types module defines it, without importing that module

__all__ = ["SCHEME_KEYS", "Context", "DirFact", "Identity", "Interpreter", "ProjectVenv"]

# The scheme keys pip writes to for one installation.
SCHEME_KEYS = ("purelib", "platlib", "scripts", "data", "include")


class Identity(NamedTuple):
    uid: int
    euid: int
    name: str
    home: str
    sudo_uid: int | None  # SUDO_UID of an ordinary user while we run as root

    @property
    def under_sudo(self) -> bool:
        return self.euid == 0 and self.sudo_uid is not None and self.sudo_uid != 0


class Interpreter(NamedTuple):
    executable: str
    real_path: str
    version: str  # "3.11.2"
    tag: str  # "cp311"
    prefix: str
    base_prefix: str
    is_venv: bool
    is_conda: bool
    system_site_packages: bool  # a venv's include-system-site-packages
    user_site_enabled: bool
    user_base: str
    stdlib: str
    externally_managed: bool
    pip_version: str | None
    scheme: Mapping[str, str]  # where pip writes for this environment
    user_scheme: Mapping[str, str]  # where pip --user writes
    sys_path: tuple[str, ...] = ()  # where it finds installed distributions
    markers: Mapping[str, str] = MappingProxyType({})  # PEP 508 environment markers, for its requirements
    site_dirs: tuple[str, ...] = ()  # what site.main() adds: site dirs and the paths their .pth files name
    pth_files: tuple[str, ...] = ()  # the .pth files Python runs at start-up (their `import` lines)
    pth_imports: tuple[str, ...] = ()  # the top-level modules those `import` lines import
    pth_opaque: tuple[str, ...] = ()  # .pth files with a line whose imports cannot be known (facts/pth.py)
    pth_paths: tuple[str, ...] = ()  # every directory a .pth file names, there or not


class ProjectVenv(NamedTuple):
    path: str
    python: str
    owner_uid: int
    owner_name: str
    trusted: bool  # owned (with its python) by the user or root, not writable by others
    distrust_reason: str | None = None


class Context(NamedTuple):
    identity: Identity
    interpreter: Interpreter | None
    interpreter_source: str  # "--python", "VIRTUAL_ENV", "CONDA_PREFIX", "project venv", "PATH", "--venv"
    interpreter_error: str | None
    active_env: str | None  # the activated environment's prefix, when one is active
    project_venvs: tuple[ProjectVenv, ...]
    pip: PipSwitches
    env_dirs: Mapping[str, DirFact]  # scheme key -> fact, for the interpreter's environment
    user_dirs: Mapping[str, DirFact]
    explicit_dir: DirFact | None  # the --target/--prefix/--root directory, when given
    data_dir: DirFact  # where safepip keeps managed venvs
    managed_venv: str | None  # the managed venv path for this interpreter
    managed_venv_ready: bool
    overlay_venv: str | None  # the overlay venv path, when the environment is a venv
    overlay_venv_ready: bool
    own_prefix: str  # safepip's own environment, never a target by accident
    temp: tuple[TempFact, ...] = ()  # the temp dir pip would use first, then the fallbacks
    target_temp: tuple[
        TempFact, ...
    ] = ()  # venvs and the user base, as temp candidates on the target's filesystem
    pip_cache: CacheFact | None = None
    own_cache: DirFact | None = None  # safepip's own cache dir, for a redirected pip cache
    private_root: str | None = None  # safepip's private 0700 dir, used when the home's dirs are not usable
    home_problem: str | None = None  # why the home's data and cache dirs are not used
    interpreter_refused: bool = False  # an explicitly chosen Python is not trusted: exit 77, not 2
    trust_notices: tuple[str, ...] = ()  # Pythons passed over, a group-shared environment used
    venv_option_distrust: str | None = None  # why the --venv to create is not safe (another user's tree)
    pip_file_distrust: str | None = None  # a file pip would write or trust that is not (facts/pip_files.py)
    src_default_distrust: str | None = None  # pip's ./src for an editable VCS requirement, outside a venv

    @property
    def home_cache(self) -> str | None:
        """safepip's cache dir when it is the home's, for what is kept from run to run (the no-op answers,
        what was said once); not the private fallback, which a run makes only when it needs it."""
        return self.own_cache.path if self.own_cache and self.private_root is None else None
