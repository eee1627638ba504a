"""safepip.pyz's builder (safepip/zipapp/), offline: pins, the deterministic archive, what goes in."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from safepip.util.archive import ARCHIVE_INFO
from safepip.zipapp import ARCHIVE_INFO as WRITTEN_INFO
from safepip.zipapp.build import (
    archive_entries,
    directories_of,
    dist_info_entries,
    record_hash,
    source_entries,
    write_archive,
)
from safepip.zipapp.pins import (
    BuildError,
    Project,
    Wheel,
    pinned_wheels,
    read_pins,
    read_project,
    write_pins,
)

PROJECT = Project("safepip", "1.2.3", "s", ">=3.10", ("pip>=23.1", "filelock>=3.12"))


def make_wheel(directory: Path, name: str, version: str, files: dict[str, str]) -> Path:
    path = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for member, text in {**files, f"{name}-{version}.dist-info/METADATA": f"Name: {name}\n"}.items():
            wheel.writestr(member, text)
    return path


def test_pins_round_trip_and_go_stale_with_the_dependencies(tmp_path: Path) -> None:
    wheels = [
        Wheel(
            make_wheel(tmp_path, "pip", "26.0", {"pip/__init__.py": ""}),
            "pip",
            "26.0",
            ("py3", "none", "any"),
        ),
        Wheel(
            make_wheel(tmp_path, "filelock", "4.0", {"filelock.py": ""}),
            "filelock",
            "4.0",
            ("py3", "none", "any"),
        ),
    ]
    pins = tmp_path / "pins.txt"
    write_pins(pins, PROJECT, wheels)
    read = read_pins(pins, PROJECT)
    assert [(p.name, p.version) for p in read] == [("filelock", "4.0"), ("pip", "26.0")]
    assert read[1].sha256 == hashlib.sha256(wheels[0].path.read_bytes()).hexdigest()
    with pytest.raises(BuildError, match="--lock"):
        read_pins(pins, PROJECT._replace(dependencies=(*PROJECT.dependencies, "typer>=0.12")))


def test_a_wheel_that_differs_from_its_pin_is_not_used(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "pip", "26.0", {"pip/__init__.py": ""})
    pins = tmp_path / "pins.txt"
    write_pins(
        pins, PROJECT._replace(dependencies=("pip",)), [Wheel(wheel, "pip", "26.0", ("py3", "none", "any"))]
    )
    pinned = read_pins(pins, PROJECT._replace(dependencies=("pip",)))
    assert [w.name for w in pinned_wheels(pinned, tmp_path, None, PROJECT)] == ["pip"]
    make_wheel(tmp_path, "pip", "26.0", {"pip/__init__.py": "changed = True\n"})
    with pytest.raises(BuildError, match="pinned sha256"):
        pinned_wheels(pinned, tmp_path, None, PROJECT)


def test_the_archive_is_the_same_bytes_whatever_the_order_and_the_clock(tmp_path: Path) -> None:
    entries = {"b/x.py": b"x", "a.py": b"a", "b/c/y.txt": b"y"}
    write_archive(entries, tmp_path / "one.pyz")
    write_archive(dict(reversed(list(entries.items()))), tmp_path / "two.pyz")
    assert (tmp_path / "one.pyz").read_bytes() == (tmp_path / "two.pyz").read_bytes()
    with zipfile.ZipFile(tmp_path / "one.pyz") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.py", "b/", "b/c/", "b/c/y.txt", "b/x.py"]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert (tmp_path / "one.pyz").stat().st_mode & 0o777 == 0o755
    assert directories_of(["p/q/r.py"]) == {"p/", "p/q/"}


def test_sources_leave_out_bytecode_and_the_dist_info_records_every_file(tmp_path: Path) -> None:
    package = tmp_path / "safepip"
    (package / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (package / "stray.pyc").write_bytes(b"\0")
    sources = source_entries(tmp_path)
    assert list(sources) == ["safepip/__init__.py"]
    info = dist_info_entries(PROJECT, sources)
    record = info["safepip-1.2.3.dist-info/RECORD"].decode().splitlines()
    assert f"safepip/__init__.py,{record_hash(b'')},0" in record
    assert record[-1] == "safepip-1.2.3.dist-info/RECORD,,"
    assert "Requires-Dist: pip>=23.1" in info["safepip-1.2.3.dist-info/METADATA"].decode()


def test_archive_entries_refuse_a_file_two_wheels_bring(tmp_path: Path) -> None:
    (tmp_path / "safepip").mkdir()
    (tmp_path / "safepip" / "__init__.py").write_text("")
    one = make_wheel(tmp_path, "one", "1", {"shared.py": "1"})
    two = make_wheel(tmp_path, "two", "1", {"shared.py": "2"})
    wheels = [Wheel(one, "one", "1", ("py3", "none", "any")), Wheel(two, "two", "1", ("py3", "none", "any"))]
    with pytest.raises(BuildError, match=r"shared\.py"):
        archive_entries(PROJECT, tmp_path, wheels)


def test_the_builder_is_not_part_of_what_it_builds(tmp_path: Path) -> None:
    (tmp_path / "safepip" / "zipapp").mkdir(parents=True)
    (tmp_path / "safepip" / "__init__.py").write_text("")
    (tmp_path / "safepip" / "zipapp" / "build.py").write_text("")
    (tmp_path / "safepip" / "zipapp" / "pins.txt").write_text("")
    assert list(source_entries(tmp_path)) == ["safepip/__init__.py"]


def test_the_archive_names_its_build_record_as_safepip_reads_it() -> None:
    assert WRITTEN_INFO == ARCHIVE_INFO


def test_the_project_is_read_from_this_checkout_with_one_version() -> None:
    import safepip

    project = read_project(Path(__file__).resolve().parents[2])
    assert (project.name, project.version) == ("safepip-cli", safepip.__version__)
    assert project.min_python == "3.10"
