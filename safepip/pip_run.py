"""Acting on a plan: the target's lock and venv, pip's temp and cache, the half-upgrade preflight, pip itself,
and what follows (stash report, script links, the diagnosis). Also `safepip run`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from safepip import head_start, paths
from safepip.commands import plan_for, require_target
from safepip.context import Context
from safepip.delegate import PipProcess, pip_command, pip_environment, run_pip
from safepip.errors import SafepipError
from safepip.head_start import launch_for
from safepip.locking import target_lock
from safepip.own_dirs import make_private_root
from safepip.pip_gate import can_gate
from safepip.plan import Plan, Request, Target
from safepip.preflight import install_dirs, new_stash_line, refuse_half_upgrade, stash_entries
from safepip.render import target_line, usage_line
from safepip.scripts import bin_entries, link_new_scripts, on_path, remove_dangling_links, user_bin_dir
from safepip.tempdirs import TempChoice, private_temp

Notify = Callable[[str], None]
LINKED_KINDS = ("managed", "overlay")  # venvs of safepip's own, whose scripts are linked into ~/.local/bin
KEEP_TEMP = TempChoice(True, None, "not decided")
CHANGING_COMMANDS = ("install", "uninstall")  # these hold the lock and say where they act


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
        make_private_root(context.private_root, context.identity.euid)
    if not hold and target.create_from is None:
        yield
        return
    lock = paths.lock_path(context.data_dir.path, target.path)
    with target_lock(lock, target.path, request.options.lock_timeout, notify):
        if target.create_from is not None:  # venvs.py and its imports only for a venv to make
            from safepip.venvs import ensure_venv

            if ensure_venv(target, context.data_dir.path, overlay_site_dirs(context), context.interpreter):
                notify(f"created the {target.kind} venv {target.path}")
        if hold:
            yield
            return
    yield


def run_for_target(context: Context, plan: Plan, target: Target, request: Request, notify: Notify) -> int:
    """Lock the target (making its venv), give pip its temp and cache, check for half-upgrades, run pip,
    then report stash entries, link or unlink scripts, and explain a failure. An install into an existing
    target starts pip first, held at a gate (pip_gate.py) until the lock and the checks are done."""
    changes = request.command in CHANGING_COMMANDS
    if changes:
        for notice in plan.notices:
            notify(notice)
        notify(target_line(target))
    held = target.create_from is None and can_gate(request.command, target.has_pip)
    with private_temp(plan.temp or KEEP_TEMP) as temp_variables:
        environ = {**pip_environment(plan), **temp_variables}
        if plan.cache is not None and plan.cache.redirect_to:
            environ["PIP_CACHE_DIR"] = plan.cache.redirect_to
        argv = pip_command(plan, request.command)
        to_stderr = request.options.json
        # a private temp dir is new on every run: such a run cannot be started before it has decided
        pip = head_start.adopt(launch_for(argv, environ, to_stderr) if held and not temp_variables else None)
        if (outcome := head_start.outcome()) and request.options.verbose:
            notify(outcome)
        if pip is None and held:
            pip = PipProcess.held_at_gate(argv, environ, to_stderr)
        if pip is None:
            pip = PipProcess(argv, environ, stdout_to_stderr=to_stderr)
        with pip, locked_and_ready(context, target, request, notify, hold=changes):
            scripts_before = bin_entries(target.path) if target.kind in LINKED_KINDS else None
            dirs = install_dirs(context, target)
            if request.command == "install" and not request.pip_args.has("--dry-run"):
                refuse_half_upgrade(context, plan, request, environ, dirs)
            stash_before = stash_entries(dirs) if changes else set()
            code, errors = pip.wait()
            stash_line = new_stash_line(stash_entries(dirs) - stash_before) if changes else None
            if scripts_before is not None:
                if code == 0 and request.command == "install":
                    link_scripts(context, target, scripts_before, notify)
                if request.command == "uninstall":
                    for link in remove_dangling_links(user_bin_dir(context.identity.home), target.path):
                        notify(f"removed the link {link}")
        diagnosis = None
        if code:
            from safepip.diagnose import diagnose  # pip failed: read what it said

            diagnosis = diagnose(
                errors, context.identity.euid, environ.get("TMPDIR", "/tmp"), dirs or (target.path,)
            )
    for line in (stash_line, diagnosis.line() if diagnosis else None):
        if line:
            notify(line)
    interpreter = context.interpreter
    if code == 0 and request.command == "install" and interpreter and target.python != interpreter.executable:
        notify(usage_line(target))
    return code


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
        import shutil

        command = shutil.which(argv[0], path=environ.get("PATH")) or argv[0]
        try:
            return run_pip([command, *argv[1:]], environ, tee_stderr=False)[0]
        except OSError as error:
            raise SafepipError(
                f"cannot run {argv[0]}: {error.strerror}",
                "check the command name; `safepip run -- which NAME`",
                127,
            ) from None
