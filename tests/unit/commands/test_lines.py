"""The line before pip: the target, `~/…` for the home, the reason's first clause; never cut inside a word."""

from __future__ import annotations

from safepip.commands.lines import MAX_LINE, target_line
from safepip.policy.plan import Target

HOME = "/home/explorer"
MANAGED = f"{HOME}/.local/share/safepip/venvs/cp311-ca3ed784"


def line(reason: str, path: str = MANAGED) -> str:
    return "safepip: " + target_line(Target("managed", path, f"{path}/bin/python", reason), HOME)


def test_a_short_reason_is_said_whole_with_the_home_as_tilde() -> None:
    said = line(f"{HOME}/.venv is not writable; more detail")
    assert (
        said
        == "safepip: target managed ~/.local/share/safepip/venvs/cp311-ca3ed784 (~/.venv is not writable)"
    )
    assert len(said) <= MAX_LINE


def test_a_long_reason_loses_its_details_in_parentheses_first() -> None:
    said = line(
        "the system environment /usr/lib/python3/dist-packages is not writable by explorer (owned by root)"
    )
    assert said.endswith(
        "(the system environment /usr/lib/python3/dist-packages is not writable by explorer)"
    )


def test_a_reason_that_cannot_fit_is_said_whole_rather_than_cut() -> None:
    reason = "the project venv /srv/a/rather/long/path/to/some/project/.venv is not writable by explorer"
    said = line(reason + "; use --prefer user")
    assert said.endswith(f"({reason})") and len(said) > MAX_LINE
    assert "…" not in said
