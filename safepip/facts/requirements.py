"""Requirements and constraints files as pip reads them, from regular files only; METADATA headers.

`read_sources` follows pip's requirements-file format (pip/_internal/req/req_file.py in pip 23): the bytes
decoded as pip's auto_decode does, lines joined at a trailing backslash, comments dropped, `${VAR}` replaced
by a non-empty environment value, the options of a line parsed as optparse parses them, and `-r`/`-c` files
nested relative to the directory of the file that names them (`-c` inside a requirements file is a
constraints file, as in pip). Whatever the no-op check does not answer for raises NotRead, and pip runs.

A source that is not a regular file (stdin, `<(…)`, a FIFO, a device, a directory) is never read: it is
stat'ed first and not even opened, and a file opened after that check is opened non-blocking and checked
with fstat before one byte is read, so a stream swapped in between is still left whole for pip.
"""

from __future__ import annotations

import codecs
import os
import stat

from safepip.facts.stamps import FileStamp, stamp_of
from safepip.util.named_tuple import NamedTuple
from safepip.util.names import pattern

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

SCHEME = pattern(r"(?i)^(http|https|file):")  # pip fetches these itself
COMMENT = pattern(r"(^|\s+)#.*$")
ENV_VAR = pattern(r"\$\{([A-Z0-9_]+)\}")
CODING = pattern(rb"coding[:=]\s*([-\w.]+)")
BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF32, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
)  # in pip's order: a UTF-32-LE file starts with the UTF-16-LE mark, and pip decodes it as UTF-16
LOCALE_VARIABLES = ("PYTHONUTF8", "LC_ALL", "LC_CTYPE", "LANG")  # what pip's locale encoding comes from
MAX_DEPTH = 10  # nested files; pip itself recurses until Python's limit
MAX_BYTES = 4 << 20  # a bigger requirements file is left to pip

# The options pip accepts in a requirements file (pip 23), as optparse declares them: name -> takes a value.
FILE_OPTIONS = {
    ("-i", "--index-url", "--pypi-url"): True, ("--extra-index-url",): True, ("--no-index",): False,
    ("-c", "--constraint"): True, ("-r", "--requirement"): True, ("-e", "--editable"): True,
    ("-f", "--find-links"): True, ("--no-binary",): True, ("--only-binary",): True,
    ("--prefer-binary",): False, ("--require-hashes",): False, ("--pre",): False, ("--trusted-host",): True,
    ("--use-feature",): True, ("--global-option",): True, ("--hash",): True, ("-C", "--config-settings"): True,
}  # fmt: skip
LONG_NAMES = frozenset(name for names in FILE_OPTIONS for name in names if name.startswith("--"))
# Options that change nothing for a requirement that is already installed (they choose where to download).
NEUTRAL_DESTS = frozenset(
    {"index_url", "extra_index_url", "no_index", "find_links", "no_binary", "only_binary", "prefer_binary",
     "pre", "trusted_host"}
)  # fmt: skip


class NotRead(Exception):
    """A source the no-op check leaves to pip: not a regular file, a URL, an option it does not answer for."""


class SourceFile(NamedTuple):
    path: str
    stamp: FileStamp  # as fstat saw it before the file was read


class Sources(NamedTuple):
    requirements: tuple[str, ...]
    constraints: tuple[str, ...]
    files: tuple[SourceFile, ...]  # every file read
    variables: tuple[str, ...]  # environment variables whose values the lines depend on
    paths_from_variables: bool  # a nested file's path holds a variable's value: not one to write down


def is_regular(path: str) -> bool:
    """Checked before opening: opening a FIFO, even non-blocking, releases a writer waiting in open(),
    which then writes to nobody once it is closed again."""
    return stat.S_ISREG(os.stat(path).st_mode)


def read_regular(path: str) -> tuple[bytes, FileStamp]:
    """The bytes of a regular file, or NotRead without reading anything from whatever else it is."""
    try:
        if not is_regular(path):
            raise NotRead(f"{path} is not a regular file")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as error:
        raise NotRead(f"{path}: {error.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped since the stat: a FIFO opened non-blocking is not read
            raise NotRead(f"{path} is not a regular file")
        if info.st_size > MAX_BYTES:
            raise NotRead(f"{path} is too big")
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks), stamp_of(info)
    except OSError as error:
        raise NotRead(f"{path}: {error.strerror}") from None
    finally:
        os.close(fd)


def locale_is_utf8(environ: Mapping[str, str]) -> bool:
    """Whether pip's locale.getpreferredencoding() is UTF-8: Python's UTF-8 mode (PYTHONUTF8=1, or the C
    locale, PEP 540), or a UTF-8 locale."""
    if environ.get("PYTHONUTF8") in ("0", "1"):
        return environ["PYTHONUTF8"] == "1"
    name = environ.get("LC_ALL") or environ.get("LC_CTYPE") or environ.get("LANG") or "C"
    return name in ("C", "POSIX") or name.lower().replace("-", "").endswith(".utf8")


def decode(data: bytes, path: str, environ: Mapping[str, str]) -> tuple[str, bool]:
    """The text as pip's auto_decode reads it, and whether that depended on the locale."""
    try:
        for bom, encoding in BOMS:
            if data.startswith(bom):
                return data[len(bom) :].decode(encoding), False
        for line in data.split(b"\n")[:2]:
            declared = CODING.search(line) if line[:1] == b"#" else None
            if declared:
                return data.decode(declared.group(1).decode("ascii")), False
        if data.isascii():
            return data.decode("ascii"), False
        if locale_is_utf8(environ):
            return data.decode("utf-8"), True
    except (UnicodeDecodeError, LookupError):
        pass
    raise NotRead(f"{path}: not decoded as pip would decode it")


def logical_lines(text: str) -> list[str]:
    """pip's preprocess without the variables: joined continuation lines, comments and blanks dropped."""
    joined: list[str] = []
    pending: list[str] = []
    for line in text.splitlines():
        if not line.endswith("\\") or COMMENT.match(line):
            if COMMENT.match(line):
                line = " " + line  # as pip: a comment line ends a continuation and is dropped below
            joined.append("".join([*pending, line]))
            pending = []
        else:
            pending.append(line.strip("\\"))
    if pending:
        joined.append("".join(pending))
    found = []
    for line in joined:
        line = COMMENT.sub("", line).strip()
        if line:
            found.append(line)
    return found


def expand(line: str, environ: Mapping[str, str], names: set[str]) -> str:
    for name in ENV_VAR.findall(line):
        names.add(name)
        value = environ.get(name)
        if value:  # pip leaves an empty or unset variable as written
            line = line.replace("${" + name + "}", value)
    return line


def split_line(line: str) -> tuple[str, str]:
    """pip's break_args_options: the requirement part and the options part of a line."""
    tokens = line.split(" ")
    for index, token in enumerate(tokens):
        if token.startswith("-"):
            return " ".join(tokens[:index]), " ".join(tokens[index:])
    return line, ""


def parse_options(text: str) -> dict[str, list[str]]:
    """The options of a line, parsed as pip's optparse parser would: dest -> values ("" for a flag)."""
    import optparse
    import shlex

    class Parser(optparse.OptionParser):
        def error(self, msg: str) -> None:  # type: ignore[override]
            raise NotRead(msg)

    try:
        tokens = shlex.split(text)
    except ValueError as error:
        raise NotRead(str(error)) from None
    for token in tokens:  # an abbreviation that this table resolves might be ambiguous in a newer pip
        if token.startswith("--") and token.partition("=")[0] not in LONG_NAMES:
            raise NotRead(token)
    parser = Parser(add_help_option=False)
    for names, takes_value in FILE_OPTIONS.items():
        dest = next(name for name in names if name.startswith("--"))[2:].replace("-", "_")
        if takes_value:
            parser.add_option(*names, dest=dest, action="append")
        else:
            parser.add_option(*names, dest=dest, action="append_const", const="")
    values, leftover = parser.parse_args(tokens)
    if leftover:  # pip ignores them; the check does not guess
        raise NotRead(" ".join(leftover))
    return {dest: found for dest, found in vars(values).items() if found is not None}


class Reader:
    """One walk through the requirements and constraints files of an install."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ
        self.requirements: list[str] = []
        self.constraints: list[str] = []
        self.files: list[SourceFile] = []
        self.variables: set[str] = set()
        self.paths_from_variables = False

    def read(self, path: str, constraint: bool, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise NotRead(path)
        data, stamp = read_regular(path)
        self.files.append(SourceFile(path, stamp))
        text, by_locale = decode(data, path, self.environ)
        if by_locale:
            self.variables.update(LOCALE_VARIABLES)
        for raw in logical_lines(text):
            line = expand(raw, self.environ, self.variables)
            requirement, options = split_line(line)
            if requirement:
                if options:  # --hash, --config-settings, …: pip's business
                    raise NotRead(raw)
                (self.constraints if constraint else self.requirements).append(requirement)
                continue
            parsed = parse_options(options)
            nested_requirements = parsed.pop("requirement", [])
            nested_constraints = parsed.pop("constraint", [])
            binary = parsed.get("no_binary", []) + parsed.get("only_binary", [])
            if set(parsed) - NEUTRAL_DESTS or any(value.startswith("-") for value in binary):
                raise NotRead(raw)
            if len(nested_requirements) + len(nested_constraints) > 1:
                raise NotRead(raw)  # pip reads only the first of them: not worth following
            if nested_requirements and constraint:
                # -r inside a constraints file: requirements to pip 23, hardly what the writer meant
                raise NotRead(raw)
            for target in nested_requirements or nested_constraints:
                if SCHEME.search(target):
                    raise NotRead(target)
                self.paths_from_variables = self.paths_from_variables or line != raw
                # as pip: relative to the directory of the file that names it
                self.read(os.path.join(os.path.dirname(path), target), not nested_requirements, depth + 1)


def read_sources(
    requirement_files: Sequence[str],
    constraint_files: Sequence[str],
    environ: Mapping[str, str],
    cwd: str,
) -> Sources:
    """Every requirement and constraint that these files (relative to `cwd`) hold, with what was read."""
    reader = Reader(environ)
    for paths, constraint in ((constraint_files, True), (requirement_files, False)):
        for path in paths:
            if SCHEME.search(path):
                raise NotRead(path)  # pip fetches it
            reader.read(os.path.join(cwd, path), constraint)
    return Sources(
        tuple(reader.requirements),
        tuple(reader.constraints),
        tuple(reader.files),
        tuple(sorted(reader.variables)),
        reader.paths_from_variables,
    )


def metadata_headers(path: str) -> dict[str, list[str]]:
    """The headers of a METADATA or PKG-INFO file (the part before the first blank line), each name with
    its values; a folded value's continuation lines are joined to it, as the email parser does."""
    headers: dict[str, list[str]] = {}
    last: list[str] | None = None
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                break
            if line[0] in " \t" and last:
                last[-1] += " " + line.strip()
                continue
            key, _, value = line.partition(":")
            last = headers.setdefault(key.strip(), [])
            last.append(value.strip())
    return headers
