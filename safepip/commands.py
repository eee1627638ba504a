"""The commands: probe, decide, answer a no-op at once, else act (pip_run.py). They return data and report
progress through `notify`."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

from safepip.context import Context
from safepip.decide import decide_target
from safepip.errors import RefusedError, SafepipError
from safepip.pip_args import parse_pip_args
from safepip.plan import Options, Plan, Request, Target
from safepip.probe import probe_context

Notify = Callable[[str], None]
NOOP_KINDS = (
    "env",
    "venv",
    "managed",
    "overlay",
)  # targets whose installed packages the no-op check reads  # these hold the lock and say where they act
Trace = Callable[[Context, Plan], None]


def make_request(command: str, argv: Sequence[str], options: Options) -> Request:
    return Request(command, parse_pip_args(argv), options)


def plan_for(
    request: Request, environ: Mapping[str, str] | None = None, cwd: str | None = None, writes: bool = True
) -> tuple[Context, Plan]:
    """Probe and decide. `writes=False` (explain, doctor) keeps even safepip's own caches untouched."""
    context = probe_context(request, environ, cwd, writes)
    return context, decide_target(context, request)


def require_target(plan: Plan) -> Target:
    if plan.refusal is not None or plan.target is None:
        refusal = plan.refusal
        assert refusal is not None
        raise RefusedError(refusal.message, refusal.hint, refusal.exit_code)
    return plan.target


def noop_answer(context: Context, target: Target, request: Request) -> list[str] | None:
    """The distributions pip would find already satisfied, when that is all it would do (see noop.py)."""
    interpreter = context.interpreter
    if target.kind not in NOOP_KINDS or target.create_from is not None or interpreter is None:
        return None
    if target.python != interpreter.executable:  # a managed or overlay venv: ask its own interpreter
        from safepip.interpreter_query import query_interpreter

        cache = context.own_cache.path if context.own_cache else None
        try:
            made = context.private_root is None or os.path.isdir(context.private_root)
            interpreter = query_interpreter(target.python, cache, keep=made)
        except SafepipError:
            return None
    from safepip.noop import already_satisfied

    return already_satisfied(
        request.pip_args, context.pip, interpreter.sys_path, interpreter.markers, os.environ, os.getcwd()
    )


def pip_help(request: Request) -> int:
    from safepip.delegate import module_pip, run_pip

    help_command = module_pip(sys.executable, request.command, *request.pip_args.argv)
    return run_pip(help_command, dict(os.environ))[0]


def run_pip_command(request: Request, notify: Notify, trace: Trace | None = None) -> int:
    """`safepip install ARGS`, and every other pip command: pip against the chosen target."""
    if request.pip_args.has("--help") or request.command == "help":
        return pip_help(request)
    context, plan = plan_for(request)
    if trace is not None:
        trace(context, plan)
    target = require_target(plan)
    if request.command == "install":
        satisfied = noop_answer(context, target, request)
        if satisfied is not None:
            notify(f"already satisfied in {target.kind} {target.path}, pip not run: {', '.join(satisfied)}")
            return 0
    from safepip.pip_run import run_for_target

    return run_for_target(context, plan, target, request, notify)


def resolve_python(request: Request, notify: Notify) -> str:
    """`safepip python`: the target's interpreter, its venv made first so the path works at once."""
    context, plan = plan_for(request)
    target = require_target(plan)
    if target.create_from is not None:
        from safepip.pip_run import locked_and_ready

        with locked_and_ready(context, target, request, notify, hold=False):
            pass
    return target.python
