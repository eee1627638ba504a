"""The `safepip` command: split the command line, then run the command, with or without typer.

Everything after the subcommand belongs to pip and never passes through a parser, so that `-r file`, `--`,
`--help` and every other argument reach pip byte for byte, in order. `install`, the other pip commands and
`python` run on every build, so when safepip's own options are plain (options.parse_head) they run here
without importing typer; everything else (help, errors in options, explain, doctor, run, shell-init) goes
through the typer app in cli.py.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

from safepip.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

# pip's commands other than install; each runs pip against the target an install would use.
PIP_COMMANDS = (
    "download", "uninstall", "freeze", "inspect", "list", "show", "check", "config", "search", "cache",
    "index", "wheel", "hash", "completion", "debug", "help", "lock",
)  # fmt: skip
PASS_THROUGH = "_pip"  # the hidden typer command that carries them


def split_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(safepip's options and the subcommand, the rest): the rest is pip's and is never parsed here."""
    from safepip.options import VALUE_OPTIONS

    index = 0
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-"):
            return list(argv[: index + 1]), list(argv[index + 1 :])
        index += 2 if arg in VALUE_OPTIONS else 1
    return list(argv), []


def on_terminate(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated


def run_without_typer(head: list[str], rest: list[str]) -> int | None:
    """The exit code of a hot command run directly, or None when typer must read the command line.

    An install gets pip's head start (head_start.py) first thing, except under sudo, where safepip must
    first become the user who ran it."""
    import os

    from safepip.sudo import sudo_from_a_user

    command = head[-1] if head else None
    if command not in ("install", "python", *PIP_COMMANDS):
        return None
    if command != "install" or sudo_from_a_user(os.environ, os.geteuid()):
        return run_hot(command, head, rest)
    from safepip import head_start

    head_start.start([*head, *rest])
    try:
        return run_hot(command, head, rest)
    finally:
        head_start.settle()


def run_hot(command: str, head: list[str], rest: list[str]) -> int | None:
    import os

    from safepip.options import parse_head

    options = parse_head(head[:-1], os.environ)
    if options is None:
        return None
    from safepip import frontend

    failed = frontend.become_invoking_user(options)
    if failed is not None:
        return failed
    if command == "python":
        return frontend.print_python(options, rest)
    return frontend.run_for_pip(options, command, rest)


def main(argv: Sequence[str] | None = None) -> None:
    head, rest = split_argv(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, on_terminate)
    try:
        code = run_without_typer(head, rest)
        if code is None:
            from safepip.cli import run_typer

            code = run_typer(head, rest)
    except KeyboardInterrupt:
        print("safepip: interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Terminated:
        print("safepip: terminated", file=sys.stderr)
        code = EXIT_TERMINATED
    sys.exit(code)
