"""A child that answers a question: the interpreter query, pip's dry run, a venv's own checks. Started
through util/process.py's Child (its own process group, its tree signalled with safepip's), stdin closed,
output captured, bounded in time and size; read now (`ask`) or later (`Question`), so that safepip can go
on with what does not need the answer meanwhile."""

from __future__ import annotations

import os
import time

from safepip.errors import Interrupted
from safepip.util.named_tuple import NamedTuple
from safepip.util.process import Child, kill_group

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

OUTPUT_LIMIT = 16 * 1024 * 1024  # bytes of output a question's answer may have


class Answer(NamedTuple):
    """What a question-answering child said."""

    code: int
    stdout: bytes
    stderr: bytes

    def last_error_line(self) -> str:
        lines = self.stderr.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit code {self.code}, no output"


class NoAnswer(Exception):
    """The child could not be started, or did not answer in time."""


class Question:
    """A child that answers a question (stdin closed, output captured), started now and read with `answer`:
    safepip goes on with what does not need the answer while the child works. At most `timeout` seconds and
    `limit` bytes of output; its tree is killed when it overruns either, when safepip is interrupted, or when
    it is left unread (`close`, or the end of a `with` block)."""

    def __init__(
        self,
        argv: Sequence[str],
        environ: Mapping[str, str],
        timeout: float,
        inherit: Iterable[int] = (),
        limit: int = OUTPUT_LIMIT,
    ) -> None:
        self.program, self.timeout, self.limit = argv[0], timeout, limit
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        null = os.open(os.devnull, os.O_RDONLY)
        try:
            self.child = Child(
                argv, environ, stdin_fd=null, stdout_fd=out_write,
                stderr_fd=err_write, inherit=inherit, own_group=True,
            )  # fmt: skip
        except OSError as error:
            os.close(out_read)
            os.close(err_read)
            raise NoAnswer(f"cannot run {argv[0]}: {error.strerror}") from error
        finally:
            for fd in (out_write, err_write, null):
                os.close(fd)
        self.out_read, self.err_read = out_read, err_read
        self.deadline = time.monotonic() + timeout
        self.closed = self.read = False

    def answer(self) -> Answer:
        """What the child said, once it has ended; NoAnswer when it overran, Interrupted when safepip was."""
        import select

        self.read = True
        buffers: dict[int, bytearray] = {self.out_read: bytearray(), self.err_read: bytearray()}
        try:
            open_fds = [self.out_read, self.err_read]
            while open_fds:
                if self.child.received:
                    raise Interrupted(self.child.received[0])
                left = self.deadline - time.monotonic()
                if left <= 0:
                    raise NoAnswer(f"{self.program} did not answer within {self.timeout:g} seconds")
                ready, _, _ = select.select(open_fds, [], [], min(left, 0.5))
                for fd in ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        open_fds.remove(fd)
                        continue
                    buffers[fd] += chunk
                    if len(buffers[fd]) > self.limit:
                        raise NoAnswer(f"{self.program} said more than {self.limit} bytes")
            code = self.child.wait(max(self.deadline - time.monotonic(), 0.1))
            if self.child.received:  # the forwarded signal ended it: safepip was interrupted, not refused
                raise Interrupted(self.child.received[0])
            if code is None:
                raise NoAnswer(f"{self.program} did not exit within {self.timeout:g} seconds")
        finally:
            self.close()
        return Answer(code, bytes(buffers[self.out_read]), bytes(buffers[self.err_read]))

    def close(self) -> None:
        """End the child's tree if it still runs, and give safepip its signal handlers back."""
        if self.closed:
            return
        self.closed = True
        self.child.kill()
        self.child.restore()
        os.close(self.out_read)
        os.close(self.err_read)
        kill_group(self.child.pid)  # what it left running in its group (it leads the group)

    def __enter__(self) -> Question:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        self.close()
        if kind is None and not self.read and self.child.received:  # a signal while safepip worked, unread
            raise Interrupted(self.child.received[0])


def ask(
    argv: Sequence[str],
    environ: Mapping[str, str],
    timeout: float,
    inherit: Iterable[int] = (),
    limit: int = 16 * 1024 * 1024,
) -> Answer:
    """Run a child that answers a question, and wait for its answer (see Question)."""
    return Question(argv, environ, timeout, inherit, limit).answer()
