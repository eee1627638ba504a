"""End to end: whatever follows `safepip install` reaches pip byte for byte, and pip's exit code comes back.

The real CLI runs in a subprocess against a venv whose `pip` is a fake that records its argv.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.unit.fake_pip import Run, run_safepip


def install(python: str, workdir: Path, args: Sequence[str], **extra: str) -> Run:
    return run_safepip(workdir, ["--python", python, "install", *args], **extra)


def assert_reached_pip_untouched(run: Run, args: Sequence[str]) -> None:
    assert run.code == 0, run.stderr
    assert run.recorded is not None, run.stderr
    assert run.recorded == ["install", "--no-user", *args]
    # byte for byte, as the file system encoding gives them to pip
    assert [os.fsencode(arg) for arg in run.recorded[2:]] == [os.fsencode(arg) for arg in args]
    assert run.cwd_on_path is False  # pip never imports from the working directory


def argv_case(args: Sequence[str], id: str) -> Any:
    return pytest.param(list(args), id=id)


FIDELITY = [
    argv_case(["-r", "requirements.txt"], "requirement-space"),
    argv_case(["-rrequirements.txt"], "requirement-glued"),
    argv_case(["-e", "."], "editable-dot"),
    argv_case(["--index-url=https://x/simple", "pkg"], "index-url-equals"),
    argv_case(["-i", "https://x/simple", "--extra-index-url", "https://y/simple", "pkg"], "index-urls"),
    argv_case(["--", "pkg-a", "pkg-b"], "double-dash-then-names"),
    argv_case(["pkg", "--", "--user", "--target", "/t"], "location-options-after-double-dash"),
    argv_case(["./paquet-é"], "unicode-latin"),
    argv_case(["日本/pkg", "🐍==1.0", "e\u0301", "\u202eevil"], "unicode-cjk-emoji-combining-rtl"),
    argv_case(["./dir with spaces/pkg", " leading", "trailing ", "  "], "spaces"),
    argv_case([""], "empty-string"),
    argv_case(["", "pkg", ""], "empty-strings-around"),
    argv_case(["-Uq", "pkg"], "clustered-flags"),
    argv_case(["-Ur", "req.txt"], "cluster-with-value"),
    argv_case(["--config-settings=--build-option=--x", "."], "config-settings-nested-dashes"),
    argv_case(["-C", "--build-option=--x", "."], "short-config-settings"),
    argv_case(["--venv", "somewhere", "pkg"], "venv-option-goes-to-pip"),
    argv_case(["-q", "-v", "--json", "pkg"], "safepip-lookalike-flags"),
    argv_case(["--fallback", "--no-fallback", "--prefer", "user", "--lock-timeout", "0"], "more-lookalikes"),
    argv_case(["-r", "--user.txt"], "value-looks-like-user"),
    argv_case(["--global-option", "--user", "-e", "--prefix"], "values-look-like-locations"),
    argv_case(["--no-user", "--isolated", "--break-system-packages", "pkg"], "switches-kept"),
    argv_case(["pkg==1.0", "other>=2,<3", "third[extra]; python_version > '3'"], "specifiers"),
    argv_case(["'single'", '"double"', "$HOME", "`id`", "a;b", "*", "~", "a|b", "&"], "shell-metacharacters"),
    argv_case(["line\nbreak", "tab\there", "\r", "\x1b[31m", "\x7f"], "control-characters"),
    argv_case(["\\back\\slash", "50%", "%s", "{}", "a=b", "=", "-", "--="], "odd-punctuation"),
    argv_case(["--dry-run", "--report", "-", "--upgrade-strategy", "eager", "pkg"], "report-to-stdout"),
    argv_case([f"pkg{index}" for index in range(1000)], "a-thousand-arguments"),
    argv_case(["x" * 100_000], "one-long-argument"),
    argv_case([os.fsdecode(b"caf\xe9"), os.fsdecode(b"\xff\xfe")], "bytes-not-utf8"),
]


@pytest.mark.parametrize("args", FIDELITY)
def test_arguments_reach_pip_untouched(fake_venv_python: str, workdir: Path, args: list[str]) -> None:
    assert_reached_pip_untouched(install(fake_venv_python, workdir, args), args)


def test_own_options_before_install_and_pips_after(fake_venv_python: str, workdir: Path) -> None:
    args = ["-q", "--venv", "/elsewhere/venv", "pkg"]  # (pip's --python is refused: test_import_path_trust)
    run = run_safepip(workdir, ["-v", "--python", fake_venv_python, "install", *args])
    # -v before the command is safepip's and pip's (as `pip -v install` with pip going to safepip); --python
    # is safepip's alone; everything after the command is pip's, untouched
    assert_reached_pip_untouched(run, ["-v", *args])
    assert "safepip:" not in run.stderr  # pip's -q quiets safepip's lines too (README: Options)


def test_target_line_names_the_venv(fake_venv_python: str, workdir: Path) -> None:
    run = install(fake_venv_python, workdir, ["pkg"])
    prefix = str(Path(fake_venv_python).parent.parent)
    assert f"safepip: target env {prefix} " in run.stderr


@pytest.mark.parametrize("code", [1, 2, 3, 23])
def test_pip_exit_code_passes_through(fake_venv_python: str, workdir: Path, code: int) -> None:
    run = install(fake_venv_python, workdir, ["pkg"], FAKE_PIP_EXIT=str(code))
    assert run.recorded == ["install", "--no-user", "pkg"]
    assert run.code == code


def test_pip_killed_by_a_signal_gives_128_plus_n(fake_venv_python: str, workdir: Path) -> None:
    run = install(fake_venv_python, workdir, ["pkg"], FAKE_PIP_EXIT=str(-signal.SIGTERM))
    assert run.recorded is not None
    assert run.code == 128 + signal.SIGTERM


@pytest.mark.parametrize("help_args", [["--help"], ["-h"], ["-r", "req.txt", "--help"]])
def test_help_goes_to_pip(workdir: Path, help_args: list[str]) -> None:
    run = run_safepip(workdir, ["install", *help_args])  # the real pip, no fake
    assert run.code == 0, run.stderr
    assert "Usage:" in run.stdout
    assert "pip install" in run.stdout
    # not safepip's own help (pip's usage line names the python, whose path may well contain "safepip")
    assert "Usage: safepip" not in run.stdout and "COMMAND [ARGS]" not in run.stdout


# ---------------------------------------------------------------- generated arguments (a seeded property)

# hypothesis is not installed in the dev venv: a fixed seed gives the same ~30 cases on every run.
SEED = 20240611
PIECES = (
    "abcXYZ019", " \t\n", "!\"#$%&'()*+,./:;<=>?@[\\]^_`{|}~", "-=", "éßøñ", "日本語中文", "🐍🦀👍🏽",
    "\u0301\u200d\u202e\ufeff", "\x01\x1b\x7f", "\U0010fffd",
)  # fmt: skip


def generated_text(rng: random.Random) -> str:
    """Any text but NUL and lone surrogates, which no argv can carry."""
    return "".join(rng.choice(rng.choice(PIECES)) for _ in range(rng.randint(0, 16)))


def generated_argument(rng: random.Random) -> list[str]:
    """One argument that pip reads as a name or a value, so it cannot change the target or ask for help."""
    text = generated_text(rng)
    shape = rng.randrange(3)
    if shape == 0:
        return ["x" + text if text.startswith("-") else text]
    if shape == 1:
        return [f"--index-url={text}"]
    return ["-r", text]


def generated_lists(count: int) -> list[list[str]]:
    rng = random.Random(SEED)
    return [[arg for _ in range(rng.randint(1, 5)) for arg in generated_argument(rng)] for _ in range(count)]


@pytest.mark.parametrize(
    "args", [pytest.param(args, id=f"generated-{n}") for n, args in enumerate(generated_lists(30))]
)
def test_generated_arguments_reach_pip_untouched(
    fake_venv_python: str, workdir: Path, args: list[str]
) -> None:
    assert_reached_pip_untouched(install(fake_venv_python, workdir, args), args)


def test_empty_target_value_reaches_pip(fake_venv_python: str, workdir: Path) -> None:
    args = ["--target=", "pkg"]
    run = install(fake_venv_python, workdir, args)
    assert "Traceback" not in run.stderr
    assert_reached_pip_untouched(run, args)
