"""The preflight's pure parts: which project owns a stuck entry, when pip is asked, and the refusal's text.

Stuck entries themselves (immutable files, another user's directories) need root to produce: the scenario
tests make them for real.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from safepip.actions.preflight import (
    blocking_entries,
    installed_files,
    owners_of,
    refusal_text,
    stash_entries,
)
from safepip.facts import stuck
from safepip.facts.stuck import StuckEntry, load_clean, stuck_entries


def make_site(tmp_path: Path) -> Path:
    site = tmp_path / "site-packages"
    (site / "spcli").mkdir(parents=True)
    (site / "spcli" / "__init__.py").write_text("")
    info = site / "Sp_Cli-2.0.dist-info"
    info.mkdir()
    (info / "RECORD").write_text(
        "spcli/__init__.py,sha256=x,0\nSp_Cli-2.0.dist-info/RECORD,,\n../../../bin/spcli-hello,sha256=y,1\n"
    )
    (site / "loose.py").write_text("")
    return site


def test_record_maps_files_and_scripts_to_the_normalised_project(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    files = installed_files([str(site)])
    assert set(files) == {"sp-cli"}
    assert str(site / "spcli" / "__init__.py") in files["sp-cli"]
    assert os.path.normpath(str(site / "../../../bin/spcli-hello")) in files["sp-cli"]


def test_a_stuck_directory_belongs_to_the_project_with_files_inside(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    stuck = [
        StuckEntry(str(site / "spcli"), "immutable", "fix"),
        StuckEntry(str(site / "loose.py"), "x", "y"),
    ]
    owned = owners_of(stuck, installed_files([str(site)]))
    assert list(owned) == ["sp-cli"]  # loose.py is in no RECORD: pip never removes it
    assert [entry.path for entry in owned["sp-cli"]] == [str(site / "spcli")]


def test_pip_is_not_asked_when_nothing_is_stuck(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    asked: list[bool] = []

    def ask() -> set[str]:
        asked.append(True)
        return {"sp-cli"}

    assert stuck_entries([str(site)], os.geteuid(), "me") == []
    assert blocking_entries((str(site),), os.geteuid(), "me", None, ask) == []
    assert asked == []


def test_refusal_names_entries_and_joins_distinct_fixes() -> None:
    entries = [StuckEntry(f"/s/p{n}", "immutable", f"sudo chattr -i /s/p{n}") for n in range(5)]
    message, fix = refusal_text(entries, "alice")
    assert "/s/p0 (immutable); /s/p1 (immutable); /s/p2 (immutable) and 2 more" in message
    assert "nothing was changed" in message
    assert fix.startswith("sudo chattr -i /s/p0 && sudo chattr -i /s/p1 && sudo chattr -i /s/p2")
    assert "\n" not in message + fix


def test_stash_entries_are_the_tilde_names(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    (site / "~pcli").mkdir()
    assert stash_entries([str(site), str(tmp_path / "missing")]) == {str(site / "~pcli")}


def test_statx_inspector_agrees_with_lstat_and_ioctl(tmp_path: Path) -> None:
    from safepip.facts.fs import slow_inspect, statx_inspector

    site = make_site(tmp_path)
    (site / "link").symlink_to(site / "loose.py")
    inspect = statx_inspector()
    assert inspect is not None  # glibc has statx since 2.28
    paths = [str(path) for path in [site, *site.rglob("*")]]
    assert [inspect(path) for path in paths] == [slow_inspect(path) for path in paths]
    assert inspect(str(site / "missing")) is None
    assert inspect(str(site / "spcli")) == (os.geteuid(), None, True)


def test_a_long_walk_moves_to_statx_and_a_short_one_never_loads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepip.facts import fs

    loaded: list[int] = []
    statx_inspector = fs.statx_inspector

    def counted_statx() -> fs.Inspector | None:
        loaded.append(1)
        return statx_inspector()

    monkeypatch.setattr(fs, "statx_inspector", counted_statx)
    paths = []
    for number in range(fs.SLOW_CALLS * 2):
        (tmp_path / f"f{number}").write_text("")
        paths.append(str(tmp_path / f"f{number}"))
    short = fs.entry_inspector()
    assert [short(path) for path in paths[: fs.SLOW_CALLS]] == [
        fs.slow_inspect(p) for p in paths[: fs.SLOW_CALLS]
    ]
    assert loaded == []
    long = fs.entry_inspector()
    assert [long(path) for path in paths] == [fs.slow_inspect(path) for path in paths]
    assert loaded == [1]


def test_the_walk_remembers_clean_directories_until_they_change(tmp_path: Path) -> None:
    site = make_site(tmp_path)
    cache = str(tmp_path / "cache" / "stuck")
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    first = load_clean(cache)[str(site)]
    assert set(first) == {"spcli", "Sp_Cli-2.0.dist-info", "loose.py"}  # every top entry found clean
    (site / "spcli" / "new.py").write_text("")  # a reinstall changes the package directory
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    assert load_clean(cache)[str(site)]["spcli"] != first["spcli"]
    assert load_clean(cache)[str(site)]["Sp_Cli-2.0.dist-info"] == first["Sp_Cli-2.0.dist-info"]


def test_a_later_run_inspects_only_the_entries_that_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept stamp holds while the entry's inode, mtime and ctime do; chattr and chown change the ctime,
    so an entry whose attributes or owner changed is inspected again."""
    site = make_site(tmp_path)
    cache = str(tmp_path / "cache" / "stuck")
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    inspected: list[str] = []
    real = stuck.entry_inspector()

    def spying() -> stuck.Inspector:
        def inspect(path: str) -> tuple[int, str | None, bool] | None:
            inspected.append(os.path.relpath(path, site))
            return real(path)

        return inspect

    monkeypatch.setattr(stuck, "entry_inspector", spying)
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    assert inspected == []
    os.chmod(site / "loose.py", 0o644)  # the same mode: only the ctime changes, as with chattr or chown
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    assert inspected == ["loose.py"]
    inspected.clear()
    (site / "loose.py").unlink()
    (site / "loose.py").write_text("")  # a new inode under the same name
    assert stuck_entries([str(site)], os.geteuid(), "me", cache) == []
    assert inspected == ["loose.py"]
