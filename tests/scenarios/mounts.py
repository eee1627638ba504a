"""Real mounts and inode flags for scenario tests: tmpfs mounts that are always unmounted, chattr +i undone.

Root only, like every scenario test.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def is_mount_point(path: Path) -> bool:
    real = os.path.realpath(path)
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == real for line in mounts)


def unmount(point: Path) -> None:
    """Unmount `point`; lazily when something still holds it busy."""
    if not is_mount_point(point):
        return
    if subprocess.run(["umount", str(point)], capture_output=True).returncode != 0:
        subprocess.run(["umount", "-l", str(point)], capture_output=True, check=True)
    assert not is_mount_point(point), f"{point} is still mounted"


@contextmanager
def tmpfs(point: Path, options: str) -> Iterator[Path]:
    """`mount -t tmpfs -o OPTIONS tmpfs POINT` (POINT is made when missing), unmounted afterwards."""
    point.mkdir(exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs with {options} here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        unmount(point)


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill the filesystem of `directory` with one root-owned file, leaving about `leave` bytes free."""
    filler = directory / "filler"
    with open(filler, "wb", buffering=0) as out:
        for size in (64 * 1024, 512):  # then a partial chunk that may still fit
            try:
                while True:
                    out.write(b"\0" * size)
            except OSError as full:
                assert full.errno == errno.ENOSPC, full
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    filler.chmod(0o644)
    return filler


def chattr_works(directory: Path) -> str | None:
    """None when `chattr +i` works on the filesystem of `directory`, else why not."""
    probe = directory / ".chattr-probe"
    probe.write_text("")
    try:
        set_flag = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
        if set_flag.returncode != 0:
            return f"chattr +i fails on {directory}: {set_flag.stderr.strip()}"
        listed = subprocess.run(["lsattr", "-d", str(probe)], capture_output=True, text=True)
        flags = listed.stdout.split()[0] if listed.stdout.split() else ""
        if listed.returncode != 0 or "i" not in flags:
            return f"lsattr does not show the immutable flag on {directory}: {listed.stdout}{listed.stderr}"
        return None
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()


def is_immutable(path: Path) -> bool:
    listed = subprocess.run(["lsattr", "-d", str(path)], capture_output=True, text=True, check=True)
    return "i" in listed.stdout.split()[0]


def set_immutable(path: Path) -> None:
    subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True, check=True)


def clear_immutable(tree: Path) -> None:
    """`chattr -R -i -a` on a tree, whatever is left of it."""
    if tree.exists():
        subprocess.run(["chattr", "-R", "-i", "-a", str(tree)], capture_output=True)
