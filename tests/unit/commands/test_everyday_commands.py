"""The everyday commands end to end through the real CLI: pip pass-through, run, shell-init, doctor, --json,
one-line usage errors and colour. pip is the recording fake of test_argument_fidelity."""

from __future__ import annotations

import json
import os
import pty
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from safepip.policy.doctor import checklist
from tests.unit.fake_pip import TIMEOUT, clean_environment, run_safepip
from tests.unit.policy.test_decide import PEP668, make_context, request


@pytest.mark.parametrize(
    "argv",
    [["list", "--format", "json"], ["uninstall", "-y", "pkg"], ["freeze", "--all"], ["show", "-f", "pkg"],
     ["download", "-d", "out", "pkg"], ["check"], ["cache", "dir"]],
    ids=lambda argv: argv[0],
)  # fmt: skip
def test_other_pip_commands_reach_pip_for_the_same_target(
    fake_venv_python: str, workdir: Path, argv: list[str]
) -> None:
    run = run_safepip(workdir, ["--python", fake_venv_python, *argv])
    assert run.code == 0, run.stderr
    assert run.recorded == argv  # no --no-user: only install takes it


@pytest.mark.parametrize(
    ("head", "command", "expected"),
    [(["--no-cache-dir"], ["install", "pkg"], ["install", "--no-user", "--no-cache-dir", "pkg"]),
     (["-q", "--timeout", "30"], ["download", "pkg"], ["download", "-q", "--timeout", "30", "pkg"]),
     (["-q", "--timeout", "30"], ["list"], ["list", "--timeout", "30"]),  # -q: safepip's; pip's list stays
     (["--isolated", "--log=x.log"], ["freeze"], ["freeze", "--isolated", "--log=x.log"])],
    ids=["no-cache-dir install", "quiet timeout download", "quiet timeout list", "isolated log freeze"],
)  # fmt: skip
def test_pips_options_before_the_command_reach_pip(
    fake_venv_python: str, workdir: Path, head: list[str], command: list[str], expected: list[str]
) -> None:
    # `alias pip=safepip`: `pip --no-cache-dir install X` is pip's option, where pip reads it too
    run = run_safepip(workdir, ["--python", fake_venv_python, *head, *command])
    assert run.code == 0, run.stderr
    assert run.recorded == expected


@pytest.mark.parametrize("held", ["another reader", "an install"])
def test_commands_that_only_read_share_the_lock(fake_venv_python: str, workdir: Path, held: str) -> None:
    # `pip list` in two terminals at once: both read; beside an install, a reader waits, as pip never starts
    # on a target that another run is changing (and the reader's pip holds the lock as long as it runs)
    import fcntl

    lock = Path(fake_venv_python).parent.parent / ".lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if held == "another reader" else fcntl.LOCK_EX)
        listed = run_safepip(workdir, ["--python", fake_venv_python, "--lock-timeout", "0.3", "list"])
        expected = (0, ["list"]) if held == "another reader" else (75, None)
        assert (listed.code, listed.recorded) == expected, listed.stderr
        installed = run_safepip(
            workdir, ["--python", fake_venv_python, "--lock-timeout", "0.3", "install", "x"]
        )
        assert (installed.code, installed.recorded) == (75, None), installed.stderr  # waits for both
    finally:
        os.close(fd)


def test_the_version_is_that_of_the_pip_that_runs_for_the_target(
    fake_venv_python: str, workdir: Path
) -> None:
    # `pip --version | awk '{print $2}'` with pip going to safepip: the target's pip answers on stdout
    run = run_safepip(workdir, ["--python", fake_venv_python, "--version"])
    assert (run.code, run.recorded) == (0, ["--version"]), run.stderr
    assert run.stderr.startswith("safepip: safepip "), run.stderr  # safepip's own, beside it
    nothing = run_safepip(workdir, ["--python", str(workdir / "missing"), "-V"])
    assert nothing.code == 77 and "does not exist" in nothing.stderr, (
        nothing.stderr
    )  # refused, as any command


def test_list_of_a_user_target_gets_user(workdir: Path) -> None:
    # pip --user is the target when a system python's site is unwritable; `list --user` shows that place

    from safepip.policy.decide import decide_target
    from safepip.policy.pip_command import pip_command

    context = make_context(env_writable=False)
    plan = decide_target(context, request("pkg"))
    assert plan.target is not None and plan.target.kind == "user"
    assert pip_command(plan._replace(pip_args=()), "list")[-2:] == ["list", "--user"]
    assert pip_command(plan._replace(pip_args=()), "uninstall")[-1:] == ["uninstall"]


def test_unknown_command_is_one_line_and_exit_2(workdir: Path) -> None:
    run = run_safepip(workdir, ["instal", "pkg"])
    assert run.code == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0] == "safepip: error: unknown command 'instal'"
    assert lines[1] == "safepip: fix: did you mean `install`? see `safepip --help` for the commands"
    assert run.recorded is None


@pytest.mark.parametrize(
    "argv",
    [["--lock-timeout", "-1", "install", "x"], ["--prefer", "nope", "install", "x"], ["--min-tmp-space", "lots", "install"],
     ["run"], ["shell-init", "tcsh"], ["doctor", "extra"]],
    ids=["negative-timeout", "bad-prefer", "bad-size", "run-without-command", "unknown-shell", "doctor-args"],
)  # fmt: skip
def test_bad_input_is_one_error_line_with_a_fix(workdir: Path, argv: list[str]) -> None:
    run = run_safepip(workdir, argv)
    assert run.code == 2, run.stderr
    lines = run.stderr.strip().splitlines()
    assert (
        len(lines) == 2 and lines[0].startswith("safepip: error: ") and lines[1].startswith("safepip: fix: ")
    )
    assert "Traceback" not in run.stderr


def test_a_removed_working_directory_is_said_in_words(workdir: Path) -> None:
    """A shell still in a directory that was removed: one error line, not an OSError to report as a bug."""
    gone = workdir / "gone"
    gone.mkdir()
    script = 'cd "$1" && rmdir "$1" && shift && exec "$@"'
    done = subprocess.run(["sh", "-c", script, "sh", gone, sys.executable, "-m", "safepip", "install", "x"],
                          env=clean_environment(workdir), capture_output=True, text=True, timeout=TIMEOUT)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.splitlines() == [
        "safepip: error: the working directory no longer exists (removed since this shell entered it)",
        "safepip: fix: cd to a directory that exists, then run the command again",
    ]
    assert not (workdir / "record.json").exists()  # pip never ran


@pytest.mark.parametrize(
    ("argv", "said"),
    [(["--lock-timeout", "abc", "install", "x"],
      "--lock-timeout: 'abc' is not a number of seconds between 0 and 31536000"),
     (["--lock-timeout", "install", "x"],  # the value forgotten: the command taken for it
      "--lock-timeout: 'install' is not a number of seconds between 0 and 31536000"),
     (["--python=", "install", "x"], "--python: an empty value, where a path is needed")],
    ids=["word", "forgotten", "empty-path"],
)  # fmt: skip
def test_a_bad_option_value_is_named_in_words(workdir: Path, argv: list[str], said: str) -> None:
    run = run_safepip(workdir, argv)
    assert run.code == 2, run.stderr
    assert run.stderr.splitlines()[0] == f"safepip: error: {said}", run.stderr


def test_json_install_is_one_document_on_stdout(fake_venv_python: str, workdir: Path) -> None:
    run = run_safepip(workdir, ["--json", "--python", fake_venv_python, "install", "pkg"], FAKE_PIP_EXIT="3")
    assert run.code == 3
    document = json.loads(run.stdout)
    assert document["schema"].endswith("/1") and document["kind"] == "install"
    assert document["result"]["exit_code"] == 3
    assert document["target"]["kind"] == "env"
    assert any(message.startswith("target env") for message in document["result"]["messages"])


@pytest.mark.parametrize(
    ("argv", "extra", "code"),
    [(["--json", "--lock-timeout", "abc", "install", "pkg"], {}, 2),  # a usage error: before any plan
     (["--json", "instal", "pkg"], {}, 2),
     (["install", "pkg"], {"SAFEPIP_JSON": "1", "SAFEPIP_MIN_TMP_SPACE": "lots"}, 2)],
    ids=["bad-option-value", "unknown-command", "by-variable"],
)  # fmt: skip
def test_json_failure_before_a_plan_is_still_one_document(
    workdir: Path, argv: list[str], extra: dict[str, str], code: int
) -> None:
    # a CI step that parses safepip's stdout gets a document with the error, not an empty stdout
    run = run_safepip(workdir, argv, **extra)
    assert run.code == code, run.stderr
    document = json.loads(run.stdout)
    assert (document["schema"], document["kind"]) == ("safepip/1", "error")
    assert document["result"]["exit_code"] == code and document["result"]["error"], document
    assert "safepip: error:" in run.stderr  # the two lines as ever


def test_run_activates_the_target_and_passes_the_exit_code(fake_venv_python: str, workdir: Path) -> None:
    script = 'echo "$VIRTUAL_ENV"; command -v python; exit 3'
    run = run_safepip(workdir, ["--python", fake_venv_python, "run", "--", "sh", "-c", script])
    venv = str(Path(fake_venv_python).parent.parent)
    assert run.code == 3, run.stderr
    assert run.stdout.splitlines() == [venv, fake_venv_python]


HANDLES_TERM = (
    "import signal, sys, time\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(5))\n"
    "print('ready', flush=True)\n"
    "time.sleep(30)\n"
)


@pytest.mark.parametrize(("handles", "expected"), [(True, 5), (False, 128 + signal.SIGTERM)])
def test_run_gives_the_commands_own_code_when_it_handles_the_signal(
    fake_venv_python: str, workdir: Path, handles: bool, expected: int
) -> None:
    """SIGTERM to `safepip run` reaches the command: one that handles it (cleans up, exits 5) decides the
    exit code; one that it ends gives 128 + 15."""
    command = ["python", "-c", HANDLES_TERM] if handles else ["sh", "-c", "echo ready; exec sleep 30"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepip", "--python", fake_venv_python, "-q", "run", "--", *command],
        cwd=workdir / "cwd", env=clean_environment(workdir), stdout=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGTERM)  # to safepip alone, as `kill PID` does
        assert proc.wait(timeout=TIMEOUT) == expected
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_self_help_says_its_actions(workdir: Path) -> None:
    run = run_safepip(workdir, ["self", "--help"])
    assert run.code == 0, run.stderr
    assert run.stdout.startswith("usage: safepip self install | self update [PYZ] | self uninstall\n")


def test_self_uninstall_from_another_installation_says_how_to_remove_that_one(workdir: Path) -> None:
    """`self uninstall` removes what `self install` made; run from a safepip installed otherwise (this
    test's venv, pipx), it says how that one goes."""
    run = run_safepip(workdir, ["self", "uninstall"])
    assert run.code == 0, run.stderr
    assert f"the safepip running now is in {sys.prefix}, which `self install` did not make" in run.stderr


def test_run_of_a_missing_command_says_so(fake_venv_python: str, workdir: Path) -> None:
    run = run_safepip(workdir, ["--python", fake_venv_python, "run", "--", "no-such-command-here"])
    assert run.code == 127
    assert run.stderr.strip().splitlines()[0].startswith("safepip: error: cannot run no-such-command-here")


def profile_test(shell: str, source: str, fake: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    environ = clean_environment(workdir, SAFEPIP_PYTHON=fake)
    environ["PATH"] = f"{Path(sys.executable).parent}:{environ['PATH']}"
    return subprocess.run(
        [shell, "-c", source],
        cwd=workdir / "cwd",
        env=environ,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_init_makes_pip_go_through_safepip(fake_venv_python: str, workdir: Path, shell: str) -> None:
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed here")
    safepip = f"{sys.executable} -m safepip"
    load = (
        f"{safepip} shell-init {shell} | source"
        if shell == "fish"
        else f'eval "$({safepip} shell-init {shell})"'
    )
    done = profile_test(shell, f"{load}; pip list --format json; echo $PATH", fake_venv_python, workdir)
    assert done.returncode == 0, done.stderr
    assert json.loads((workdir / "record.json").read_text())["argv"] == ["list", "--format", "json"]
    assert str(workdir / "home" / ".local" / "bin") in done.stdout.split()[-1].replace(" ", ":").split(":")


def test_shell_init_completes_pip_as_pip_does(fake_venv_python: str, workdir: Path) -> None:
    # pip's own completion through safepip (PIP_AUTO_COMPLETE), for the pip function shell-init defines
    load = f'eval "$({sys.executable} -m safepip shell-init bash)"'
    complete = "COMP_WORDS=(pip ins); COMP_CWORD=1; _safepip_pip_words; echo ${COMPREPLY[@]}"
    done = profile_test("bash", f"{load}; {complete}", fake_venv_python, workdir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["install", "inspect"], done.stdout


def test_doctor_names_pep668_and_the_target() -> None:
    context = make_context(interpreter=PEP668, env_writable=False)
    from safepip.policy.decide import decide_target

    req = request()
    checks = checklist(context, decide_target(context, req), req)
    pep668 = next(check for check in checks if check.topic == "PEP 668")
    assert not pep668.ok and pep668.pip == "error: externally-managed-environment"
    assert pep668.safepip is not None and "managed" in pep668.safepip
    assert checks[-1].topic == "target" and checks[-1].ok and "managed" in checks[-1].finding


def test_doctor_json(fake_venv_python: str, workdir: Path) -> None:
    run = run_safepip(workdir, ["--python", fake_venv_python, "doctor", "--json"])
    assert run.code == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["kind"] == "doctor"
    assert {"identity", "interpreter", "target"} <= {check["topic"] for check in document["checks"]}


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_colour_only_on_a_terminal_without_no_color(workdir: Path, no_color: str, coloured: bool) -> None:
    leader, follower = pty.openpty()
    environ = clean_environment(workdir, NO_COLOR=no_color, TERM="xterm")
    try:
        code = subprocess.run(
            [sys.executable, "-m", "safepip", "instal"], stderr=follower, stdout=subprocess.DEVNULL,
            env=environ, cwd=workdir / "cwd", timeout=TIMEOUT,
        ).returncode  # fmt: skip
        output = os.read(leader, 65536).decode()
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 2
    assert ("\033[" in output) is coloured
    piped = run_safepip(workdir, ["instal"])
    assert "\033[" not in piped.stderr  # never into a pipe


COMMON_KEYS = {"schema", "kind", "command", "pip_args", "target", "passed_over", "refusal", "notices", "advice",
               "pip_command", "temp", "cache", "facts"}  # fmt: skip


def test_one_versioned_schema_for_explain_install_and_doctor(fake_venv_python: str, workdir: Path) -> None:
    documents = {}
    for kind, argv in (
        ("explain", ["explain", "pkg"]),
        ("install", ["install", "pkg"]),
        ("doctor", ["doctor"]),
    ):
        run = run_safepip(workdir, ["--json", "--python", fake_venv_python, *argv])
        assert run.code == 0, run.stderr
        documents[kind] = json.loads(run.stdout)
    for kind, document in documents.items():
        assert document["schema"] == "safepip/1" and document["kind"] == kind
        assert set(document) >= COMMON_KEYS, COMMON_KEYS - set(document)
    assert set(documents["install"]) - COMMON_KEYS == {"result"}
    assert set(documents["doctor"]) - COMMON_KEYS == {"checks"}
