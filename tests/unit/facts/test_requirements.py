"""Requirements files as pip reads them, and never a byte from a source that is not a regular file."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.commands.install import already_satisfied
from safepip.facts import requirements
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.pip_config import PipSetting, PipSwitches
from safepip.facts.requirements import NotRead, logical_lines, metadata_headers, read_sources, split_line

MARKERS = {"python_version": "3.11", "sys_platform": "linux"}
DATA = b"alpha\n"


def check(args: list[str], cwd: Path, constraint: str | None = None) -> list[str] | None:
    """safepip's no-op answer for `install ARGS`, against an empty site directory: it never answers here,
    the question is only whether it reads."""
    settings = {"constraint": PipSetting(constraint, "PIP_CONSTRAINT")} if constraint else {}
    site = cwd / "site"
    site.mkdir(exist_ok=True)
    return already_satisfied(
        parse_pip_args(args), PipSwitches(settings), [str(site)], MARKERS, {}, str(cwd), cache_dir=str(cwd)
    )


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """A FIFO with data waiting in it: (its path, a read end kept open to check what is left)."""
    path = str(tmp_path / "requirements.fifo")
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    writer = os.open(path, os.O_WRONLY)
    os.write(writer, DATA)
    os.close(writer)
    yield path, reader
    os.close(reader)


@pytest.fixture
def pipe() -> Iterator[tuple[str, int]]:
    """A pipe with data waiting in it, as `-r <(…)` or `-r /dev/stdin` give one: (/dev/fd/N, its read end)."""
    reader, writer = os.pipe()
    os.write(writer, DATA)
    os.close(writer)
    yield f"/dev/fd/{reader}", reader
    os.close(reader)


def left_in(fd: int) -> bytes:
    os.set_blocking(fd, False)
    try:
        return os.read(fd, 100)
    except BlockingIOError:
        return b""


@pytest.mark.parametrize("source", ["fifo", "pipe"])
@pytest.mark.parametrize(
    "how", ["-r", "-c", "nested -r", "nested -c", "PIP_CONSTRAINT", "-r /dev/stdin", "-r /proc/self/fd"]
)
def test_a_stream_is_left_whole_for_pip(
    request: pytest.FixtureRequest, tmp_path: Path, source: str, how: str
) -> None:
    path, reader = request.getfixturevalue(source)
    (tmp_path / "plain.txt").write_text("alpha\n")
    (tmp_path / "nests.txt").write_text(f"{how.split()[-1]} {path}\nalpha\n")
    constraint = None
    if how in ("-r", "-c"):
        args = [how, path, "alpha"]
    elif how.startswith("nested"):
        args = ["-r", "nests.txt"]
    elif how == "PIP_CONSTRAINT":
        args, constraint = ["alpha"], f"plain.txt {path}"
    else:
        if how == "-r /dev/stdin":  # the stream as the process's stdin
            saved = os.dup(0)
            os.dup2(reader, 0)
            path = "/dev/stdin"
        else:
            path = f"/proc/self/fd/{reader}"
        args = ["-r", path]
    try:
        assert check(args, tmp_path, constraint) is None
    finally:
        if how == "-r /dev/stdin":
            os.dup2(saved, 0)
            os.close(saved)
    assert left_in(reader) == DATA, "safepip read from the stream that pip is to read"
    assert not list(tmp_path.glob("noop/*"))


@pytest.mark.parametrize("source", ["fifo", "pipe"])
def test_a_stream_swapped_in_after_the_check_is_not_read(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, source: str
) -> None:
    """The race: a regular file when checked, a stream when opened. Opened non-blocking and found out by
    fstat before a byte is read."""
    path, reader = request.getfixturevalue(source)
    monkeypatch.setattr(requirements, "is_regular", lambda _path: True)
    with pytest.raises(NotRead, match="not a regular file"):
        read_sources([path], [], {}, str(tmp_path))
    assert left_in(reader) == DATA


def test_a_fifo_whose_writer_waits_is_not_opened(tmp_path: Path) -> None:
    """Opening a FIFO, even non-blocking, would release a writer waiting in open() (`mkfifo f; echo alpha
    > f &`), which then writes to nobody and dies of SIGPIPE when it is closed again: it is not opened."""
    path = tmp_path / "requirements.fifo"
    os.mkfifo(path)
    opened = threading.Event()

    def writer() -> None:
        fd = os.open(path, os.O_WRONLY)  # waits for a reader
        opened.set()
        os.close(fd)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    assert check(["-r", str(path)], tmp_path) is None
    assert not opened.wait(0.3), "the FIFO was opened"
    os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))  # release the writer
    thread.join(5)


@pytest.mark.parametrize("target", ["/dev/null", "/dev/zero", "."])
def test_devices_and_directories_are_not_read(tmp_path: Path, target: str) -> None:
    with pytest.raises(NotRead, match="not a regular file"):
        read_sources([target], [], {}, str(tmp_path))


@pytest.mark.parametrize("url", ["https://example.invalid/r.txt", "file:r.txt", "HTTP://x/r.txt"])
def test_urls_are_pips_to_fetch(tmp_path: Path, url: str) -> None:
    (tmp_path / "file:r.txt").write_text("alpha\n")  # what joining the URL to the directory would open
    for files, constraints in (([url], []), ([], [url])):
        with pytest.raises(NotRead):
            read_sources(files, constraints, {}, str(tmp_path))


def test_links_to_regular_files_are_read(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text("alpha\n")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    assert read_sources(["link.txt"], [], {}, str(tmp_path)).requirements == ("alpha",)


def test_nested_files_are_relative_to_the_file_that_names_them(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "top.txt").write_text("-r more.txt\n-c limits.txt\nalpha\n")
    (tmp_path / "sub" / "more.txt").write_text("beta\n")
    (tmp_path / "sub" / "limits.txt").write_text("-c ../outer.txt\nbeta<2\n")
    (tmp_path / "outer.txt").write_text("alpha<3\n")
    sources = read_sources(["sub/top.txt"], [], {}, str(tmp_path))
    assert sources.requirements == ("beta", "alpha")
    assert sources.constraints == ("alpha<3", "beta<2")
    assert [os.path.relpath(f.path, tmp_path) for f in sources.files] == [
        "sub/top.txt", "sub/more.txt", "sub/limits.txt", "outer.txt"
    ]  # fmt: skip


def test_variables_as_pip_expands_them(tmp_path: Path) -> None:
    (tmp_path / "r.txt").write_text("${NAME}\n${EMPTY}x\n${UNSET}\n$NOT_BRACED\n")
    sources = read_sources(["r.txt"], [], {"NAME": "alpha", "EMPTY": ""}, str(tmp_path))
    assert sources.requirements == ("alpha", "${EMPTY}x", "${UNSET}", "$NOT_BRACED")
    assert sources.variables == ("EMPTY", "NAME", "UNSET")


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("a \\\n  b\n", ["a   b"]),
        ("# c \\\nalpha\n", ["alpha"]),  # a comment line does not continue
        ("alpha#x\n", ["alpha#x"]),  # a comment needs whitespace before it
        ("alpha \\", ["alpha"]),
        ("a\rb\x0cc\n", ["a", "b", "c"]),  # str.splitlines, as pip
    ],
)
def test_lines_as_pip_joins_and_strips_them(text: str, lines: list[str]) -> None:
    assert logical_lines(text) == lines


def test_split_line_as_pip() -> None:
    assert split_line("alpha >= 1 --hash=sha256:00") == ("alpha >= 1", "--hash=sha256:00")
    assert split_line("-r x.txt") == ("", "-r x.txt")


@pytest.mark.parametrize(
    "line",
    [
        "--require-hashes", "--use-feature=truststore", "-e .", "--hash=sha256:00", "--no-binary -x",
        "--pre alpha", "--requirem x.txt", "-r a.txt -r b.txt", "--no-index --", "-r 'unclosed",
        "-r https://example.invalid/r.txt", "-c file:///etc/c.txt", "--global-option=x",
    ],
)  # fmt: skip
def test_lines_the_check_leaves_to_pip(tmp_path: Path, line: str) -> None:
    (tmp_path / "r.txt").write_text(line + "\n")
    with pytest.raises(NotRead):
        read_sources(["r.txt"], [], {}, str(tmp_path))


@pytest.mark.parametrize(
    ("data", "environ", "readable"),
    [
        ("alpha # café\n".encode(), {"LANG": "C.UTF-8"}, True),
        ("alpha # café\n".encode(), {"LANG": "de_DE.ISO-8859-1"}, False),  # pip would decode as latin-1
        ("alpha # café\n".encode("utf-16"), {}, True),  # a BOM says what it is
        ("# -*- coding: latin-1 -*-\nalpha # café\n".encode("latin-1"), {"LANG": "de_DE.ISO-8859-1"}, True),
        (b"alpha\n", {"LANG": "de_DE.ISO-8859-1"}, True),
        (b"\xff\xfe\x00", {}, False),
    ],
)
def test_decoding_as_pip(tmp_path: Path, data: bytes, environ: dict[str, str], readable: bool) -> None:
    (tmp_path / "r.txt").write_bytes(data)
    if readable:
        assert read_sources(["r.txt"], [], environ, str(tmp_path)).requirements == ("alpha",)
    else:
        with pytest.raises(NotRead):
            read_sources(["r.txt"], [], environ, str(tmp_path))


def test_metadata_headers_join_folded_lines(tmp_path: Path) -> None:
    path = tmp_path / "METADATA"
    path.write_text("Name: a\nRequires-Dist: b;\n  extra == 'x'\nLicense: MIT\n\nRequires-Dist: body\n")
    assert metadata_headers(str(path)) == {
        "Name": ["a"], "Requires-Dist": ["b; extra == 'x'"], "License": ["MIT"]
    }  # fmt: skip
