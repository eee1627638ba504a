"""safepip's options: one table, one parser; the command line splits where pip's part begins."""

from __future__ import annotations

import pytest

from safepip.cli.options import OPTIONS, parse_command_line, split_argv
from safepip.errors import UsageError
from safepip.facts.request import Options

GOOD = [
    ([], {}, Options()),
    (["--python", "/usr/bin/python3"], {}, Options(python="/usr/bin/python3")),
    (["--python=/p", "--venv", "/v", "--prefer", "venv"], {}, Options(python="/p", venv="/v", prefer="venv")),
    (["-q", "--verbose", "--json", "--system"], {}, Options(quiet=True, verbose=True, json=True, system=True)),
    (["--no-fallback", "--lock-timeout", "2.5", "--min-tmp-space", "500M"], {},
     Options(no_fallback=True, lock_timeout=2.5, min_tmp_space=500 << 20)),
    (["--fallback"], {"SAFEPIP_QUIET": "yes", "SAFEPIP_LOCK_TIMEOUT": "0"},
     Options(fallback=True, quiet=True, lock_timeout=0.0)),
    ([], {"SAFEPIP_PYTHON": "/env/python", "SAFEPIP_PREFER": "user", "SAFEPIP_MIN_TMP_SPACE": "2G"},
     Options(python="/env/python", prefer="user", min_tmp_space=2 << 30)),
    (["--python", "/cli"], {"SAFEPIP_PYTHON": "/env", "SAFEPIP_VERBOSE": "off", "SAFEPIP_JSON": "1"},
     Options(python="/cli", json=True)),
]  # fmt: skip


@pytest.mark.parametrize(("head", "environ", "expected"), GOOD)
def test_options_and_variables(head: list[str], environ: dict[str, str], expected: Options) -> None:
    parsed = parse_command_line([*head, "install", "-q", "x"], environ)
    assert parsed.options == expected
    assert parsed.command == "install"
    # pip's part, untouched; -q and -v before the command are pip's too (`alias pip=safepip`: pip -q install)
    assert parsed.rest == [*(arg for arg in head if arg in ("-q", "--verbose")), "-q", "x"]


BAD = [
    ["--prefer", "nope"], ["--lock-timeout", "-1"], ["--lock-timeout", "nan"], ["--lock-timeout", "inf"],
    ["--fallback", "--no-fallback"], ["--python"], ["--python", ""], ["--venv", ""], ["--json=1"],
    ["--unknown"], ["--min-tmp-space", "lots"], ["--min-tmp-space", "1e400"], ["--min-tmp-space", "inf"],
    ["--lock-t", "5"],
]  # fmt: skip


@pytest.mark.parametrize("head", BAD)
def test_bad_options_are_usage_errors(head: list[str]) -> None:
    with pytest.raises(UsageError) as raised:
        parse_command_line([*head, "install", "x"], {})
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [("SAFEPIP_QUIET", "maybe"), ("SAFEPIP_LOCK_TIMEOUT", "nan"), ("SAFEPIP_MIN_TMP_SPACE", "inf"),
     ("SAFEPIP_PREFER", "both")],
)  # fmt: skip
def test_bad_variables_are_usage_errors(variable: str, value: str) -> None:
    with pytest.raises(UsageError, match=variable):
        parse_command_line(["install", "x"], {variable: value})


def test_the_split_takes_option_values_into_account() -> None:
    assert split_argv(["--python", "install", "list", "install"]) == (
        ["--python", "install", "list"],
        [],
        ["install"],
    )
    assert split_argv(["-q", "install", "--python", "x"]) == (["-q", "install"], ["-q"], ["--python", "x"])


def test_pips_general_options_before_the_command_are_pips() -> None:
    # `pip --no-cache-dir install X` in a Dockerfile, with pip going to safepip
    assert split_argv(["--no-cache-dir", "--timeout", "30", "--log=x.log", "install", "six"]) == (
        ["install"],
        ["--no-cache-dir", "--timeout", "30", "--log=x.log"],
        ["six"],
    )
    # -q and -v are both safepip's and pip's; safepip's own options stay safepip's, --python included
    assert split_argv(["-qq", "--python", "/p", "--isolated", "list"]) == (
        ["-qq", "--python", "/p", "list"],
        ["-qq", "--isolated"],
        [],
    )


def test_pip_gets_its_general_options_and_quiet_given_before_the_command() -> None:
    parsed = parse_command_line(["-q", "--no-cache-dir", "install", "six"], {})
    assert (parsed.command, parsed.rest, parsed.options.quiet) == (
        "install",
        ["-q", "--no-cache-dir", "six"],
        True,
    )
    assert parse_command_line(["--isolated", "list"], {}).rest == ["--isolated"]
    assert parse_command_line(["-v", "python"], {}).rest == []  # not a pip command: -v is safepip's alone


def test_a_pip_option_before_a_command_that_runs_no_pip_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--no-cache-dir is an option of pip's"):
        parse_command_line(["--no-cache-dir", "doctor"], {})


def test_every_option_has_a_variable_and_help() -> None:
    assert len({spec.envvar for spec in OPTIONS}) == len(OPTIONS)
    assert all(spec.envvar.startswith("SAFEPIP_") and spec.help for spec in OPTIONS)


PLAIN_HEADS = [
    ["install"], ["-q", "install"], ["--quiet", "-v", "install"], ["--python", "/p", "install"],
    ["--python", "/p", "--python", "/q", "-q", "list"], ["--lock-timeout", "3", "--json", "explain"],
    ["--prefer", "venv", "--no-fallback", "--system", "--min-tmp-space", "1G", "install"],
    ["--venv", "v", "run"], ["--prefer", "nope", "install"],
]  # fmt: skip
PARSER_HEADS = [
    ["-qv", "install"], ["--python=/p", "install"], ["--python", "-x", "install"], ["--python", "install"],
    ["-q"], ["--help", "install"], ["--version", "install"], ["--lock-t", "5", "install"], ["-"], [],
]  # fmt: skip


@pytest.mark.parametrize("head", PLAIN_HEADS)
def test_a_plain_head_is_read_without_argparse_as_argparse_reads_it(head: list[str]) -> None:
    from safepip.cli.options import build_parser, read_plain_head

    plain = read_plain_head(head)
    assert plain is not None
    assert vars(plain) == vars(build_parser().parse_args(head))


@pytest.mark.parametrize("head", PARSER_HEADS)
def test_any_other_head_is_left_to_argparse(head: list[str]) -> None:
    from safepip.cli.options import read_plain_head

    assert read_plain_head(head) is None


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_the_version_as_pip_spells_it_too(flag: str) -> None:
    """`-V` as pip has it: with `alias pip=safepip`, `pip -V` asks the target's pip (cli/main.py)."""
    parsed = parse_command_line(["--python", "/p", flag], {})
    assert (parsed.command, parsed.rest, parsed.options.python) == ("--version", [], "/p")
