"""Read (never rewrite) the arguments a user gives `pip install`.

safepip only needs a few facts from them: an explicit target, `--user`, `--break-system-packages`,
`--isolated`, `--help`. pip parses with optparse, so long options may be abbreviated and short
options clustered; this reader follows the same rules so that a value is never mistaken for an option.
"""

from __future__ import annotations

from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# pip's install, index and general options that take a value (pip 23 to 26).
VALUE_OPTIONS = frozenset(
    {
        "--requirement", "--constraint", "--build-constraint", "--editable", "--target", "--platform",
        "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src",
        "--upgrade-strategy", "--config-settings", "--global-option", "--no-binary", "--only-binary",
        "--progress-bar", "--root-user-action", "--report", "--group", "--index-url",
        "--extra-index-url", "--find-links", "--python", "--log", "--keyring-provider", "--proxy",
        "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert",
        "--cache-dir", "--use-feature", "--use-deprecated", "--resume-retries", "--log-file",
        "--local-log", "--install-option", "--build", "--build-dir", "--uploaded-prior-to",
        "--source", "--source-dir", "--source-directory", "--pypi-url", "--default-timeout",
        "--all-releases", "--only-final", "--refresh-package", "--requirements-from-script",
    }
)  # fmt: skip
FLAG_OPTIONS = frozenset(
    {
        "--no-deps", "--pre", "--dry-run", "--user", "--no-user", "--upgrade", "--force-reinstall",
        "--ignore-installed", "--ignore-requires-python", "--no-build-isolation", "--use-pep517",
        "--no-use-pep517", "--check-build-dependencies", "--break-system-packages", "--compile",
        "--no-compile", "--no-warn-script-location", "--no-warn-conflicts", "--prefer-binary",
        "--require-hashes", "--no-clean", "--no-index", "--help", "--debug", "--isolated",
        "--require-virtualenv", "--no-require-virtualenv", "--verbose", "--version", "--quiet",
        "--no-input", "--no-cache-dir", "--disable-pip-version-check", "--no-color",
        "--no-python-version-warning", "--egg", "--no-egg", "--require-venv", "--no-dependencies",
    }
)  # fmt: skip
SHORT_VALUE = {"r": "--requirement", "c": "--constraint", "e": "--editable", "t": "--target",
               "C": "--config-settings", "i": "--index-url", "f": "--find-links", "b": "--build"}  # fmt: skip
SHORT_FLAG = {"U": "--upgrade", "I": "--ignore-installed", "h": "--help", "v": "--verbose",
              "V": "--version", "q": "--quiet"}  # fmt: skip
LONG_OPTIONS = VALUE_OPTIONS | FLAG_OPTIONS
# pip's other names for the same options; a use is recorded under the canonical name
ALIASES = {
    "--require-venv": "--require-virtualenv", "--source": "--src", "--source-dir": "--src",
    "--source-directory": "--src", "--no-dependencies": "--no-deps", "--default-timeout": "--timeout",
    "--pypi-url": "--index-url", "--log-file": "--log", "--local-log": "--log",
}  # fmt: skip


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


def expand_long(name: str) -> str:
    """optparse accepts any unambiguous prefix of a long option."""
    if name in LONG_OPTIONS:
        return ALIASES.get(name, name)
    matches = [option for option in LONG_OPTIONS if option.startswith(name)]
    return ALIASES.get(matches[0], matches[0]) if len(matches) == 1 else name


def parse_pip_args(argv: Sequence[str]) -> PipArgs:
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
            name = expand_long(given)
            if name in VALUE_OPTIONS and not has_equals:
                value = args[index + 1] if index + 1 < len(args) else None
                options.append(OptionUse(name, value, index, min(index + 1, len(args) - 1)))
                index += 2
                continue
            options.append(OptionUse(name, inline if has_equals else None, index, index))
        elif arg.startswith("-") and len(arg) > 1:
            index = read_short_cluster(args, index, options)
            continue
        else:
            positionals.append(arg)
        index += 1
    return PipArgs(args, tuple(options), tuple(positionals))


def read_short_cluster(args: tuple[str, ...], index: int, options: list[OptionUse]) -> int:
    """Read `-Uq`, `-rfile`, `-r file`; return the index of the next argument."""
    cluster = args[index][1:]
    for position, letter in enumerate(cluster):
        if letter in SHORT_VALUE:
            rest = cluster[position + 1 :]
            head = "-" + cluster[:position] if position else ""
            if rest:
                options.append(OptionUse(SHORT_VALUE[letter], rest, index, index, head))
                return index + 1
            value = args[index + 1] if index + 1 < len(args) else None
            options.append(OptionUse(SHORT_VALUE[letter], value, index, min(index + 1, len(args) - 1), head))
            return index + 2
        head = "-" + cluster[:position] if position else ""
        options.append(OptionUse(SHORT_FLAG.get(letter, "-" + letter), None, index, index, head))
    return index + 1
