"""The commands: probe, decide, then act. They return data and report progress through `notify`."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from safepip import paths
from safepip.context import Context
from safepip.decide import decide_target
from safepip.delegate import pip_command, pip_environment, run_pip
from safepip.diagnose import diagnose
from safepip.errors import RefusedError, SafepipError
from safepip.locking import target_lock
from safepip.pip_args import parse_pip_args
from safepip.plan import Options, Plan, Request, Target
from safepip.preflight import install_dirs, new_stash_line, refuse_half_upgrade, stash_entries
from safepip.probe import probe_context
from safepip.render import target_line, usage_line
from safepip.scripts import bin_entries, link_new_scripts, on_path, remove_dangling_links, user_bin_dir
from safepip.tempdirs import TempChoice, private_temp
from safepip.venvs import ensure_venv

Notify = Callable[[str], None]
LINKED_KINDS = ("managed", "overlay")  # venvs of safepip's own, whose scripts are linked into ~/.local/bin
KEEP_TEMP = TempChoice(True, None, "not decided")
CHANGING_COMMANDS = ("install", "uninstall")
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
    request: Request, environ: Mapping[str, str] | None = None, cwd: str | None = None
) -> tuple[Context, Plan]:
    context = probe_context(request, environ, cwd)
    return context, decide_target(context, request)


def require_target(plan: Plan) -> Target:
    if plan.refusal is not None or plan.target is None:
        refusal = plan.refusal
        assert refusal is not None
        raise RefusedError(refusal.message, refusal.hint, refusal.exit_code)
    return plan.target


def overlay_site_dirs(context: Context) -> tuple[str, ...]:
    interpreter = context.interpreter
    if interpreter is None:
        return ()
    return tuple(interpreter.scheme[key] for key in ("purelib", "platlib") if key in interpreter.scheme)


def link_scripts(context: Context, target: Target, before: set[str], notify: Notify) -> None:
    user_bin = user_bin_dir(context.identity.home)
    try:
        report = link_new_scripts(target.path, before, user_bin, context.data_dir.path)
    except OSError as error:
        notify(
            f"could not link console scripts into {user_bin} ({error.strerror}); they are in {target.path}/bin"
        )
        return
    for link in report.linked:
        notify(f"linked {link}")
    for link in report.left_alone:
        notify(f"left {link} alone: safepip did not make it; the script is in {target.path}/bin")
    if report.linked and not on_path(user_bin, os.environ.get("PATH", "")):
        notify(f"{user_bin} is not on PATH; add it to run these commands by name")


@contextmanager
def locked_and_ready(
    context: Context, target: Target, request: Request, notify: Notify, hold: bool = True
) -> Iterator[None]:
    """The target's venv made first if the plan needs one, under the target's lock; held throughout if `hold`."""
    if context.private_root is not None:
        paths.make_private_root(context.private_root, context.identity.euid)
    if not hold and target.create_from is None:
        yield
        return
    lock = paths.lock_path(context.data_dir.path, target.path)
    with target_lock(lock, target.path, request.options.lock_timeout, notify):
        if ensure_venv(target, context.data_dir.path, overlay_site_dirs(context)):
            notify(f"created the {target.kind} venv {target.path}")
        if hold:
            yield
            return
    yield


def noop_answer(context: Context, target: Target, request: Request) -> list[str] | None:
    """The distributions pip would find already satisfied, when that is all it would do (see noop.py)."""
    interpreter = context.interpreter
    if target.kind not in NOOP_KINDS or target.create_from is not None or interpreter is None:
        return None
    if target.python != interpreter.executable:  # a managed or overlay venv: ask its own interpreter
        from safepip.interpreter_query import query_interpreter

        cache = context.own_cache.path if context.own_cache else None
        try:
            interpreter = query_interpreter(target.python, cache)
        except SafepipError:
            return None
    from safepip.noop import already_satisfied

    return already_satisfied(
        request.pip_args, context.pip, interpreter.sys_path, interpreter.markers, os.environ, os.getcwd()
    )


def pip_help(request: Request) -> int:
    help_command = [sys.executable, "-m", "pip", request.command, *request.pip_args.argv]
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
    changes = request.command in CHANGING_COMMANDS
    if changes:
        for notice in plan.notices:
            notify(notice)
        notify(target_line(target))
    with locked_and_ready(context, target, request, notify, hold=changes):
        scripts_before = bin_entries(target.path) if target.kind in LINKED_KINDS else None
        with private_temp(plan.temp or KEEP_TEMP) as temp_variables:
            environ = {**pip_environment(plan), **temp_variables}
            if plan.cache is not None and plan.cache.redirect_to:
                environ["PIP_CACHE_DIR"] = plan.cache.redirect_to
            dirs = install_dirs(context, target)
            if request.command == "install" and not request.pip_args.has("--dry-run"):
                refuse_half_upgrade(context, plan, request, environ, dirs)
            stash_before = stash_entries(dirs) if changes else set()
            code, errors = run_pip(
                pip_command(plan, request.command), environ, stdout_to_stderr=request.options.json
            )
            stash_line = new_stash_line(stash_entries(dirs) - stash_before) if changes else None
            diagnosis = (
                diagnose(errors, context.identity.euid, environ.get("TMPDIR", "/tmp"), dirs or (target.path,))
                if code
                else None
            )
        if scripts_before is not None:
            if code == 0 and request.command == "install":
                link_scripts(context, target, scripts_before, notify)
            if request.command == "uninstall":
                for link in remove_dangling_links(user_bin_dir(context.identity.home), target.path):
                    notify(f"removed the link {link}")
    for line in (stash_line, diagnosis.line() if diagnosis else None):
        if line:
            notify(line)
    interpreter = context.interpreter
    if code == 0 and request.command == "install" and interpreter and target.python != interpreter.executable:
        notify(usage_line(target))
    return code


def resolve_python(request: Request, notify: Notify) -> str:
    """`safepip python`: the target's interpreter, its venv made first so the path works at once."""
    context, plan = plan_for(request)
    target = require_target(plan)
    if target.create_from is not None:
        with locked_and_ready(context, target, request, notify, hold=False):
            pass
    return target.python


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
    """`safepip run -- CMD…`: CMD with the target active, with pip's temp and cache repairs; its exit code."""
    context, plan = plan_for(request)
    target = require_target(plan)
    with locked_and_ready(context, target, request, notify, hold=False):
        pass
    with private_temp(plan.temp or KEEP_TEMP) as temp_variables:
        environ = {**target_environment(context, target, pip_environment(plan)), **temp_variables}
        if plan.cache is not None and plan.cache.redirect_to:
            environ["PIP_CACHE_DIR"] = plan.cache.redirect_to
        command = shutil.which(argv[0], path=environ.get("PATH")) or argv[0]
        try:
            return run_pip([command, *argv[1:]], environ, tee_stderr=False)[0]
        except OSError as error:
            raise SafepipError(
                f"cannot run {argv[0]}: {error.strerror}",
                "check the command name; `safepip run -- which NAME`",
                127,
            ) from None
