"""ChildProcess, the posix_spawn replacement for subprocess.Popen that pip runs in: real children."""

from __future__ import annotations

import os
import signal

import pytest

from safepip.child_process import ChildProcess

SH = "/bin/sh"


def read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_stdout_and_stderr_go_where_they_are_sent() -> None:
    read_end, write_end = os.pipe()
    child = ChildProcess(
        [SH, "-c", "echo out; echo err >&2; exit 3"], os.environ, stdout_fd=write_end, stderr_pipe=True
    )
    os.close(write_end)
    assert child.stderr_fd is not None
    assert read_all(child.stderr_fd) == b"err\n"
    assert read_all(read_end) == b"out\n"
    assert child.wait() == 3


def test_the_child_does_not_inherit_pythons_ignored_sigpipe() -> None:
    assert signal.getsignal(signal.SIGPIPE) == signal.SIG_IGN  # Python's own setting, which exec would keep
    read_end, write_end = os.pipe()
    child = ChildProcess(["/bin/cat", "/proc/self/status"], os.environ, stdout_fd=write_end)
    os.close(write_end)
    status = read_all(read_end).decode()
    child.wait()
    [ignored] = [line.split()[1] for line in status.splitlines() if line.startswith("SigIgn:")]
    assert not int(ignored, 16) & (1 << (signal.SIGPIPE - 1))


def test_only_the_inherited_fd_is_passed_and_it_stays_closed_on_exec_here() -> None:
    passed_read, passed_write = os.pipe()
    other_read, other_write = os.pipe()
    try:
        script = f"test -e /dev/fd/{passed_read} && ! test -e /dev/fd/{other_read}"
        child = ChildProcess([SH, "-c", script], os.environ, inherited_fd=passed_read)
        assert child.wait() == 0
        assert not os.get_inheritable(passed_read)
    finally:
        for fd in (passed_read, passed_write, other_read, other_write):
            os.close(fd)


def test_exit_by_signal_and_a_wait_that_times_out() -> None:
    assert ChildProcess([SH, "-c", "kill -TERM $$"], os.environ).wait() == -signal.SIGTERM
    sleeper = ChildProcess([SH, "-c", "exec sleep 30"], os.environ)
    assert sleeper.wait_up_to(0.05) is None
    assert sleeper.poll() is None
    sleeper.send_signal(signal.SIGKILL)
    assert sleeper.wait() == -signal.SIGKILL
    sleeper.send_signal(signal.SIGTERM)  # reaped: no signal goes to a pid that may be another's now
    assert sleeper.poll() == -signal.SIGKILL


def test_a_command_that_cannot_start_raises_and_leaks_no_fd() -> None:
    before = open_fds()
    with pytest.raises(FileNotFoundError):
        ChildProcess(["/nonexistent/python", "-m", "pip"], os.environ, stderr_pipe=True)
    assert open_fds() == before
