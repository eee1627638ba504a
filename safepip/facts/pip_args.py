"""Read (never rewrite) the arguments a user gives a pip command.

safepip only needs a few facts from them: an explicit target, `--user`, `--break-system-packages`,
`--isolated`, `--help`, the files pip writes or trusts. pip parses with optparse, each command with its own
options, so long options may be abbreviated and short options clustered; this reader follows the same rules,
with the command's options, so that a value is never mistaken for an option, nor an option for a value.
"""

from __future__ import annotations

from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# pip's options, as pip 23 to 26 spell them: those that take a value and flags. Every command has the general
# ones; install, download, wheel and lock share install's (with the index options and the few each adds),
# and any command not named below is read with those; the others have their own (COMMAND_TABLES).
GENERAL_VALUES = frozenset(
    {
        "--python", "--log", "--log-file", "--local-log", "--keyring-provider", "--proxy", "--retries",
        "--timeout", "--default-timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert",
        "--cache-dir", "--use-feature", "--use-deprecated", "--resume-retries",
    }
)  # fmt: skip
GENERAL_FLAGS = frozenset(
    {
        "--help", "--debug", "--isolated", "--require-virtualenv", "--no-require-virtualenv", "--verbose",
        "--version", "--quiet", "--no-input", "--no-cache-dir", "--disable-pip-version-check", "--no-color",
        "--no-python-version-warning", "--require-venv", "--no-proxy-env",
    }
)  # fmt: skip
VALUE_OPTIONS = GENERAL_VALUES | frozenset(
    {
        "--requirement", "--constraint", "--build-constraint", "--editable", "--target", "--platform",
        "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src",
        "--upgrade-strategy", "--config-settings", "--global-option", "--no-binary", "--only-binary",
        "--progress-bar", "--root-user-action", "--report", "--group", "--index-url",
        "--extra-index-url", "--find-links", "--install-option", "--build", "--build-dir",
        "--uploaded-prior-to", "--source", "--source-dir", "--source-directory", "--pypi-url",
        "--all-releases", "--only-final", "--refresh-package", "--requirements-from-script",
        "--dest", "--destination-dir", "--destination-directory", "--wheel-dir", "--build-option", "--output",
    }
)  # fmt: skip
FLAG_OPTIONS = GENERAL_FLAGS | frozenset(
    {
        "--no-deps", "--pre", "--dry-run", "--user", "--no-user", "--upgrade", "--force-reinstall",
        "--ignore-installed", "--ignore-requires-python", "--no-build-isolation", "--use-pep517",
        "--no-use-pep517", "--check-build-dependencies", "--break-system-packages", "--compile",
        "--no-compile", "--no-warn-script-location", "--no-warn-conflicts", "--prefer-binary",
        "--require-hashes", "--no-require-hashes", "--no-clean", "--no-index", "--egg", "--no-egg",
        "--no-dependencies", "--no-verify", "--only-deps", "--only-dependencies",
    }
)  # fmt: skip
GENERAL_SHORT_FLAGS = {"h": "--help", "v": "--verbose", "V": "--version", "q": "--quiet"}
SHORT_VALUE = {"r": "--requirement", "c": "--constraint", "e": "--editable", "t": "--target",
               "C": "--config-settings", "i": "--index-url", "f": "--find-links", "b": "--build",
               "d": "--dest", "w": "--wheel-dir", "o": "--output"}  # fmt: skip
SHORT_FLAG = {**GENERAL_SHORT_FLAGS, "U": "--upgrade", "I": "--ignore-installed"}
# pip's other names for the same options; a use is recorded under the canonical name
ALIASES = {
    "--require-venv": "--require-virtualenv", "--source": "--src", "--source-dir": "--src",
    "--source-directory": "--src", "--no-dependencies": "--no-deps", "--default-timeout": "--timeout",
    "--pypi-url": "--index-url", "--log-file": "--log", "--local-log": "--log",
    "--destination-dir": "--dest", "--destination-directory": "--dest", "--only-dependencies": "--only-deps",
}  # fmt: skip


class OptionTable(NamedTuple):
    """One command's options: long ones that take a value, long flags, and the short letters of each."""

    values: frozenset[str]
    flags: frozenset[str]
    short_values: dict[str, str]
    short_flags: dict[str, str]

    @property
    def long_options(self) -> frozenset[str]:
        return self.values | self.flags


INSTALL_TABLE = OptionTable(VALUE_OPTIONS, FLAG_OPTIONS, SHORT_VALUE, SHORT_FLAG)


def own_table(
    values: str = "", flags: str = "", short_values: dict[str, str] | None = None,
    short_flags: dict[str, str] | None = None,
) -> OptionTable:  # fmt: skip
    """A command's table: the general options and its own (space-separated)."""
    return OptionTable(GENERAL_VALUES | frozenset(values.split()), GENERAL_FLAGS | frozenset(flags.split()),
                       short_values or {}, {**GENERAL_SHORT_FLAGS, **(short_flags or {})})  # fmt: skip


INDEX_VALUES = (
    "--index-url --extra-index-url --find-links --pypi-url --no-binary --only-binary --all-releases "
    "--only-final --refresh-package --uploaded-prior-to"
)
COMMAND_TABLES = {
    "cache": own_table("--format"),
    "check": own_table(),
    "completion": own_table(
        "",
        "--bash --fish --powershell --zsh",
        None,
        {"b": "--bash", "f": "--fish", "p": "--powershell", "z": "--zsh"},
    ),
    "config": own_table("--editor", "--global --site --user"),
    "debug": own_table("--abi --implementation --platform --python-version"),
    "freeze": own_table(
        "--exclude --path --requirement",
        "--all --exclude-editable --local --user",
        {"r": "--requirement"},
        {"l": "--local"},
    ),
    "hash": own_table("--algorithm", "", {"a": "--algorithm"}),
    "help": own_table(),
    "index": own_table(
        f"{INDEX_VALUES} --abi --implementation --platform --python-version",
        "--ignore-requires-python --json --no-index --pre --prefer-binary",
        {"f": "--find-links", "i": "--index-url"},
    ),
    "inspect": own_table("--path", "--local --user"),
    "list": own_table(
        f"{INDEX_VALUES} --exclude --format --path",
        "--editable --exclude-editable --include-editable --local --no-index --not-required "
        "--outdated --pre --prefer-binary --uptodate --user",
        {"f": "--find-links", "i": "--index-url"},
        {"e": "--editable", "l": "--local", "o": "--outdated", "u": "--uptodate"},
    ),
    "search": own_table("--index", "", {"i": "--index"}),
    "show": own_table("", "--files", None, {"f": "--files"}),
    "uninstall": own_table(
        "--requirement --root-user-action",
        "--break-system-packages --yes",
        {"r": "--requirement"},
        {"y": "--yes"},
    ),
}


def table_for(command: str) -> OptionTable:
    return COMMAND_TABLES.get(command, INSTALL_TABLE)


class OptionUse(NamedTuple):
    """One option as pip will see it: its full name, its value, and where it stood in argv."""

    name: str
    value: str | None
    first_index: int
    last_index: int
    cluster_head: str = ""  # the flags before it in its token: "-U" for the -t of "-Ut DIR"


class PipArgs(NamedTuple):
    argv: tuple[str, ...]
    options: tuple[OptionUse, ...]
    positionals: tuple[str, ...]

    def last(self, name: str) -> OptionUse | None:
        found = [use for use in self.options if use.name == name]
        return found[-1] if found else None

    def values(self, name: str) -> list[str]:
        return [use.value for use in self.options if use.name == name and use.value is not None]

    def has(self, name: str) -> bool:
        return self.last(name) is not None

    @property
    def user(self) -> bool | None:
        """True for `--user`, False for `--no-user`, None when neither; the last one wins, as in pip."""
        uses = [use for use in self.options if use.name in ("--user", "--no-user")]
        return uses[-1].name == "--user" if uses else None

    @property
    def isolated(self) -> bool:
        """`--isolated` as pip takes it for its settings: the exact word only, no abbreviation."""
        return "--isolated" in self.argv

    @property
    def explicit_location(self) -> tuple[str, str] | None:
        """The `--target/--prefix/--root` the user gave, as (option, directory)."""
        for name in ("--target", "--prefix", "--root"):
            use = self.last(name)
            if use is not None and use.value:  # pip ignores an empty --target=
                return name, use.value
        return None

    def without(self, names: Sequence[str]) -> tuple[str, ...]:
        """argv with every use of these options removed (only for an explicit `--fallback`)."""
        drop: set[int] = set()
        kept_heads: dict[int, str] = {}
        for use in self.options:
            if use.name in names:
                drop.update(range(use.first_index, use.last_index + 1))
                if use.cluster_head:
                    kept_heads[use.first_index] = use.cluster_head
        return tuple(
            kept_heads.get(index, arg)
            for index, arg in enumerate(self.argv)
            if index not in drop or index in kept_heads
        )


def expand_long(name: str, table: OptionTable = INSTALL_TABLE) -> str:
    """optparse accepts any unambiguous prefix of a long option (of the command's own, exact names first)."""
    options = table.long_options
    if name in options:
        return ALIASES.get(name, name)
    matches = [option for option in options if option.startswith(name)]
    return ALIASES.get(matches[0], matches[0]) if len(matches) == 1 else name


def parse_pip_args(argv: Sequence[str], command: str = "install") -> PipArgs:
    """`argv` as pip's parser for `command` reads it."""
    table = table_for(command)
    args = tuple(argv)
    options: list[OptionUse] = []
    positionals: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            positionals.extend(args[index + 1 :])
            break
        if arg.startswith("--"):
            given, has_equals, inline = arg.partition("=")
            name = expand_long(given, table)
            if name in table.values and not has_equals:
                value = args[index + 1] if index + 1 < len(args) else None
                options.append(OptionUse(name, value, index, min(index + 1, len(args) - 1)))
                index += 2
                continue
            options.append(OptionUse(name, inline if has_equals else None, index, index))
        elif arg.startswith("-") and len(arg) > 1:
            index = read_short_cluster(args, index, options, table)
            continue
        else:
            positionals.append(arg)
        index += 1
    return PipArgs(args, tuple(options), tuple(positionals))


def read_short_cluster(
    args: tuple[str, ...], index: int, options: list[OptionUse], table: OptionTable = INSTALL_TABLE
) -> int:
    """Read `-Uq`, `-rfile`, `-r file`; return the index of the next argument."""
    cluster = args[index][1:]
    for position, letter in enumerate(cluster):
        if letter in table.short_values:
            rest = cluster[position + 1 :]
            head = "-" + cluster[:position] if position else ""
            if rest:
                options.append(OptionUse(table.short_values[letter], rest, index, index, head))
                return index + 1
            value = args[index + 1] if index + 1 < len(args) else None
            options.append(
                OptionUse(table.short_values[letter], value, index, min(index + 1, len(args) - 1), head)
            )
            return index + 2
        head = "-" + cluster[:position] if position else ""
        options.append(OptionUse(table.short_flags.get(letter, "-" + letter), None, index, index, head))
    return index + 1
