"""Run pip for the chosen target in a subprocess: the user's arguments in order, stdio inherited."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from types import FrameType

from safepip.errors import Terminated

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: pip's head start comes through here
if TYPE_CHECKING:
    from typing import IO, Any

    from safepip.pip_gate import Gate
    from safepip.plan import Plan

# The location options safepip adds, and the pip commands that accept them: `list --user` shows the user
# site, while `uninstall` or `show` have no such option and find user-site packages anyway.
LOCATION_OPTIONS = {"--user": ("install", "list", "freeze"), "--no-user": ("install",)}


def pip_command(plan: Plan, command: str, own_python: str | None = None) -> list[str]:
    """`<target python> -m pip`, or safepip's own pip with `--python` when the target has none. safepip's
    own options come before the user's arguments, which then pass in order (pip_gate.gated adds the gate)."""
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


STOP_TIMEOUT = 10.0  # seconds a pip stopped at the gate gets to clean up before it is killed
STDERR_TAIL = 64 * 1024  # enough of pip's error output to find the cause in


class StderrTee:
    """Copies pip's stderr to ours as it comes, keeping its tail for the diagnosis.

    While pip is held at the gate, what it says is kept back: shown when the gate opens, dropped when pip
    is stopped there (it was started for a decision that did not stand, or safepip refused)."""

    def __init__(self, stream: IO[bytes], held: bool = False) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self.kept_back: bytearray | None = bytearray() if held else None
        self.discarding = False
        self.tail = bytearray()
        self.thread = threading.Thread(target=self.copy, daemon=True)
        self.thread.start()

    def copy(self) -> None:
        while chunk := self.stream.read1(65536):  # type: ignore[attr-defined]
            with self.lock:
                if self.discarding:
                    continue
                if self.kept_back is not None:
                    self.kept_back += chunk
                    continue
                self.show(chunk)

    def show(self, chunk: bytes | bytearray) -> None:
        out = sys.stderr.buffer
        out.write(chunk)
        out.flush()
        self.tail += chunk
        del self.tail[:-STDERR_TAIL]

    def release(self) -> None:
        with self.lock:
            if self.kept_back:
                self.show(self.kept_back)
            self.kept_back = None

    def discard(self) -> None:
        with self.lock:
            self.discarding = True
            self.kept_back = None

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
        self.stderr = subprocess.PIPE if tee_stderr else None
        self.child: subprocess.Popen[bytes] | None = None
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
            raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt

    def pass_on(self, signum: int) -> None:
        child = self.child
        # The terminal already sent Ctrl-C to pip; a second one could break pip's rollback.
        if (
            child is not None
            and child.poll() is None
            and not (signum == signal.SIGINT and self.terminal_sigint)
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
        self.previous = {sig: signal.signal(sig, self.forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            self.child = subprocess.Popen(
                self.argv,
                env=self.environ,
                stdout=self.stdout,
                stderr=self.stderr,
                pass_fds=(self.gate.read_fd,) if self.gate else (),
            )
            if self.child.stderr is not None:
                self.tee = StderrTee(self.child.stderr, held=self.gate is not None)
            for signum in self.received:
                self.pass_on(signum)
            if self.received and self.held():
                raise Terminated if self.received[0] == signal.SIGTERM else KeyboardInterrupt
        except BaseException:
            self.__exit__()
            raise

    def wait(self) -> tuple[int, str]:
        self.start()
        assert self.child is not None
        if self.gate is not None:
            self.gate.release()
        if self.tee is not None:
            self.tee.release()
        code = self.child.wait()
        self.restore()
        if (
            self.received
        ):  # pip may answer Ctrl-C with its own exit 1; an interruption is 128+n whatever pip says
            code = -self.received[0]
        return (128 - code if code < 0 else code), self.tee.text() if self.tee else ""

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        child = self.child
        if child is not None and child.returncode is None:
            if self.held():
                self.stop_at_gate(child)
            child.wait()  # a pip at work is never cut short
        if self.gate is not None:
            self.gate.close()
        self.restore()

    def stop_at_gate(self, child: subprocess.Popen[bytes]) -> None:
        """Stop a pip that has not passed the gate. Ctrl-C lets it remove its temp dirs (it would leave
        them behind when killed); its "Operation cancelled" is not shown."""
        if self.tee is not None:
            self.tee.discard()
        child.send_signal(signal.SIGINT)
        try:
            child.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            child.kill()

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
        self.previous = {}


def run_pip(
    argv: list[str], environ: Mapping[str, str], tee_stderr: bool = True, stdout_to_stderr: bool = False
) -> tuple[int, str]:
    """Run pip to its end: see PipProcess."""
    with PipProcess(argv, environ, tee_stderr, stdout_to_stderr) as pip:
        return pip.wait()
