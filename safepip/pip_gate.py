"""Start pip early and hold it before it acts, so that pip's own start-up overlaps safepip's lock and checks.

pip reads its constraints files before it resolves or writes anything, after most of its start-up (about
250 ms of a 400 ms one-wheel install). safepip passes one more, empty, constraints file: `-c /dev/fd/N`, the
read end of a pipe whose write end only safepip holds. pip's read of it blocks until safepip closes that
end, once the target is locked and the preflight has passed; pip then reads an empty file, which constrains
nothing. When safepip refuses instead, it stops pip there with Ctrl-C, before pip has touched the target.

Used only where `/dev/fd` reopens a pipe (Linux) and pip runs in the target's own interpreter: pip's
`--python` re-runs pip in a child that would not inherit the pipe.
"""

from __future__ import annotations

import os

FD_DIR = "/dev/fd"


class Gate:
    """The pipe behind `-c /dev/fd/N`: pip inherits the read end; closing the write end lets pip go on."""

    def __init__(self) -> None:
        self.read_fd, self.write_fd = os.pipe()  # neither inheritable: ChildProcess hands pip the read end

    @property
    def pip_options(self) -> list[str]:
        return ["-c", f"{FD_DIR}/{self.read_fd}"]

    def release(self) -> None:
        """Let pip go on: it reads an empty constraints file."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1

    def close(self) -> None:
        self.release()
        if self.read_fd >= 0:
            os.close(self.read_fd)
            self.read_fd = -1


def gated(argv: list[str], gate: Gate) -> list[str]:
    """`<python> -m pip <command> …` with the gate's options right after the command."""
    assert argv[1:3] == ["-m", "pip"], argv
    return [*argv[:4], *gate.pip_options, *argv[4:]]


def can_gate(command: str, has_pip: bool) -> bool:
    """pip can be held at a gate: an install, run by the target's own interpreter, on Linux."""
    return command == "install" and has_pip and os.path.isdir("/proc/self/fd")


def new_gate() -> Gate | None:
    try:
        return Gate()
    except OSError:  # out of file descriptors: pip runs without a head start
        return None
