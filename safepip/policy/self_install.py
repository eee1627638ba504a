"""What `safepip self install|update` does, decided from the build installed and the build at hand."""

from __future__ import annotations

import enum


class SelfStep(enum.Enum):
    PUT_IN_PLACE = "put in place"  # nothing installed, or an update to another build
    UP_TO_DATE = "up to date"  # `update` with the build that is installed
    INSTALLED_ALREADY = "installed already"  # `install` with the build that is installed
    KEEP_OTHER_BUILD = "keep the other build"  # `install` finds another build: `self update` replaces it
    NEEDS_AN_ARCHIVE = "needs an archive"  # the installed safepip itself: a newer safepip.pyz updates it
    NOT_SELF_INSTALLED = "not self-installed"  # an installed safepip that `self install` did not put there


def decide_self(update: bool, installed_build: str | None, archive_build: str | None) -> SelfStep:
    """`installed_build`: the build of the self-install (None: none); `archive_build`: the build of the
    safepip.pyz running this (None: safepip runs from an install)."""
    if archive_build is None:
        return SelfStep.NOT_SELF_INSTALLED if installed_build is None else SelfStep.NEEDS_AN_ARCHIVE
    if installed_build == archive_build:
        return SelfStep.UP_TO_DATE if update else SelfStep.INSTALLED_ALREADY
    if installed_build is not None and not update:
        return SelfStep.KEEP_OTHER_BUILD
    return SelfStep.PUT_IN_PLACE
