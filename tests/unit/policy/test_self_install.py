"""`self install|update` as a table: the build installed and the build at hand in, the step out."""

from __future__ import annotations

import pytest

from safepip.policy.self_install import SelfStep, decide_self


@pytest.mark.parametrize(
    ("update", "installed", "archive", "step"),
    [
        (False, None, "b1", SelfStep.PUT_IN_PLACE),
        (True, None, "b1", SelfStep.PUT_IN_PLACE),
        (False, "b1", "b1", SelfStep.INSTALLED_ALREADY),
        (True, "b1", "b1", SelfStep.UP_TO_DATE),
        (False, "b0", "b1", SelfStep.KEEP_OTHER_BUILD),
        (True, "b0", "b1", SelfStep.PUT_IN_PLACE),
        (False, "b1", None, SelfStep.NEEDS_AN_ARCHIVE),
        (True, "b1", None, SelfStep.NEEDS_AN_ARCHIVE),
        (True, None, None, SelfStep.NOT_SELF_INSTALLED),
    ],
)
def test_decide_self(update: bool, installed: str | None, archive: str | None, step: SelfStep) -> None:
    assert decide_self(update, installed, archive) is step
