"""`safepip install ARGS` and every other pip command: decide, then (commands/run_pip.py) lock, check and run
pip; nothing before.

The order is the promise: pip starts only after the decision, the target's lock and the half-upgrade
preflight, and it inherits the lock, so nothing safepip started writes to a target without holding it.
"""

from __future__ import annotations

import os

from safepip.commands.common import OWN_VENV_KINDS, plan_for, require_target
from safepip.errors import SafepipError
from safepip.util.process import own_python_environment, run_streaming

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from safepip.commands.common import Notify
    from safepip.facts.records import Context, Interpreter
    from safepip.facts.request import Request
    from safepip.policy.plan import Plan, Target

    Trace = Callable[[Context, Plan], None]

NOOP_KINDS = ("env", "venv", "managed", "overlay")  # targets whose installed packages the no-op check reads


def import_later_stages() -> None:
    """What a pip command needs once its plan is made: the decision, the no-op check, locking and running
    pip. Imported lazily, and here while a first run's interpreter answers (plan_for's `meanwhile`), so that
    their loading fills that wait instead of delaying the question."""
    import safepip.actions.locks
    import safepip.actions.own_dirs
    import safepip.commands.run_pip
    import safepip.facts.installed
    import safepip.policy.decide
    import safepip.policy.noop  # noqa: F401


def noop_answer(context: Context, target: Target, request: Request) -> list[str] | None:
    """The distributions pip would find already satisfied, when that is all it would do (policy/noop.py)."""
    interpreter: Interpreter | None = context.interpreter
    if target.kind not in NOOP_KINDS or target.create_from is not None or interpreter is None:
        return None
    if target.python != interpreter.executable:  # a managed or overlay venv: ask its own interpreter
        from safepip.facts.interpreter import query_interpreter

        cache = context.own_cache.path if context.own_cache else None
        try:
            made = context.private_root is None or os.path.isdir(context.private_root)
            interpreter = query_interpreter(target.python, cache, keep=made)
        except SafepipError:
            return None
    from safepip.policy.noop import already_satisfied

    return already_satisfied(
        request.pip_args,
        context.pip,
        interpreter.sys_path,
        interpreter.markers,
        os.environ,
        os.getcwd(),
        cache_dir=context.own_cache.path if context.own_cache and context.private_root is None else None,
    )


def pip_help(request: Request) -> int:
    """pip's own help, from safepip's pip: nothing was checked for it, so no PYTHONPATH and the like."""
    from safepip.policy.pip_command import own_pip

    return run_streaming(
        own_pip(request.command, *request.pip_args.argv), own_python_environment(os.environ)
    )[0]


def run_pip_command(request: Request, notify: Notify, trace: Trace | None = None) -> int:
    """`safepip install ARGS`, and every other pip command: pip against the chosen target."""
    if request.pip_args.has("--help") or request.command == "help":
        return pip_help(request)
    context, plan = plan_for(request, meanwhile=import_later_stages)
    if trace is not None:
        trace(context, plan)
    target = require_target(plan)
    if request.command == "install":
        satisfied = noop_answer(context, target, request)
        if satisfied is not None:
            for notice in plan.notices:
                notify(notice)
            from safepip.commands.lines import shown

            where = shown(target.path, context.identity.home)
            notify(f"already satisfied in {target.kind} {where}, pip not run: {', '.join(satisfied)}")
            if target.kind in OWN_VENV_KINDS and not request.pip_args.has("--dry-run"):
                # a project named now may be there as another's dependency, its scripts not linked
                from safepip.commands.run_pip import link_requested_scripts

                link_requested_scripts(context, target, request, None, notify)
            return 0
    from safepip.commands.run_pip import run_for_target

    return run_for_target(context, plan, target, request, notify)
