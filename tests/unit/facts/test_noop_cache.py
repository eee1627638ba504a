"""The no-op answer's cache: used while what it was read from holds, and nothing else; nothing secret kept."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.facts import noop_cache, requirements
from tests.unit.policy.noop_world import World, age, answer, clean_env, make_world, pip_install, settle

FILES = {
    "requirements.txt": "beta\n${EXTRA_REQUIREMENT}\nalpha; os_name != '${TOKEN}'\n",
    "constraints.txt": "alpha<2\n",
}
ARGS = ["-r", "requirements.txt", "-c", "constraints.txt"]
SATISFIED = ["alpha==1.0", "beta==1.0"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield make_world(tmp_path_factory.mktemp("noop-cache"), FILES)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the answers built from the files (not from the cache)."""
    built: list[int] = []
    read_sources = requirements.read_sources

    def counting(*args: object, **kwargs: object) -> object:
        built.append(1)
        return read_sources(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(requirements, "read_sources", counting)
    return built


def env(**extra: str) -> dict[str, str]:
    return clean_env(**{"EXTRA_REQUIREMENT": "alpha", **extra})


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("noop/*"))


def test_a_repeated_answer_comes_from_the_cache(world: World, tmp_path: Path, reads: list[int]) -> None:
    environ = env()
    assert answer(world, ARGS, environ, tmp_path) == SATISFIED
    assert answer(world, ARGS, environ, tmp_path) == SATISFIED
    assert len(reads) == 1 and len(entries(tmp_path)) == 1
    assert oct(os.stat(entries(tmp_path)[0]).st_mode & 0o777) == "0o600"
    assert oct(os.stat(tmp_path / "noop").st_mode & 0o777) == "0o700"


def test_a_touched_requirements_file_is_read_again(world: World, tmp_path: Path, reads: list[int]) -> None:
    environ = env()
    assert answer(world, ARGS, environ, tmp_path) == SATISFIED
    requirements = world.files / "requirements.txt"
    try:
        requirements.write_text("beta\ndelta\n")  # delta is not installed
        age([requirements], 30)
        assert answer(world, ARGS, environ, tmp_path) is None
    finally:
        requirements.write_text(FILES["requirements.txt"])
        age([requirements])
    assert answer(world, ARGS, environ, tmp_path) == SATISFIED
    assert len(reads) == 3


def test_a_changed_constraints_file_is_read_again(world: World, tmp_path: Path) -> None:
    environ = env()
    assert answer(world, ARGS, environ, tmp_path) == SATISFIED
    constraints = world.files / "constraints.txt"
    try:
        constraints.write_text("alpha>1\n")  # the same size
        age([constraints], 30)
        assert answer(world, ARGS, environ, tmp_path) is None
    finally:
        constraints.write_text(FILES["constraints.txt"])
        age([constraints])


def test_an_install_into_site_packages_is_seen(world: World, tmp_path: Path) -> None:
    environ = env()
    assert answer(world, ["beta"], environ, tmp_path) == SATISFIED
    try:
        pip_install(world.python, world.wheels, "--no-deps", "alpha==2.0")
        settle(world)
        assert answer(world, ["beta"], environ, tmp_path) == ["alpha==2.0", "beta==1.0"]
        subprocess.run([world.python, "-m", "pip", "uninstall", "-q", "-y", "alpha"], check=True, env=environ)
        assert answer(world, ["beta"], environ, tmp_path) is None
    finally:
        pip_install(world.python, world.wheels, "--no-deps", "alpha==1.0")
        settle(world)
    assert answer(world, ["beta"], environ, tmp_path) == SATISFIED


def test_a_changed_variable_is_read_again(world: World, tmp_path: Path, reads: list[int]) -> None:
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    assert answer(world, ARGS, env(EXTRA_REQUIREMENT="delta"), tmp_path) is None
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    assert answer(world, ARGS, env(UNRELATED="x"), tmp_path) == SATISFIED  # not named by a file
    assert len(reads) == 2


def test_other_arguments_and_settings_have_their_own_entries(world: World, tmp_path: Path) -> None:
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    assert answer(world, ["-q", *ARGS], env(), tmp_path) == SATISFIED
    assert answer(world, ARGS, env(PIP_CONSTRAINT="constraints.txt"), tmp_path) == SATISFIED
    assert len(entries(tmp_path)) == 3


def test_nothing_is_kept_from_a_file_changed_in_the_last_seconds(world: World, tmp_path: Path) -> None:
    requirements = world.files / "requirements.txt"
    requirements.touch()
    try:
        assert answer(world, ARGS, env(), tmp_path) == SATISFIED
        assert not entries(tmp_path)
    finally:
        age([requirements])
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    assert entries(tmp_path)


def test_explain_and_doctor_write_nothing(world: World, tmp_path: Path) -> None:
    assert answer(world, ARGS, env(), tmp_path, keep=False) == SATISFIED
    assert not (tmp_path / "noop").exists()


def test_nothing_secret_on_disk(world: World, tmp_path: Path) -> None:
    index = "https://someone:s3cret-token@example.invalid/simple"
    secret = env(PIP_INDEX_URL=index, PIP_PROXY="http://u:pr0xy-pw@proxy", TOKEN="t0ken-value")
    args = ["--extra-index-url", index, *ARGS]
    assert answer(world, args, secret, tmp_path) == SATISFIED
    [entry] = entries(tmp_path)
    data = entry.read_bytes()
    for value in ("s3cret-token", "pr0xy-pw", "someone", "example.invalid", "t0ken-value", "simple"):
        assert value.encode() not in data
    stored = marshal.loads(data)
    assert set(stored) == {"format", "answer", "files", "sites", "variables", "variables_digest"}
    assert stored["variables"] == ["EXTRA_REQUIREMENT", "TOKEN"]  # the names only


def test_an_entry_is_not_taken_for_another_key(world: World, tmp_path: Path) -> None:
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    [entry] = entries(tmp_path)
    other = entry.with_name("0" * 64)
    entry.rename(other)
    assert noop_cache.cached_answer(str(tmp_path), "0" * 64, env()) is None  # its variables' digest


DAMAGE = [
    b"{",
    b"",
    b"\xff" * 8,
    *(marshal.dumps(v) for v in ([], {"format": 2}, {"answer": "x"}, "x", None)),
]


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_entry_is_no_answer(world: World, tmp_path: Path, damage: bytes) -> None:
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED
    [entry] = entries(tmp_path)
    entry.write_bytes(damage)
    assert answer(world, ARGS, env(), tmp_path) == SATISFIED


def test_a_cache_hit_imports_no_packaging(world: World, tmp_path: Path) -> None:
    """The point of the cache: the answer from a few stats, without importing packaging."""
    script = f"""
import sys
from tests.unit.policy.noop_world import World, answer, clean_env
from pathlib import Path
world = World(Path({str(world.python)!r}), Path({str(world.wheels)!r}), Path({str(world.files)!r}))
print(answer(world, {ARGS!r}, clean_env(EXTRA_REQUIREMENT="alpha"), Path({str(tmp_path)!r})))
print(sorted(name for name in sys.modules if name.split(".")[0] == "packaging" or name.endswith(".closure")))
"""
    root = Path(__file__).resolve().parents[3]

    def run() -> list[str]:
        done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env(), capture_output=True,
                              text=True, check=True)  # fmt: skip
        return done.stdout.splitlines()

    cold, warm = run(), run()
    assert cold[0] == warm[0] == str(SATISFIED)
    assert cold[1] != "[]" and warm[1] == "[]"


def test_a_new_distribution_entry_is_seen(world: World, tmp_path: Path) -> None:
    """A second alpha in site-packages (left by a broken install): which one pip sees depends on the order
    of the directory listing, so there is no answer; the metadata read before has not changed."""
    assert answer(world, ["beta"], env(), tmp_path) == SATISFIED
    stray = world.site_packages / "alpha-3.0.dist-info"
    stray.mkdir()
    try:
        (stray / "METADATA").write_text("Metadata-Version: 2.1\nName: alpha\nVersion: 3.0\n")
        assert answer(world, ["beta"], env(), tmp_path) is None
    finally:
        (stray / "METADATA").unlink()
        stray.rmdir()
    assert answer(world, ["beta"], env(), tmp_path) == SATISFIED


def test_no_entry_names_a_path_made_of_a_variable(world: World, tmp_path: Path) -> None:
    """`-r ${DIR}/more.txt`: the path would write the variable's value down, so the answer is not kept."""
    (world.files / "private").mkdir(exist_ok=True)
    (world.files / "private" / "more.txt").write_text("beta\n")
    (world.files / "via-variable.txt").write_text("-r ${PRIVATE_DIR}/more.txt\n")
    age([world.files / "private" / "more.txt", world.files / "via-variable.txt"])
    environ = env(PRIVATE_DIR=str(world.files / "private"))
    assert answer(world, ["-r", "via-variable.txt"], environ, tmp_path) == SATISFIED
    assert not entries(tmp_path)


def test_a_cache_dir_that_is_not_there_is_not_made(world: World, tmp_path: Path) -> None:
    """Only `noop/` is made, inside safepip's cache dir; that one is made (0700) where it is decided."""
    assert answer(world, ARGS, env(), tmp_path / "missing") == SATISFIED
    assert not (tmp_path / "missing").exists()
