"""The temp and cache decisions, and the reading of pip's errors, as tables."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from safepip.actions.own_dirs import make_private_root
from safepip.actions.temp import private_temp
from safepip.errors import RefusedError
from safepip.facts.diagnose import diagnose
from safepip.facts.own_dirs import private_root_problem
from safepip.facts.pip_cache import CacheFact
from safepip.facts.temp import TempFact, temp_candidates
from safepip.policy.cache import decide_cache
from safepip.policy.decide import decide_target
from safepip.policy.temp import decide_temp
from safepip.util.units import parse_size
from tests.unit.policy.test_decide import make_context, request

UID = 1000
GIB = 1 << 30


def temp(path: str, **changes: object) -> TempFact:
    values: dict[str, object] = {
        "path": path, "source": "TMPDIR", "is_dir": True, "writable": True, "owner_uid": UID,
        "mode": 0o700, "noexec": False, "free_bytes": 10 * GIB, "error": None, "distrust": None,
    }  # fmt: skip
    values.update(changes)
    return TempFact(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "keep", "parent", "why"),
    [
        (temp("/t"), True, "/t", "usable"),
        (temp("/t", is_dir=False, error="No such file or directory"), False, "/tmp", "missing"),
        (temp("/t", writable=False, error="Permission denied"), False, "/tmp", "not writable"),
        (
            temp("/t", owner_uid=0, mode=0o777, distrust="owned by root"),
            False,
            "/tmp",
            "not safe: owned by root",
        ),
        (temp("/t", owner_uid=0, mode=0o1777), True, "/t", "usable"),
        (
            temp("/t", owner_uid=1001, mode=0o1777, distrust="owned by bob (sticky, but not root's)"),
            False,
            "/tmp",
            "not safe: owned by bob",
        ),
        (temp("/t", noexec=True), False, "/tmp", "noexec"),
        (temp("/t", free_bytes=2 << 20), False, "/tmp", "free"),
    ],
    ids=[
        "usable",
        "missing",
        "unwritable",
        "world-writable-no-sticky",
        "sticky-tmp",
        "someone-elses-sticky",
        "noexec",
        "too-small",
    ],
)
def test_temp_decision(first: TempFact, keep: bool, parent: str | None, why: str) -> None:
    choice = decide_temp((first, temp("/tmp", source="fallback", owner_uid=0, mode=0o1777)), GIB)
    assert choice.keep is keep
    assert choice.parent == parent
    assert why in choice.reason


def test_temp_falls_through_every_unusable_candidate() -> None:
    facts = (temp("/t", noexec=True), temp("/tmp", noexec=True), temp("/var/tmp", free_bytes=0), temp("/own"))
    choice = decide_temp(facts, GIB)
    assert (choice.keep, choice.parent) == (False, "/own")
    assert [path for path, _ in choice.passed_over] == ["/t", "/tmp", "/var/tmp"]


def test_temp_candidates_start_with_the_callers_tmpdir() -> None:
    assert temp_candidates({"TMPDIR": "/scratch"}, "/own")[0] == ("/scratch", "TMPDIR")
    assert temp_candidates({}, "/own") == [
        ("/tmp", "default"),
        ("/var/tmp", "fallback"),
        ("/own", "fallback"),
    ]


def test_private_temp_is_0700_and_removed_even_on_error(tmp_path: Path) -> None:
    choice = decide_temp((temp("/missing", is_dir=False), temp(str(tmp_path), source="fallback")), 0)
    with pytest.raises(RuntimeError), private_temp(choice.parent, os.geteuid()) as made_temp:
        made = made_temp.variables["TMPDIR"]
        assert made_temp.variables["TEMP"] == made_temp.variables["TMP"] == made
        assert os.path.dirname(made) == str(tmp_path)
        assert os.stat(made).st_mode & 0o777 == 0o700
        raise RuntimeError("pip failed")
    assert not os.path.exists(made)


def test_a_private_temp_dir_left_by_a_killed_run_is_removed_by_the_next(tmp_path: Path) -> None:
    """A run killed outright leaves its directory; its lock died with it, so the next run removes it. A
    directory whose run still holds its lock is left alone."""
    import subprocess
    import sys

    script = (
        "import os, sys; sys.path.insert(0, sys.argv[2]); from safepip.actions.temp import private_temp\n"
        "with private_temp(sys.argv[1], os.geteuid()) as t: print(t.variables['TMPDIR'], flush=True); "
        "os.kill(os.getpid(), 9)"
    )
    repo = str(Path(__file__).resolve().parents[3])
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path), repo], capture_output=True, text=True)
    left = done.stdout.strip()
    assert done.returncode == -9 and os.path.isdir(left)
    with private_temp(str(tmp_path), os.geteuid()) as live:
        assert not os.path.exists(left)
        with private_temp(str(tmp_path), os.geteuid()):
            assert os.path.isdir(live.variables["TMPDIR"])  # held by a live run: kept


@pytest.mark.parametrize(
    ("fact", "redirected", "notice_has"),
    [
        (CacheFact("/h/.cache/pip", "default", True, (), None), False, None),
        (
            CacheFact("/h/.cache/pip", "default", False, ("/h/.cache/pip",), "root"),
            True,
            "sudo chown -R alice",
        ),
        (CacheFact("/h/.cache/pip", "default", True, ("/h/.cache/pip/http",), "root"), True, "owned by root"),
        (CacheFact("/nonexistent/.cache/pip", "default", False, (), None), True, "not writable"),
        (CacheFact(None, "--no-cache-dir", False, (), None), False, None),
    ],
    ids=["own", "root-owned", "root-owned-part", "no-home", "disabled"],
)
def test_cache_decision(fact: CacheFact, redirected: bool, notice_has: str | None) -> None:
    choice = decide_cache(fact, "alice", "/h/.cache/safepip/pip-cache", True)
    assert (choice.redirect_to is not None) is redirected
    if notice_has:
        assert choice.notice is not None and notice_has in choice.notice


@pytest.mark.parametrize(
    ("writable", "foreign", "outcome"),
    [
        (False, (), "pip runs without a cache"),
        (False, ("/h/shared-cache",), "pip runs without a cache"),
        (True, ("/h/shared-cache/http",), "pip runs with it as it is"),  # pip checks only the top
    ],
)
def test_a_cache_dir_argument_pip_cannot_use_is_not_said_to_be_moved(
    writable: bool, foreign: tuple[str, ...], outcome: str
) -> None:
    """pip takes --cache-dir over PIP_CACHE_DIR: safepip cannot move it, and says what pip does instead."""
    fact = CacheFact("/h/shared-cache", "--cache-dir", writable, foreign, "root" if foreign else None)
    choice = decide_cache(fact, "alice", "/h/.cache/safepip/pip-cache", True)
    assert choice.redirect_to is None and choice.refusal is None
    assert choice.notice is not None and outcome in choice.notice
    assert "/h/.cache/safepip" not in choice.notice


def test_cache_not_redirected_where_safepip_cannot_write_either() -> None:
    fact = CacheFact("/h/.cache/pip", "default", False, ("/h/.cache/pip",), "root")
    assert decide_cache(fact, "alice", "/own", False).redirect_to is None


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        (
            "ImportError: /t/pip-build-env-x/a/_s.cpython-311-x86_64-linux-gnu.so: failed to map segment from shared object",
            "noexec",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device",
            "no space left",
        ),
        ("ERROR: incomplete-download\n Connection interrupted while downloading", "no space left"),
        ("error: externally-managed-environment", "externally managed"),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/'",
            "owned by root",
        ),
        ("OSError: [Errno 37] No locks available", "cannot lock files"),
        (
            "filelock._error.Timeout: The file lock '/c/pip/x.lock' could not be acquired.",
            "cannot lock files",
        ),
        ("Successfully installed x", None),
    ],
    ids=[
        "noexec",
        "no-space",
        "no-space-as-network",
        "pep668",
        "permission",
        "nfs-locks",
        "lock-timeout",
        "nothing",
    ],
)
def test_diagnosis(output: str, expected: str | None) -> None:
    found = diagnose(output, uid=12345, temp_dir="/tmp")
    if expected is None:
        assert found is None
    else:
        assert found is not None and expected in found.line()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1073741824", 1 << 30),
        ("1G", 1 << 30),
        ("500M", 500 << 20),
        ("64k", 64 << 10),
        ("2GiB", 2 << 30),
        ("0", 0),
    ],
)
def test_parse_size(text: str, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["lots", "", "-1G", "1X"])
def test_parse_size_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_size(text)


def test_target_filesystem_comes_after_var_tmp_and_before_safepips_cache() -> None:
    base = make_context(env_writable=False, user_writable=False)
    target = decide_target(base, request("pkg")).target
    assert target is not None and target.kind == "managed"
    facts = (temp("/t", noexec=True), temp("/tmp", noexec=True), temp("/var/tmp", noexec=True), temp("/own"))
    context = base._replace(temp=facts, target_temp=(temp(target.path, source="target"), temp("/elsewhere")))
    plan = decide_target(context, request("pkg"))
    assert plan.temp is not None and plan.temp.parent == target.path
    assert [path for path, _ in plan.temp.passed_over] == ["/t", "/tmp", "/var/tmp"]
    unusable = context._replace(
        target_temp=(temp(target.path, source="target", writable=False, error="EACCES"),)
    )
    plan = decide_target(unusable, request("pkg"))
    assert plan.temp is not None and plan.temp.parent == "/own"
    assert [path for path, _ in plan.temp.passed_over] == ["/t", "/tmp", "/var/tmp", target.path]


@pytest.mark.parametrize(
    ("make", "usable"),
    [
        (lambda root: None, True),
        (lambda root: root.mkdir(mode=0o700), True),
        (lambda root: root.mkdir(mode=0o755), False),
        (lambda root: root.symlink_to(root.parent), False),
        (lambda root: root.write_text(""), False),
    ],
    ids=["missing", "private", "readable-by-others", "symlink", "a-file"],
)
def test_private_root_must_be_the_users_own_0700_directory(
    tmp_path: Path, make: Callable[[Path], object], usable: bool
) -> None:
    root = tmp_path / "safepip-test"
    make(root)
    os.chmod(tmp_path, 0o1777)  # a world-writable, sticky base, as /var/tmp is
    assert (private_root_problem(str(root), os.geteuid()) is None) is usable


def test_private_root_is_refused_when_someone_else_made_it(tmp_path: Path) -> None:
    root = tmp_path / "safepip-test"
    root.mkdir(mode=0o700)
    with pytest.raises(RefusedError, match="not a private directory"):
        make_private_root(str(root), os.geteuid() + 1)
    made = tmp_path / "fresh"
    make_private_root(str(made), os.geteuid())
    assert os.stat(made).st_mode & 0o777 == 0o700


def test_home_fallback_is_announced_first() -> None:
    context = make_context()._replace(
        home_problem="/nonexistent/.local/share/safepip cannot be made",
        private_root="/var/tmp/safepip-1000",
    )
    plan = decide_target(context, request("pkg"))
    assert plan.notices[0].startswith("home: /nonexistent/.local/share/safepip cannot be made")
    assert "/var/tmp/safepip-1000 (private, mode 700)" in plan.notices[0]


@pytest.mark.parametrize(
    ("source", "own_writable", "redirected", "refused"),
    [("default", True, True, False), ("PIP_CACHE_DIR", True, True, False), ("--cache-dir", True, False, True),
     ("default", False, False, True)],
    ids=["default", "variable", "argument", "nowhere-else"],
)  # fmt: skip
def test_a_cache_another_user_can_change_is_moved_or_refused(
    source: str, own_writable: bool, redirected: bool, refused: bool
) -> None:
    fact = CacheFact(
        "/h/.cache/pip", source, True, (), None, "/h/.cache/pip/wheels is writable by every user"
    )
    choice = decide_cache(fact, "alice", "/own", own_writable)
    assert (choice.redirect_to == "/own") is redirected
    assert (choice.refusal is not None) is refused
    assert "not safe to use: /h/.cache/pip/wheels is writable by every user" in (
        choice.notice or choice.refusal or ""
    )


def test_a_cache_others_can_get_below_goes_to_safepips_own_unless_given_or_taken() -> None:
    reachable = CacheFact("/h/.cache/pip", "default", True, (), None, None, True)
    choice = decide_cache(reachable, "alice", "/own", True)
    assert choice.redirect_to == "/own" and choice.notice is None
    assert choice.advice is not None and "chmod 700 /h/.cache/pip" in choice.advice
    given = decide_cache(reachable._replace(source="--cache-dir"), "alice", "/own", True)
    assert given.redirect_to is None and given.advice is None  # checked whole instead (facts/pip_cache.py)
    taken = decide_cache(
        reachable._replace(foreign=("/h/.cache/pip",), foreign_owner="root"), "alice", "/own", True
    )
    assert (
        taken.notice is not None and "sudo chown -R alice" in taken.notice
    )  # the sudo pip case says its fix
