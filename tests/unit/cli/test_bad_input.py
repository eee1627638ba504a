"""Bad input to safepip's own options and their SAFEPIP_* variables: the right exit code, one error line and one
fix line, never a traceback (issue 13, item 8).

Black-box: every case runs the installed `safepip` command in a subprocess with a clean environment (a home
of its own, PATH with this venv's bin, no pip configuration), and none installs anything.

The rules the table follows:
- 2 when safepip cannot read what it was given: a value missing, empty on the command line, not a number,
  not finite, negative, not one of the choices, not valid text, a flag given a value, options that exclude
  each other, more arguments than pip's command line can take;
- 77 when it can read it but what it names cannot be used: a --python that is not a working Python (prints
  something that is not the answer, exits non-zero, hangs), a --venv that cannot be made, a temp space
  requirement no directory meets;
- a number beyond any sensible bound is a usage error (`--lock-timeout` over a year, `--min-tmp-space` over
  an exabyte), like one that is not finite;
- an empty SAFEPIP_* variable means the variable is unset (as click reads variables, and as a shell user
  writing `SAFEPIP_PYTHON= safepip …` means it);
- paths are bytes on Linux: a path that is not UTF-8 but names something usable is used.

A value safepip only reads is tried with `explain`. A value it has to use is tried with the command that uses
it: `install --dry-run --no-index six` where it must refuse (so even a safepip that goes on installs nothing;
`explain` reports a refusal in its plan on stdout, by design), `python` where it must succeed (it makes the
target's venv, under the case's own directory, and prints its interpreter).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import pytest

USAGE, REFUSED = 2, 77
# The spec refuses an explicitly chosen interpreter that fails (Trust: exit 77).
NOT_A_PYTHON = REFUSED
EXPLAIN = ("explain", "six")
INSTALL = ("install", "--dry-run", "--no-index", "six")
PYTHON = ("python",)
ROOT = os.geteuid() == 0
# A safepip that never gives up on a --python that hangs fails here instead of hanging the suite. Today it
# gives up after facts/interpreter.py QUERY_TIMEOUT (30 s); a slow CI machine needs some room above that.
TIMEOUT = 90
SAFEPIP = Path(sys.executable).parent / "safepip"
ARG_MAX = os.sysconf("SC_ARG_MAX")  # the kernel's room for argv and environment together (stack limit / 4)
POINTER = 8  # the kernel counts a pointer per argument besides its bytes

Arg = str | bytes


class Bulk(Enum):
    """Arguments generated when the case runs: many 100-character requirements after the command."""

    MOST_OF_ARG_MAX = "85% of the kernel's argument space"
    ALL_OF_ARG_MAX = "within a few bytes of what safepip itself can be started with"


@dataclass(frozen=True)
class Case:
    id: str
    head: tuple[Arg, ...] = ()  # safepip's own options, before the command; "{tmp}" is the case's directory
    env: Mapping[str, Arg] = field(default_factory=dict)
    expected: int = USAGE
    command: tuple[str, ...] = EXPLAIN
    bulk: Bulk | None = None

    @property
    def slow(self) -> bool:
        """Waits for a python that hangs, or makes a venv."""
        return "{tmp}/hangs" in self.head or self.command == PYTHON or self.bulk is Bulk.ALL_OF_ARG_MAX


def bad_values(option: str, variable: str, values: Sequence[tuple[str, Arg]]) -> list[Case]:
    """One case on the command line and one in the variable for each value, all usage errors."""
    cases = []
    for name, value in values:
        cases.append(Case(f"{option} {name}", head=(option, value)))
        cases.append(Case(f"{variable} {name}", env={variable: value}))
    return cases


def bad_flag_values(option: str, variable: str) -> list[Case]:
    return [
        Case(f"{option}=yes", head=(f"{option}=yes",)),
        Case(f"{variable}=maybe", env={variable: "maybe"}),
        Case(f"{variable}=2", env={variable: "2"}),
        Case(f"{variable} not UTF-8", env={variable: b"\xff"}),
    ]


# fmt: off
NOT_A_NUMBER = [("abc", "abc"), ("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("1e400", "1e400"),
                ("negative", "-1"), ("not UTF-8", b"\xff1")]

CASES = [
    # the harness itself: a plain explain works, and so do ordinary values
    Case("no options", expected=0),
    Case("ordinary values", head=("--lock-timeout", "0", "--min-tmp-space", "0", "--prefer", "venv"), expected=0),
    # missing values (the option is the last argument) and unknown options
    *(Case(f"{option} without a value", head=(option,), command=()) for option in
      ("--python", "--venv", "--prefer", "--lock-timeout", "--min-tmp-space")),
    Case("unknown option", head=("--pyhton", "/usr/bin/python3")),
    # --python
    Case("--python empty", head=("--python", "")),
    Case("--python= empty", head=("--python=",)),
    Case("SAFEPIP_PYTHON empty means unset", env={"SAFEPIP_PYTHON": ""}, expected=0),
    *(Case(f"--python {name}", head=("--python", path), command=INSTALL, expected=NOT_A_PYTHON) for name, path in
      [("/bin/echo", "/bin/echo"), ("no such file", "{tmp}/no-such-python"), ("a directory, no venv", "{tmp}/cwd"),
       ("prints {}", "{tmp}/prints-object"), ("prints [1]", "{tmp}/prints-list"),
       ("prints garbage", "{tmp}/prints-garbage"), ("exits 3", "{tmp}/exits-3"), ("hangs", "{tmp}/hangs")]),
    *(Case(f"SAFEPIP_PYTHON {name}", env={"SAFEPIP_PYTHON": path}, command=INSTALL, expected=NOT_A_PYTHON)
      for name, path in
      [("/bin/echo", "/bin/echo"), ("prints {}", "{tmp}/prints-object"),
       ("not UTF-8, no such file", b"{tmp}/\xfe-none")]),
    Case("--python not UTF-8, a real python", head=("--python", b"{tmp}/\xff-python3"), command=PYTHON, expected=0),
    # --venv
    Case("--venv empty", head=("--venv", "")),
    Case("--venv= empty", head=("--venv=",)),
    Case("SAFEPIP_VENV empty means unset", env={"SAFEPIP_VENV": ""}, expected=0),
    # root can make /nonexistent/x/y, and explain then says it will (nothing is made); no one else can
    Case("--venv /nonexistent/x/y", head=("--venv", "/nonexistent/x/y"),
         command=EXPLAIN if ROOT else INSTALL, expected=0 if ROOT else REFUSED),
    Case("--venv under a file", head=("--venv", "{tmp}/file/venv"), command=INSTALL, expected=REFUSED),
    Case("SAFEPIP_VENV under a file", env={"SAFEPIP_VENV": "{tmp}/file/venv"}, command=INSTALL, expected=REFUSED),
    Case("--venv is a file", head=("--venv", "{tmp}/file"), command=INSTALL, expected=REFUSED),
    Case("--venv not UTF-8", head=("--venv", b"{tmp}/\xff-venv"), command=PYTHON, expected=0),
    # --prefer
    *bad_values("--prefer", "SAFEPIP_PREFER", [("bogus", "bogus"), ("not UTF-8", b"v\xffenv")]),
    Case("--prefer empty", head=("--prefer", "")),
    Case("SAFEPIP_PREFER empty means unset", env={"SAFEPIP_PREFER": ""}, expected=0),
    # --lock-timeout: a number of seconds, finite, zero or more
    *bad_values("--lock-timeout", "SAFEPIP_LOCK_TIMEOUT", [*NOT_A_NUMBER, ("with a unit", "10s")]),
    Case("--lock-timeout empty", head=("--lock-timeout", "")),
    Case("SAFEPIP_LOCK_TIMEOUT empty means unset", env={"SAFEPIP_LOCK_TIMEOUT": ""}, expected=0),
    Case("--lock-timeout huge", head=("--lock-timeout", "1e18"), expected=USAGE),
    # --min-tmp-space: bytes or K/M/G/T, finite, zero or more
    *bad_values("--min-tmp-space", "SAFEPIP_MIN_TMP_SPACE",
                [*NOT_A_NUMBER, ("bad unit", "1X"), ("negative size", "-1G")]),
    Case("--min-tmp-space empty", head=("--min-tmp-space", "")),
    Case("SAFEPIP_MIN_TMP_SPACE empty means unset", env={"SAFEPIP_MIN_TMP_SPACE": ""}, expected=0),
    # more than an exabyte: no disk, a typo
    Case("--min-tmp-space huge", head=("--min-tmp-space", "1e30"), command=INSTALL, expected=USAGE),
    Case("SAFEPIP_MIN_TMP_SPACE huge", env={"SAFEPIP_MIN_TMP_SPACE": "99999999999T"}, command=INSTALL,
         expected=USAGE),
    # flags
    Case("--fallback --no-fallback", head=("--fallback", "--no-fallback")),
    Case("SAFEPIP_FALLBACK and SAFEPIP_NO_FALLBACK", env={"SAFEPIP_FALLBACK": "1", "SAFEPIP_NO_FALLBACK": "1"}),
    *bad_flag_values("--no-fallback", "SAFEPIP_NO_FALLBACK"),
    *bad_flag_values("--fallback", "SAFEPIP_FALLBACK"),
    *bad_flag_values("--system", "SAFEPIP_SYSTEM"),
    *bad_flag_values("--quiet", "SAFEPIP_QUIET"),
    *bad_flag_values("--verbose", "SAFEPIP_VERBOSE"),
    *bad_flag_values("--json", "SAFEPIP_JSON"),
    Case("-q=1", head=("-q=1",)),
    # an error is still one error line and one fix line when safepip's other lines are off or JSON
    Case("-q with a bad value", head=("-q", "--lock-timeout", "nan")),
    Case("SAFEPIP_QUIET with a bad value", head=("--prefer", "bogus"), env={"SAFEPIP_QUIET": "1"}),
    Case("--json with a bad value", head=("--json", "--min-tmp-space", "inf")),
    Case("--json --python prints garbage", head=("--json", "--python", "{tmp}/prints-garbage"), command=INSTALL,
         expected=NOT_A_PYTHON),
    # a home that is not UTF-8: `python` makes the managed venv there, writing its path into files
    Case("HOME not UTF-8, explain", env={"HOME": b"{tmp}/\xff-home"}, expected=0),
    Case("HOME not UTF-8, --json explain", head=("--json",), env={"HOME": b"{tmp}/\xff-home"}, expected=0),
    Case("HOME not UTF-8, python", env={"HOME": b"{tmp}/\xff-home"}, command=PYTHON, expected=0),
    # many arguments: explain reads them all; an install whose pip command line cannot start says so
    Case("arguments filling 85% of ARG_MAX, explain", command=("explain",), bulk=Bulk.MOST_OF_ARG_MAX,
         expected=0),
    Case("arguments to the kernel's limit, install", command=INSTALL[:-1], bulk=Bulk.ALL_OF_ARG_MAX),
]
# fmt: on

# What stands in for a Python. Each notes its pid and carries the case's directory in its environment, so
# that one safepip left running is found, and stopped, by its pid and only when it is still that process.
FAKE_PYTHONS = {
    "prints-object": "echo '{}'",
    "prints-list": "echo '[1]'",
    "prints-garbage": r"printf 'Python 3.11 \377 not json\n'",
    "exits-3": "exit 3",
    "hangs": "exec sleep 1000",
}
MARKER = "SAFEPIP_BAD_INPUT_CASE"
GRACE = 2.0  # seconds after safepip's exit in which a python it stopped has gone


@dataclass(frozen=True)
class Finished:
    code: int
    stderr: str
    argv: list[bytes]


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Path]:
    """The case's directory: a home, an empty working directory, fake pythons, a file, a real python's link."""
    (tmp_path / "home").mkdir()
    (tmp_path / "cwd").mkdir()
    (tmp_path / "file").write_text("not a directory\n")
    os.mkdir(os.fsencode(tmp_path) + b"/\xff-home")
    os.symlink(os.path.realpath(sys.executable), os.fsencode(tmp_path) + b"/\xff-python3")
    for name, body in FAKE_PYTHONS.items():
        script = tmp_path / name
        script.write_text(
            f"#!/bin/sh\necho $$ >> {shlex.quote(str(tmp_path / 'pids'))}\n"
            f"export {MARKER}={shlex.quote(str(tmp_path))}\n{body}\n"
        )
        script.chmod(0o755)
    yield tmp_path
    for pid in running_fake_pythons(tmp_path):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def in_the_private_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A home safepip cannot use sends it to its private directory, /var/tmp/safepip-UID, which every such
    case shares, on every pytest-xdist worker: one case at a time (a lock in the run's shared temp dir), and
    the directory is removed after it, unless it was there before."""
    import fcntl

    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # each worker's base is in the run's own
        shared = shared.parent
    private = [f"{base}/safepip-{os.geteuid()}" for base in ("/var/tmp", "/tmp")]
    with open(shared / "private-dir.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made_before = {path for path in private if os.path.lexists(path)}
        try:
            yield
        finally:
            for path in private:
                if path not in made_before and os.path.lexists(path):
                    shutil.rmtree(path, ignore_errors=True)


def running_fake_pythons(sandbox: Path) -> list[int]:
    pids = sandbox / "pids"
    noted = {int(line) for line in pids.read_text().split()} if pids.exists() else set()
    marker = os.fsencode(f"{MARKER}={sandbox}")
    running = []
    for pid in sorted(noted):
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ, open(f"/proc/{pid}/stat", "rb") as stat:
                ours = marker in environ.read().split(b"\0")
                zombie = stat.read().rsplit(b")", 1)[1].split()[0] == b"Z"
        except (FileNotFoundError, ProcessLookupError):
            continue
        if ours and not zombie:
            running.append(pid)
    return running


def left_running(sandbox: Path) -> list[int]:
    deadline = time.monotonic() + GRACE
    while (running := running_fake_pythons(sandbox)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return running


def expand(arg: Arg, tmp: Path) -> bytes:
    return os.fsencode(arg).replace(b"{tmp}", os.fsencode(tmp))


def environment(case: Case, tmp: Path) -> dict[bytes, bytes]:
    environ = {
        b"HOME": os.fsencode(tmp / "home"),
        b"PATH": os.fsencode(f"{SAFEPIP.parent}:/usr/local/bin:/usr/bin:/bin"),
        b"LANG": b"C.UTF-8",
        b"PIP_CONFIG_FILE": os.fsencode(os.devnull),
    }
    environ.update({os.fsencode(name): expand(value, tmp) for name, value in case.env.items()})
    return environ


def requirements(count: int) -> list[bytes]:
    """`count` arguments of 100 bytes, each a requirement pip would look for."""
    return [b"pkg%06d" % index + b"x" * 91 for index in range(count)]


def filler(total: int) -> list[bytes]:
    """`total` bytes of arguments, in pieces the kernel takes (one argument may hold at most 128 KiB)."""
    return [b"q" * min(65536, total - start) for start in range(0, total, 65536)]


def execs(args: Sequence[bytes], env: Mapping[bytes, bytes]) -> bool:
    try:
        subprocess.run(["/bin/true", *args], env=env, check=True)
    except OSError as error:
        assert error.errno == errno.E2BIG, error
        return False
    return True


def start(argv: list[bytes], env: Mapping[bytes, bytes], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def start_at_the_limit(
    argv: list[bytes], env: Mapping[bytes, bytes], cwd: Path
) -> tuple[subprocess.Popen[bytes], list[bytes]]:
    """safepip with `argv` and filler up to within 16 bytes of the most it can be started with.

    /bin/true finds the kernel's room; safepip, a script whose interpreter and path count too, needs a little
    less, found by trying (a start that does not fit fails at once). The pip command line safepip builds is
    longer (the target's python, `-m pip`, its own options), so it cannot start.
    """
    low, high = 0, ARG_MAX
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if execs([*argv[1:], *filler(middle)], env) else (low, middle - 1)
    for spare in range(0, 4096, 16):
        filled = [*argv, *filler(low - spare)]
        try:
            return start(filled, env, cwd), filled
        except OSError as error:
            assert error.errno == errno.E2BIG, error
    raise AssertionError("safepip could not be started with any of the argument sizes tried")


def run_case(case: Case, tmp: Path) -> Finished:
    env = environment(case, tmp)
    argv = [os.fsencode(SAFEPIP), *(expand(arg, tmp) for arg in case.head), *map(os.fsencode, case.command)]
    if case.bulk is not None:
        argv += requirements(int(ARG_MAX * 0.85) // (100 + 1 + POINTER))
    if case.bulk is Bulk.ALL_OF_ARG_MAX:
        process, argv = start_at_the_limit(argv, env, tmp / "cwd")
    else:
        process = start(argv, env, tmp / "cwd")
    try:
        _, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(
            process.pid, signal.SIGKILL
        )  # the session start_new_session gave it: safepip and its children
        _, stderr = process.communicate()
        pytest.fail(f"no answer in {TIMEOUT} s: {shown(argv)}\n{stderr.decode(errors='replace')[-2000:]}")
    return Finished(process.returncode, stderr.decode(errors="surrogateescape"), argv)


def shown(argv: Sequence[bytes]) -> str:
    text = " ".join(shlex.quote(arg.decode(errors="backslashreplace")) for arg in argv[:8])
    return text if len(argv) <= 8 else f"{text} … ({len(argv) - 8} more, {sum(map(len, argv))} bytes in all)"


def described(case: Case, done: Finished) -> str:
    return (
        f"$ {dict(case.env)} {shown(done.argv)}\nexit {done.code} (expected {case.expected})\n"
        f"--- stderr\n{done.stderr[-3000:]}"
    )


@pytest.mark.parametrize(
    "case", [pytest.param(case, id=case.id, marks=[pytest.mark.slow] if case.slow else []) for case in CASES]
)
def test_bad_input(case: Case, sandbox: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    with in_the_private_dir(tmp_path_factory) if "HOME" in case.env else contextlib.nullcontext():
        done = run_case(case, sandbox)
    lines = done.stderr.splitlines()
    errors = [index for index, line in enumerate(lines) if line.startswith("safepip: error:")]
    fixes = [index for index, line in enumerate(lines) if line.startswith("safepip: fix:")]
    assert "Traceback" not in done.stderr, described(case, done)
    assert done.code == case.expected, described(case, done)
    if case.expected == 0:
        assert errors == [], described(case, done)
    else:
        assert len(errors) == len(fixes) == 1 and errors[0] < fixes[0], described(case, done)
    assert left_running(sandbox) == [], f"a python safepip started is still running\n{described(case, done)}"
