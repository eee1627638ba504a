"""The `safepip` command: check sudo, read safepip's options, run the command, print its result; and, in
safepip.pyz, the hidden entries by which safepip runs the pip and virtualenv it carries.

Errors are mapped to output here, once: an expected failure (SafepipError) is two lines, the cause and
the fix, and its exit code; an interruption is 128 + the signal's number.
"""

from __future__ import annotations

import gc
import os
import sys

from safepip.cli.options import OPTIONS, OWN_COMMANDS, PIP_COMMANDS, VERSION, parse_command_line, version_line
from safepip.cli.output import PRINTED_JSON, print_json, report_error, say
from safepip.errors import Interrupted, SafepipError, UsageError
from safepip.util.process import install_interrupt_handlers

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.facts.records import Context
    from safepip.facts.request import Options
    from safepip.policy.plan import Plan


def main(argv: Sequence[str] | None = None) -> None:
    gc.disable()  # a short run: see safepip/__main__.py
    install_interrupt_handlers()
    os.umask(os.umask(0) | 0o002)  # nothing safepip or pip makes is ever writable by every user
    for stream in (sys.stdout, sys.stderr):  # paths need not be UTF-8: never fail to print one
        stream.reconfigure(errors="surrogateescape" if stream is sys.stdout else "backslashreplace")  # type: ignore[union-attr]
    try:
        code = run(sys.argv[1:] if argv is None else list(argv))
    except Interrupted as interruption:
        print("safepip: interrupted", file=sys.stderr)
        code = 128 + interruption.signum
    except KeyboardInterrupt:
        print("safepip: interrupted", file=sys.stderr)
        code = 130
    exit_now(code)


def working_directory_exists() -> None:
    """pip, and safepip's reading of project venvs and requirement files, start from the working directory."""
    try:
        os.getcwd()
    except FileNotFoundError:
        raise SafepipError(
            "the working directory no longer exists (removed since this shell entered it)",
            "cd to a directory that exists, then run the command again",
        ) from None


def run(args: list[str]) -> int:
    from safepip.actions.identity import drop_sudo, invoking_user
    from safepip.util.archive import CARRIED_ENTRIES, running_archive

    if args[:1] and args[0] in CARRIED_ENTRIES and running_archive() is not None:
        return carried_entry(args[0], args[1:])  # safepip starting what safepip.pyz carries: no options here
    if not args and os.environ.get("PIP_AUTO_COMPLETE") == "1":  # pip's completion calling `pip`
        from safepip.commands.install import pip_completion

        return pip_completion()
    try:
        invoking_user(os.environ, os.geteuid())  # a malformed SUDO_UID stops safepip before anything else
        parsed = parse_command_line(args, os.environ)
    except SafepipError as error:
        return failed(error, args)
    except SystemExit as done:  # argparse's --help
        return done.code if isinstance(done.code, int) else 0
    if parsed.command is None:
        return 0
    options = parsed.options
    try:
        working_directory_exists()
        switched = drop_sudo(os.environ, keep_root=options.system)  # before any file is touched
        if switched:
            say(options.quiet, switched)
        return dispatch(parsed.command, parsed.rest, options)
    except SafepipError as error:
        return failed(error, args)
    except OSError as error:  # not expected: one line all the same, never a traceback
        where = f" ({error.filename})" if error.filename else ""
        bug = SafepipError(f"{error.strerror or error}{where}", "report this as a bug in safepip", 1)
        return failed(bug, args)


def json_wanted(args: list[str], environ: Mapping[str, str]) -> bool:
    """--json before the command, or SAFEPIP_JSON: read before the options are, which may be what fails."""
    from safepip.cli.options import TRUE_WORDS, split_argv

    return "--json" in split_argv(args).head or environ.get("SAFEPIP_JSON", "").strip().lower() in TRUE_WORDS


def failed(error: SafepipError, args: list[str]) -> int:
    """The two lines on stderr; with --json, also a document on stdout when none was printed yet."""
    code = report_error(error)
    if not PRINTED_JSON and json_wanted(args, os.environ):
        from safepip.cli.render import error_as_dict

        print_json(error_as_dict(error))
    return code


def dispatch(command: str, rest: list[str], options: Options) -> int:
    from safepip.commands.common import make_request

    if command == "install" or command in PIP_COMMANDS:
        return pip_subcommand(command, rest, options)
    if command == VERSION:
        return version(options)
    if command == "python":
        from safepip.commands.python import resolve_python

        print(resolve_python(make_request("install", rest, options), lambda m: say(options.quiet, m)))
        return 0
    if command in ("explain", "doctor"):
        return explain_or_doctor(command, rest, options)
    if command == "run":
        from safepip.commands.run import run_in_target

        argv = rest[1:] if rest[:1] == ["--"] else rest
        if not argv:
            raise UsageError("run needs a command", "safepip run -- COMMAND [ARGS…]")
        return run_in_target(make_request("install", [], options), argv, lambda m: say(options.quiet, m))
    if command == "self":
        from safepip.commands.self_command import self_command

        return self_command(rest, options, lambda m: say(options.quiet, m))
    assert command == "shell-init"
    from safepip.commands.shell_init import shell_init

    return shell_init(
        rest, [*OWN_COMMANDS, *PIP_COMMANDS, *(name for spec in OPTIONS for name in spec.names)]
    )


def carried_entry(entry: str, argv: list[str]) -> int:
    from safepip.commands.carried import run_carried

    try:
        return run_carried(entry, argv)
    except SafepipError as error:
        return report_error(error)
    except OSError as error:
        return report_error(
            SafepipError(f"{entry}: {error.strerror or error}", "report this as a bug in safepip")
        )


def pip_subcommand(command: str, argv: list[str], options: Options) -> int:
    """A pip command for the resolved target. With --json, pip's output goes to stderr and one JSON
    document (the plan, safepip's messages, pip's exit code) to stdout."""
    from safepip.commands.common import make_request
    from safepip.commands.install import run_pip_command

    request = make_request(command, argv, options)
    if command == "install" and request.pip_args.has("--quiet"):
        options = options._replace(quiet=True)  # `install -q` quiets safepip's lines too
        request = request._replace(options=options)
    seen: list[tuple[Context, Plan]] = []
    messages: list[str] = []

    def trace(context: Context, plan: Plan) -> None:
        seen.append((context, plan))
        if options.verbose:
            from safepip.cli.render import plan_as_text
            from safepip.policy.pip_command import pip_command

            print(plan_as_text(context, plan, request, pip_command(plan, command) if plan.target else None),
                  file=sys.stderr)  # fmt: skip

    def notify(message: str) -> None:
        messages.append(message)
        say(options.quiet, message)

    def report(code: int, error: SafepipError | None = None) -> None:
        if options.json and seen:
            from safepip.cli.render import plan_as_dict
            from safepip.policy.pip_command import pip_command

            context, plan = seen[0]
            document = plan_as_dict(
                context, plan, request, pip_command(plan, command) if plan.target else None
            )
            document["kind"] = command
            document["result"] = {
                "exit_code": code,
                "messages": messages,
                "error": error.message if error else None,
            }
            print_json(document)

    try:
        code = run_pip_command(request, notify, trace)
    except SafepipError as error:
        report(error.exit_code, error)
        raise
    report(code)
    return code


def version(options: Options) -> int:
    """`-V`, `--version`: on stdout pip's own version line, of the pip that runs for the resolved target (as
    `pip -V` prints it, with pip going to safepip); safepip's own version on stderr before it."""
    say(options.quiet, version_line())
    return pip_subcommand(VERSION, [], options._replace(quiet=True))  # a refusal is one, as for any command


def explain_or_doctor(command: str, rest: list[str], options: Options) -> int:
    from safepip.cli.render import checklist_as_text, doctor_as_dict, plan_as_dict, plan_as_text
    from safepip.commands.common import make_request
    from safepip.commands.explain import doctor, explain

    if command == "explain":
        request = make_request("install", rest, options)
        context, plan, pip = explain(request)
        if options.json:
            print_json(plan_as_dict(context, plan, request, pip))
        else:
            print(plan_as_text(context, plan, request, pip))
        return plan.refusal.exit_code if plan.refusal else 0
    if rest not in ([], ["--json"]):
        raise UsageError(f"doctor takes no arguments, got {' '.join(rest)}", "safepip doctor [--json]")
    request = make_request("install", [], options)
    context, plan, checks = doctor(request)
    if options.json or rest == ["--json"]:
        print_json(doctor_as_dict(context, plan, request, checks))
    else:
        print(checklist_as_text(checks))
    return 0 if all(check.ok for check in checks if check.topic == "target") else 77


def exit_now(code: int) -> None:
    """Exit without tearing down every module one by one: safepip has no exit handlers, its files are closed
    by then and its threads done; only stdio needs a flush."""
    for stream in (sys.stdout, sys.stderr):
        try:  # a closed pipe (`| head`): nothing more to say there
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)
