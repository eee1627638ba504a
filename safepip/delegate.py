"""Run pip for the chosen target in a subprocess: the user's arguments in order, stdio inherited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from types import FrameType
from typing import IO

from safepip.plan import Plan

# The location options safepip adds, and the pip commands that accept them: `list --user` shows the user
# site, while `uninstall` or `show` have no such option and find user-site packages anyway.
LOCATION_OPTIONS = {"--user": ("install", "list", "freeze"), "--no-user": ("install",)}


def pip_command(plan: Plan, command: str, own_python: str | None = None) -> list[str]:
    """`<target python> -m pip`, or safepip's own pip with `--python` when the target has none."""
    assert plan.target is not None
    options = [o for o in plan.pip_options if command in LOCATION_OPTIONS.get(o, (command,))]
    tail = [command, *options, *plan.pip_args]
    if plan.target.has_pip:
        return [plan.target.python, "-m", "pip", *tail]
    return [own_python or sys.executable, "-m", "pip", "--python", plan.target.python, *tail]


def pip_environment(plan: Plan, base: Mapping[str, str] | None = None) -> dict[str, str]:
    environ = dict(os.environ if base is None else base)
    environ.update(plan.env_overrides)
    return environ


def in_foreground_of_terminal() -> bool:
    """True when a Ctrl-C at the terminal reaches pip directly (same foreground process group)."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError):
        return False


STDERR_TAIL = 64 * 1024  # enough of pip's error output to find the cause in


class StderrTee:
    """Copies pip's stderr to ours as it comes, keeping its tail for the diagnosis."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.tail = bytearray()
        self.thread = threading.Thread(target=self.copy, daemon=True)
        self.thread.start()

    def copy(self) -> None:
        out = sys.stderr.buffer
        while chunk := self.stream.read1(65536):  # type: ignore[attr-defined]
            out.write(chunk)
            out.flush()
            self.tail += chunk
            del self.tail[:-STDERR_TAIL]

    def text(self) -> str:
        self.thread.join()
        return self.tail.decode("utf-8", "replace")


def run_pip(
    argv: list[str], environ: Mapping[str, str], tee_stderr: bool = True, stdout_to_stderr: bool = False
) -> tuple[int, str]:
    """Run pip (or, for `safepip run`, any command, its stderr untouched); SIGINT/SIGTERM go to it.

    Its exit code (128+n when signal n ended it, or when safepip got SIGINT/SIGTERM and passed it on) and
    its stderr's tail. `stdout_to_stderr` keeps stdout
    for safepip's JSON."""
    stdout = sys.stderr.fileno() if stdout_to_stderr else None
    terminal_sigint = in_foreground_of_terminal()
    received: list[int] = []
    pending: list[int] = []  # signals that came before pip was started
    children: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        # The terminal already sent Ctrl-C to pip; a second one could break pip's rollback.
        if signum == signal.SIGINT and terminal_sigint:
            return
        if not children:
            pending.append(signum)
        elif children[0].poll() is None:
            children[0].send_signal(signum)

    # Installed before pip starts: a signal in between must reach pip, not end safepip and orphan pip.
    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        child = subprocess.Popen(
            argv, env=dict(environ), stdout=stdout, stderr=subprocess.PIPE if tee_stderr else None
        )
        children.append(child)
        tee = StderrTee(child.stderr) if child.stderr is not None else None
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:  # pip may answer Ctrl-C with its own exit 1; an interruption is 128+n whatever pip says
        code = -received[0]
    return (128 - code if code < 0 else code), tee.text() if tee else ""
