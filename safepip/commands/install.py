"""`safepip install ARGS` and every other pip command: decide; answer an install that pip would find already
satisfied without starting pip (the no-op answer); else (commands/run_pip.py) lock, check and run pip.

The order is the promise: pip starts only after the decision, the target's lock and the half-upgrade
preflight, and it inherits the lock, so nothing safepip started writes to a target without holding it.
"""

from __future__ import annotations

import os

from safepip.commands.common import OWN_VENV_KINDS, plan_for, require_target
from safepip.errors import RefusedError, SafepipError, UsageError
from safepip.util.named_tuple import NamedTuple
from safepip.util.process import own_python_environment, run_streaming

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from safepip.commands.common import Notify
    from safepip.facts.pip_args import PipArgs
    from safepip.facts.pip_config import PipSwitches
    from safepip.facts.records import Context, Interpreter
    from safepip.facts.request import Request
    from safepip.facts.stamps import FileStamp
    from safepip.policy.noop import Inputs
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
    """The distributions pip would find already satisfied in the target, when that is all it would do."""
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
    return already_satisfied(
        request.pip_args,
        context.pip,
        interpreter.sys_path,
        interpreter.markers,
        os.environ,
        os.getcwd(),
        cache_dir=context.home_cache,
    )


def already_satisfied(
    args: PipArgs,
    switches: PipSwitches,
    sys_path: Sequence[str],
    markers: Mapping[str, str],
    environ: Mapping[str, str],
    cwd: str,
    *,
    cache_dir: str | None = None,
    keep: bool = True,
) -> list[str] | None:
    """What pip would find already satisfied when that is all it would do; None when pip must run.

    With `cache_dir` (safepip's cache dir) the answer is looked up there first and, when `keep`, kept
    there; explain and doctor pass `keep=False`, as they write nothing.
    """
    from safepip.facts import noop_cache  # imported lazily: see import_later_stages
    from safepip.policy.noop import NotPlain, cache_key, plain_inputs

    if not sys_path or not markers:
        return None
    try:
        inputs = plain_inputs(args, switches)
    except NotPlain:
        return None
    key = cache_key(args, switches, sys_path, markers, cwd) if cache_dir else None
    if cache_dir and key:
        answer = noop_cache.cached_answer(cache_dir, key, environ)
        if answer is not None:
            return answer
    built = answer_from_files(inputs, sys_path, markers, environ, cwd)
    if built is not None and built.files is not None and cache_dir and key and keep:
        noop_cache.keep_answer(
            cache_dir, key, built.answer, built.files, built.sites, built.variables, environ
        )
    return built.answer if built is not None else None


class Built(NamedTuple):
    answer: list[str]
    # requirements, constraints and metadata files read; None when their paths are not to be written down
    files: list[tuple[str, FileStamp | None]] | None
    sites: tuple[tuple[str, str], ...]  # the sys.path directories' stamps
    variables: tuple[str, ...]  # the environment variables the files refer to


def answer_from_files(
    inputs: Inputs, sys_path: Sequence[str], markers: Mapping[str, str], environ: Mapping[str, str], cwd: str
) -> Built | None:
    """The answer read from the requirements files and the installed metadata: what a cached answer saves."""
    # Imported here: a cached answer needs none of them. packaging (closure.py) costs more to import than
    # a cached answer takes, and more than the whole check when a requirement is plainly not installed.
    from safepip.facts.installed import read_metadata, scan_installed
    from safepip.facts.requirements import NotRead, read_sources
    from safepip.policy.noop import surely_missing

    try:
        sources = read_sources(inputs.requirement_files, inputs.constraint_files, environ, cwd)
    except NotRead:
        return None
    requirements = (*inputs.requirements, *sources.requirements)
    scan = scan_installed(sys_path)
    if not requirements or not scan.complete:
        return None  # nothing to install: pip has something to say about that
    if any(surely_missing(requirement, scan.found) for requirement in requirements):
        return None
    from safepip.policy.closure import Unsatisfied, satisfied_closure

    try:
        closure = satisfied_closure(requirements, sources.constraints, scan.found, markers, read_metadata)
    except Unsatisfied:
        return None
    files = [(source.path, source.stamp) for source in sources.files] + closure.files
    return Built(
        closure.answer, None if sources.paths_from_variables else files, scan.sites, sources.variables
    )


def pip_completion() -> int:
    """pip's own completion (PIP_AUTO_COMPLETE with COMP_WORDS and COMP_CWORD, as pip's completion scripts
    call `pip`): the words come from safepip's pip, which reads nothing of the target."""
    from safepip.policy.pip_command import own_pip

    return run_streaming(own_pip(), own_python_environment(os.environ))[0]


def pip_help(request: Request) -> int:
    """pip's own help, from safepip's pip: nothing was checked for it, so no PYTHONPATH and the like. pip
    sets up its log, reads its config files and takes its own --python for help too: those are checked
    first."""
    from safepip.facts.pip_config import read_pip_switches
    from safepip.facts.pip_files import FIX, pip_file_distrust
    from safepip.policy.pip_command import own_pip

    isolated = request.pip_args.isolated
    switches = read_pip_switches(os.environ, os.path.expanduser("~"), None, isolated, request.command)
    unsafe = pip_file_distrust(request.pip_args, switches, os.geteuid(), request.command, os.environ)
    if unsafe is not None:
        raise RefusedError(unsafe, FIX)
    from safepip.policy.pips_python import own_python_refusal, pips_python_setting

    setting = pips_python_setting(switches)
    if setting is not None:  # pip's main parser would start pip again under it
        raise UsageError(*own_python_refusal(*setting, request.command))
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
