"""safepip's options read without typer (the hot path) must mean exactly what typer reads from them."""

from __future__ import annotations

import pytest

from safepip import frontend
from safepip.cli import app, run_typer
from safepip.options import SPECS, parse_head
from safepip.plan import Options

TYPER_ONLY = {"version", "install_completion", "show_completion", "help"}


def typer_params() -> dict[str, tuple[tuple[str, ...], str | None]]:
    import typer.main

    group = typer.main.get_command(app)
    return {
        param.name: (tuple(sorted(param.opts)), param.envvar)  # type: ignore[misc]
        for param in group.params
        if param.name not in TYPER_ONLY
    }


def test_every_option_is_declared_the_same_in_both_places() -> None:
    mine = {spec.field: (tuple(sorted(spec.names)), spec.envvar) for spec in SPECS}
    assert mine == {
        ("json" if name == "json_output" else name): value for name, value in typer_params().items()
    }


HEADS = [
    ([], {}),
    (["--python", "/usr/bin/python3"], {}),
    (["--python=/p", "--venv", "rel/venv", "--prefer", "venv"], {}),
    (["-q", "--verbose", "--json", "--system"], {}),
    (["--no-fallback", "--lock-timeout", "2.5", "--min-tmp-space", "500M"], {}),
    (["--fallback"], {"SAFEPIP_QUIET": "yes", "SAFEPIP_LOCK_TIMEOUT": "0"}),
    ([], {"SAFEPIP_PYTHON": "/env/python", "SAFEPIP_PREFER": "user", "SAFEPIP_MIN_TMP_SPACE": "2G"}),
    (["--python", "/cli"], {"SAFEPIP_PYTHON": "/env", "SAFEPIP_VERBOSE": "off", "SAFEPIP_JSON": "1"}),
]


@pytest.mark.parametrize(("head", "environ"), HEADS)
def test_both_readers_give_the_same_options(
    head: list[str], environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for spec in SPECS:
        monkeypatch.delenv(spec.envvar, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    seen: list[Options] = []

    def record(options: Options, argv: list[str]) -> int:
        seen.append(options)
        return 0

    monkeypatch.setattr(frontend, "print_python", record)
    assert run_typer([*head, "python"], []) == 0
    import os

    assert parse_head(head, os.environ) == seen[0]


@pytest.mark.parametrize(
    "head",
    [["--help"], ["--version"], ["--prefer", "nope"], ["--lock-timeout", "-1"], ["--fallback", "--no-fallback"],
     ["-qv"], ["--python"], ["--json=1"], ["--unknown"], ["--min-tmp-space", "lots"]],
)  # fmt: skip
def test_anything_unusual_is_left_to_typer(head: list[str]) -> None:
    assert parse_head(head, {}) is None
