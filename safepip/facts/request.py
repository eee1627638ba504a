"""What the user asked for: safepip's own options and pip's command with its arguments."""

from __future__ import annotations

from safepip.facts.pip_args import PipArgs
from safepip.util.named_tuple import NamedTuple

DEFAULT_MIN_TMP_SPACE = 1 << 30
DEFAULT_LOCK_TIMEOUT = 600.0


class Options(NamedTuple):
    """safepip's own options, from the command line or SAFEPIP_* variables."""

    python: str | None = None
    venv: str | None = None
    prefer: str | None = None  # "user" or "venv"
    no_fallback: bool = False
    fallback: bool = False
    system: bool = False  # keep root under sudo and target the system environment
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    min_tmp_space: int = DEFAULT_MIN_TMP_SPACE
    quiet: bool = False
    verbose: bool = False
    json: bool = False


class Request(NamedTuple):
    command: str  # the pip command: "install", ...
    pip_args: PipArgs
    options: Options = Options()
