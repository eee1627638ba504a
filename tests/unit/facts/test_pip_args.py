"""parse_pip_args() as tables: what safepip reads from `pip install` arguments, read as pip's optparse does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from safepip.facts.pip_args import parse_pip_args

PIP_DEST_OF_LOCATION = {"--target": "target_dir", "--prefix": "prefix_path", "--root": "root_path"}


def case(argv: Sequence[str], expected: Any, id: str, *marks: pytest.MarkDecorator) -> Any:
    return pytest.param(tuple(argv), expected, id=id, marks=marks)


LOCATIONS = [
    case(["--target", "/t", "pkg"], ("--target", "/t"), "target-space"),
    case(["--target=/t", "pkg"], ("--target", "/t"), "target-equals"),
    case(["-t", "/t", "pkg"], ("--target", "/t"), "short-space"),
    case(["-t/t", "pkg"], ("--target", "/t"), "short-glued"),
    case(["-Ut", "/t"], ("--target", "/t"), "cluster-ending-in-t"),
    case(["-qUt/t"], ("--target", "/t"), "cluster-glued-value"),
    case(["--targ", "/t"], ("--target", "/t"), "abbreviated-targ"),
    case(["--ta=/t"], ("--target", "/t"), "abbreviated-ta-equals"),
    case(["--prefix", "/p"], ("--prefix", "/p"), "prefix"),
    case(["--prefi", "/p"], ("--prefix", "/p"), "abbreviated-prefi"),
    case(["--root=/r"], ("--root", "/r"), "root-equals"),
    case(["--target", "/a", "--target", "/b"], ("--target", "/b"), "last-target-wins"),
    case(["--target", "dir with space/é"], ("--target", "dir with space/é"), "target-unicode-space"),
    case(["--pre", "pkg"], None, "pre-is-a-flag-not-prefix"),
    case(["--pre", "/p"], None, "pre-then-path-is-positional"),
    case(["--prefer-binary", "pkg"], None, "prefer-binary"),
    case(["--", "--target", "/t"], None, "after-double-dash"),
    case(["-r", "--target", "/t"], None, "target-as-requirement-file"),
    case(["--requirement=--target", "/t"], None, "target-as-inline-value"),
    case(["-e", "--prefix"], None, "prefix-as-editable"),
    case(["--target"], None, "target-without-value"),
    case(["pkg", "--target", "/t"], ("--target", "/t"), "interspersed-after-positional"),
    case(["-x", "/t"], None, "unknown-short-option"),
    case(["--ro", "/r"], None, "ambiguous-root-root-user-action"),
]


@pytest.mark.parametrize(("argv", "expected"), LOCATIONS)
def test_explicit_location(argv: tuple[str, ...], expected: tuple[str, str] | None) -> None:
    assert parse_pip_args(argv).explicit_location == expected


USER_SWITCH = [
    case(["pkg"], None, "neither"),
    case(["--user", "pkg"], True, "user"),
    case(["--no-user", "pkg"], False, "no-user"),
    case(["--user", "--no-user"], False, "no-user-last"),
    case(["--no-user", "--user"], True, "user-last"),
    case(["--user", "--no-user", "--user"], True, "user-last-of-three"),
    case(["--use", "pkg"], None, "ambiguous-use"),
    case(["--", "--user"], None, "user-after-double-dash"),
    case(["-r", "--user"], None, "user-as-requirement-file"),
    case(["-r", "--user.txt"], None, "user-txt-as-requirement-file"),
    case(["--global-option", "--user"], None, "user-as-value-of-long-option"),
    case(["-C", "--user"], None, "user-as-value-of-short-option"),
    case(["--config-settings=--user"], None, "user-inside-config-settings"),
    case(["--no-u", "pkg"], None, "ambiguous-no-user-no-use-pep517"),
    case(["pkg", "--user"], True, "user-after-positional"),
]


@pytest.mark.parametrize(("argv", "expected"), USER_SWITCH)
def test_user_switch(argv: tuple[str, ...], expected: bool | None) -> None:
    assert parse_pip_args(argv).user is expected


OPTION_USES = [
    case(["-r", "req.txt"], [("--requirement", "req.txt")], "short-value-space"),
    case(["-rreq.txt"], [("--requirement", "req.txt")], "short-value-glued"),
    case(["-r", "--user.txt"], [("--requirement", "--user.txt")], "short-value-looks-like-option"),
    case(["--requirement", "-r"], [("--requirement", "-r")], "long-value-looks-like-short"),
    case(["-r", "--"], [("--requirement", "--")], "double-dash-as-value"),
    case(["-Uq"], [("--upgrade", None), ("--quiet", None)], "cluster-of-flags"),
    case(["-Ur", "req.txt"], [("--upgrade", None), ("--requirement", "req.txt")], "cluster-then-value"),
    case(["-qqv"], [("--quiet", None), ("--quiet", None), ("--verbose", None)], "repeated-flags"),
    case(["-e", "."], [("--editable", ".")], "editable-dot"),
    case(["--index-url=https://x/simple"], [("--index-url", "https://x/simple")], "inline-url"),
    case(["-i", "https://x/simple"], [("--index-url", "https://x/simple")], "short-url"),
    case(["--config-settings=--build-option=--x"], [("--config-settings", "--build-option=--x")], "equals-in-value"),
    case(["--upgrade-strat", "eager"], [("--upgrade-strategy", "eager")], "abbreviated-value-option"),
    case(["--break"], [("--break-system-packages", None)], "abbreviated-flag"),
    case(["--pre"], [("--pre", None)], "exact-match-beats-prefixes"),
    case(["-h"], [("--help", None)], "short-help"),
    case(["--he"], [("--help", None)], "abbreviated-help"),
    case(["--python", "/usr/bin/python3"], [("--python", "/usr/bin/python3")], "python-is-pips"),
    case(["-r"], [("--requirement", None)], "value-missing-at-end"),
    case(["--unknown-thing", "x"], [("--unknown-thing", None)], "unknown-long-option-kept"),
    case(["--require-venv"], [("--require-virtualenv", None)], "alias-require-venv"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "expected"), OPTION_USES)
def test_option_uses(argv: tuple[str, ...], expected: list[tuple[str, str | None]]) -> None:
    assert [(use.name, use.value) for use in parse_pip_args(argv).options] == expected


POSITIONALS = [
    case(["pkg", "other"], ("pkg", "other"), "names"),
    case(["-r", "req.txt", "pkg"], ("pkg",), "after-value-option"),
    case(["--", "--user", "-r", "x"], ("--user", "-r", "x"), "everything-after-double-dash"),
    case(["pkg", "--", "--"], ("pkg", "--"), "second-double-dash-is-positional"),
    case(["-", "pkg"], ("-", "pkg"), "single-dash"),
    case(["", "pkg"], ("", "pkg"), "empty-string"),
    case(["--pre", "pkg"], ("pkg",), "after-flag"),
    case(["日本/pkg", "./paquet-é"], ("日本/pkg", "./paquet-é"), "unicode"),
]


@pytest.mark.parametrize(("argv", "expected"), POSITIONALS)
def test_positionals(argv: tuple[str, ...], expected: tuple[str, ...]) -> None:
    parsed = parse_pip_args(argv)
    assert parsed.positionals == expected
    assert parsed.argv == argv


WITHOUT = [
    case(["--target", "/t", "pkg"], ("pkg",), "target-space"),
    case(["pkg", "--target=/t", "-q"], ("pkg", "-q"), "target-equals"),
    case(["-t", "/t", "pkg"], ("pkg",), "short-space"),
    case(["-t/t", "pkg"], ("pkg",), "short-glued"),
    case(["--targ", "/t", "pkg"], ("pkg",), "abbreviated"),
    case(["--user", "pkg", "--user"], ("pkg",), "every-use"),
    case(["--prefix", "/p", "--root", "/r", "pkg"], ("pkg",), "prefix-and-root"),
    case(["-r", "--user", "pkg"], ("-r", "--user", "pkg"), "value-that-looks-like-option-stays"),
    case(["pkg", "--", "--user"], ("pkg", "--", "--user"), "after-double-dash-stays"),
    case(["pkg", "--target"], ("pkg",), "target-without-value"),
    case(["--no-user", "pkg"], ("--no-user", "pkg"), "no-user-stays"),
    case(["-Ut", "/t", "pkg"], ("-U", "pkg"), "cluster-keeps-other-flags"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "expected"), WITHOUT)
def test_without_explicit_options(argv: tuple[str, ...], expected: tuple[str, ...]) -> None:
    assert parse_pip_args(argv).without(("--target", "--prefix", "--root", "--user")) == expected


@pytest.mark.parametrize(
    ("argv", "name", "expected"),
    [
        pytest.param(("--break-system-packages",), "--break-system-packages", True, id="break"),
        pytest.param(("--isolated", "pkg"), "--isolated", True, id="isolated"),
        pytest.param(("-Uh",), "--help", True, id="help-in-cluster"),
        pytest.param(("-r", "-h"), "--help", False, id="help-as-value"),
        pytest.param(("--", "--help"), "--help", False, id="help-after-double-dash"),
        pytest.param(("--require-virtualenv",), "--require-virtualenv", True, id="require-virtualenv"),
        pytest.param(("pkg",), "--upgrade", False, id="absent"),
    ],
)
def test_has(argv: tuple[str, ...], name: str, expected: bool) -> None:
    assert parse_pip_args(argv).has(name) is expected


def test_values_and_last() -> None:
    parsed = parse_pip_args(["-r", "a.txt", "--requirement=b.txt", "-rc.txt", "pkg"])
    assert parsed.values("--requirement") == ["a.txt", "b.txt", "c.txt"]
    last = parsed.last("--requirement")
    assert last is not None
    assert (last.value, last.first_index, last.last_index) == ("c.txt", 3, 3)
    assert parsed.last("--target") is None


def test_option_use_spans_its_value() -> None:
    (use,) = parse_pip_args(["--target", "/t"]).options
    assert (use.first_index, use.last_index) == (0, 1)


# ---------------------------------------------------------------- against pip's own parser


def pip_install_command() -> Any | None:
    """pip's own `install` command (isolated: no config files, no PIP_* variables), when pip is importable."""
    try:
        from pip._internal.commands import create_command
    except ImportError:  # pragma: no cover - the dev venv has pip
        return None
    return create_command("install", isolated=True)


needs_pip = pytest.mark.skipif(pip_install_command() is None, reason="pip is not importable here")


def pip_version() -> str:
    from importlib.metadata import version

    return version("pip")


def pip_reading(argv: Sequence[str]) -> dict[str, Any]:
    """What pip's own parser (the pip installed here) reads from these install arguments."""
    command = pip_install_command()
    assert command is not None
    options, positionals = command.parse_args(list(argv))
    location = next(
        (
            (name, getattr(options, dest))
            for name, dest in PIP_DEST_OF_LOCATION.items()
            if getattr(options, dest)
        ),
        None,
    )
    return {
        "location": location,
        "user": options.use_user_site,
        "requirements": list(options.requirements),
        "positionals": tuple(positionals),
    }


def safepip_reading(argv: Sequence[str]) -> dict[str, Any]:
    parsed = parse_pip_args(argv)
    return {
        "location": parsed.explicit_location,
        "user": parsed.user,
        "requirements": parsed.values("--requirement"),
        "positionals": parsed.positionals,
    }


AGREEMENT = [
    ["--target", "/t", "pkg"],
    ["-Ut/t", "-rreq.txt"],
    ["--targ=/t"],
    ["--pre", "pkg"],
    ["--prefi", "/p"],
    ["--root", "/r", "pkg"],
    ["-r", "--user.txt", "pkg"],
    ["--requirement", "-r", "--user"],
    ["--user", "--no-user", "--user"],
    ["--no-user"],
    ["pkg", "--", "--user", "-t", "/t"],
    ["-Uqr", "req.txt", "--user"],
    ["--global-option", "--user"],
    ["--config-settings=--user=1", "--user"],
    ["-C", "--target=x", "pkg"],
    ["--upgrade-strat", "eager", "--user"],
    ["--index-url=https://x/simple", "-i", "--user"],
    ["--python", "/usr/bin/python3", "--user"],
]


@needs_pip
@pytest.mark.parametrize("argv", [pytest.param(argv, id=" ".join(argv)) for argv in AGREEMENT])
def test_reads_like_pip(argv: list[str]) -> None:
    known = {name for name, _ in pip_long_options()}
    names = [use.name for use in parse_pip_args(argv).options if use.name.startswith("--")]
    unknown = [name for name in names if not any(option.startswith(name) for option in known)]
    if unknown:
        pytest.skip(f"the pip installed here ({pip_version()}) has no {unknown[0]}; nothing to compare with")
    assert safepip_reading(argv) == pip_reading(argv)


@needs_pip
def test_empty_target_reads_like_pip() -> None:
    assert safepip_reading(["--target=", "pkg"]) == pip_reading(["--target=", "pkg"])


def pip_long_options() -> list[tuple[str, bool]]:
    command = pip_install_command()
    if command is None:
        return []
    parser = command.parser
    return sorted(
        {(name, option.takes_value()) for option in parser._get_all_options() for name in option._long_opts}
    )


def option_param(name: str, takes_value: bool) -> Any:
    return pytest.param(name, takes_value, id=name)


@pytest.mark.parametrize(("name", "takes_value"), [option_param(*option) for option in pip_long_options()])
def test_every_pip_option_takes_a_value_or_not_as_in_pip(name: str, takes_value: bool) -> None:
    # a value-taking option swallows the next argument, even one that looks like an option
    expected = None if takes_value else True
    assert parse_pip_args([name, "--user"]).user is expected


def test_each_command_is_read_with_its_own_options() -> None:
    """list's --local is its own flag (for install it would abbreviate --local-log, which takes a value);
    show's -f is --files, a flag; download's -d takes its directory."""
    listed = parse_pip_args(["--local", "--outdated"], "list")
    assert [use.name for use in listed.options] == ["--local", "--outdated"]
    assert parse_pip_args(["--local", "pip.log"], "install").last("--log") is not None
    shown = parse_pip_args(["-f", "requests"], "show")
    assert shown.has("--files") and shown.positionals == ("requests",)
    assert parse_pip_args(["-d", "wheels", "x"], "download").values("--dest") == ["wheels"]
