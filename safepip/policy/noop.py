"""The no-op fast path: answer `install` without starting pip when pip would provably do nothing.

That is when every requirement (on the command line and in `-r` files, nested) is a plain name with
specifiers, extras and markers; no option or pip setting changes what pip does with an installed requirement;
and the target already has all of them and their whole dependency closure, versions matching and markers
evaluated for the target's interpreter. In every other case (`--upgrade`, constraints, URLs, paths,
editables, hashes, a missing or mismatched distribution anywhere in the closure, anything not understood)
the answer is None and pip runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from safepip.facts.pip_args import PipArgs
from safepip.facts.pip_config import PipSwitches
from safepip.facts.requirements import Unreadable, metadata_headers, normalize, read_requirement

# Command-line options that do not change what pip does with a requirement that is already installed.
NEUTRAL_OPTIONS = frozenset(
    {
        "--requirement", "--index-url", "--extra-index-url", "--no-index", "--find-links", "--trusted-host",
        "--cert", "--client-cert", "--proxy", "--retries", "--timeout", "--cache-dir", "--no-cache-dir",
        "--disable-pip-version-check", "--quiet", "--verbose", "--no-input", "--progress-bar", "--no-color",
        "--require-virtualenv", "--no-require-virtualenv", "--break-system-packages", "--root-user-action",
        "--prefer-binary", "--only-binary", "--no-binary", "--keyring-provider", "--pre", "--no-user",
        "--no-warn-script-location", "--no-warn-conflicts", "--compile", "--no-compile", "--no-deps",
        "--no-build-isolation", "--use-pep517", "--no-use-pep517", "--exists-action", "--dry-run",
        "--no-python-version-warning", "--ignore-requires-python",
    }
)  # fmt: skip
# The same, as pip settings (PIP_* variables and config-file keys).
NEUTRAL_SETTINGS = frozenset(
    {option[2:] for option in NEUTRAL_OPTIONS - {"--requirement"}}
    | {"default-timeout", "user", "config-file", "log", "log-file", "no-python-version-warning"}
)
# Options allowed on a line of their own in a requirements file (besides -r).
NEUTRAL_FILE_OPTIONS = frozenset(
    {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index", "--trusted-host",
     "--prefer-binary", "--only-binary", "--no-binary", "--pre"}
)  # fmt: skip
ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
COMMENT = re.compile(r"(^|\s+)#.*$")
MAX_DEPTH = 10  # nested -r files


class NotPlain(Exception):
    """Something the fast path does not answer for: pip runs."""


class Installed(NamedTuple):
    name: str
    version: str
    metadata: str | None  # the METADATA file; None for an egg-info, which the fast path does not read


def requirement_lines(path: str, environ: Mapping[str, str], depth: int = 0) -> list[str]:
    """The requirement strings of a requirements file and the files it includes, as pip reads them."""
    if depth > MAX_DEPTH or "://" in path:
        raise NotPlain(path)
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        raise NotPlain(path) from error
    found: list[str] = []
    for line in text.replace("\\\n", "").splitlines():
        line = ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), COMMENT.sub("", line)).strip()
        if not line:
            continue
        tokens = line.split()
        first_option = next((i for i, token in enumerate(tokens) if token.startswith("-")), len(tokens))
        if first_option > 0:
            if first_option < len(tokens):  # per-requirement options: --hash, --config-settings, …
                raise NotPlain(line)
            found.append(line)
            continue
        name, _, value = tokens[0].partition("=")
        rest = tokens[1:]
        if name in ("-r", "--requirement") or (name.startswith("-r") and not name.startswith("--")):
            target = value or (
                name[2:] if name.startswith("-r") and len(name) > 2 else (rest[0] if rest else "")
            )
            if not target:
                raise NotPlain(line)
            found += requirement_lines(os.path.join(os.path.dirname(path), target), environ, depth + 1)
        elif name not in NEUTRAL_FILE_OPTIONS:
            raise NotPlain(line)
    return found


def plain_requirements(
    args: PipArgs, switches: PipSwitches, environ: Mapping[str, str], cwd: str
) -> list[str]:
    """Every requirement string of this install, or NotPlain."""
    unknown = [key for key in switches.settings if key not in NEUTRAL_SETTINGS]
    if unknown:
        raise NotPlain(f"pip setting {unknown[0]}")
    if "--" in args.argv:
        raise NotPlain("--")
    found = list(args.positionals)
    for use in args.options:
        if use.name not in NEUTRAL_OPTIONS:
            raise NotPlain(use.name)
        if use.name == "--requirement":
            if not use.value:
                raise NotPlain("-r")
            found += requirement_lines(os.path.join(cwd, use.value), environ)
    if not found:
        raise NotPlain("nothing to install")
    return found


def installed_distributions(sys_path: Sequence[str]) -> dict[str, Installed]:
    """Normalised name -> the distribution the interpreter finds first, as importlib.metadata does."""
    found: dict[str, Installed] = {}
    for directory in sys_path:
        try:
            entries = sorted(os.scandir(directory), key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            for suffix in (".dist-info", ".egg-info"):
                if entry.name.endswith(suffix):
                    stem = entry.name[: -len(suffix)]
                    name, _, version = stem.partition("-")
                    key = normalize(name)
                    if key not in found:
                        metadata = os.path.join(entry.path, "METADATA") if suffix == ".dist-info" else None
                        found[key] = Installed(name, version.split("-")[0], metadata)
    return found


def read_metadata(path: str) -> tuple[str | None, list[str], set[str]]:
    """(Version, Requires-Dist, Provides-Extra) from a METADATA file's headers."""
    headers = metadata_headers(path)
    version = headers.get("Version", [None])[0]
    return (
        version,
        headers.get("Requires-Dist", []),
        {normalize(e) for e in headers.get("Provides-Extra", [])},
    )


def satisfied_closure(
    requirements: Iterable[str], sys_path: Sequence[str], markers: Mapping[str, str]
) -> list[str]:
    """`name==version` of every distribution in the closure, or NotPlain when anything is missing or off."""
    installed = installed_distributions(sys_path)
    queue: list[tuple[str, frozenset[str]]] = [(text, frozenset({""})) for text in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    answer: dict[str, str] = {}
    metadata: dict[str, tuple[str, list[str], set[str]]] = {}
    try:
        while queue:
            text, active_extras = queue.pop()
            need = read_requirement(text, markers)
            if need.url:
                raise NotPlain(text)
            if not any(need.applies(extra) for extra in active_extras):
                continue
            key = normalize(need.name)
            dist = installed.get(key)
            if dist is None or dist.metadata is None:
                raise NotPlain(f"{need.name} is not installed (or only as an egg)")
            if key not in metadata:
                try:
                    version, requires, provided = read_metadata(dist.metadata)
                except OSError as error:
                    raise NotPlain(need.name) from error
                metadata[key] = (version or dist.version, requires, provided)
            version, requires, provided = metadata[key]
            # every occurrence is checked: two dependents may ask for different versions
            if not need.accepts(version) or not need.extras <= provided:
                raise NotPlain(f"{need.name} {version} does not match {text}")
            answer[key] = f"{dist.name}=={version}"
            if (key, need.extras) not in seen:
                seen.add((key, need.extras))
                queue += [(dependency, need.extras | {""}) for dependency in requires]
    except Unreadable as error:
        raise NotPlain(str(error)) from error
    return sorted(answer.values())


def already_satisfied(
    args: PipArgs,
    switches: PipSwitches,
    sys_path: Sequence[str],
    markers: Mapping[str, str],
    environ: Mapping[str, str],
    cwd: str,
) -> list[str] | None:
    """What pip would find already satisfied when that is all it would do; None when pip must run."""
    if not sys_path or not markers:
        return None
    try:
        return satisfied_closure(plain_requirements(args, switches, environ, cwd), sys_path, markers)
    except NotPlain:
        return None
