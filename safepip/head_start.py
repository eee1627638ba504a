"""pip's head start: an install starts pip before safepip decides, held at the gate (pip_gate.py): as the last
identical run (same command line, directory and environment) decided, or, the first time, as an install
into the active virtualenv would.

Most of safepip's cost is its own start-up and decision (about 30 ms); pip spends about 250 ms starting up
before it reads its constraints files. Started first, pip starts up while safepip decides. The head start is
only a guess: safepip then decides as always (probe, decide, lock, preflight) and adopts the early pip only
when pip's command line and environment are exactly those it would start now. Otherwise it stops that pip
at the gate, where it has done nothing and what it said is dropped, and starts the right one. The python is
checked as a project venv's is (owned by the user or root, not writable by others) before it runs.

One entry per command line, directory, environment and user ids, named by their CRC-32 in a 0700 directory
in safepip's cache: a name that collides only costs a stopped pip. An entry holds pip's command line and the
variables safepip set for pip, never the values of the user's environment; or no command line, when the
run started no pip (a no-op, a refusal), so that the next one does not guess. The newest MAX_ENTRIES stay.
"""

from __future__ import annotations

import os
import stat
import sys
import zlib

from safepip.delegate import ENVIRONMENT_OPTIONS, PipProcess, module_pip

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, before pip's head start
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

FORMAT = "safepip-head-start/1"
Launch = tuple[tuple[str, ...], tuple[tuple[str, str], ...], bool]  # pip's argv, variables set, stdout→stderr
NO_PIP: Launch = ((), (), False)  # the run started no pip, or none that could be started early
MAX_ENTRIES = 64
OUTPUT_OPTIONS = ("-q", "--quiet", "-v", "--verbose")  # safepip's options that leave pip's command line alone
# pip prints these to stdout before it reads its constraints: an early pip would answer before the gate,
# even one that safepip then stops (a second answer would follow from the right pip)
ANSWERED_BEFORE_THE_GATE = ("-h", "--help", "-V", "--version")


class HeadStart:
    """This process's head start: its entry, what the entry said, the early pip, and what was run."""

    def __init__(self) -> None:
        self.entry: str | None = None
        self.remembered: Launch | None = None  # what the entry said; None: there was none
        self.started: Launch | None = None  # how the early pip was started: as remembered, or guessed
        self.early: PipProcess | None = None
        self.used: Launch | None = None
        self.outcome: str | None = None  # what `-v` says about the head start


STATE = HeadStart()


def entry_path(argv: Sequence[str]) -> str:
    from safepip.paths import cache_dir

    ids = (os.getuid(), os.geteuid(), os.getgid(), sorted(os.getgroups()))
    key = repr((FORMAT, sys.executable, list(argv), os.getcwd(), sorted(os.environ.items()), ids))
    name = f"{zlib.crc32(key.encode('utf-8', 'surrogateescape')):08x}"
    return os.path.join(cache_dir(), "head-start", name)


def is_private(path: str, kind: int) -> bool:
    """`path` is the user's own (a directory: 0700), not a link."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if stat.S_IFMT(info.st_mode) != kind or info.st_uid != os.geteuid():
        return False
    return kind != stat.S_IFDIR or not info.st_mode & 0o077


def read_entry(path: str) -> Launch | None:
    if not (is_private(os.path.dirname(path), stat.S_IFDIR) and is_private(path, stat.S_IFREG)):
        return None
    try:
        with open(path, "rb") as handle:
            fields = [os.fsdecode(field) for field in handle.read().split(b"\0")]
        if fields[0] != FORMAT:
            return None
        count = int(fields[2])
        argv = tuple(fields[3 : 3 + count])
        variables = tuple(tuple(item.split("=", 1)) for item in fields[3 + count :] if item)
    except (OSError, ValueError, IndexError):
        return None
    if len(argv) != count or any(len(pair) != 2 for pair in variables):
        return None
    return argv, variables, fields[1] == "1"  # type: ignore[return-value]


def write_entry(path: str, launch: Launch) -> None:
    argv, variables, to_stderr = launch
    fields = [FORMAT, "1" if to_stderr else "0", str(len(argv)), *argv, *(f"{k}={v}" for k, v in variables)]
    temporary = f"{path}.{os.getpid()}"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(handle, "wb") as out:
            out.write(b"\0".join(os.fsencode(field) for field in fields))
        os.replace(temporary, path)
    except OSError:
        remove(temporary)
        return
    prune(os.path.dirname(path))


def remove(path: str) -> None:
    import contextlib  # not before pip's head start

    with contextlib.suppress(OSError):
        os.unlink(path)


def prune(directory: str) -> None:
    """Keep the newest MAX_ENTRIES: a changed variable (a new terminal's) makes a new entry."""
    try:
        names = os.listdir(directory)
        if len(names) <= MAX_ENTRIES:
            return
        ages = sorted((os.lstat(os.path.join(directory, name)).st_mtime_ns, name) for name in names)
    except OSError:
        return
    for _age, name in ages[: len(names) - MAX_ENTRIES]:
        remove(os.path.join(directory, name))


def guessed_launch(argv: Sequence[str]) -> Launch | None:
    """With no entry, the usual case: an install into the active virtualenv, which is writable (rule 2).
    Only when safepip's options and variables leave pip's command line alone."""
    prefix = os.environ.get("VIRTUAL_ENV")
    if not prefix or "install" not in argv or any(name.startswith("SAFEPIP_") for name in os.environ):
        return None
    command = list(argv).index("install")
    if any(option not in OUTPUT_OPTIONS for option in argv[:command]):
        return None
    from safepip.paths import venv_python

    return (
        tuple(module_pip(venv_python(prefix), "install", *ENVIRONMENT_OPTIONS, *argv[command + 1 :])),
        (),
        False,
    )


def start(argv: Sequence[str]) -> None:
    """Start pip as the last identical run did, or as guessed when there was none, if its python may be run."""
    from safepip.trust import python_distrust

    STATE.entry = entry_path(argv)
    STATE.remembered = read_entry(STATE.entry)
    launch = STATE.remembered or guessed_launch(argv)
    if launch is None or launch == NO_PIP:
        return
    pip_argv, variables, to_stderr = launch
    if any(arg in ANSWERED_BEFORE_THE_GATE for arg in pip_argv):
        return
    if python_distrust(pip_argv[0], os.geteuid()) is not None:
        return
    try:
        early = PipProcess.held_at_gate(list(pip_argv), {**os.environ, **dict(variables)}, to_stderr)
    except OSError:
        return
    STATE.early, STATE.started = early, launch


def launch_for(argv: list[str], environ: Mapping[str, str], to_stderr: bool) -> Launch | None:
    """What a head start would need to start this pip; None when pip's environment drops a variable."""
    if any(name not in environ for name in os.environ):
        return None
    variables = tuple(sorted((k, v) for k, v in environ.items() if os.environ.get(k) != v))
    return tuple(argv), variables, to_stderr


def adopt(launch: Launch | None) -> PipProcess | None:
    """The early pip when it was started exactly as `launch` says (None: this run cannot be started early).
    An early pip started otherwise is stopped at the gate."""
    STATE.used = launch
    early, STATE.early = STATE.early, None
    if early is None:
        return None
    guessed = STATE.remembered is None
    if launch is not None and launch == STATE.started:
        how = "for the active virtualenv" if guessed else "as the last identical run decided"
        STATE.outcome = f"head start: pip was started before deciding, {how}"
        return early
    early.close()
    STATE.outcome = (
        "head start: pip was started for the active virtualenv, which is not the target"
        if guessed
        else "head start: the last identical run decided otherwise"
    ) + "; that pip was stopped at the gate"
    return None


def outcome() -> str | None:
    return STATE.outcome


def settle() -> None:
    """At the end of the run: stop an early pip nobody adopted; remember what was run, or that no pip was
    started early (only where a head start was in play: an entry, or a guess)."""
    early, STATE.early = STATE.early, None
    if early is not None:
        early.close()
    if STATE.entry is None:
        return
    recorded = STATE.used or (NO_PIP if STATE.remembered or STATE.started else None)
    if recorded is not None and recorded != STATE.remembered:
        write_entry(STATE.entry, recorded)
