"""Every child process safepip starts: pip, the interpreter query, the dry run, `safepip run`.

Decided here, once:
- the import path: a Python never imports from the working directory (`-P`, or on 3.10 a first statement
  that drops it), while the working directory itself stays as it is, so `-e .` and `-r req.txt` keep working;
- the process group and signals: SIGINT, SIGTERM and SIGHUP reach the child's whole process tree; safepip
  waits for it and reports 128+n; what is still alive after a grace period is killed;
- inherited descriptors: a lock's descriptor passes to the child, so the lock lives as long as the child;
- timeouts, for the processes that only answer a question (util/questions.py, through Child).

Processes start with `os.posix_spawn`: `subprocess` is not imported on the way to pip (see the benchmark's
import costs).
"""

from __future__ import annotations

import os
import sys
import time

from safepip.errors import Interrupted
from safepip.util.tree import descendants, send

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal
    from collections.abc import Iterable, Mapping, Sequence
    from types import FrameType
    from typing import NoReturn
else:
    try:  # the C module `signal` wraps: the same functions and numbers, without the enums `signal` makes at
        import _signal as signal  # import (the `enum` module with them; the benchmark's import costs)
    except ImportError:
        import signal

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
RESTORED = (signal.SIGPIPE, signal.SIGXFSZ)  # Python ignores them; a child should not inherit that
# what moves where a Python imports code or reads bytecode from (safepip/__main__.py keeps the same list: it
# runs before anything can be imported; a test holds them equal)
REDIRECTING = ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONUSERBASE", "PYTHONHOME", "PYTHONPLATLIBDIR")
GRACE = 5.0  # seconds the rest of an interrupted tree gets before it is killed
STDERR_TAIL = 64 * 1024  # enough of pip's error output to find the cause in

# Run before anything else in a Python without `-P` (3.10): sys.path[0] is the working directory then.
DROP_CWD = "import sys\nif not getattr(sys.flags, 'safe_path', False): del sys.path[0]\n"
RUN_MODULE = "import runpy\nrunpy.run_module({!r}, run_name='__main__', alter_sys=True)\n"


def raise_interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


def install_interrupt_handlers() -> None:
    for signum in FORWARDED:
        signal.signal(signum, raise_interrupted)


def has_safe_path(version: str | None) -> bool:
    """`-P` exists from Python 3.11 on."""
    if not version:
        return False
    major, _, rest = version.partition(".")
    minor = rest.partition(".")[0]
    return major.isdigit() and minor.isdigit() and (int(major), int(minor)) >= (3, 11)


def python_path(environ: Mapping[str, str]) -> list[str]:
    """The PYTHONPATH entries a child of safepip's imports from (before the standard library): the absolute
    ones, as safe_python_environment leaves them."""
    return [entry for entry in environ.get("PYTHONPATH", "").split(os.pathsep) if os.path.isabs(entry)]


def own_python_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """For safepip's own Python running what no check of a run looked at (pip's help, `self update`): none
    of the variables that move where it imports code or reads bytecode from."""
    return {name: value for name, value in environ.items() if name not in REDIRECTING}


def pycache_prefix(environ: Mapping[str, str], cwd: str | None = None) -> str | None:
    """Where a child reads bytecode from instead of `__pycache__` dirs: PYTHONPYCACHEPREFIX, a relative one
    taken from the working directory as Python takes it (and as safe_python_environment passes it on, made
    absolute); None when unset."""
    prefix = environ.get("PYTHONPYCACHEPREFIX", "")
    if not prefix:
        return None
    return os.path.normpath(os.path.join(cwd or os.getcwd(), prefix))


def safe_python_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """`environ` without the PYTHONPATH entries that mean the working directory: an empty entry (what
    `export PYTHONPATH=$PYTHONPATH:/x` leaves when it was unset) or a relative one would undo `-P`; and with
    PYTHONPYCACHEPREFIX absolute, the directory that was checked (pycache_prefix)."""
    result = dict(environ)
    entries = python_path(result)
    if entries:
        result["PYTHONPATH"] = os.pathsep.join(entries)
    else:
        result.pop("PYTHONPATH", None)
    prefix = pycache_prefix(result)
    if prefix is not None:
        result["PYTHONPYCACHEPREFIX"] = prefix
    return result


def python_module(python: str, version: str | None, module: str, *args: str) -> list[str]:
    """`python -P -m module args`, or its equivalent for a Python without `-P`."""
    if has_safe_path(version):
        return [python, "-P", "-m", module, *args]
    return [python, "-c", DROP_CWD + RUN_MODULE.format(module), *args]


def python_file(python: str, version: str | None, path: str, *args: str) -> list[str]:
    """`python -P path args` for a zipapp: Python puts the archive first on the import path, never the cwd."""
    return [python, *(["-P"] if has_safe_path(version) else []), path, *args]


def python_code(python: str, code: str, *args: str, no_site: bool = False) -> list[str]:
    """`python -c code`, the working directory dropped from the import path first (any version); with
    `no_site`, `-S`: no site dir is added and no .pth file runs."""
    return [python, *(["-S"] if no_site else []), "-c", DROP_CWD + code, *args]


def replace_process(argv: Sequence[str], environ: Mapping[str, str]) -> NoReturn:
    """Become `argv` (safepip.pyz's `__pip__` hands its process to pip); OSError when it cannot start."""
    os.execve(argv[0], list(argv), safe_python_environment(environ))


def in_terminal_foreground() -> bool:
    """safepip is the terminal's foreground job: the terminal's signals reach its whole process group, and a
    child that prompts must stay in that group to read the terminal."""
    try:
        return os.isatty(0) and os.tcgetpgrp(0) == os.getpgrp()
    except OSError:
        return False


def spawn(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout_fd: int | None = None,
    stderr_fd: int | None = None,
    stdin_fd: int | None = None,
    inherit: Iterable[int] = (),
    own_group: bool = False,
) -> int:
    """Start `argv`; its pid. OSError when it cannot be started."""
    redirects = ((stdin_fd, 0), (stdout_fd, 1), (stderr_fd, 2))
    actions = [(os.POSIX_SPAWN_DUP2, fd, target) for fd, target in redirects if fd is not None]
    inherited = list(inherit)
    for fd in inherited:
        os.set_inheritable(fd, True)
    try:
        if own_group:
            return os.posix_spawn(argv[0], list(argv), dict(environ), file_actions=actions,
                                  setsigdef=RESTORED, setpgroup=0)  # fmt: skip
        return os.posix_spawn(argv[0], list(argv), dict(environ), file_actions=actions, setsigdef=RESTORED)
    finally:
        for fd in inherited:
            os.set_inheritable(fd, False)


def kill_group(leader: int) -> None:
    """SIGKILL to what is left of a process group (its leader may have ended already)."""
    try:
        os.killpg(leader, signal.SIGKILL)
    except OSError:
        pass


def exit_code(status: int) -> int:
    """A shell's exit code: 128 + n when signal n ended the process."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


class Child:
    """A child process whose whole tree is signalled when safepip is, and waited for.

    In the terminal's foreground it shares safepip's process group (the terminal's Ctrl-C reaches all of it,
    and it can prompt); otherwise, or when `own_group`, it leads a group of its own, signalled as a whole.
    Every child gets safe_python_environment: the one place it is applied."""

    def __init__(
        self,
        argv: Sequence[str],
        environ: Mapping[str, str],
        *,
        stdin_fd: int | None = None,
        stdout_fd: int | None = None,
        stderr_fd: int | None = None,
        inherit: Iterable[int] = (),
        own_group: bool = False,
    ) -> None:
        self.received: list[int] = []
        self.returncode: int | None = None
        self.pid = 0  # 0 until started: never signal it then (killpg(0) is our own group)
        self.foreground = not own_group and in_terminal_foreground()
        self.tree: set[int] = set()
        self.previous = {signum: signal.signal(signum, self.forward) for signum in FORWARDED}
        try:
            self.pid = spawn(
                argv, safe_python_environment(environ), stdin_fd=stdin_fd, stdout_fd=stdout_fd, stderr_fd=stderr_fd,
                inherit=inherit, own_group=not self.foreground,
            )  # fmt: skip
        except BaseException:
            self.restore()
            raise
        for signum in self.received:  # arrived while it was being started
            self.pass_on(signum)

    def forward(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.pid:
            self.pass_on(signum)

    def pass_on(self, signum: int) -> None:
        if self.returncode is not None or not self.pid:
            return
        if self.foreground and signum == signal.SIGINT:
            self.tree.update([self.pid, *descendants(self.pid)])
            return  # the terminal sent it to the whole group already; a second one could break pip's rollback
        self.signal_tree(signum)

    def signal_tree(self, signum: int) -> None:
        if not self.foreground:
            try:
                os.killpg(self.pid, signum)
            except OSError:
                pass
            return
        self.tree.update([self.pid, *descendants(self.pid)])
        for pid in self.tree:
            send(pid, signum)

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = self.pid, 255 << 8
            if pid:
                self.returncode = exit_code(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code (128 + n after signal n); None when `timeout` seconds passed first."""
        while timeout is None and self.returncode is None:
            try:
                status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                status = 255 << 8
            self.returncode = exit_code(status)
        deadline = time.monotonic() + (timeout or 0)
        if self.poll() is None and not self.sleep_until_exit(deadline):
            while self.poll() is None and time.monotonic() < deadline:
                time.sleep(0.002)
        return self.returncode

    def sleep_until_exit(self, deadline: float) -> bool:
        """Sleep until the child ends or the deadline passes, woken by its pidfd (Linux 5.3 and later, not
        a poll: a child that closed its output is usually a moment from its end); False without pidfds."""
        import select

        try:
            fd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            return False
        try:
            select.select([fd], [], [], max(deadline - time.monotonic(), 0))
        finally:
            os.close(fd)
        self.poll()
        return True

    def finish(self, own_code: bool = False) -> int:
        """Wait for the child, then for what is left of an interrupted tree (killed after a grace period);
        the exit code, 128 + n when safepip got signal n (pip's interrupted install), or with `own_code`
        the child's own, 128 + n only when signal n ended it (a command that handles the signal itself)."""
        code = self.wait()
        assert code is not None
        if self.received:
            self.reap_tree()
            if not own_code:
                code = 128 + self.received[0]
        self.restore()
        return code

    def reap_tree(self) -> None:
        deadline = time.monotonic() + GRACE
        while self.tree_alive():
            if time.monotonic() > deadline:
                self.signal_tree(signal.SIGKILL)
                return
            time.sleep(0.05)

    def tree_alive(self) -> bool:
        if self.foreground:
            return any(os.path.exists(f"/proc/{pid}") for pid in self.tree if pid != self.pid)
        try:
            os.killpg(self.pid, 0)
        except OSError:
            return False
        return True

    def kill(self) -> None:
        """End the child's tree now (a timeout, or safepip unwinding)."""
        if self.pid and self.poll() is None:
            self.signal_tree(signal.SIGKILL)
            self.wait()

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}


def copy_stderr(fd: int, child: Child) -> str:
    """Copy a child's stderr to ours as it comes (in this thread: no threading import on the way to pip),
    until the child has ended and the pipe is drained; the tail, for the diagnosis."""
    import select

    out = sys.stderr.buffer
    tail = bytearray()
    try:
        while True:
            ready = select.select([fd], [], [], 0.2)[0]
            chunk = os.read(fd, 65536) if ready else b""
            if chunk:
                try:  # our stderr is gone: keep draining
                    out.write(chunk)
                    out.flush()
                except (OSError, ValueError):
                    pass
                tail += chunk
                del tail[:-STDERR_TAIL]
            elif ready or child.poll() is not None:  # end of file, or the child ended (a grandchild may
                break  # keep the pipe open: what it says later is not pip's)
    finally:
        os.close(fd)
    return tail.decode("utf-8", "replace")


def run_streaming(
    argv: Sequence[str],
    environ: Mapping[str, str],
    *,
    stdout_to_stderr: bool = False,
    tee_stderr: bool = True,
    inherit: Iterable[int] = (),
    own_code: bool = False,
) -> tuple[int, str]:
    """Run a child to its end with stdio inherited (pip's progress bars and prompts as always): its exit
    code and its stderr's tail. `stdout_to_stderr` keeps stdout free for safepip's JSON; `own_code`: see
    Child.finish."""
    read_end = write_end = None
    if tee_stderr:
        read_end, write_end = os.pipe()
    try:
        child = Child(
            argv,
            environ,
            stdout_fd=sys.stderr.fileno() if stdout_to_stderr else None,
            stderr_fd=write_end,
            inherit=inherit,
        )
    except BaseException:
        if read_end is not None:
            os.close(read_end)
        raise
    finally:
        if write_end is not None:
            os.close(write_end)
    try:
        text = copy_stderr(read_end, child) if read_end is not None else ""
        code = child.finish(own_code)
    except BaseException:
        child.kill()
        child.restore()
        raise
    return code, text
