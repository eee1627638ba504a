"""The commands that run on every build (`install`, the other pip commands, `python`), without typer.

`entry.main` calls these directly when it can read safepip's options itself; the typer commands in cli.py call
them too. Each returns the exit code; expected failures are printed here as their two lines.
"""

from __future__ import annotations

import os
import sys

from safepip.context import Context
from safepip.errors import SafepipError
from safepip.output import report_error, say
from safepip.plan import (
    Options,
    Plan,
)


def become_invoking_user(options: Options) -> int | None:
    """Under sudo, drop to the user who ran it (unless --system), before any file is touched; an exit code
    when that fails."""
    from safepip.sudo import drop_sudo

    try:
        switched = drop_sudo(os.environ, keep_root=options.system)
    except SafepipError as error:
        return report_error(error)
    if switched:
        say(options.quiet, switched)
    return None


def run_for_pip(options: Options, command: str, argv: list[str]) -> int:
    """Run a pip command for the resolved target. With --json, pip's output goes to stderr and one JSON
    document (the plan, safepip's messages, pip's exit code) to stdout."""
    from safepip.commands import make_request, run_pip_command

    request = make_request(command, argv, options)
    seen: list[tuple[Context, Plan]] = []
    messages: list[str] = []

    def trace(context: Context, plan: Plan) -> None:
        seen.append((context, plan))
        if options.verbose:
            from safepip.delegate import pip_command
            from safepip.render import plan_as_text

            pip = pip_command(plan, command) if plan.target else None
            print(plan_as_text(context, plan, request, pip), file=sys.stderr)

    def notify(message: str) -> None:
        messages.append(message)
        say(options.quiet, message)

    def report(code: int, error: SafepipError | None = None) -> None:
        if options.json and seen:
            import json

            from safepip.delegate import pip_command
            from safepip.render import plan_as_dict

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
            print(json.dumps(document, indent=2))

    try:
        code = run_pip_command(request, notify, trace)
    except SafepipError as error:
        report(error.exit_code, error)
        return report_error(error)
    report(code)
    return code


def print_python(options: Options, argv: list[str]) -> int:
    """`safepip python`: the interpreter of the resolved target, its venv made first."""
    from safepip.commands import make_request, resolve_python

    try:
        python = resolve_python(make_request("install", argv, options), lambda m: say(options.quiet, m))
    except SafepipError as error:
        return report_error(error)
    print(python)
    return 0
