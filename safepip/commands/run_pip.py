"""An install's second half, once the plan is made: lock the target (making its venv), give pip a private
temp dir and a usable cache, check for half-upgrades, run pip, then report stash entries, link or unlink
scripts, and explain a failure."""

from __future__ import annotations

import errno
import os

from safepip.actions.preflight import refuse_half_upgrade, stash_entries, stash_line
from safepip.actions.said import said_first_time
from safepip.actions.scripts import (
    dist_infos,
    link_scripts,
    named_projects,
    on_path,
    project_scripts,
    remove_dangling_links,
    top_level_of,
    user_bin_dir,
)
from safepip.actions.temp import private_temp
from safepip.commands.common import (
    OWN_VENV_KINDS,
    VENV_KINDS,
    locked_target,
    made_first,
    pip_cache_variables,
)
from safepip.commands.lines import after_line, dist_state, shown, target_line
from safepip.errors import RefusedError, SafepipError, UsageError
from safepip.facts.paths import site_packages
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.records import Context
from safepip.facts.request import Request
from safepip.facts.trust import distrust
from safepip.policy.pip_command import pip_command, pip_environment
from safepip.policy.plan import CHANGING_COMMANDS, Plan, Target
from safepip.util.process import run_streaming

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from safepip.commands.common import Notify

PREFLIGHT_RECORD = ".safepip-preflight"
USER_KINDS = ("user", "explicit")  # pip's --user: safepip's choice, or --user, PIP_USER, user = true


def install_dirs(context: Context, target: Target) -> tuple[str, ...]:
    """The site-packages and scripts directories pip will change for this target (for the preflight)."""
    interpreter = context.interpreter
    if target.kind in ("env", "venv") and interpreter is not None and target.python == interpreter.executable:
        scheme = interpreter.scheme
    elif target.kind in USER_KINDS and interpreter is not None and target.path == interpreter.user_base:
        scheme = interpreter.user_scheme
    elif target.kind in VENV_KINDS and os.path.isdir(target.path):
        return (site_packages(target.path), os.path.join(target.path, "bin"))
    elif target.kind == "explicit" and target.reason.startswith("--target"):  # reason: "<option> <source>"
        return (target.path,)
    else:
        return ()
    return tuple(dict.fromkeys(scheme[key] for key in ("purelib", "platlib", "scripts") if key in scheme))


def cannot_start_pip(error: OSError) -> SafepipError:
    if error.errno == errno.E2BIG:
        return UsageError(
            "pip's command line is longer than this system allows",
            "put the requirements in a file and pass it with -r FILE",
        )
    return RefusedError(
        f"cannot start pip: {error.strerror}", "check the target's Python with `safepip explain`"
    )


def preflight_record(context: Context, target: Target) -> str | None:
    """Where the preflight records the directories it found clean: in the target venv itself (one walk per
    environment, whoever runs safepip next), else in safepip's cache dir."""
    interpreter = context.interpreter
    own_venv = target.kind in VENV_KINDS or (
        target.kind == "env" and interpreter is not None and interpreter.is_venv
    )
    if own_venv:
        return os.path.join(target.path, PREFLIGHT_RECORD)
    return os.path.join(context.own_cache.path, "stuck") if context.own_cache else None


def dry_run_command(plan: Plan, command: str) -> Callable[[str], list[str]]:
    """pip's command as a dry run that writes its report to the given path (the user's own --report would
    come later on the line and win: the dry run goes without it)."""
    user_args = parse_pip_args(plan.pip_args).without(("--report",))

    def argv(report: str) -> list[str]:
        dry = plan._replace(pip_options=("--dry-run", "--quiet", "--report", report, *plan.pip_options),
                            pip_args=user_args)  # fmt: skip
        return pip_command(dry, command)

    return argv


def run_for_target(context: Context, plan: Plan, target: Target, request: Request, notify: Notify) -> int:
    """Lock the target (making its venv), give pip a private temp dir and a usable cache, check for
    half-upgrades, run pip, then report stash entries, link or unlink scripts, and explain a failure."""
    changes = request.command in CHANGING_COMMANDS
    own_cache = context.home_cache
    if changes:
        announce(context, plan, target, notify)
    else:
        hint_local(context, target, request, notify)
    identity = context.identity
    temp_parent = plan.temp.parent if plan.temp else None
    if not changes:
        made_first(context, target, request, notify)
    with (
        locked_target(context, target, request, notify, shared=not changes) as lock_fd,
        private_temp(temp_parent, identity.euid) as temp,
    ):
        environ = {
            **pip_environment(plan),
            **temp.variables,
            **pip_cache_variables(plan, identity.euid, notify),
        }
        linked = changes and target.kind in OWN_VENV_KINDS and os.path.isdir(os.path.join(target.path, "lib"))
        infos_before = dist_infos(site_packages(target.path)) if linked else set()
        dirs = install_dirs(context, target)
        if request.command == "install" and not request.pip_args.has("--dry-run"):
            cache = preflight_record(context, target)
            refuse_half_upgrade(dirs, identity.euid, identity.name, cache,
                                dry_run_command(plan, request.command), environ, lock_fd)  # fmt: skip
        stash_before = stash_entries(dirs) if changes else set()
        if stash_before and said_first_time(own_cache, "stash " + " ".join(sorted(stash_before))):
            notify(stash_line(stash_before, earlier=True) or "")
        installed_before = dist_state(dirs) if changes else None
        inherit = [fd for fd in (lock_fd, temp.alive_fd) if fd is not None]
        try:
            code, errors = run_streaming(
                pip_command(plan, request.command),
                environ,
                stdout_to_stderr=request.options.json,
                inherit=inherit,
            )
        except OSError as error:
            raise cannot_start_pip(error) from None
        stash_after = stash_entries(dirs) if changes else set()
        new_stash = stash_line(stash_after - stash_before)
        if new_stash:  # said now, not again next run
            said_first_time(own_cache, "stash " + " ".join(sorted(stash_after)))
        changed = dist_state(dirs) != installed_before if dirs and changes else None  # None: not known
        if linked:
            if code == 0 and request.command == "install" and not request.pip_args.has("--dry-run"):
                link_requested_scripts(context, target, request, infos_before, notify)
            if changed:  # an uninstall, or an install that took a script away (a downgrade)
                remove_gone_links(context, target, notify)
        diagnosis = (
            diagnose_failure(errors, request, environ, identity.euid, dirs or (target.path,))
            if code
            else None
        )
    if code == 0 and request.command == "uninstall" and changed is False and linked:
        say_not_uninstalled(context, target, request, notify)
    for line in (new_stash, diagnosis):
        if line:
            notify(line)
    interpreter = context.interpreter
    if code == 0 and request.command == "install" and not request.pip_args.has("--dry-run"):
        python_changed = interpreter is not None and target.python != interpreter.executable
        line = after_line(target, context.identity.home, changed, python_changed)
        if line:
            notify(line)
    return code


def hint_local(context: Context, target: Target, request: Request, notify: Notify) -> None:
    """freeze and list of a venv of safepip's that sees the system's packages: once, that --local is the way
    to see only what was installed into it (a requirements file of Debian's packages does not install)."""
    if request.command not in ("freeze", "list") or target.kind not in OWN_VENV_KINDS:
        return
    if not target.system_site_packages or any(arg in ("-l", "--local") for arg in request.pip_args.argv):
        return
    if said_first_time(context.home_cache, f"{target.path} {request.command} --local"):
        notify(f"{target.kind} {shown(target.path, context.identity.home)} sees the system's packages too: "
               f"`pip {request.command} --local` shows only what was installed into it")  # fmt: skip


def say_not_uninstalled(context: Context, target: Target, request: Request, notify: Notify) -> None:
    """An uninstall that changed nothing: the projects named that the venv only sees (pip's "Not uninstalling
    X at …, outside environment", with exit 0) are said to be where they are."""
    from safepip.facts.installed import scan_installed

    seen = scan_installed(context.interpreter.site_dirs if context.interpreter else ()).found
    own = scan_installed([site_packages(target.path)]).found
    outside = sorted(
        name for name in named_projects(request.pip_args.positionals)[0] if name in seen and name not in own
    )
    if outside:
        where = f"the venv {target.overlay_of}" if target.overlay_of else "the system's site-packages"
        notify(f"not uninstalled: {', '.join(outside)} (in {where}, which "
               f"{shown(target.path, context.identity.home)} sees and cannot change)")  # fmt: skip


def announce(context: Context, plan: Plan, target: Target, notify: Notify) -> None:
    """Before a changing command: the plan's notices, its advice (once for each target), the target line."""
    for notice in plan.every_notice:
        notify(notice)
    for advice in plan.advice:
        if said_first_time(context.home_cache, f"{target.path} {advice}"):
            notify(advice)
    notify(target_line(target, context.identity.home))


def diagnose_failure(
    errors: str, request: Request, environ: dict[str, str], uid: int, dirs: tuple[str, ...]
) -> str | None:
    """pip failed: the one line that says why, when what it said is a permission problem safepip knows."""
    from safepip.facts.diagnose import diagnose, source_trees

    sources = source_trees(request.pip_args, os.getcwd())
    diagnosis = diagnose(errors, uid, environ.get("TMPDIR", "/tmp"), dirs, sources)
    return diagnosis.line() if diagnosis else None


def remove_gone_links(context: Context, target: Target, notify: Notify) -> None:
    """Remove safepip's links into the target whose scripts are gone, in a ~/.local/bin that safepip would
    link into (the home usable, the directory trusted), and say so."""
    home = context.identity.home
    user_bin = user_bin_dir(home)
    if context.home_problem or distrust(user_bin, context.identity.euid, missing_ok=True) is not None:
        return
    for link in remove_dangling_links(user_bin, target.path):
        notify(f"removed the link {shown(link, home)}: its script is gone")


def link_requested_scripts(
    context: Context, target: Target, request: Request, infos_before: set[str] | None, notify: Notify
) -> None:
    """Link the console scripts of the projects the user asked for (not their dependencies'), and say so in
    one line; with the PATH hint when ~/.local/bin is not on PATH. `infos_before`: the dist-infos before
    pip ran, whose new ones bring the projects a requirement file or path named; None when pip did not run
    (all was satisfied: the projects named on the command line only). Nothing is said when they have none."""
    site = site_packages(target.path)
    named, unnamed = named_projects(request.pip_args.positionals)
    from_files = unnamed or request.pip_args.has("--requirement") or request.pip_args.has("--editable")
    if from_files and infos_before is not None:
        named |= top_level_of(site, dist_infos(site) - infos_before)
    scripts = project_scripts(site, named) if named else set()
    if not scripts:
        return
    home = context.identity.home
    user_bin = user_bin_dir(home)
    said_bin, scripts_dir = shown(user_bin, home), shown(os.path.join(target.path, "bin"), home)
    if context.home_problem:  # the home is not one safepip writes to
        notify(
            f"did not link console scripts into {said_bin}: {context.home_problem}; they are in {scripts_dir}"
        )
        return
    unsafe = distrust(user_bin, context.identity.euid, missing_ok=True)
    if unsafe is not None:
        notify(f"did not link console scripts into {said_bin}: {unsafe.reason()}; they are in {scripts_dir}")
        return
    try:
        report = link_scripts(target.path, scripts, user_bin, context.data_dir.path)
    except OSError as error:
        notify(
            f"could not link console scripts into {said_bin} ({error.strerror}); they are in {scripts_dir}"
        )
        return
    for link, before in report.moved:
        notify(f"{shown(link, home)} led to {before}; it now runs the one in {scripts_dir}")
    for link in report.left_alone:
        notify(f"left {shown(link, home)} alone: safepip did not make it; the script is in {scripts_dir}")
    if report.linked:
        names = ", ".join(os.path.basename(link) for link in report.linked)
        hint = (
            ""
            if on_path(user_bin, os.environ.get("PATH", ""))
            else " (not on PATH: add it to run them by name)"
        )
        notify(f"linked {names} into {said_bin}{hint}")
