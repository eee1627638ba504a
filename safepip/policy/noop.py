"""The no-op fast path: answer `install` without starting pip when pip would provably do nothing.

That is when every requirement (on the command line and in `-r` files, nested) is a plain name with
specifiers, extras and markers; every constraint (`-c`, nested `-c`, pip's `constraint` setting) is a
plain name with specifiers and markers; no option or pip setting changes what pip does with an installed
requirement; and the target already has all of the requirements and their whole dependency closure, each
version admitted by every requirement and constraint on its name (policy/closure.py). In every other case
(`--upgrade`, URLs, paths, editables, hashes, a source that is not a regular file, a missing or mismatched
distribution anywhere in the closure, anything not understood) the answer is None and pip runs.

These are the rules, with no reading of their own: commands/install.py reads the requirements files and
the installed metadata (facts/requirements.py, facts/installed.py), judges them here and in
policy/closure.py, and keeps the answer in safepip's cache (facts/noop_cache.py), where it answers a
repeated run from a few stats, without importing packaging.
"""

from __future__ import annotations

from safepip.facts import noop_cache
from safepip.facts.pip_args import PipArgs
from safepip.facts.pip_config import PipSwitches
from safepip.util.named_tuple import NamedTuple
from safepip.util.names import normalize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Command-line options that do not change what pip does with a requirement that is already installed.
NEUTRAL_OPTIONS = frozenset(
    {
        "--requirement", "--constraint", "--index-url", "--extra-index-url", "--no-index", "--find-links",
        "--trusted-host", "--cert", "--client-cert", "--proxy", "--retries", "--timeout", "--cache-dir",
        "--no-cache-dir", "--disable-pip-version-check", "--quiet", "--verbose", "--no-input",
        "--progress-bar", "--no-color", "--require-virtualenv", "--no-require-virtualenv",
        "--break-system-packages", "--root-user-action", "--prefer-binary", "--only-binary", "--no-binary",
        "--keyring-provider", "--pre", "--no-user", "--no-warn-script-location", "--no-warn-conflicts",
        "--compile", "--no-compile", "--no-deps", "--no-build-isolation", "--use-pep517", "--no-use-pep517",
        "--exists-action", "--dry-run", "--no-python-version-warning", "--ignore-requires-python",
    }
)  # fmt: skip
# The same, as pip settings (PIP_* variables and config-file keys); "constraint" is read and applied.
NEUTRAL_SETTINGS = frozenset(
    {option[2:] for option in NEUTRAL_OPTIONS - {"--requirement"}}
    | {"default-timeout", "user", "config-file", "log", "log-file", "no-python-version-warning"}
)


class NotPlain(Exception):
    """Something the fast path does not answer for: pip runs."""


class Inputs(NamedTuple):
    requirements: tuple[str, ...]  # on the command line
    requirement_files: tuple[str, ...]
    constraint_files: tuple[str, ...]  # pip's `constraint` setting first, then `-c`, as pip appends them


ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar")


def plain_inputs(args: PipArgs, switches: PipSwitches) -> Inputs:
    """What this install reads, when no option or setting takes it off the fast path; else NotPlain."""
    unknown = [key for key in switches.settings if key not in NEUTRAL_SETTINGS]
    if unknown:
        raise NotPlain(f"pip setting {unknown[0]}")
    if "--" in args.argv:
        raise NotPlain("--")
    files: dict[str, list[str]] = {"--requirement": [], "--constraint": []}
    for use in args.options:
        if use.name not in NEUTRAL_OPTIONS:
            raise NotPlain(use.name)
        if use.name in files:
            if not use.value:
                raise NotPlain(use.name)
            files[use.name].append(use.value)
    setting = switches.get("constraint")
    configured = setting.value.split() if setting else []  # pip splits an appending setting at whitespace
    if not args.positionals and not files["--requirement"]:
        raise NotPlain("nothing to install")
    for positional in args.positionals:  # a path, an archive or a URL: pip's to look at (and no import here)
        if (
            "/" in positional
            or positional.startswith(".")
            or positional.endswith(ARCHIVES)
            or ":" in positional
        ):
            raise NotPlain(positional)
    return Inputs(args.positionals, tuple(files["--requirement"]), (*configured, *files["--constraint"]))


def cache_key(
    args: PipArgs, switches: PipSwitches, sys_path: Sequence[str], markers: Mapping[str, str], cwd: str
) -> str:
    settings = sorted([key, setting.value, setting.source] for key, setting in switches.settings.items())
    return noop_cache.answer_key(
        {"argv": list(args.argv), "cwd": cwd, "settings": settings, "sys_path": list(sys_path),
         "markers": sorted(markers.items())}
    )  # fmt: skip


NAME_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def surely_missing(requirement: str, found: Mapping[str, object]) -> bool:
    """A requirement without a marker whose project is not installed at all: pip has to install it, and
    that is known without packaging. Anything less plain is left to the closure."""

    if ";" in requirement:
        return False
    text = requirement.lstrip()
    end = 0
    while end < len(text) and text[end] in NAME_CHARACTERS:
        end += 1
    name = text[:end]
    if not name or not name[0].isalnum() or not name[-1].isalnum():
        return False
    return normalize(name) not in found
