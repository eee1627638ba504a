"""The `safepip` command: split the command line, then run the command, with or without typer.

Everything after the subcommand belongs to pip and never passes through a parser, so that `-r file`, `--`,
`--help` and every other argument reach pip byte for byte, in order. `install`, the other pip commands and
`python` run on every build, so when safepip's own options are plain (options.parse_head) they run here
without importing typer; everything else (help, errors in options, explain, doctor, run, shell-init) goes
through the typer app in cli.py.
"""

from __future__ import annotations

import sys

from safepip import signals
from safepip.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, before pip's head start
if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

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
    """The exit code of a hot command run directly, or None when typer must read the command line."""
    command = head[-1] if head else None
    if command not in ("install", "python", *PIP_COMMANDS):
        return None
    return run_hot(command, head, rest)


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


def may_start_early(args: list[str]) -> bool:
    """An install, not under sudo (safepip must first become the user who ran it): pip's head start may
    apply (head_start.py). Only a guess, made before the command line is read: an entry exists only for a
    command line that was an install."""
    import os

    from safepip.sudo import sudo_from_a_user

    return "install" in args and not sudo_from_a_user(os.environ, os.geteuid())


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    signals.signal(signals.SIGTERM, on_terminate)
    early = may_start_early(args)
    if early:
        from safepip import head_start
    try:
        if early:
            head_start.start(args)
        head, rest = split_argv(args)
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
    finally:
        if early:
            head_start.settle()
    exit_now(code)


def exit_now(code: int) -> None:
    """Exit without tearing down every module one by one (about 5 ms, 1% of a one-wheel install): safepip
    has no exit handlers, its files are closed by then and its threads done; only stdio needs a flush."""
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe (`| head`): nothing more to say there
            stream.flush()
    os._exit(code)
