"""pip's cache as safepip judges it: who could get below its top (facts/pip_cache.py)."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.facts.pip_cache import reachable_by_others

UNDEFINED = 0xFFFFFFFF


def raw_acl(*named_user: int) -> bytes:
    """An access ACL: the owner rwx, the named users r-x, nobody else anything."""
    entries = [(0x01, 7, UNDEFINED), *((0x02, 5, uid) for uid in named_user), (0x04, 0, UNDEFINED)]
    entries += [(0x10, 5, UNDEFINED), (0x20, 0, UNDEFINED)]
    return struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)


@pytest.fixture
def open_top() -> Iterator[Path]:
    """A directory whose way from / everyone can search (pytest's own are 0700)."""
    top = Path(tempfile.mkdtemp(prefix="safepip-reach-", dir="/tmp"))
    top.chmod(0o755)
    yield top
    shutil.rmtree(top)


def test_a_directory_only_its_owner_may_enter_keeps_everyone_out_below(open_top: Path) -> None:
    cache = open_top / "home" / "cache"
    cache.mkdir(parents=True)
    assert reachable_by_others(str(cache), os.geteuid())
    (open_top / "home").chmod(0o700)
    assert not reachable_by_others(str(cache), os.geteuid())


def test_an_acl_that_lets_another_user_search_opens_the_way(open_top: Path) -> None:
    home = open_top / "home"
    (home / "cache").mkdir(parents=True)
    home.chmod(0o700)
    try:
        os.setxattr(home, "system.posix_acl_access", raw_acl(54321))
    except OSError as error:
        pytest.skip(f"no POSIX ACLs on {open_top}: {error.strerror}")
    assert reachable_by_others(str(home / "cache"), os.geteuid())
    os.setxattr(home, "system.posix_acl_access", raw_acl())
    assert not reachable_by_others(str(home / "cache"), os.geteuid())
