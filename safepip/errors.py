"""The errors safepip expects. Each carries the one line a user sees, the fix, and the exit code; the command
line maps them to output once (cli/main.py)."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_LOCK_TIMEOUT = 75
EXIT_REFUSED = 77


class SafepipError(Exception):
    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(SafepipError):
    exit_code = EXIT_USAGE


class RefusedError(SafepipError):
    """No target works, or what the user chose cannot be used safely: stop before pip runs."""

    exit_code = EXIT_REFUSED


class LockTimeoutError(SafepipError):
    exit_code = EXIT_LOCK_TIMEOUT


class Interrupted(BaseException):
    """safepip got SIGINT, SIGTERM or SIGHUP while no child ran: unwinds like Ctrl-C, so temp dirs and locks
    are released; the exit code is 128 + signum."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
