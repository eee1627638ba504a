"""Run pip for the chosen target in a subprocess: the user's arguments in order, stdio inherited."""

from __future__ import annotations

import os
import sys

from safepip import signals
from safepip.child_process import ChildProcess
from safepip.errors import Terminated

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: pip's head start comes through here
if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import FrameType
    from typing import Any

    from safepip.pip_gate import Gate
    from safepip.plan import Plan

# The location options safepip adds, and the pip commands that accept them: `list --user` shows the user
# site, while `uninstall` or `show` have no such option and find user-site packages anyway.
LOCATION_OPTIONS = {"--user": ("install", "list", "freeze"), "--no-user": ("install",)}
# safepip's option for a venv or environment target: there, not in the user site, whatever PIP_USER says
ENVIRONMENT_OPTIONS = ("--no-user",)


def module_pip(python: str, *tail: str) -> list[str]:
    """`<python> -m pip …`: how safepip runs every pip."""
    return [python, "-m", "pip", *tail]


def pip_command(plan: Plan, command: str, own_python: str | None = None) -> list[str]:
    """`<target python> -m pip`, or safepip's own pip with `--python` when the target has none. safepip's
    own options come before the user's arguments, which then pass in order (pip_gate.gated adds the gate)."""
    assert plan.target is not None
    options = [o for o in plan.pip_options if command in LOCATION_OPTIONS.get(o, (command,))]
    tail = [command, *options, *plan.pip_args]
    if plan.target.has_pip:
        return module_pip(plan.target.python, *tail)
    return module_pip(own_python or sys.executable, "--python", plan.target.python, *tail)


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


STOP_TIMEOUT = 10.0  # seconds a pip stopped at the gate gets to clean up before it is killed
STDERR_TAIL = 64 * 1024  # enough of pip's error output to find the cause in


class StderrTee:
    """Copies pip's stderr to ours as it comes, keeping its tail for the diagnosis; or, for a pip stopped at
    the gate, drops it. A pip held at the gate is not read: what it says waits in the pipe until the gate
    opens, and is dropped if pip is stopped there instead."""

    def __init__(self, fd: int, discard: bool = False) -> None:
        import threading  # not before pip's head start

        self.fd = fd
        self.discard = discard
        self.tail = bytearray()
        self.thread = threading.Thread(target=self.copy, daemon=True)
        self.thread.start()

    def copy(self) -> None:
        try:
            while chunk := os.read(self.fd, 65536):
                if not self.discard:
                    self.show(chunk)
        finally:
            os.close(self.fd)

    def show(self, chunk: bytes) -> None:
        out = sys.stderr.buffer
        out.write(chunk)
        out.flush()
        self.tail += chunk
        del self.tail[:-STDERR_TAIL]

    def text(self) -> str:
        self.thread.join()
        return self.tail.decode("utf-8", "replace")


class PipProcess:
    """pip (or, for `safepip run`, any command) in a subprocess, SIGINT/SIGTERM passed on to it.

    `start()` lets safepip go on working (lock, checks) while pip starts up behind a gate (pip_gate.py).
    `wait()` starts pip if need be, opens the gate and gives pip's exit code (128+n when signal n ended it,
    or when safepip got SIGINT/SIGTERM and passed it on) and its stderr's tail. Leaving the block (or
    `close()`) while pip is still held at the gate (an error, a refusal, a signal) stops pip there, before
    it has done anything.
    `stdout_to_stderr` keeps stdout for safepip's JSON; `tee_stderr=False` leaves stderr untouched."""

    def __init__(
        self,
        argv: list[str],
        environ: Mapping[str, str],
        tee_stderr: bool = True,
        stdout_to_stderr: bool = False,
        gate: Gate | None = None,
    ) -> None:
        self.argv, self.environ, self.gate = argv, dict(environ), gate
        self.stdout = sys.stderr.fileno() if stdout_to_stderr else None
        self.tee_stderr = tee_stderr
        self.child: ChildProcess | None = None
        self.tee: StderrTee | None = None
        self.received: list[int] = []
        self.terminal_sigint = in_foreground_of_terminal()
        self.previous: dict[int, Any] = {}

    def forward(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.child is None:
            return  # pip is being started: start() passes it on
        self.pass_on(signum)
        if self.held():  # stop what safepip does meanwhile (a lock wait, the checks)
            raise Terminated if signum == signals.SIGTERM else KeyboardInterrupt

    def pass_on(self, signum: int) -> None:
        child = self.child
        # The terminal already sent Ctrl-C to pip; a second one could break pip's rollback.
        if (
            child is not None
            and child.poll() is None
            and not (signum == signals.SIGINT and self.terminal_sigint)
        ):
            child.send_signal(signum)

    def held(self) -> bool:
        """pip waits at the gate: safepip has not finished its checks."""
        return self.gate is not None and self.gate.write_fd >= 0

    @classmethod
    def held_at_gate(cls, argv: list[str], environ: Mapping[str, str], to_stderr: bool) -> PipProcess | None:
        """`<python> -m pip install …` started at once, held at a new gate; None when no gate can be made."""
        from safepip.pip_gate import gated, new_gate

        gate = new_gate()
        if gate is None:
            return None
        pip = cls(gated(argv, gate), environ, stdout_to_stderr=to_stderr, gate=gate)
        pip.start()
        return pip

    def __enter__(self) -> PipProcess:
        return self

    def start(self) -> None:
        """Start pip, unless it runs already; a gated pip then waits for `wait()`."""
        if self.child is not None:
            return
        # Installed before pip starts: a signal in between must not end safepip and orphan pip.
        self.previous = {sig: signals.signal(sig, self.forward) for sig in (signals.SIGINT, signals.SIGTERM)}
        try:
            self.child = ChildProcess(
                self.argv,
                self.environ,
                stdout_fd=self.stdout,
                stderr_pipe=self.tee_stderr,
                inherited_fd=self.gate.read_fd if self.gate else None,
            )
            if not self.held():
                self.read_stderr()
            for signum in self.received:
                self.pass_on(signum)
            if self.received and self.held():
                raise Terminated if self.received[0] == signals.SIGTERM else KeyboardInterrupt
        except BaseException:
            self.close()
            raise

    def wait(self) -> tuple[int, str]:
        self.start()
        assert self.child is not None
        if self.gate is not None:
            self.gate.release()
        self.read_stderr()
        code = self.child.wait()
        self.restore()
        if (
            self.received
        ):  # pip may answer Ctrl-C with its own exit 1; an interruption is 128+n whatever pip says
            code = -self.received[0]
        return (128 - code if code < 0 else code), self.tee.text() if self.tee else ""

    def read_stderr(self, discard: bool = False) -> None:
        """Start copying (or dropping) pip's stderr: at once for a pip that runs, at the gate's opening (or
        pip's stop there) for a held one."""
        if self.tee is None and self.child is not None and self.child.stderr_fd is not None:
            self.tee = StderrTee(self.child.stderr_fd, discard)

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        child = self.child
        if child is not None and child.returncode is None:
            if self.held():
                self.stop_at_gate(child)
            child.wait()  # a pip at work is never cut short
        if child is not None:
            self.read_stderr(discard=True)  # a pip that ended before its gate opened: nothing shown
        if self.gate is not None:
            self.gate.close()
        self.restore()

    def stop_at_gate(self, child: ChildProcess) -> None:
        """Stop a pip that has not passed the gate. Ctrl-C lets it remove its temp dirs (it would leave
        them behind when killed); its "Operation cancelled" is not shown."""
        self.read_stderr(discard=True)
        child.send_signal(signals.SIGINT)
        if child.wait_up_to(STOP_TIMEOUT) is None:
            child.send_signal(signals.SIGKILL)

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signals.signal(sig, handler)
        self.previous = {}


def run_pip(
    argv: list[str], environ: Mapping[str, str], tee_stderr: bool = True, stdout_to_stderr: bool = False
) -> tuple[int, str]:
    """Run pip to its end: see PipProcess."""
    with PipProcess(argv, environ, tee_stderr, stdout_to_stderr) as pip:
        return pip.wait()
