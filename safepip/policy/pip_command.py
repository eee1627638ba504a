"""The pip command safepip runs for a plan: `<target python> -P -m pip <command> <safepip's options>
<the user's arguments>`, or safepip's own pip with `--python <target python>` when the target has none."""

from __future__ import annotations

import os

from safepip.util.archive import own_module
from safepip.util.process import python_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.policy.plan import Plan

# The location options safepip adds, and the pip commands that accept them: `list --user` shows the user
# site, while `uninstall` or `show` have no such option and find user-site packages anyway.
LOCATION_OPTIONS = {"--user": ("install", "list", "freeze"), "--no-user": ("install",)}
# safepip's option for a venv or environment target: there, not in the user site, whatever PIP_USER says
ENVIRONMENT_OPTIONS = ("--no-user",)


def own_pip(*tail: str) -> list[str]:
    """safepip's own pip (help, and targets without a pip of their own); in safepip.pyz, the one it carries."""
    return own_module("pip", *tail)


def pip_command(plan: Plan, command: str) -> list[str]:
    """safepip's own options come before the user's arguments, which then pass in order, untouched."""
    target = plan.target
    assert target is not None
    options = [o for o in plan.pip_options if command in LOCATION_OPTIONS.get(o, (command,))]
    tail = [command, *options, *plan.pip_args]
    if target.has_pip:
        return python_module(target.python, target.version, "pip", *tail)
    return own_pip("--python", target.python, *tail)


def pip_environment(plan: Plan, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with the plan's overrides; util/process.py's Child makes it safe for every child."""
    return {**(os.environ if base is None else base), **dict(plan.env_overrides)}
