"""`safepip run -- CMD…`: CMD with the resolved target active, and pip's temp and cache repairs."""

from __future__ import annotations

import os
import shutil

from safepip.actions.temp import private_temp
from safepip.commands.common import made_first, pip_cache_variables, plan_for, require_target
from safepip.errors import SafepipError
from safepip.facts.records import Context
from safepip.facts.request import Request
from safepip.policy.plan import Target
from safepip.util.process import run_streaming

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.commands.common import Notify


def target_environment(context: Context, target: Target, base: Mapping[str, str]) -> dict[str, str]:
    """The environment of a shell with the target active: its scripts first on PATH, VIRTUAL_ENV for a venv."""
    environ = dict(base)
    interpreter = context.interpreter
    if target.kind == "user" and interpreter is not None:
        scripts = interpreter.user_scheme.get("scripts")
    elif target.kind == "env" and interpreter is not None and not interpreter.is_venv:
        scripts = None  # the system environment: its scripts are on PATH already
    else:
        scripts = os.path.dirname(target.python)
        environ["VIRTUAL_ENV"] = os.path.dirname(scripts)
        environ.pop("PYTHONHOME", None)
    if scripts:
        environ["PATH"] = os.pathsep.join(
            [scripts, *(p for p in environ.get("PATH", "").split(os.pathsep) if p)]
        )
    return environ


def run_in_target(request: Request, argv: Sequence[str], notify: Notify) -> int:
    """Runs in the working directory as the user asked (their command may import from it); its exit code."""
    context, plan = plan_for(request)
    target = require_target(plan)
    made_first(context, target, request, notify)
    temp_parent = plan.temp.parent if plan.temp and not plan.temp.keep else None
    with private_temp(temp_parent, context.identity.euid) as temp:
        environ = {
            **target_environment(context, target, {**os.environ, **dict(plan.env_overrides)}),
            **temp.variables,
            **pip_cache_variables(plan, context.identity.euid, notify),
        }
        command = shutil.which(argv[0], path=environ.get("PATH")) or argv[0]
        try:
            # the command's own exit code: one that handles Ctrl-C (a REPL, a test runner) decides it
            return run_streaming([command, *argv[1:]], environ, tee_stderr=False, own_code=True)[0]
        except OSError as error:
            raise SafepipError(
                f"cannot run {argv[0]}: {error.strerror}",
                "check the command name; `safepip run -- which NAME`",
                127,
            ) from None
