"""The files pip is told to write through or to trust, and where it reads its settings.

Written: its log (`--log`, also spelled `--log-file` and `--local-log`), an install report (`--report`),
a lock file (`lock --output`), and the directories `download --dest`, `wheel --wheel-dir` and `--src` put
files in. Trusted: its CA bundle and client certificate (`--cert`, `--client-cert`). Each as pip takes it:
the command line's last, else the last of pip's settings (PIP_LOG, `cert = ...` in a pip.conf) in the order
pip applies them. And pip's config files themselves, which can name any of these or another index.

The trust rule holds for each (SPEC "Trust"): another user who can change such a path, or a directory or
link on the way, or make it first where it is not there yet, could have pip append its log to any file of
the user's, or accept a server that is not the index, and install what that server sends.
"""

from __future__ import annotations

import os

from safepip.facts.trust import creatable_by_others, distrust, roots_device

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safepip.facts.pip_args import PipArgs
    from safepip.facts.pip_config import PipSwitches

EVERY_COMMAND = ()
SOURCE_DIRS = ("install", "download", "wheel", "lock")
# pip's option, its settings' keys (any of its names), what it is to pip, the commands that have it
# (EVERY_COMMAND: a general option), and whether pip writes it
PIP_FILES = (
    ("--log", ("log", "log-file", "local-log"), "log", EVERY_COMMAND, True),
    ("--report", ("report",), "report", ("install",), True),
    ("--output", ("output",), "lock file", ("lock",), True),
    (
        "--dest",
        ("dest", "destination-dir", "destination-directory"),
        "download directory",
        ("download",),
        True,
    ),
    ("--wheel-dir", ("wheel-dir",), "wheel directory", ("wheel",), True),
    ("--src", ("src", "source", "source-dir", "source-directory"), "source directory", SOURCE_DIRS, True),
    ("--cert", ("cert",), "CA bundle", EVERY_COMMAND, False),
    ("--client-cert", ("client-cert",), "client certificate", EVERY_COMMAND, False),
)
TO_STDOUT = ("--report", "--output")  # `-` is stdout for these; for any other option it is a file named `-`
EXPANDED = (
    "--log",
    "--cert",
    "--client-cert",
    "--dest",
    "--wheel-dir",
    "--src",
    "--output",
)  # `path` options
FIX = "give pip a path that only you (or root) can change, under your home say, or leave the option out"


def named_file(args: PipArgs, switches: PipSwitches, option: str, keys: tuple[str, ...]) -> str | None:
    """The path pip takes for `option`: the command line's last, else the last non-empty of its settings
    (pip skips an empty one); `~` expanded where pip expands it."""
    use = args.last(option)
    if use is not None:
        value = use.value
    else:
        found = [setting.value for key, setting in switches.settings.items() if key in keys and setting.value]
        value = found[-1] if found else None
    if not value or (value == "-" and option in TO_STDOUT):
        return None
    return os.path.expanduser(value) if option in EXPANDED else value


def path_distrust(path: str, uid: int) -> str | None:
    """Why another user could change what `path` leads to, or make it first; None when no one can."""
    found = distrust(path, uid, missing_ok=True)
    resolved = os.path.realpath(path)  # through the user's own link too, to where pip will open it
    if found is None and not os.path.exists(resolved):  # made by pip, or looked for: no one else may make it
        found = creatable_by_others(resolved, uid)
    if found is None or roots_device(path):
        return None
    return found.reason()


def pip_file_distrust(args: PipArgs, switches: PipSwitches, uid: int, command: str) -> str | None:
    """Why a file pip is told to write or to trust, or a config file it reads, is not safe: the first one
    another user could change (the file, or a directory or link on the way) or, when it is not there yet,
    make first (in a sticky directory such as /tmp, as a link to a file of the user's); None when none is."""
    for config in switches.files:  # one not there yet too: pip reads whatever is there when it starts
        why = path_distrust(config, uid)
        if why is not None:
            return f"pip's config file {config} is not safe to read: {why}"
    for option, keys, what, commands, written in PIP_FILES:
        if commands and command not in commands:
            continue
        path = named_file(args, switches, option, keys)
        why = path_distrust(path, uid) if path is not None else None
        if why is not None:
            verb = "write" if written else "trust"
            return f"pip's {what} {path} ({option}) is not safe to {verb}: {why}"
    return None
