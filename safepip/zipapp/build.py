"""Build safepip.pyz from a checkout, reproducibly: the same checkout and pins give the same bytes.

    python3 -m safepip.zipapp.build                 # dist/safepip.pyz
    python3 -m safepip.zipapp.build --lock          # resolve pyproject's dependencies again into pins.txt

Needs only the standard library: the pinned wheels are downloaded with `python3 -m pip` when this Python has
one (or `--pip CMD`), else fetched from the index's JSON API and checked against their sha256; `--wheels DIR
--offline` builds from wheels already there. safepip's dependencies need not be installed: nothing outside
safepip/zipapp/ is imported. So it runs on a machine without pip too.

What goes in: safepip's files from the checkout (no `__pycache__`, not this builder), a dist-info for it made from
pyproject.toml, the contents of each pinned wheel (pure Python only, checked against its sha256 in pins.txt),
and `__main__.py`. Every entry has the same date (1980-01-01), mode 0644 (directories 0755), no `.pyc`, in
sorted order, deflated at level 9; the same Python and zlib give the same archive.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import shlex
import sys
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from safepip.zipapp import ARCHIVE_INFO
from safepip.zipapp.pins import (
    PINS,
    BuildError,
    Download,
    Project,
    Wheel,
    from_index,
    lock,
    pinned_wheels,
    read_pins,
    read_project,
    sha256_of,
    with_pip,
)

CHECKOUT = Path(__file__).resolve().parents[2]
SHEBANG = b"#!/usr/bin/env python3\n"
ENTRY_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can have
FILE_MODE, DIR_MODE = 0o100644, 0o040755
SKIPPED_PARTS = ("__pycache__",)
TOOLING = "safepip/zipapp/"  # this builder: not part of what it builds
SKIPPED_SUFFIXES = (".pyc", ".pyo")
MAIN = """\
# safepip.pyz: safepip's command line (safepip/cli/main.py)
import sys

if sys.version_info < {minimum}:
    sys.exit(f"safepip.pyz needs Python {requires}; this is {{sys.version.split()[0]}} ({{sys.executable}})")
# the archive is first on the import path: its safepip/__main__.py starts Python again without a PYTHONPATH
# that means the working directory, before anything else is imported
from safepip.__main__ import main

main()
"""


def wheel_entries(wheel: Wheel) -> dict[str, bytes]:
    entries: dict[str, bytes] = {}
    with zipfile.ZipFile(wheel.path) as archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or skipped(name):
                continue
            if name.split("/", 1)[0].endswith(".data"):
                raise BuildError(f"{wheel.path.name} has a .data directory ({name}); not supported here")
            entries[name] = archive.read(info)
    return entries


def skipped(name: str) -> bool:
    parts = name.split("/")
    return any(part in SKIPPED_PARTS for part in parts) or name.endswith(SKIPPED_SUFFIXES)


def source_entries(checkout: Path) -> dict[str, bytes]:
    """safepip's own files, as a wheel of the checkout would hold them."""
    entries: dict[str, bytes] = {}
    package = checkout / "safepip"
    for path in sorted(package.rglob("*")):
        name = path.relative_to(checkout).as_posix()
        if path.is_file() and not skipped(name) and not name.startswith(TOOLING):
            entries[name] = path.read_bytes()
    return entries


def record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def dist_info_entries(project: Project, files: Mapping[str, bytes]) -> dict[str, bytes]:
    """A dist-info for safepip itself: importlib.metadata and pip see it in the venv of a self-install."""
    info = f"{project.name.replace('-', '_')}-{project.version}.dist-info"
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {project.name}",
        f"Version: {project.version}",
        f"Summary: {project.summary}",
        f"Requires-Python: {project.requires_python}",
        *(f"Requires-Dist: {dep}" for dep in project.dependencies),
    ]
    entries = {f"{info}/METADATA": ("\n".join(metadata) + "\n").encode()}
    rows = [f"{name},{record_hash(data)},{len(data)}" for name, data in sorted({**files, **entries}.items())]
    entries[f"{info}/RECORD"] = ("\n".join([*rows, f"{info}/RECORD,,"]) + "\n").encode()
    return entries


def archive_entries(project: Project, checkout: Path, wheels: Sequence[Wheel]) -> dict[str, bytes]:
    sources = source_entries(checkout)
    entries = {**sources, **dist_info_entries(project, sources)}
    for wheel in wheels:
        for name, data in wheel_entries(wheel).items():
            if name in entries:
                raise BuildError(
                    f"{name} comes from {wheel.path.name} and from another wheel or the checkout"
                )
            entries[name] = data
    minimum = tuple(int(part) for part in project.min_python.split("."))
    entries["__main__.py"] = MAIN.format(minimum=minimum, requires=project.requires_python).encode()
    content = hashlib.sha256()
    for name, data in sorted(entries.items()):
        content.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    about = {"name": project.name, "version": project.version, "build": content.hexdigest()[:16],
             "requires_python": project.requires_python,
             "wheels": sorted(f"{w.name}=={w.version}" for w in wheels)}  # fmt: skip
    entries[ARCHIVE_INFO] = (json.dumps(about, indent=1, sort_keys=True) + "\n").encode()
    return entries


def directories_of(names: Iterable[str]) -> set[str]:
    """Every parent directory, as a zip entry: zipimport finds namespace packages only through these."""
    found: set[str] = set()
    for name in names:
        parts = name.split("/")[:-1]
        found.update("/".join(parts[: i + 1]) + "/" for i in range(len(parts)))
    return found


def write_archive(entries: Mapping[str, bytes], output: Path) -> None:
    buffer = io.BytesIO()
    buffer.write(SHEBANG)
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted({*entries, *directories_of(entries)}):
            info = zipfile.ZipInfo(name, date_time=ENTRY_DATE)
            info.create_system = 3  # Unix: the modes below are read
            if name.endswith("/"):
                info.external_attr = (DIR_MODE << 16) | 0x10
                info.compress_type = zipfile.ZIP_STORED
                archive.writestr(info, b"")
            else:
                info.external_attr = FILE_MODE << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, entries[name], compresslevel=9)
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(f".{output.name}.{os.getpid()}")
    partial.write_bytes(buffer.getvalue())
    partial.chmod(0o755)
    partial.replace(output)


def build(
    output: Path, wheels_dir: Path, download: Download | None, checkout: Path = CHECKOUT
) -> dict[str, Any]:
    project = read_project(checkout)
    pins = read_pins(checkout / PINS.relative_to(CHECKOUT), project)
    wheels = pinned_wheels(pins, wheels_dir, download, project)
    entries = archive_entries(project, checkout, wheels)
    write_archive(entries, output)
    about: dict[str, Any] = json.loads(entries[ARCHIVE_INFO])
    return {**about, "path": str(output), "size": output.stat().st_size, "sha256": sha256_of(output)}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python3 -m safepip.zipapp.build", description=__doc__.split("\n")[0]
    )
    parser.add_argument("-o", "--output", type=Path, default=CHECKOUT / "dist" / "safepip.pyz")
    parser.add_argument("--wheels", type=Path, default=CHECKOUT / "build" / "zipapp-wheels",
                        help="where the pinned wheels are kept (downloaded there when missing)")  # fmt: skip
    parser.add_argument(
        "--offline", action="store_true", help="never download: every pinned wheel is in --wheels"
    )
    parser.add_argument(
        "--pip",
        help="the pip that locks and downloads, as a command line (default: "
        f"{sys.executable} -m pip when it has pip, else the files are fetched from --index-url)",
    )
    parser.add_argument("--index-url", default=os.environ.get("PIP_INDEX_URL") or "https://pypi.org/simple/",
                        help="where the pinned files are fetched from without a pip (default: %(default)s)")  # fmt: skip
    parser.add_argument(
        "--lock", action="store_true", help="resolve pyproject's dependencies again into pins.txt"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.pip is not None:
        pip: list[str] | None = shlex.split(args.pip)
    else:
        import importlib.util

        pip = [sys.executable, "-m", "pip"] if importlib.util.find_spec("pip") else None
    try:
        if args.lock:
            if pip is None:
                raise BuildError("locking needs a pip: pass --pip")
            lock(read_project(CHECKOUT), pip, PINS)
            return 0
        download = None if args.offline else with_pip(pip) if pip else from_index(args.index_url)
        built = build(args.output, args.wheels, download)
    except BuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{built['path']}: safepip {built['version']}, build {built['build']}, {built['size']} bytes, "
          f"sha256 {built['sha256']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
