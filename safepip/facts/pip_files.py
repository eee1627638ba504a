"""The files the user tells pip to write or to trust: its log (`--log`, also spelled `--log-file` and
`--local-log`), an install report (`--report`), its CA bundle and its client certificate (`--cert`,
`--client-cert`), given on the command line or in pip's settings (PIP_LOG, `cert = ...` in a pip.conf).

The trust rule holds for each (SPEC "Trust"): another user who can change such a path, or a directory or
link on the way to it, could have pip append its log to any file of the user's, or accept a server that is
not the index, and install what that server sends.
"""

from __future__ import annotations

import os

from safepip.facts.trust import creatable_by_others, distrust

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safepip.facts.pip_args import PipArgs
    from safepip.facts.pip_config import PipSwitches

# pip's option, its settings' keys, and what the file is to pip; pip writes the first two
PIP_FILES = (
    ("--log", ("log", "log-file", "local-log"), "log"),
    ("--report", ("report",), "report"),
    ("--cert", ("cert",), "CA bundle"),
    ("--client-cert", ("client-cert",), "client certificate"),
)
WRITTEN = ("--log", "--report")
NOT_A_PATH = "-"  # `--report -`: the report goes to stdout


def named_file(args: PipArgs, switches: PipSwitches, option: str, keys: tuple[str, ...]) -> str | None:
    """The path pip takes for `option`: the command line's last, else its setting; `~` expanded where pip
    expands it (its `path` options: all of them but --report)."""
    use = args.last(option)
    if use is not None:
        value = use.value
    else:
        setting = next((found for found in map(switches.get, keys) if found is not None), None)
        value = setting.value if setting is not None else None
    if not value or value == NOT_A_PATH:
        return None
    return value if option == "--report" else os.path.expanduser(value)


def pip_file_distrust(args: PipArgs, switches: PipSwitches, uid: int) -> str | None:
    """Why a file pip is told to write or to trust is not safe: the first one another user could change
    (the file itself, or a directory or link on the way) or, when it is not there yet, make first (in a
    sticky directory such as /tmp, as a link to a file of the user's); None when there is none."""
    for option, keys, what in PIP_FILES:
        path = named_file(args, switches, option, keys)
        if path is None:
            continue
        found = distrust(path, uid, missing_ok=True)
        if found is None and not os.path.lexists(path):  # made by pip, or looked for: no one else may make it
            found = creatable_by_others(path, uid)
        if found is not None:
            verb = "write" if option in WRITTEN else "trust"
            return f"pip's {what} {path} ({option}) is not safe to {verb}: {found.reason()}"
    return None
