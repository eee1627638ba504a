"""`safepip self`: what an update says it replaced."""

from __future__ import annotations

from safepip.commands.self_command import replacing


def test_an_update_says_what_it_replaced_and_when_that_was_newer() -> None:
    old, new = {"version": "0.1.0", "build": "aaa"}, {"version": "0.1.1", "build": "bbb"}
    assert replacing(None, new) == ""
    assert replacing(old, new) == ", replacing safepip 0.1.0 (build aaa)"
    assert replacing(new, old) == ", replacing safepip 0.1.1 (build bbb), a newer version"
    assert (
        replacing({"version": "not a version", "build": "c"}, old)
        == ", replacing safepip not a version (build c)"
    )
