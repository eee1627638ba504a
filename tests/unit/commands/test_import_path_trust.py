"""What pip would import besides the site dirs' start-up modules and pip itself is checked too: PYTHONPATH,
whole, which comes before the standard library; and the site dirs whole when pip builds without isolation,
where a build imports its backend from the target. The interpreter is asked about itself without
PYTHONPATH, so nothing there runs before it is checked."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.unit.fake_pip import run_safepip
from tests.unit.planting import plant_bytecode, plant_modules


def site_of(python: str) -> Path:
    return next(Path(python).parent.parent.glob("lib/python*/site-packages"))


def test_a_pythonpath_dir_another_user_can_change_stops_the_install(
    fake_venv_python: str, workdir: Path
) -> None:
    lib = workdir / "lib"
    (lib / "pkg" / "deep").mkdir(parents=True)
    (lib / "pkg" / "deep" / "mod.py").write_text("")
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    trusted = run_safepip(workdir, argv, PYTHONPATH=str(lib))
    assert trusted.code == 0 and trusted.recorded is not None, trusted.stderr
    (lib / "pkg" / "deep" / "mod.py").chmod(0o666)  # deep inside: pip could import it
    refused = run_safepip(workdir, argv, PYTHONPATH=f"relative:{lib}")
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert f"PYTHONPATH has {lib}/pkg/deep/mod.py is writable by every user" in refused.stderr
    missing = workdir / "sticky" / "later"
    (workdir / "sticky").mkdir(mode=0o1777)
    os.chmod(workdir / "sticky", 0o1777)
    refused = run_safepip(workdir, argv, PYTHONPATH=str(missing))  # a dir anyone could create first
    assert refused.code == 77 and refused.recorded is None, refused.stderr


def test_the_interpreter_is_asked_without_pythonpath(fake_venv_python: str, workdir: Path) -> None:
    lib = workdir / "lib"
    lib.mkdir()
    marker = workdir / "imported"
    (lib / "sysconfig.py").write_text(f"open({str(marker)!r}, 'w').close()\nfrom os import *\n")
    done = run_safepip(workdir, ["--python", fake_venv_python, "explain"], PYTHONPATH=str(lib))
    assert done.code == 0, done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("how", ["option", "variable"])
def test_without_build_isolation_the_site_dirs_are_checked_whole(
    fake_venv_python: str, workdir: Path, how: str
) -> None:
    deep = site_of(fake_venv_python) / "backend" / "hooks.py"
    deep.parent.mkdir(exist_ok=True)
    deep.write_text("")
    deep.chmod(0o666)
    try:
        isolated = run_safepip(workdir, ["--python", fake_venv_python, "install", "somepackage"])
        assert isolated.code == 0 and isolated.recorded is not None, isolated.stderr  # not imported then
        if how == "option":
            done = run_safepip(
                workdir, ["--python", fake_venv_python, "install", "--no-build-isolation", "x"]
            )
        else:
            done = run_safepip(
                workdir, ["--python", fake_venv_python, "install", "x"], PIP_NO_BUILD_ISOLATION="0"
            )
        assert done.code == 77 and done.recorded is None, done.stderr
        assert f"{deep} is writable by every user" in done.stderr
    finally:
        deep.unlink()


def test_where_pip_would_build_a_setup_py_project_in_the_target_the_site_dirs_are_checked_whole(
    fake_venv_python: str, workdir: Path
) -> None:
    """pip builds a project without pyproject.toml by running its setup.py in the target's environment when
    setuptools and wheel are importable there (pip 23.1 and later): that build imports from anywhere in the
    site dirs, as without build isolation. `--use-pep517` builds it in isolation."""
    site = site_of(fake_venv_python)
    deep = site / "helper" / "deep.py"
    deep.parent.mkdir(exist_ok=True)
    deep.write_text("")
    deep.chmod(0o666)
    added = [site / "setuptools", site / "wheel"]
    try:
        (site / "setuptools").mkdir()
        (site / "setuptools" / "__init__.py").write_text("")
        argv = ["--python", fake_venv_python, "install", "x"]
        done = run_safepip(workdir, argv)  # setuptools alone: pip 23.1 and later build in isolation
        assert done.code == 0 and done.recorded is not None, done.stderr
        (site / "wheel.py").write_text("")  # a module file counts as a package directory does
        added.append(site / "wheel.py")
        refused = run_safepip(workdir, argv)
        assert refused.code == 77 and refused.recorded is None, refused.stderr
        assert f"{deep} is writable by every user" in refused.stderr
        done = run_safepip(workdir, ["--python", fake_venv_python, "install", "--use-pep517", "x"])
        assert done.code == 0 and done.recorded is not None, done.stderr
        done = run_safepip(workdir, argv, PIP_USE_PEP517="true")
        assert done.code == 0 and done.recorded is not None, done.stderr
    finally:
        deep.unlink()
        for path in added:
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def test_before_pip_23_1_setuptools_alone_makes_pip_build_in_the_target(tmp_path: Path) -> None:
    from safepip.facts.site_trust import builds_in_target

    (tmp_path / "setuptools").mkdir()
    assert builds_in_target([str(tmp_path)], "23.0.1")
    assert not builds_in_target([str(tmp_path)], "23.1")
    assert not builds_in_target([str(tmp_path)], None)  # safepip's own pip
    (tmp_path / "wheel").mkdir()
    assert builds_in_target([str(tmp_path)], "24.2") and builds_in_target([str(tmp_path)], None)
    assert not builds_in_target([str(tmp_path / "elsewhere")], "23.0.1")


def test_a_pythonpath_entry_reached_through_another_users_link_is_refused(
    fake_venv_python: str, workdir: Path
) -> None:
    """The entry itself may be fine: the links and directories on the way to it are checked too."""
    if os.geteuid() != 0:
        pytest.skip("a link of another user's needs root to make (chown)")
    mine = workdir / "lib"
    mine.mkdir()
    theirs = workdir / "theirs"
    theirs.mkdir()
    (theirs / "way").symlink_to(workdir)
    os.chown(theirs, 54321, 54321)
    os.lchown(theirs / "way", 54321, 54321)
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    assert run_safepip(workdir, argv, PYTHONPATH=str(mine)).code == 0
    refused = run_safepip(workdir, argv, PYTHONPATH=str(theirs / "way" / "lib"))
    assert refused.code == 77 and refused.recorded is None, refused.stderr


def test_a_platlibdir_into_a_directory_anyone_can_write_refuses_the_interpreter_before_it_is_asked(
    fake_venv_python: str, workdir: Path
) -> None:
    """PYTHONPLATLIBDIR moves every Python's standard library: checked before the interpreter runs. (Through
    the probe: safepip's own Python would not start with this environment, as no other Python would.)"""
    from safepip.facts.pip_args import parse_pip_args
    from safepip.facts.probe import probe_context
    from safepip.facts.request import Options, Request

    shared = workdir / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    request = Request("install", parse_pip_args(["x"]), Options(python=fake_venv_python))
    environ = dict(os.environ, PYTHONPLATLIBDIR="../" * 12 + os.path.relpath(shared, "/"))
    context = probe_context(request, environ, str(workdir), writes=False)
    assert context.interpreter is None and context.interpreter_refused
    assert context.interpreter_error is not None and "PYTHONPLATLIBDIR" in context.interpreter_error
    assert f"{shared} is writable by every user" in context.interpreter_error
    assert probe_context(request, dict(os.environ), str(workdir), writes=False).interpreter is not None


def test_the_bytecode_prefix_is_checked_whole(fake_venv_python: str, workdir: Path) -> None:
    prefix = workdir / "pycache"
    (prefix / "deep").mkdir(parents=True)
    (prefix / "deep" / "x.cpython-311.pyc").write_bytes(b"")
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    assert run_safepip(workdir, argv, PYTHONPYCACHEPREFIX=str(prefix)).code == 0
    (prefix / "deep" / "x.cpython-311.pyc").chmod(0o666)
    refused = run_safepip(workdir, argv, PYTHONPYCACHEPREFIX=str(prefix))
    assert refused.code == 77 and "PYTHONPYCACHEPREFIX" in refused.stderr, refused.stderr


def test_without_pep_517_the_site_dirs_are_checked_whole(fake_venv_python: str, workdir: Path) -> None:
    deep = site_of(fake_venv_python) / "backend" / "hooks.py"
    deep.parent.mkdir(exist_ok=True)
    deep.write_text("")
    deep.chmod(0o666)
    try:
        done = run_safepip(workdir, ["--python", fake_venv_python, "install", "--no-use-pep517", "x"])
        assert done.code == 77 and done.recorded is None, done.stderr
    finally:
        deep.unlink()


@pytest.mark.skipif(
    not os.path.exists("/usr/bin/python3"), reason="no distribution Python at /usr/bin/python3"
)
def test_for_an_externally_managed_python_the_builds_are_judged_for_the_pip_that_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Its packages are seen by a managed venv whose pip is safepip's seed (23.1 or later), not its own older
    pip; with --break-system-packages its own pip runs."""
    from safepip.facts import probe, site_trust
    from safepip.facts.pip_args import parse_pip_args
    from safepip.facts.request import Options, Request

    asked: list[str | None] = []
    monkeypatch.setattr(site_trust, "builds_in_target", lambda _path, version: asked.append(version) or False)
    for argv in (["x"], ["--break-system-packages", "x"]):
        request = Request("install", parse_pip_args(argv), Options(python="/usr/bin/python3"))
        context = probe.probe_context(request, dict(os.environ), str(tmp_path), writes=False)
        assert context.interpreter is not None
    managed = context.interpreter.externally_managed
    own = context.interpreter.pip_version
    assert asked == ([None, own] if managed else [own, own])


def test_the_interpreter_is_asked_without_pycache_prefix(fake_venv_python: str, workdir: Path) -> None:
    prefix, marker = workdir / "pyc", workdir / "loaded"
    plant_bytecode(prefix, "sysconfig", marker)
    done = run_safepip(workdir, ["--python", fake_venv_python, "explain"], PYTHONPYCACHEPREFIX=str(prefix))
    assert done.code == 0, done.stderr
    assert not marker.exists()


def test_a_relative_pycache_prefix_is_checked_where_it_leads(fake_venv_python: str, workdir: Path) -> None:
    """Python takes a relative PYTHONPYCACHEPREFIX from the working directory, as safepip checks it."""
    prefix = workdir / "cwd" / "pyc"
    prefix.mkdir()
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    trusted = run_safepip(workdir, argv, PYTHONPYCACHEPREFIX="pyc")
    assert trusted.code == 0 and trusted.recorded is not None, trusted.stderr
    prefix.chmod(0o777)  # not sticky: anyone can put bytecode in it
    refused = run_safepip(workdir, argv, PYTHONPYCACHEPREFIX="pyc")
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert f"PYTHONPYCACHEPREFIX has {prefix} is writable by every user" in refused.stderr


def test_a_dir_on_the_way_to_the_pycache_prefix_is_named_as_such(
    fake_venv_python: str, workdir: Path
) -> None:
    shared = workdir / "shared"
    (shared / "pyc").mkdir(parents=True)
    shared.chmod(0o777)
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    refused = run_safepip(workdir, argv, PYTHONPYCACHEPREFIX=str(shared / "pyc"))
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert f"PYTHONPYCACHEPREFIX has {shared} is writable by every user" in refused.stderr


@pytest.mark.parametrize("how", ["argument", "PIP_PYTHON", "pip.conf"])
def test_pips_own_python_is_refused_before_pip_runs(fake_venv_python: str, workdir: Path, how: str) -> None:
    """pip's --python would start pip again under that Python, past safepip's checks and its target."""
    other = workdir / "other-python"
    marker = workdir / "ran"
    other.write_text(f'#!/bin/sh\ntouch {marker}\nexec {fake_venv_python} "$@"\n')
    other.chmod(0o755)
    extra: dict[str, str] = {}
    if how == "PIP_PYTHON":
        extra["PIP_PYTHON"] = str(other)
    elif how == "pip.conf":
        config = workdir / "pip.conf"
        config.write_text(f"[global]\npython = {other}\n")
        extra["PIP_CONFIG_FILE"] = str(config)
    pip_args = ["--python", str(other)] if how == "argument" else []
    done = run_safepip(workdir, ["--python", fake_venv_python, "install", *pip_args, "somepackage"], **extra)
    assert done.code == 2 and done.recorded is None, done.stderr
    assert f"pip's --python {other}" in done.stderr and f"safepip --python {other} install" in done.stderr
    assert not marker.exists()
    unset = run_safepip(workdir, ["--python", fake_venv_python, "install", "somepackage"], PIP_PYTHON="")
    assert unset.code == 0 and unset.recorded is not None, unset.stderr  # pip ignores an empty one too


def test_a_pip_cache_another_user_can_change_is_never_used(fake_venv_python: str, workdir: Path) -> None:
    """pip installs the wheels it cached as they are: a cache dir anyone can write goes the way of a
    root-owned one (pip gets safepip's own), and one given with --cache-dir, which no variable overrides, stops
    the install."""
    cache = workdir / "shared" / "pip-cache"
    (cache / "wheels").mkdir(parents=True)
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    trusted = run_safepip(workdir, argv, PIP_CACHE_DIR=str(cache))
    assert trusted.code == 0 and trusted.recorded is not None, trusted.stderr
    assert trusted.cache_dir == str(cache)
    (cache / "wheels").chmod(0o777)
    moved = run_safepip(workdir, argv, PIP_CACHE_DIR=str(cache))
    assert moved.code == 0 and moved.recorded is not None, moved.stderr
    assert moved.cache_dir is not None and moved.cache_dir.startswith(str(workdir / "home"))
    assert f"pip's cache {cache} is not safe to use: {cache}/wheels is writable by every user" in moved.stderr
    refused = run_safepip(workdir, [*argv[:3], "--cache-dir", str(cache), "somepackage"])
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    (cache / "wheels").chmod(0o755)
    (workdir / "shared").chmod(0o777)  # on the way: anyone can put another pip-cache in its place
    refused = run_safepip(workdir, [*argv[:3], "--cache-dir", str(cache), "somepackage"])
    assert refused.code == 77 and f"{workdir / 'shared'} is writable by every user" in refused.stderr


def test_a_log_or_certificate_another_user_can_change_stops_pip(fake_venv_python: str, workdir: Path) -> None:
    """pip appends its log to whatever its path leads to, and takes its CA bundle as given: one that another
    user could change, or put a link in place of, stops the command before pip starts (exit 77)."""
    shared = workdir / "shared"
    shared.mkdir()
    mine = workdir / "home" / "pip.log"
    argv = ["--python", fake_venv_python, "install", "--log", str(mine), "somepackage"]
    trusted = run_safepip(workdir, argv)
    assert trusted.code == 0 and trusted.recorded is not None, trusted.stderr
    assert ["--log", str(mine)] == trusted.recorded[-3:-1]  # the user's arguments, untouched
    shared.chmod(0o777)
    refused = run_safepip(workdir, [*argv[:3], "--log", str(shared / "pip.log"), "somepackage"])
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert (
        f"pip's log {shared / 'pip.log'} (--log) is not safe to write: {shared} is writable" in refused.stderr
    )
    (shared / "ca.pem").write_text("")
    listed = run_safepip(workdir, ["--python", fake_venv_python, "list"], PIP_CERT=str(shared / "ca.pem"))
    assert listed.code == 77 and listed.recorded is None and "pip's CA bundle" in listed.stderr
    shown = run_safepip(
        workdir, ["--python", fake_venv_python, "show", "-f", "--log", str(shared / "l"), "x"]
    )
    assert shown.code == 77 and shown.recorded is None, shown.stderr  # show's -f takes no value
    helped = run_safepip(workdir, ["help", "--log", str(shared / "pip.log"), "install"])
    assert helped.code == 77 and "pip's log" in helped.stderr and not (shared / "pip.log").exists()
    # pip isolates its settings only for the exact word: an abbreviation keeps PIP_LOG
    isolated = run_safepip(
        workdir, ["--python", fake_venv_python, "list", "--isol"], PIP_LOG=str(shared / "l")
    )
    assert isolated.code == 77 and isolated.recorded is None, isolated.stderr


@pytest.mark.parametrize("argv", [["help"], ["list", "--help"], ["install", "-h"]])
def test_pips_help_does_not_run_the_python_pips_settings_name(argv: list[str], workdir: Path) -> None:
    """pip's main parser starts pip again under PIP_PYTHON before it prints any help."""
    marker = workdir / "ran"
    python = workdir / "python"
    python.write_text(f"#!/bin/sh\ntouch {marker}\n")
    python.chmod(0o755)
    done = run_safepip(workdir, argv, PIP_PYTHON=str(python))
    assert done.code == 2 and f"pip's --python {python} (from PIP_PYTHON)" in done.stderr, done.stderr
    assert not marker.exists()


def test_pips_own_python_in_a_commands_own_section_is_refused(fake_venv_python: str, workdir: Path) -> None:
    config = workdir / "pip.conf"
    config.write_text("[list]\npython = /elsewhere/python\n")
    done = run_safepip(workdir, ["--python", fake_venv_python, "list"], PIP_CONFIG_FILE=str(config))
    assert done.code == 2 and done.recorded is None, done.stderr
    assert f"pip's --python /elsewhere/python (from {config})" in done.stderr
    installs = run_safepip(
        workdir, ["--python", fake_venv_python, "install", "x"], PIP_CONFIG_FILE=str(config)
    )
    assert installs.code == 0 and installs.recorded is not None, installs.stderr  # not install's section


@pytest.mark.parametrize("spelling", [["--py", "/elsewhere/python"], ["--pyth=/elsewhere/python"]])
def test_pips_own_python_abbreviated_is_refused(
    fake_venv_python: str, workdir: Path, spelling: list[str]
) -> None:
    """`pip list --py X` is `--python X` to optparse (list has no --python-version to make it ambiguous)."""
    done = run_safepip(workdir, ["--python", fake_venv_python, "list", *spelling])
    assert done.code == 2 and done.recorded is None, done.stderr
    assert "pip's --python /elsewhere/python (on the command line)" in done.stderr


@pytest.mark.parametrize(
    "extra",
    [{"PIP___PYTHON": "/elsewhere/python"}, {"PIP_PYTHON": "/elsewhere/python", "isolated": "1"},
     {"config": "[global]\n--python = /elsewhere/python\n"}, {"config": "[global]\npython = /elsewhere/python\n",
     "isolated": "1"}],
    ids=["PIP___PYTHON", "PIP_PYTHON-isolated", "dashed-key", "config-isolated"],
)  # fmt: skip
def test_pips_own_python_however_spelled_is_refused(
    fake_venv_python: str, workdir: Path, extra: dict[str, str]
) -> None:
    """pip's main parser, which re-runs pip under --python, normalises names (`PIP___PYTHON`, `--python =`)
    and reads the config files and variables whatever `--isolated` after the command says."""
    environ = {name: value for name, value in extra.items() if name.startswith("PIP_")}
    if "config" in extra:
        (workdir / "pip.conf").write_text(extra["config"])
        environ["PIP_CONFIG_FILE"] = str(workdir / "pip.conf")
    isolated = ["--isolated"] if "isolated" in extra else []
    done = run_safepip(
        workdir, ["--python", fake_venv_python, "install", *isolated, "somepackage"], **environ
    )
    assert done.code == 2 and done.recorded is None, done.stderr
    assert "pip's --python /elsewhere/python" in done.stderr


@pytest.mark.parametrize("pythonpath", ["lib", ":/nonexistent"])
def test_pips_help_imports_nothing_from_pythonpath(workdir: Path, pythonpath: str) -> None:
    """`install --help` runs safepip's own pip with no check of the run before it: without PYTHONPATH."""
    marker = workdir / "imported"
    planted = workdir / "cwd" / ("lib" if pythonpath == "lib" else "")
    planted.mkdir(exist_ok=True)
    plant_modules(planted, marker, ("pip",))
    done = run_safepip(
        workdir, ["install", "--help"], PYTHONPATH=str(planted) if pythonpath == "lib" else pythonpath
    )
    assert done.code == 0 and "Usage:" in done.stdout, done.stderr
    assert not marker.exists()


def test_a_cache_dir_argument_is_read_with_its_tilde_expanded(fake_venv_python: str, workdir: Path) -> None:
    shared = workdir / "shared-cache"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    (workdir / "home" / "x").symlink_to(shared)
    argv = ["--python", fake_venv_python, "install", "--cache-dir=~/x", "somepackage"]
    refused = run_safepip(workdir, argv)
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert f"{shared} is writable by every user" in refused.stderr


def test_a_cache_others_can_get_below_is_not_vouched_for(fake_venv_python: str, workdir: Path) -> None:
    """A directory deep in pip's cache that others can write (pip under umask 000, or a shared group's umask
    002, made it so) lets them put their wheel in place, when they can get there. pip then gets safepip's
    own cache (made 0700: no one else was ever below its top), said once; a --cache-dir, which pip takes
    whatever safepip says, is checked all the way down. Behind a directory only its owner may enter, the
    cache is used as it is."""
    import tempfile

    reachable = Path(tempfile.mkdtemp(prefix="safepip-cache-test-", dir="/tmp"))  # pytest's own dirs are 0700
    try:
        reachable.chmod(0o755)
        cache, deep = reachable / "pc", reachable / "pc" / "wheels" / "d8" / "13"
        deep.mkdir(parents=True)
        deep.parent.chmod(0o777)
        own = workdir / "home" / ".cache" / "safepip" / "pip-cache"  # as a safepip before 0700 left it
        (own / "wheels").mkdir(parents=True)
        (own / "wheels" / "planted.whl").write_text("")
        own.chmod(0o755)
        argv = ["--python", fake_venv_python, "install", "somepackage"]
        moved = [run_safepip(workdir, argv, PIP_CACHE_DIR=str(cache)) for _ in range(2)]
        assert [run.code for run in moved] == [0, 0], moved[0].stderr
        assert [run.cache_dir for run in moved] == [str(own)] * 2
        assert not (own / "wheels").exists() and stat.S_IMODE(own.stat().st_mode) == 0o700
        assert f"emptied safepip's own pip cache {own}" in moved[0].stderr
        assert all(run.cache_dir and run.cache_dir.startswith(str(workdir / "home")) for run in moved)
        said = f"other users can get below the top of pip's cache {cache}"
        assert [said in run.stderr for run in moved] == [True, False]  # said once
        refused = run_safepip(workdir, [*argv[:3], "--cache-dir", str(cache), "somepackage"])
        assert refused.code == 77 and f"{deep.parent} is writable by every user" in refused.stderr
        deep.parent.chmod(0o755)
        checked = run_safepip(workdir, [*argv[:3], "--cache-dir", str(cache), "somepackage"])
        assert checked.code == 0 and checked.recorded is not None, checked.stderr
        reachable.chmod(0o700)  # now no one else gets below it
        kept = run_safepip(workdir, argv, PIP_CACHE_DIR=str(cache))
        assert kept.code == 0 and kept.cache_dir == str(cache), kept.stderr
    finally:
        shutil.rmtree(reachable)


def test_a_cache_dir_anyone_could_create_first_is_not_used(fake_venv_python: str, workdir: Path) -> None:
    """pip would make it; in /tmp anyone can make it first, a link to their own directory."""
    import secrets

    missing = Path("/tmp") / f"safepip-missing-cache-{secrets.token_hex(6)}"
    argv = ["--python", fake_venv_python, "install", "somepackage"]
    moved = run_safepip(workdir, argv, PIP_CACHE_DIR=str(missing))
    assert moved.code == 0 and moved.cache_dir != str(missing), moved.stderr
    assert "does not exist, and any user can create it in /tmp" in moved.stderr
    refused = run_safepip(workdir, [*argv[:3], f"--cache-dir={missing}", "somepackage"])
    assert refused.code == 77 and refused.recorded is None, refused.stderr
    assert not missing.exists()
