"""A venv of safepip's own Python is described here, without starting it (same_python.py): the answer must be
the one the interpreter itself gives, and anything that could make it answer otherwise must make it asked."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from safepip.facts.interpreter import NOT_ASKED_WITH, query_script
from safepip.facts.own_records import decode_record
from safepip.facts.same_python import same_python_answer, same_python_venv
from safepip.util.process import python_code

HERE = Path(__file__).resolve().parents[3]  # the checkout: safepip imports from there in another Python
DEBIAN_PYTHON = "/usr/bin/python3"


def make_venv(base: str, where: Path, *options: str) -> Path:
    subprocess.run([base, "-m", "venv", "--without-pip", *options, str(where)], check=True)
    return where


def asked(python: str, environ: dict[str, str]) -> dict[str, Any]:
    """What the interpreter says itself: the query, as interpreter.py runs it."""
    quiet = {name: value for name, value in environ.items() if name not in NOT_ASKED_WITH}
    done = subprocess.run(python_code(python, query_script(), no_site=True), env=quiet, capture_output=True,
                          check=True)  # fmt: skip
    answer = decode_record(done.stdout)
    assert isinstance(answer, dict)
    return answer


def plain(tmp_path: Path) -> str:
    return str(make_venv(sys.executable, tmp_path / "venv") / "bin" / "python")


def system_site(tmp_path: Path) -> str:
    return str(make_venv(sys.executable, tmp_path / "venv", "--system-site-packages") / "bin" / "python")


def by_virtualenv(tmp_path: Path) -> str:
    subprocess.run([sys.executable, "-m", "virtualenv", "-q", "--no-pip", "--no-setuptools", "--no-wheel",
                    str(tmp_path / "venv")], check=True)  # fmt: skip
    return str(tmp_path / "venv" / "bin" / "python")


def through_a_link(tmp_path: Path) -> str:
    make_venv(sys.executable, tmp_path / "venv")
    (tmp_path / "link").symlink_to(tmp_path / "venv")
    return str(tmp_path / "link" / "bin" / "python")


def versioned_name(tmp_path: Path) -> str:
    venv = make_venv(sys.executable, tmp_path / "venv")
    return str(venv / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")


def with_dots(tmp_path: Path) -> str:
    venv = make_venv(sys.executable, tmp_path / "venv")
    return str(venv / "bin" / ".." / "bin" / "python")


VENVS: list[Callable[[Path], str]] = [
    plain,
    system_site,
    by_virtualenv,
    through_a_link,
    versioned_name,
    with_dots,
]


@pytest.mark.parametrize("kind", VENVS, ids=lambda kind: kind.__name__)
def test_a_venv_of_this_python_is_read_here_as_it_would_answer(
    tmp_path: Path, kind: Callable[[Path], str]
) -> None:
    python = kind(tmp_path)
    prefix = same_python_venv(python, os.environ)
    assert prefix is not None
    assert same_python_answer(python, prefix) == asked(python, dict(os.environ))


def test_another_home_and_user_base_are_read_as_they_would_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user base and user site follow HOME, as the interpreter's own would."""
    python = system_site(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    prefix = same_python_venv(python, os.environ)
    assert prefix is not None
    answer = same_python_answer(python, prefix)
    assert answer == asked(python, dict(os.environ)) and answer["user_base"] == str(
        tmp_path / "home" / ".local"
    )


@pytest.mark.skipif(not os.path.exists(DEBIAN_PYTHON), reason=f"no {DEBIAN_PYTHON} here")
def test_a_distribution_python_reads_its_own_venvs_as_they_would_answer(tmp_path: Path) -> None:
    """Debian's Python (its own sysconfig schemes, dist-packages dirs): safepip running in a venv of it reads
    that Python's venvs as they answer themselves."""
    own = make_venv(DEBIAN_PYTHON, tmp_path / "own")
    targets = [make_venv(DEBIAN_PYTHON, tmp_path / "target"), make_venv(DEBIAN_PYTHON, tmp_path / "system", "--system-site-packages")]  # fmt: skip
    code = (
        "import os, sys\n"
        "from safepip.facts.same_python import same_python_answer, same_python_venv\n"
        "for python in sys.argv[1:]:\n"
        "    prefix = same_python_venv(python, os.environ)\n"
        "    print(repr(same_python_answer(python, prefix) if prefix else None))\n"
    )
    pythons = [str(target / "bin" / "python") for target in targets]
    environ = {**os.environ, "PYTHONPATH": str(HERE)}
    done = subprocess.run([str(own / "bin" / "python"), "-P", "-c", code, *pythons], env=environ,
                          capture_output=True, text=True, check=True, cwd=tmp_path)  # fmt: skip
    read = [eval(line) for line in done.stdout.splitlines()]  # reprs of dicts of str, bool, list
    assert [answer is not None for answer in read] == [True, True]
    assert read == [asked(python, environ) for python in pythons]


def copied(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """A copy of the binary (`--copies`): not the one that runs safepip."""
    return str(make_venv(sys.executable, tmp_path / "venv", "--copies") / "bin" / "python"), {}


def other_home(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """The same binary, started from another `home` (a link to the same directory): Python finds its
    standard library from there, and might find another."""
    venv = make_venv(sys.executable, tmp_path / "venv")
    config = venv / "pyvenv.cfg"
    home = next(
        line.split("=", 1)[1].strip() for line in config.read_text().splitlines() if line.startswith("home")
    )
    (tmp_path / "home-link").symlink_to(home)
    config.write_text(config.read_text().replace(f"home = {home}", f"home = {tmp_path / 'home-link'}"))
    return str(venv / "bin" / "python"), {}


def two_homes(tmp_path: Path) -> tuple[str, dict[str, str]]:
    """Python takes the first `home` line: another one first, this Python's last."""
    venv = make_venv(sys.executable, tmp_path / "venv")
    config = venv / "pyvenv.cfg"
    config.write_text(f"home = {tmp_path / 'elsewhere'}\n{config.read_text()}")
    return str(venv / "bin" / "python"), {}


def with_variable(name: str, value: str) -> Callable[[Path], tuple[str, dict[str, str]]]:
    def venv(tmp_path: Path) -> tuple[str, dict[str, str]]:
        return plain(tmp_path), {name: value}

    venv.__name__ = name
    return venv


def not_a_venv(_tmp_path: Path) -> tuple[str, dict[str, str]]:
    """This Python's base interpreter: no venv, another layout (the system scheme)."""
    return os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}.{sys.version_info[1]}"), {}


ASKED: list[Callable[[Path], tuple[str, dict[str, str]]]] = [
    copied,
    other_home,
    two_homes,
    not_a_venv,
    with_variable("PYTHONUSERBASE", "/elsewhere"),
    with_variable("PYTHONNOUSERSITE", "1"),
    with_variable("PYTHONHOME", sys.base_prefix),
    with_variable("DEB_PYTHON_INSTALL_LAYOUT", "deb"),
]


@pytest.mark.parametrize("kind", ASKED, ids=lambda kind: kind.__name__)
def test_what_could_answer_otherwise_is_asked(
    tmp_path: Path, kind: Callable[[Path], tuple[str, dict[str, str]]]
) -> None:
    python, variables = kind(tmp_path)
    assert same_python_venv(python, {**os.environ, **variables}) is None


def test_a_variable_that_changes_the_answer_is_one_that_makes_it_asked(tmp_path: Path) -> None:
    """Not a rule for its own sake: PYTHONUSERBASE moves the user base that the interpreter reports."""
    python = plain(tmp_path)
    prefix = same_python_venv(python, os.environ)
    assert prefix is not None
    assert asked(python, {**os.environ, "PYTHONUSERBASE": "/elsewhere"})["user_base"] == "/elsewhere"
    assert same_python_answer(python, prefix)["user_base"] != "/elsewhere"


def test_a_first_run_for_a_venv_of_this_python_starts_no_interpreter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The probe of a first run (nothing kept) describes such a venv without starting its Python, keeps the
    answer, and the next run reads the kept answer."""
    from safepip.facts import interpreter, probe
    from safepip.facts.pip_args import parse_pip_args
    from safepip.facts.request import Options, Request

    python = plain(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    def no_question(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"an interpreter was started: {args}")

    monkeypatch.setattr(interpreter, "Question", no_question)
    request = Request("install", parse_pip_args(["x"]), Options(python=python))
    first = probe.probe_context(request, dict(os.environ), str(tmp_path))
    assert first.interpreter is not None and first.interpreter.prefix == str(tmp_path / "venv")
    assert len(list((tmp_path / "cache").rglob("interpreters/*"))) == 1
    with interpreter.start_query(python, str(tmp_path / "cache" / "safepip"), os.environ) as query:
        assert not query.asking and not query.reading
    assert probe.probe_context(request, dict(os.environ), str(tmp_path)).interpreter == first.interpreter
