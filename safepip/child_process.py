"""A child process started with `os.posix_spawn`: the part of `subprocess.Popen` that running pip needs.

pip's head start (head_start.py) starts pip before safepip has imported anything it does not need for that;
`subprocess` and what it imports (locale, threading, selectors and more) cost about 4 ms, 1% of a one-wheel
install.
"""

from __future__ import annotations

import os
import time

from safepip import signals

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

RESTORED_SIGNALS = (signals.SIGPIPE, signals.SIGXFSZ)  # Python ignores them; pip should not inherit that


class ChildProcess:
    """`argv` started at once with `environ`. `stdout_fd` replaces its stdout; `stderr_pipe` gives its
    stderr to `stderr_fd` (a pipe's read end, for the caller to read and close); `inherited_fd` stays
    open in the child under its own number. OSError when it cannot be started (as Popen)."""

    def __init__(
        self,
        argv: Sequence[str],
        environ: Mapping[str, str],
        stdout_fd: int | None = None,
        stderr_pipe: bool = False,
        inherited_fd: int | None = None,
    ) -> None:
        self.returncode: int | None = None
        self.stderr_fd: int | None = None
        actions: list[tuple[int, int, int]] = []
        if stdout_fd is not None:
            actions.append((os.POSIX_SPAWN_DUP2, stdout_fd, 1))
        write_end = None
        if stderr_pipe:
            self.stderr_fd, write_end = os.pipe()  # both close-on-exec; dup2 gives the child a plain copy
            actions.append((os.POSIX_SPAWN_DUP2, write_end, 2))
        if inherited_fd is not None:
            os.set_inheritable(inherited_fd, True)
        try:
            self.pid = os.posix_spawn(
                argv[0], list(argv), dict(environ), file_actions=actions, setsigdef=RESTORED_SIGNALS
            )
        except BaseException:
            if self.stderr_fd is not None:
                os.close(self.stderr_fd)
            raise
        finally:
            if write_end is not None:
                os.close(write_end)
            if inherited_fd is not None:
                os.set_inheritable(inherited_fd, False)

    def poll(self) -> int | None:
        """The exit code (-N when signal N ended it) once the child has ended, else None."""
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        while self.returncode is None:
            _pid, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait_up_to(self, timeout: float) -> int | None:
        """The exit code; None when `timeout` seconds pass first."""
        deadline = time.monotonic() + timeout
        delay = 0.0005
        while self.poll() is None and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # never a pid that was reaped and may belong to another process now
            os.kill(self.pid, signum)
