"""What the user asked for (Request) and what safepip will do about it (Plan)."""

from __future__ import annotations

from typing import NamedTuple

from safepip.pip_args import PipArgs
from safepip.pip_cache import CacheChoice
from safepip.tempdirs import DEFAULT_MIN_TMP_SPACE, TempChoice


class Options(NamedTuple):
    """safepip's own options, from the command line or SAFEPIP_* variables."""

    python: str | None = None
    venv: str | None = None
    prefer: str | None = None  # "user" or "venv"
    no_fallback: bool = False
    fallback: bool = False
    system: bool = False  # keep root under sudo and target the system environment
    lock_timeout: float = 600.0
    min_tmp_space: int = DEFAULT_MIN_TMP_SPACE
    quiet: bool = False
    verbose: bool = False
    json: bool = False


class Request(NamedTuple):
    command: str  # the pip command: "install", ...
    pip_args: PipArgs
    options: Options = Options()


class Target(NamedTuple):
    kind: str  # explicit, env, user, venv, managed or overlay
    path: str  # where pip writes: the environment's prefix, the user base, or the explicit directory
    python: str  # the interpreter pip installs for
    reason: str
    create_from: str | None = None  # base interpreter, when a venv must be made first
    system_site_packages: bool = False
    overlay_of: str | None = None  # the unwritable venv an overlay sees
    has_pip: bool = True  # False: drive it with safepip's own pip and --python


class PassedOver(NamedTuple):
    kind: str
    path: str | None
    reason: str


class Refusal(NamedTuple):
    message: str
    hint: str
    exit_code: int = 77


class Plan(NamedTuple):
    target: Target | None
    passed_over: tuple[PassedOver, ...]
    refusal: Refusal | None = None
    pip_options: tuple[str, ...] = ()  # what safepip adds before the user's arguments
    pip_args: tuple[str, ...] = ()  # the user's arguments as pip gets them
    notices: tuple[str, ...] = ()
    env_overrides: tuple[tuple[str, str], ...] = ()  # variables set for pip (only with --fallback)
    temp: TempChoice | None = None
    cache: CacheChoice | None = None
