"""What safepip will do about a request: the Plan, with its Target and the candidates passed over."""

from __future__ import annotations

from safepip.policy.cache import CacheChoice
from safepip.policy.temp import TempChoice
from safepip.util.named_tuple import NamedTuple


class Target(NamedTuple):
    kind: str  # explicit, env, user, venv, managed or overlay
    path: str  # where pip writes: the environment's prefix, the user base, or the explicit directory
    python: str  # the interpreter pip installs for
    reason: str
    create_from: str | None = None  # base interpreter, when a venv must be made first
    system_site_packages: bool = False
    overlay_of: str | None = None  # the unwritable venv an overlay sees
    has_pip: bool = True  # False: drive it with safepip's own pip and --python
    version: str = ""  # the target python's version, "3.11.2"


class PassedOver(NamedTuple):
    kind: str
    path: str | None
    reason: str


class Refusal(NamedTuple):
    message: str
    hint: str
    exit_code: int = 77


# the pip commands that change the target: they hold its lock and say where they act; the others only read it
# (list, freeze, show, …) or write elsewhere (download, wheel, cache, config)
CHANGING_COMMANDS = ("install", "uninstall")
# the commands that read what is installed in the target, and pip's version: before the target's venv is made,
# they read the environment it would see (policy/decide.py for_reading)
READING_COMMANDS = ("list", "freeze", "show", "check", "inspect", "--version")


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
    advice: tuple[str, ...] = ()  # said once per target: how to change the situation (a chown)
    pip_notices: tuple[str, ...] = ()  # what pip is given instead (temp dir, cache): said only when pip runs

    @property
    def every_notice(self) -> tuple[str, ...]:
        """The notices, and what pip is given instead: what a run that starts pip says, and explain shows."""
        return (*self.notices, *self.pip_notices)
