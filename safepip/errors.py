"""The errors safepip expects; the CLI maps each to one line, a fix and an exit code."""

from __future__ import annotations

EXIT_USAGE = 2
EXIT_LOCK_TIMEOUT = 75
EXIT_REFUSED = 77
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it


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
    """No target works, or the one the user chose cannot work: stop before pip runs."""

    exit_code = EXIT_REFUSED


class LockTimeoutError(SafepipError):
    exit_code = EXIT_LOCK_TIMEOUT


class Terminated(BaseException):
    """SIGTERM while safepip itself works (not pip): unwinds like Ctrl-C, so temp dirs and locks are released."""
