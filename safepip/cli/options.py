"""safepip's own options: one table, read by one argparse parser, each with its SAFEPIP_* variable.

safepip's options stand before the subcommand; everything after it is pip's and never passes through a
parser, so `-r file`, `--`, `--help` and every other argument reach pip byte for byte, in order.
"""

from __future__ import annotations

import os
import sys

from safepip import __version__
from safepip.errors import UsageError
from safepip.facts.pip_args import VALUE_OPTIONS as PIP_VALUE_OPTIONS
from safepip.facts.request import DEFAULT_LOCK_TIMEOUT, DEFAULT_MIN_TMP_SPACE, Options
from safepip.util.named_tuple import NamedTuple
from safepip.util.units import parse_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Mapping, Sequence
    from types import SimpleNamespace
    from typing import Any, NoReturn
else:  # as the types module defines it, without importing that module
    SimpleNamespace = type(sys.implementation)

TRUE_WORDS = ("1", "true", "t", "yes", "y", "on")
FALSE_WORDS = ("0", "false", "f", "no", "n", "off", "")
MAX_SECONDS = 365 * 24 * 3600.0

# pip's commands other than install; each runs pip against the target an install would use.
PIP_COMMANDS = (
    "download", "uninstall", "freeze", "inspect", "list", "show", "check", "config", "search", "cache",
    "index", "wheel", "hash", "completion", "debug", "help", "lock",
)  # fmt: skip
OWN_COMMANDS = {
    "install": "install packages; everything after `install` goes to pip unchanged, --help included",
    "explain": "the plan for `install ARGS` and every fact behind it; writes nothing",
    "doctor": "this machine's permission context as a checklist",
    "python": "print the interpreter of the resolved target (PY := $(shell safepip python))",
    "run": "run `-- CMD…` with the resolved target active (its bin first on PATH, VIRTUAL_ENV set)",
    "shell-init": "the lines for a shell profile: pip through safepip, PATH, completion (bash|zsh|fish)",
    "self": "install|update [PYZ]|uninstall: safepip from safepip.pyz in a venv of its own, on PATH",
}


def path_value(value: str) -> str:
    if not value.strip():
        raise ValueError("an empty value, where a path is needed")
    return value


def seconds(value: str) -> float:
    import math  # only for --lock-timeout

    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not 0 <= number <= MAX_SECONDS:
        raise ValueError(f"{value!r} is not a number of seconds between 0 and {MAX_SECONDS:.0f}")
    return number


def size(value: str) -> int:
    try:
        return parse_size(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a size like 500M or 2G") from None


def choice(*words: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in words:
            raise ValueError(f"{value!r} is not one of {', '.join(words)}")
        return value

    return check


class OptionSpec(NamedTuple):
    field: str
    names: tuple[str, ...]
    envvar: str
    help: str
    read: Callable[[str], object] | None = None  # None: a flag
    metavar: str | None = None


OPTIONS = (
    OptionSpec("python", ("--python",), "SAFEPIP_PYTHON",
               "the Python to install for (default: the active env, a project venv, or python3 on PATH)",
               path_value, "PATH"),
    OptionSpec("venv", ("--venv",), "SAFEPIP_VENV", "use this venv, creating it if missing",
               path_value, "PATH"),
    OptionSpec("prefer", ("--prefer",), "SAFEPIP_PREFER",
               "user: pip's --user before the system env; venv: a managed venv rather than --user",
               choice("user", "venv"), "user|venv"),
    OptionSpec("no_fallback", ("--no-fallback",), "SAFEPIP_NO_FALLBACK",
               "never move from the first candidate: explain and exit 77"),
    OptionSpec("fallback", ("--fallback",), "SAFEPIP_FALLBACK",
               "allow moving an explicit --target/--prefix/--root/--user that cannot work"),
    OptionSpec("system", ("--system",), "SAFEPIP_SYSTEM",
               "under sudo: stay root and install into the system environment (PEP 668 still applies)"),
    OptionSpec("lock_timeout", ("--lock-timeout",), "SAFEPIP_LOCK_TIMEOUT",
               f"seconds to wait for another install into the same target ({DEFAULT_LOCK_TIMEOUT:g})",
               seconds, "SECONDS"),
    OptionSpec("min_tmp_space", ("--min-tmp-space",), "SAFEPIP_MIN_TMP_SPACE",
               "free space a temp dir needs to be used (1G; bytes, or with K/M/G)", size, "SIZE"),
    OptionSpec("quiet", ("-q", "--quiet"), "SAFEPIP_QUIET", "no lines of safepip's own"),
    OptionSpec("verbose", ("-v", "--verbose"), "SAFEPIP_VERBOSE", "print the whole decision"),
    OptionSpec("json", ("--json",), "SAFEPIP_JSON",
               "one JSON document on stdout (explain, install and the pip commands, doctor)"),
)  # fmt: skip
FIELDS = tuple(spec.field for spec in OPTIONS)
VALUE_OPTIONS = tuple(name for spec in OPTIONS if spec.read is not None for name in spec.names)
BY_NAME = {name: spec for spec in OPTIONS for name in spec.names}


VERSION = "--version"  # -V, --version: as a command, for the pip of the resolved target


class Parsed(NamedTuple):
    options: Options
    command: str | None  # None: only --help or --version was asked for
    rest: list[str]  # pip's arguments (or the command's), untouched


class ArgumentError(Exception):
    pass


# pip's general options, which pip reads before its command as well as after it (pip 23 to 26): given before
# the command (`pip --no-cache-dir install X` with pip going to safepip), they are pip's, not safepip's
PIP_GENERAL_OPTIONS = frozenset(
    {
        "--debug", "--isolated", "--require-virtualenv", "--require-venv", "--log", "--log-file",
        "--local-log", "--no-input", "--keyring-provider", "--proxy", "--retries", "--timeout",
        "--default-timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert", "--cache-dir",
        "--no-cache-dir", "--disable-pip-version-check", "--no-color", "--no-python-version-warning",
        "--use-feature", "--use-deprecated", "--resume-retries",
    }
)  # fmt: skip
COMMANDS_WITH_PIP_ARGS = ("install", "explain", *PIP_COMMANDS)
# where -q and -v before the command are pip's too: commands whose pip output is progress, not the answer
# (`safepip -q show X` keeps pip's answer and drops safepip's lines, as the examples' Makefile has it)
QUIETED_COMMANDS = ("install", "uninstall", "download", "wheel")


def is_shared_flag(arg: str) -> bool:
    """-q and -v (also as -qq, -vv), --quiet, --verbose: safepip's and, before a pip command, pip's too."""
    if arg in ("--quiet", "--verbose"):
        return True
    return len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) <= {"q", "v"}


class Split(NamedTuple):
    head: list[str]  # safepip's options and the command
    for_pip: list[str]  # pip's general options given before the command, -q and -v too, in order
    rest: list[str]  # after the command: pip's arguments (or the command's), never parsed here


def split_argv(argv: Sequence[str]) -> Split:
    head: list[str] = []
    for_pip: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if not arg.startswith("-") or arg == "-":
            return Split([*head, arg], for_pip, list(argv[index + 1 :]))
        name = arg.partition("=")[0]
        width = 2 if "=" not in arg and (arg in VALUE_OPTIONS or name in PIP_VALUE_OPTIONS) else 1
        taken = list(argv[index : index + width])
        if name in PIP_GENERAL_OPTIONS:
            for_pip += taken
        else:
            head += taken
            if is_shared_flag(arg):
                for_pip.append(arg)
        index += width
    return Split(head, for_pip, [])


def build_parser() -> argparse.ArgumentParser:
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise ArgumentError(message)

    parser = Parser(
        prog="safepip",
        description="pip install without 'Permission denied': safepip picks a writable target, then runs pip.",
        epilog="commands:\n"
        + "\n".join(f"  {name:<11} {text}" for name, text in OWN_COMMANDS.items())
        + "\n  (pip's)     "
        + ", ".join(PIP_COMMANDS[:9])
        + ", …: pip against the same target as install"
        + "\n\nEach option has its environment variable; `safepip COMMAND --help` is pip's help.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=True,
        allow_abbrev=False,
    )
    for spec in OPTIONS:
        help_text = f"{spec.help} [{spec.envvar}]"
        if spec.read is None:
            parser.add_argument(
                *spec.names, dest=spec.field, action="store_true", default=None, help=help_text
            )
        else:
            parser.add_argument(
                *spec.names, dest=spec.field, metavar=spec.metavar, default=None, help=help_text
            )
    parser.add_argument(
        "-V",
        "--version",
        action="store_true",
        help="the version of the pip that runs for the target, as pip prints it (safepip's own on stderr)",
    )
    parser.add_argument("command", nargs="?", metavar="COMMAND")
    return parser


def read_plain_head(head: list[str]) -> SimpleNamespace | None:
    """What argparse would read from a head of the table's own option names, each spelled out, with their
    values, then the command; None for anything else (`--help`, `--opt=value`, `-qv`, a value that looks
    like an option, no command), which the parser reads. On the hot path: argparse costs more to import
    than safepip's own start-up work."""
    if not head or head[-1].startswith("-"):
        return None
    given = SimpleNamespace(command=head[-1], version=False, **dict.fromkeys(FIELDS))
    index = 0
    while index < len(head) - 1:
        spec = BY_NAME.get(head[index])
        if spec is None:
            return None
        if spec.read is None:
            setattr(given, spec.field, True)
            index += 1
            continue
        if index + 2 >= len(head) or head[index + 1].startswith("-"):
            return None
        setattr(given, spec.field, head[index + 1])
        index += 2
    return given


def read_value(spec: OptionSpec, raw: str, where: str) -> object:
    assert spec.read is not None
    try:
        return spec.read(raw)
    except ValueError as error:
        detail = str(error) if str(error) and str(error) != raw else f"{raw!r} is not valid"
        raise UsageError(f"{where}: {detail}", f"see `safepip --help` for {spec.names[-1]}") from None


def read_flag(spec: OptionSpec, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise UsageError(f"{spec.envvar}={raw!r} is neither true nor false", f"set {spec.envvar}=1 or unset it")


def options_from(given: Any, environ: Mapping[str, str]) -> Options:
    values: dict[str, object] = {}
    for spec in OPTIONS:
        value = getattr(given, spec.field)
        if value is not None:
            values[spec.field] = read_value(spec, value, spec.names[-1]) if spec.read else True
        elif environ.get(spec.envvar):  # an empty variable is an unset one, as click and Make treat it
            raw = environ[spec.envvar]
            values[spec.field] = read_value(spec, raw, spec.envvar) if spec.read else read_flag(spec, raw)
    if values.get("fallback") and values.get("no_fallback"):
        raise UsageError("--fallback and --no-fallback exclude each other", "give one of them, or neither")
    venv = values.get("venv")
    return Options(
        python=str(values["python"]) if "python" in values else None,
        venv=os.path.abspath(str(venv)) if venv else None,
        prefer=str(values["prefer"]) if "prefer" in values else None,
        no_fallback=bool(values.get("no_fallback")),
        fallback=bool(values.get("fallback")),
        system=bool(values.get("system")),
        lock_timeout=float(values.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)),  # type: ignore[arg-type]
        min_tmp_space=int(values.get("min_tmp_space", DEFAULT_MIN_TMP_SPACE)),  # type: ignore[call-overload]
        quiet=bool(values.get("quiet")),
        verbose=bool(values.get("verbose")),
        json=bool(values.get("json")),
    )


def parse_command_line(argv: Sequence[str], environ: Mapping[str, str]) -> Parsed:
    """safepip's options and command; UsageError for anything wrong. Prints help or the version (and
    returns command None) when asked; touches nothing else."""
    head, for_pip, rest = split_argv(argv)
    given: Any = read_plain_head(head)
    if given is None:
        parser = build_parser()
        try:
            given = parser.parse_args(head)
        except ArgumentError as error:
            raise UsageError(str(error), "see `safepip --help`") from None
    options = options_from(given, environ)
    if given.version:  # pip's own version line, of the pip that runs for the target (cli/main.py)
        return Parsed(options, VERSION, [])
    command = given.command
    if command is None:
        build_parser().print_help()
        return Parsed(options, None, [])
    if command not in OWN_COMMANDS and command not in PIP_COMMANDS:
        import difflib  # an error's path only

        close = difflib.get_close_matches(command, [*OWN_COMMANDS, *PIP_COMMANDS], n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UsageError(f"unknown command {command!r}", f"{hint}see `safepip --help` for the commands")
    if command in COMMANDS_WITH_PIP_ARGS:
        shared = command in QUIETED_COMMANDS
        return Parsed(
            options, command, [*(arg for arg in for_pip if shared or not is_shared_flag(arg)), *rest]
        )
    pips = [arg for arg in for_pip if not is_shared_flag(arg) and arg.startswith("-")]
    if pips:
        raise UsageError(
            f"{pips[0]} is an option of pip's, and `safepip {command}` does not run pip",
            "give it with a pip command, as in `safepip install --no-cache-dir ARGS`",
        )
    return Parsed(options, command, rest)


def version_line() -> str:
    """safepip's version and the pip it runs for targets without one (read from its metadata, not imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        pip = version("pip")
    except PackageNotFoundError:
        pip = "none"
    return f"safepip {__version__} (pip {pip})"
