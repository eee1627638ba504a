"""How safepip's own lines look on stderr: `safepip: …`, and an error as two lines, the cause and the fix;
and --json's one document on stdout."""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def paint(text: str, colour: str) -> str:
    """`text` in an ANSI colour on a terminal; plain when NO_COLOR is set, TERM is dumb or stderr is not a tty."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb" or not sys.stderr.isatty():
        return text
    return f"\033[{colour}m{text}\033[0m"


def say(quiet: bool, message: str) -> None:
    if not quiet:
        print(f"{paint('safepip:', '1')} {message}", file=sys.stderr, flush=True)


def error_lines(message: str, hint: str | None) -> None:
    print(f"{paint('safepip: error:', '1;31')} {message}", file=sys.stderr)
    if hint:
        print(f"{paint('safepip: fix:', '1;32')} {hint}", file=sys.stderr)


def report_error(error: SafepipError) -> int:
    """Print an expected failure as its two lines; its exit code."""
    error_lines(error.message, error.hint)
    return error.exit_code


PRINTED_JSON: list[bool] = []  # a document was printed in this run


def print_json(document: Any) -> None:
    import json  # only for --json

    print(json.dumps(document, indent=2))
    PRINTED_JSON.append(True)
