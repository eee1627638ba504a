"""The commands: probe, decide, then act. They return data and report progress through `notify`."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

from safepip import paths
from safepip.context import Context
from safepip.decide import decide_target
from safepip.delegate import pip_command, pip_environment, run_pip
from safepip.diagnose import diagnose
from safepip.errors import RefusedError
from safepip.locking import target_lock
from safepip.pip_args import parse_pip_args
from safepip.plan import Options, Plan, Request, Target
from safepip.preflight import blocking_entries, refusal_text, stash_entries, would_install
from safepip.probe import probe_context
from safepip.render import target_line, usage_line
from safepip.scripts import bin_entries, link_new_scripts, on_path, user_bin_dir
from safepip.tempdirs import TempChoice, private_temp
from safepip.venvs import ensure_venv, site_packages

Notify = Callable[[str], None]
LINKED_KINDS = ("managed", "overlay")  # venvs of safepip's own, whose scripts are linked into ~/.local/bin
KEEP_TEMP = TempChoice(True, None, "not decided")
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


def install_dirs(context: Context, target: Target) -> tuple[str, ...]:
    """The site-packages and scripts directories pip will change for this target (for the preflight)."""
    interpreter = context.interpreter
    if target.kind in ("env", "venv") and interpreter is not None and target.python == interpreter.executable:
        scheme = interpreter.scheme
    elif target.kind == "user" and interpreter is not None:
        scheme = interpreter.user_scheme
    elif target.kind in ("managed", "overlay", "venv") and os.path.isdir(target.path):
        return (site_packages(target.path), os.path.join(target.path, "bin"))
    elif target.kind == "explicit" and target.reason.startswith("--target"):  # reason: "<option> <source>"
        return (target.path,)
    else:
        return ()
    return tuple(dict.fromkeys(scheme[key] for key in ("purelib", "platlib", "scripts") if key in scheme))


def refuse_half_upgrade(
    context: Context, plan: Plan, request: Request, environ: Mapping[str, str], dirs: tuple[str, ...]
) -> None:
    """Stop before pip when this install would have to remove files the user cannot remove."""
    report_dir = tempfile.mkdtemp(prefix="safepip-report-", dir=environ.get("TMPDIR") or None)
    report = os.path.join(report_dir, "report.json")
    dry_run = replace(plan, pip_options=("--dry-run", "--quiet", "--report", report, *plan.pip_options))
    try:
        blocking = blocking_entries(
            dirs,
            context.identity.euid,
            context.identity.name,
            lambda: would_install(pip_command(dry_run, request.command), environ, report),
        )
    finally:
        shutil.rmtree(report_dir, ignore_errors=True)
    if blocking:
        raise RefusedError(*refusal_text(blocking, context.identity.name))


def report_new_stash(entries: set[str], notify: Notify) -> None:
    if entries:
        names = " ".join(sorted(entries))
        notify(
            f"pip left {len(entries)} stash entries (a half-done upgrade); check `pip check`, then: rm -rf {names}"
        )


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
def locked_and_ready(context: Context, target: Target, request: Request, notify: Notify) -> Iterator[None]:
    """Hold the target's lock, with its venv made first if the plan needs one."""
    if context.private_root is not None:
        paths.make_private_root(context.private_root, context.identity.euid)
    lock = paths.lock_path(context.data_dir.path, target.path)
    with target_lock(lock, target.path, request.options.lock_timeout, notify):
        if ensure_venv(target, context.data_dir.path, overlay_site_dirs(context)):
            notify(f"created the {target.kind} venv {target.path}")
        yield


def run_pip_command(request: Request, notify: Notify, trace: Trace | None = None) -> int:
    """`safepip install ARGS` (and, later, every other pip command): pip against the chosen target."""
    if request.pip_args.has("--help"):
        help_command = [sys.executable, "-m", "pip", request.command, *request.pip_args.argv]
        return run_pip(help_command, dict(os.environ))[0]
    context, plan = plan_for(request)
    if trace is not None:
        trace(context, plan)
    target = require_target(plan)
    for notice in plan.notices:
        notify(notice)
    notify(target_line(target))
    with locked_and_ready(context, target, request, notify):
        scripts_before = bin_entries(target.path) if target.kind in LINKED_KINDS else None
        with private_temp(plan.temp or KEEP_TEMP) as temp_variables:
            environ = {**pip_environment(plan), **temp_variables}
            if plan.cache is not None and plan.cache.redirect_to:
                environ["PIP_CACHE_DIR"] = plan.cache.redirect_to
            dirs = install_dirs(context, target)
            if request.command == "install" and not request.pip_args.has("--dry-run"):
                refuse_half_upgrade(context, plan, request, environ, dirs)
            stash_before = stash_entries(dirs)
            code, errors = run_pip(pip_command(plan, request.command), environ)
            report_new_stash(stash_entries(dirs) - stash_before, notify)
            diagnosis = (
                diagnose(
                    errors,
                    context.identity.euid,
                    environ.get("TMPDIR", "/tmp"),
                    dirs or (target.path,),
                )
                if code
                else None
            )
        if code == 0 and scripts_before is not None:
            link_scripts(context, target, scripts_before, notify)
    if diagnosis is not None:
        notify(diagnosis.line())
    interpreter = context.interpreter
    if code == 0 and interpreter is not None and target.python != interpreter.executable:
        notify(usage_line(target))
    return code


def resolve_python(request: Request, notify: Notify) -> str:
    """`safepip python`: the target's interpreter, its venv made first so the path works at once."""
    context, plan = plan_for(request)
    target = require_target(plan)
    if target.create_from is not None:
        with locked_and_ready(context, target, request, notify):
            pass
    return target.python
