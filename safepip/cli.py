"""The typer app: safepip's options with their help, and every command (the hot ones are run without typer
by entry.py when it can). It parses and renders; the work is in frontend.py and commands.py.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from enum import Enum
from typing import Optional

import typer

from safepip import __version__
from safepip.entry import PASS_THROUGH, PIP_COMMANDS
from safepip.errors import EXIT_REFUSED, SafepipError, UsageError
from safepip.options import parse_size
from safepip.output import error_lines, report_error, say
from safepip.plan import Options

app = typer.Typer(
    name="safepip",
    help="pip install without 'Permission denied': safepip picks a writable target, then runs pip.",
    epilog="Every other pip command (" + ", ".join(PIP_COMMANDS[:8]) + ", …) runs pip against the same "
    "target as install, so `alias pip=safepip` is safe. `safepip COMMAND --help` is pip's help.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
PIP_COMMAND = {"add_help_option": False, "context_settings": {"ignore_unknown_options": True}}


class Prefer(str, Enum):
    user = "user"
    venv = "venv"


class Session:
    """What the group callback hands each subcommand: safepip's options and pip's raw arguments."""

    def __init__(self, options: Options, pip_argv: list[str]) -> None:
        self.options = options
        self.pip_argv = pip_argv


def fail(error: SafepipError) -> typer.Exit:
    return typer.Exit(report_error(error))


def show_version(value: bool) -> None:
    if value:
        print(f"safepip {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    ctx: typer.Context,
    python: Optional[str] = typer.Option(
        None,
        "--python",
        envvar="SAFEPIP_PYTHON",
        help="The Python to install for (default: the active env, a project venv, or python3 on PATH).",
    ),
    venv: Optional[str] = typer.Option(
        None, "--venv", envvar="SAFEPIP_VENV", help="Use this venv, creating it if missing."
    ),
    prefer: Optional[Prefer] = typer.Option(
        None,
        "--prefer",
        envvar="SAFEPIP_PREFER",
        help="user: pip's --user before the system env; venv: a managed venv rather than --user.",
    ),
    no_fallback: bool = typer.Option(
        False,
        "--no-fallback",
        envvar="SAFEPIP_NO_FALLBACK",
        help="Never move from the first candidate: explain and exit 77.",
    ),
    fallback: bool = typer.Option(
        False,
        "--fallback",
        envvar="SAFEPIP_FALLBACK",
        help="Allow moving an explicit --target/--prefix/--root/--user that cannot work.",
    ),
    system: bool = typer.Option(
        False,
        "--system",
        envvar="SAFEPIP_SYSTEM",
        help="Under sudo: stay root and install into the system environment (PEP 668 still applies).",
    ),
    lock_timeout: float = typer.Option(
        600.0,
        "--lock-timeout",
        envvar="SAFEPIP_LOCK_TIMEOUT",
        help="Seconds to wait for another safepip on the same target.",
    ),
    min_tmp_space: str = typer.Option(
        "1G",
        "--min-tmp-space",
        envvar="SAFEPIP_MIN_TMP_SPACE",
        help="Free space a temp dir needs to be used (bytes, or with K/M/G).",
    ),
    quiet: bool = typer.Option(
        False, "-q", "--quiet", envvar="SAFEPIP_QUIET", help="No lines of safepip's own."
    ),
    verbose: bool = typer.Option(
        False, "-v", "--verbose", envvar="SAFEPIP_VERBOSE", help="Print the whole decision."
    ),
    json_output: bool = typer.Option(
        False,
        "--json",
        envvar="SAFEPIP_JSON",
        help="One JSON document on stdout (explain, install and other pip commands, doctor); pip's output goes to stderr.",
    ),
    version: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="Print the version."
    ),
) -> None:
    if no_fallback and fallback:
        raise typer.BadParameter("--fallback and --no-fallback exclude each other")
    if lock_timeout < 0:
        raise typer.BadParameter("must be zero or more seconds", param_hint="--lock-timeout")
    try:
        tmp_space = parse_size(min_tmp_space)
    except ValueError:
        raise typer.BadParameter(
            f"{min_tmp_space!r} is not a size like 500M or 2G", param_hint="--min-tmp-space"
        ) from None
    options = Options(
        python=python,
        venv=os.path.abspath(venv) if venv else None,
        prefer=prefer.value if prefer else None,
        no_fallback=no_fallback,
        fallback=fallback,
        system=system,
        lock_timeout=lock_timeout,
        min_tmp_space=tmp_space,
        quiet=quiet,
        verbose=verbose,
        json=json_output,
    )
    from safepip.frontend import become_invoking_user

    failed = become_invoking_user(options)
    if failed is not None:
        raise typer.Exit(failed)
    ctx.obj = Session(options, list(ctx.obj or []))


def session_of(ctx: typer.Context) -> Session:
    session = ctx.obj
    assert isinstance(session, Session)
    return session


@app.command(**PIP_COMMAND)  # type: ignore[arg-type]
def install(ctx: typer.Context) -> None:
    """Install packages. Everything after `install` goes to pip unchanged, --help included."""
    from safepip.frontend import run_for_pip

    session = session_of(ctx)
    raise typer.Exit(run_for_pip(session.options, "install", session.pip_argv))


@app.command(PASS_THROUGH, hidden=True, **PIP_COMMAND)  # type: ignore[arg-type]
def pass_through(ctx: typer.Context) -> None:
    """A pip command other than install (entry.py routes them here), run against the resolved target."""
    from safepip.frontend import run_for_pip

    session = session_of(ctx)
    command, *argv = session.pip_argv
    raise typer.Exit(run_for_pip(session.options, command, argv))


@app.command(**PIP_COMMAND)  # type: ignore[arg-type]
def explain(ctx: typer.Context) -> None:
    """Show the plan for `safepip install ARGS` and every fact behind it; writes nothing."""
    from safepip.commands import make_request, plan_for
    from safepip.delegate import pip_command
    from safepip.render import plan_as_dict, plan_as_text

    session = session_of(ctx)
    request = make_request("install", session.pip_argv, session.options)
    try:
        context, plan = plan_for(request, writes=False)
    except SafepipError as error:
        raise fail(error) from None
    command = pip_command(plan, "install") if plan.target else None
    if session.options.json:
        print(json.dumps(plan_as_dict(context, plan, request, command), indent=2))
    else:
        print(plan_as_text(context, plan, request, command))
    raise typer.Exit(plan.refusal.exit_code if plan.refusal else 0)


@app.command("python", **PIP_COMMAND)  # type: ignore[arg-type]
def python_command(ctx: typer.Context) -> None:
    """Print the interpreter of the resolved target (for Makefiles: PY := $(shell safepip python))."""
    from safepip.frontend import print_python

    session = session_of(ctx)
    raise typer.Exit(print_python(session.options, session.pip_argv))


@app.command(**PIP_COMMAND)  # type: ignore[arg-type]
def doctor(ctx: typer.Context) -> None:
    """This machine's permission context as a checklist: what pip would hit, and what safepip does instead."""
    from safepip.commands import make_request, plan_for
    from safepip.doctor import checklist, checklist_as_text
    from safepip.render import doctor_as_dict

    session = session_of(ctx)
    as_json = session.options.json or session.pip_argv == ["--json"]
    if session.pip_argv not in ([], ["--json"]):
        given = " ".join(session.pip_argv)
        raise fail(UsageError(f"doctor takes no arguments, got {given}", "safepip doctor [--json]"))
    request = make_request("install", [], session.options)
    try:
        context, plan = plan_for(request, writes=False)
    except SafepipError as error:
        raise fail(error) from None
    checks = checklist(context, plan, request)
    if as_json:
        print(json.dumps(doctor_as_dict(context, plan, request, checks), indent=2))
    else:
        print(checklist_as_text(checks))
    raise typer.Exit(0 if all(check.ok for check in checks if check.topic == "target") else EXIT_REFUSED)


@app.command("run", **PIP_COMMAND)  # type: ignore[arg-type]
def run_command(ctx: typer.Context) -> None:
    """Run `-- CMD…` with the resolved target active (its bin first on PATH, VIRTUAL_ENV set)."""
    from safepip.commands import make_request
    from safepip.pip_run import run_in_target

    session = session_of(ctx)
    options = session.options
    argv = session.pip_argv[1:] if session.pip_argv[:1] == ["--"] else session.pip_argv
    if not argv:
        raise fail(UsageError("run needs a command", "safepip run -- COMMAND [ARGS…]"))
    try:
        code = run_in_target(make_request("install", [], options), argv, lambda m: say(options.quiet, m))
    except SafepipError as error:
        raise fail(error) from None
    raise typer.Exit(code)


@app.command("shell-init", **PIP_COMMAND)  # type: ignore[arg-type]
def shell_init(ctx: typer.Context) -> None:
    """Print the profile lines: `pip` through safepip, and its scripts directory on PATH."""
    from safepip.scripts import user_bin_dir
    from safepip.shell_init import SHELLS, profile_lines

    argv = session_of(ctx).pip_argv
    shell = argv[0] if argv else os.path.basename(os.environ.get("SHELL", ""))
    if shell not in SHELLS or len(argv) > 1:
        raise fail(
            UsageError(f"unknown shell {' '.join(argv) or shell!r}", f"safepip shell-init {'|'.join(SHELLS)}")
        )
    home = os.environ.get("HOME") or os.path.expanduser("~")
    print(profile_lines(shell, own_command(), user_bin_dir(home)))


def own_command() -> list[str]:
    """How to run this very safepip again: its script's absolute path, or `python -m safepip`."""
    script = sys.argv[0]
    if os.path.basename(script) == "__main__.py":
        return [sys.executable, "-m", "safepip"]
    found = os.path.abspath(script) if os.path.sep in script else shutil.which(script)
    return [found or "safepip"]


# click's exception base, reached through typer's public BadParameter (typer >= 0.29 vendors click privately)
CLICK_ERROR: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def run_typer(head: list[str], rest: list[str]) -> int:
    """Run the typer app on safepip's part of the command line; pip's part rides along untouched."""
    if head and head[-1] in PIP_COMMANDS:
        head, rest = [*head[:-1], PASS_THROUGH], [head[-1], *rest]
    try:
        code = app(args=head, prog_name="safepip", obj=rest, standalone_mode=False)
    except CLICK_ERROR as error:
        return usage_error(error)
    return code if isinstance(code, int) else 0


def usage_error(error: Exception) -> int:
    """click's usage errors as one line (its own format spans several, with a box under rich)."""
    if type(error).__name__ == "NoArgsIsHelpError":  # bare `safepip`: the help, as asked for
        show = getattr(error, "show", None)
        if show is not None:
            show()
        return 0
    error_lines(getattr(error, "format_message", lambda: str(error))(), "see `safepip --help`")
    return int(getattr(error, "exit_code", 2))
