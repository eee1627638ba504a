"""safepip's own options (before the subcommand) read without typer, for the commands that run on every build.

typer (with pydantic and rich) costs more to import than the rest of safepip together, so `install`, the other
pip commands and `python` read these options here. Anything this reader is unsure of (help, an unknown or
malformed option, a value to reject) returns None, and typer, which declares the same options in cli.py, reads
the command line instead and reports the error. A unit test keeps the two in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from safepip.plan import Options

TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "f", "no", "n", "off", "")


class OptionSpec(NamedTuple):
    field: str
    names: tuple[str, ...]
    envvar: str
    takes_value: bool


SPECS = (
    OptionSpec("python", ("--python",), "SAFEPIP_PYTHON", True),
    OptionSpec("venv", ("--venv",), "SAFEPIP_VENV", True),
    OptionSpec("prefer", ("--prefer",), "SAFEPIP_PREFER", True),
    OptionSpec("no_fallback", ("--no-fallback",), "SAFEPIP_NO_FALLBACK", False),
    OptionSpec("fallback", ("--fallback",), "SAFEPIP_FALLBACK", False),
    OptionSpec("system", ("--system",), "SAFEPIP_SYSTEM", False),
    OptionSpec("lock_timeout", ("--lock-timeout",), "SAFEPIP_LOCK_TIMEOUT", True),
    OptionSpec("min_tmp_space", ("--min-tmp-space",), "SAFEPIP_MIN_TMP_SPACE", True),
    OptionSpec("quiet", ("-q", "--quiet"), "SAFEPIP_QUIET", False),
    OptionSpec("verbose", ("-v", "--verbose"), "SAFEPIP_VERBOSE", False),
    OptionSpec("json", ("--json",), "SAFEPIP_JSON", False),
)
BY_NAME = {name: spec for spec in SPECS for name in spec.names}
VALUE_OPTIONS = tuple(name for spec in SPECS if spec.takes_value for name in spec.names)


def parse_size(text: str) -> int:
    """`1073741824`, `1G`, `500M`, `64k`: binary units, as df -h shows them."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    number = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = number[-1:] if number[-1:] in units and number[-1:] else ""
    value = float(number[: len(number) - len(unit)])
    if value < 0:
        raise ValueError(text)
    return int(value * units[unit])


def given_values(args: Sequence[str]) -> dict[str, str | bool] | None:
    """field -> value from the command line; None for anything but plain known options."""
    values: dict[str, str | bool] = {}
    index = 0
    while index < len(args):
        arg = args[index]
        name, equals, inline = arg.partition("=")
        spec = BY_NAME.get(name)
        if spec is None or (equals and not spec.takes_value):
            return None
        if spec.takes_value:
            if not equals:
                index += 1
                if index >= len(args):
                    return None
                inline = args[index]
            values[spec.field] = inline
        else:
            values[spec.field] = True
        index += 1
    return values


def parse_head(args: Sequence[str], environ: Mapping[str, str]) -> Options | None:
    """Options from the arguments before the subcommand and SAFEPIP_* variables, or None: let typer read them."""
    values = given_values(args)
    if values is None:
        return None
    for spec in SPECS:
        if spec.field in values or spec.envvar not in environ:
            continue
        raw = environ[spec.envvar]
        if spec.takes_value:
            values[spec.field] = raw
        elif raw.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            values[spec.field] = raw.strip().lower() in TRUE_WORDS
        else:
            return None
    try:
        lock_timeout = float(str(values.get("lock_timeout", "600")))
        min_tmp_space = parse_size(str(values.get("min_tmp_space", "1G")))
    except ValueError:
        return None
    prefer = values.get("prefer")
    if (
        lock_timeout < 0
        or prefer not in (None, "user", "venv")
        or (values.get("fallback") and values.get("no_fallback"))
    ):
        return None
    venv = values.get("venv")
    return Options(
        python=str(values["python"]) if "python" in values else None,
        venv=os.path.abspath(str(venv)) if venv else None,
        prefer=str(prefer) if prefer else None,
        no_fallback=bool(values.get("no_fallback")),
        fallback=bool(values.get("fallback")),
        system=bool(values.get("system")),
        lock_timeout=lock_timeout,
        min_tmp_space=min_tmp_space,
        quiet=bool(values.get("quiet")),
        verbose=bool(values.get("verbose")),
        json=bool(values.get("json")),
    )
