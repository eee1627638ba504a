"""The files pip is told to write through or to trust, and where it reads its settings.

Written: its log (`--log`, also spelled `--log-file` and `--local-log`), an install report (`--report`),
a lock file (`lock --output`, `pylock.toml` by default), and the directories `download --dest` and `wheel
--wheel-dir` (the working directory by default) and `--src` put files in. Trusted: its CA bundle and client
certificate (`--cert`, `--client-cert`), and the CA files the TLS libraries under it take from the
environment (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, SSL_CERT_FILE, SSL_CERT_DIR). Each as pip takes it: the
command line's last, else the last of pip's settings (PIP_LOG, `cert = ...` in a pip.conf) in the order
pip applies them. And pip's config files themselves, which can name any of these or another index.

The trust rule holds for each (SPEC "Trust"): another user who can change such a path, or a directory or
link on the way, or make it first where it is not there yet, could have pip append its log to any file of
the user's, or accept a server that is not the index and install what it sends. A directory pip fills must
also be closed to others' new entries, sticky or not: pip takes a file it finds there as its own download.
"""

from __future__ import annotations

import os

from safepip.facts.pip_args import table_for
from safepip.facts.trust import content_dir_distrust, creatable_by_others, distrust, roots_device
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.facts.pip_args import PipArgs
    from safepip.facts.pip_config import PipSwitches


class PipFile(NamedTuple):
    option: str
    keys: tuple[str, ...]  # its settings' keys: any of its names
    what: str  # what it is to pip, for the message
    commands: tuple[str, ...] = ()  # the commands that have it; () for a general option
    written: bool = True  # pip writes it (else it trusts what it reads there)
    directory: bool = False  # pip puts files in it
    default: str | None = None  # what pip takes when it is not given

    @property
    def names(self) -> tuple[str, ...]:
        """Its spellings on the command line: the option and pip's other names for it (its settings' keys)."""
        return tuple("--" + key for key in self.keys)

    def value_of(self, value: str) -> str | None:
        return path_of(self.option, value)


SOURCE_COMMANDS = ("install", "download", "wheel", "lock")
SRC_KEYS = ("src", "source", "source-dir", "source-directory")
PIP_FILES = (
    PipFile("--log", ("log", "log-file", "local-log"), "log"),
    PipFile("--report", ("report",), "report", ("install",)),
    PipFile("--output", ("output",), "lock file", ("lock",), default="pylock.toml"),
    PipFile(
        "--dest",
        ("dest", "destination-dir", "destination-directory"),
        "download directory",
        ("download",),
        directory=True,
        default=os.curdir,
    ),
    PipFile("--wheel-dir", ("wheel-dir",), "wheel directory", ("wheel",), directory=True, default=os.curdir),
    PipFile("--src", SRC_KEYS, "source directory", SOURCE_COMMANDS, directory=True),
    PipFile("--cert", ("cert",), "CA bundle", written=False),
    PipFile("--client-cert", ("client-cert",), "client certificate", written=False),
)
DIRECTORIES = ("--dest", "--wheel-dir", "--src")
TO_STDOUT = ("--report", "--output")  # `-` is stdout for these; for any other option it is a file named `-`
EXPANDED = ("--log", "--cert", "--client-cert", "--dest", "--wheel-dir", "--src", "--output")  # pip's `path`s
CA_FILES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")  # requests', and OpenSSL's
CA_DIRS = "SSL_CERT_DIR"  # OpenSSL's: directories, separated by `:`
FIX = (
    "give pip a path that only you (or root) can change, under your home say; for pip's own defaults (the"
    " working directory, ./src, ./pylock.toml), run it from a directory of yours"
)


def named_file(args: PipArgs, switches: PipSwitches, option: str, keys: tuple[str, ...]) -> str | None:
    """The path pip takes for `option`: the command line's last, else the last non-empty of its settings
    (pip skips an empty one); `~` expanded where pip expands it."""
    use = args.last(option)
    if use is not None:
        return path_of(option, use.value)
    found = [setting.value for key, setting in switches.settings.items() if key in keys and setting.value]
    return path_of(option, found[-1] if found else None)


def path_of(option: str, value: str | None) -> str | None:
    """The path pip takes from `option`'s value: None for none, or for stdout; an empty one given for a
    directory is the working directory to pip (`-d "$UNSET"`)."""
    if value == "" and option in DIRECTORIES:
        return os.curdir
    if not value or (value == "-" and option in TO_STDOUT):
        return None
    return os.path.expanduser(value) if option in EXPANDED else value


def spelled(args: PipArgs, names: tuple[str, ...], command: str) -> list[str]:
    """Every value the command line could give one of `names` (an option's spellings), read word by word:
    `--name VALUE`, `--name=VALUE` and any abbreviation of them. pip resolves an abbreviation among the
    options of its own version, which may not be the table pip_args reads with: each is judged. A word that
    is an option of the command's own is that option (optparse takes an exact name first)."""
    own = table_for(command).long_options.difference(names)
    found = []
    for index, word in enumerate(args.argv):
        given, has_equals, inline = word.partition("=")
        if len(given) > 3 and given not in own and any(name.startswith(given) for name in names):
            value = inline if has_equals else (args.argv[index + 1] if index + 1 < len(args.argv) else "")
            found.append(value)
        if word == "--":
            break
    return found


def path_distrust(path: str, uid: int, directory: bool = False) -> str | None:
    """Why another user could change what `path` leads to, or make it first; for a `directory` pip fills,
    also put an entry in it. None when no one can."""
    found = distrust(path, uid, missing_ok=True)
    if found is None and os.pardir in path.split(os.sep):  # `..` read as text too, as pip reads --log's:
        found = distrust(os.path.abspath(path), uid, missing_ok=True)  # past a missing directory
    resolved = os.path.realpath(path)  # through the user's own link too, to where pip will open it
    if found is None and not os.path.exists(resolved):  # made by pip, or looked for: no one else may make it
        found = creatable_by_others(resolved, uid)
    if found is None and directory and os.path.isdir(resolved):
        found = content_dir_distrust(resolved, os.stat(resolved), uid)
    if found is None or roots_device(path):
        return None
    return found.reason()


def pip_file_distrust(
    args: PipArgs, switches: PipSwitches, uid: int, command: str, environ: Mapping[str, str] | None = None
) -> str | None:
    """Why a file pip is told to write or to trust, or a config file it reads, is not safe: the first one
    another user could change (the file, or a directory or link on the way) or, when it is not there yet,
    make first (in a sticky directory such as /tmp, as a link to a file of the user's); None when none is."""
    for config in switches.files:  # one not there yet too: pip reads whatever is there when it starts
        why = path_distrust(config, uid)
        if why is not None:
            return f"pip's config file {config} is not safe to read: {why}"
    for pip_file in PIP_FILES:
        if pip_file.commands and command not in pip_file.commands:
            continue
        given = named_file(args, switches, pip_file.option, pip_file.keys)
        words = [path for path in map(pip_file.value_of, spelled(args, pip_file.names, command)) if path]
        if given is not None or args.has(pip_file.option):  # given (as stdout, `--report -`, it is None)
            paths = [given, *words]
        else:
            paths = [pip_file.default, *words]  # what pip takes by itself
        for path in dict.fromkeys(path for path in paths if path is not None):
            why = path_distrust(path, uid, pip_file.directory)
            if why is not None:
                verb = "write" if pip_file.written else "trust"
                return f"pip's {pip_file.what} {path} ({pip_file.option}) is not safe to {verb}: {why}"
    for name, path in ca_paths(os.environ if environ is None else environ):
        why = path_distrust(path, uid, directory=name == CA_DIRS)
        if why is not None:
            return f"the CA certificates {path} ({name}) are not safe to trust: {why}"
    return None


def ca_paths(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The CA files and directories the environment gives the TLS libraries under pip: (variable, path)."""
    found = [(name, environ[name]) for name in CA_FILES if environ.get(name)]
    return found + [(CA_DIRS, path) for path in environ.get(CA_DIRS, "").split(os.pathsep) if path]


def default_src_distrust(args: PipArgs, switches: PipSwitches, uid: int, cwd: str) -> str | None:
    """pip checks an editable VCS requirement out into `./src` when it does not run in a venv and no --src
    is given: why another user could change that directory, when this command could have such a
    requirement (an editable, or a requirement file, which can hold one: on the command line or in pip's
    settings)."""
    if args.has("--src") or named_file(args, switches, "--src", SRC_KEYS) is not None:
        return None  # judged as --src
    named = args.has("--editable") or args.has("--requirement")
    if not (named or switches.get("editable") or switches.get("requirement")):
        return None
    path = os.path.join(cwd, "src")
    why = path_distrust(path, uid, directory=True)
    return f"pip's source directory {path} (pip's default) is not safe to write: {why}" if why else None
