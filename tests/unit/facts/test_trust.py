"""The trust rule on real files: owners, modes, links on the way, ACLs, what a site dir imports at start-up.
Another owner needs root to produce (chown); those cases skip otherwise."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from safepip.facts.python_trust import python_distrust
from safepip.facts.site_trust import site_distrust
from safepip.facts.trust import Distrust, content_dir_distrust, distrust, listed_distrust, temp_root_problem

ROOT = os.geteuid() == 0
STRANGER = 54321  # no passwd entry: shown by number
needs_root = pytest.mark.skipif(not ROOT, reason="making a file another user's needs root (chown)")


def test_a_path_of_mine_is_trusted_and_a_world_writable_one_is_not(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o755)
    assert distrust(str(mine)) is None
    mine.chmod(0o777)
    found = distrust(str(mine / "python"), missing_ok=True)
    assert found is not None and found.who == "every user" and found.path == str(mine)


@needs_root
def test_a_link_on_the_way_owned_by_someone_else_is_not_trusted(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    os.lchown(link, STRANGER, STRANGER)
    found = distrust(str(link / "python"), missing_ok=True)
    assert found is not None and found.path == str(link) and found.who == str(STRANGER)


@needs_root
def test_a_venv_whose_home_is_someone_elses_is_not_run(tmp_path: Path) -> None:
    home = tmp_path / "theirs" / "bin"
    home.mkdir(parents=True)
    os.chown(home, STRANGER, STRANGER)
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / "pyvenv.cfg").write_text(f"home = {home}\n")
    found = python_distrust(str(venv / "bin" / "python"))
    assert found is not None and found.path == str(home)


def real_venv(where: Path) -> Path:
    """A venv of this Python (no pip): its interpreter, standard library and home are trusted here."""
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    return where


@pytest.mark.parametrize("layout", ["python._pth", "bin/pyvenv.cfg", "two homes", "a lone CR"])
def test_a_venv_whose_import_path_python_would_read_otherwise_is_not_run(tmp_path: Path, layout: str) -> None:
    """What moves a Python's import path where safepip does not read it is refused before it runs: a ._pth
    file (CPython honours `<executable>._pth` on POSIX too), a pyvenv.cfg beside the interpreter (Python reads
    that one first), a pyvenv.cfg whose `home` Python could take otherwise than safepip."""
    venv = real_venv(tmp_path / "venv")
    python = str(venv / "bin" / "python")
    assert python_distrust(python) is None
    config = venv / "pyvenv.cfg"
    home = next(
        line.split("=", 1)[1].strip() for line in config.read_text().splitlines() if line.startswith("home")
    )
    elsewhere = tmp_path / "elsewhere" / "bin"
    if layout == "python._pth":
        (venv / "bin" / "python._pth").write_text(f"{tmp_path}\nimport site\n")
    elif layout == "bin/pyvenv.cfg":
        (venv / "bin" / "pyvenv.cfg").write_text(f"home = {elsewhere}\n")
    elif layout == "two homes":
        config.write_text(f"home = {elsewhere}\n{config.read_text()}")
    else:
        config.write_text(f"junk\rhome = {home}\nhome = {elsewhere}\n{config.read_text()}")
    found = python_distrust(python)
    assert found is not None and found.error, found


@pytest.mark.parametrize("home", ["no lib beside it", "missing"])
def test_the_standard_library_is_checked_where_python_finds_it_above_its_home(
    tmp_path: Path, home: str
) -> None:
    """Python looks for its standard library from the venv's `home` up, directory by directory: where the
    one beside `home` is missing, the one it finds above is what is checked (here one every user can
    write, which must be refused)."""
    venv = real_venv(tmp_path / "venv")
    python = str(venv / "bin" / "python")
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    shared = tmp_path / "shared"
    (shared / "lib" / minor).mkdir(parents=True)
    (shared / "lib" / minor / "os.py").write_text("")
    (shared / "lib" / minor).chmod(0o777)
    base = shared / "base" / "bin"
    if home == "no lib beside it":
        base.mkdir(parents=True)
    config = venv / "pyvenv.cfg"
    lines = [line for line in config.read_text().splitlines() if not line.startswith("home")]
    config.write_text("\n".join([f"home = {base}", *lines]) + "\n")
    found = python_distrust(python)
    assert found is not None and str(shared / "lib" / minor) in found.reason(), found


@pytest.mark.parametrize("where", ["beside the standard library", "above it"])
def test_a_zip_of_the_standard_library_is_checked_at_every_level_python_looks(
    tmp_path: Path, where: str
) -> None:
    """CPython looks for `lib/python3XY.zip` from its home up to `/` before anything else, and puts the first
    one found first on its path, whatever the level: a zip there (here one every user can write, in the
    `lib` of the standard library itself or in a `lib` above it) must be refused."""
    venv = real_venv(tmp_path / "venv")
    minor = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    base = tmp_path / "base"
    (base / "bin").mkdir(parents=True)
    (base / "lib").mkdir()
    real_lib = Path(sys.base_prefix) / "lib" / minor
    (base / "lib" / minor).symlink_to(real_lib)
    config = venv / "pyvenv.cfg"
    lines = [line for line in config.read_text().splitlines() if not line.startswith("home")]
    config.write_text("\n".join([f"home = {base / 'bin'}", *lines]) + "\n")
    python = str(venv / "bin" / "python")
    assert python_distrust(python) is None
    lib = base / "lib" if where == "beside the standard library" else tmp_path / "lib"
    lib.mkdir(exist_ok=True)
    zipped = lib / f"python{sys.version_info[0]}{sys.version_info[1]}.zip"
    zipped.write_bytes(b"")
    zipped.chmod(0o666)
    found = python_distrust(python)
    assert found is not None and str(zipped) in found.reason(), found


def test_a_python_build_tree_is_not_run(tmp_path: Path) -> None:
    """A binary with `pybuilddir.txt` beside it is a build tree to CPython: its paths come from there."""
    import shutil

    venv = real_venv(tmp_path / "venv")
    home = next(
        line.split("=", 1)[1].strip()
        for line in (venv / "pyvenv.cfg").read_text().splitlines()
        if line.startswith("home")
    )
    python = venv / "bin" / "python"
    fake = tmp_path / "build"
    fake.mkdir()
    shutil.copy(os.path.realpath(python), fake / "python")  # CPython looks beside the binary itself
    (fake / "pybuilddir.txt").write_text("build/lib\n")
    found = python_distrust(str(fake / "python"))
    assert found is not None and found.error and "build tree" in found.error, found
    assert python_distrust(str(python)) is None and os.path.isdir(home)


@pytest.mark.parametrize("spoiled", [b"\x00", b"\xff"])
def test_a_home_python_would_read_in_other_bytes_is_not_run(tmp_path: Path, spoiled: bytes) -> None:
    """Python's start-up stops reading a line at a NUL and keeps bytes that are not UTF-8 as they are."""
    venv = real_venv(tmp_path / "venv")
    config = venv / "pyvenv.cfg"
    config.write_bytes(config.read_bytes().replace(b"home = ", b"home = " + spoiled, 1))
    found = python_distrust(str(venv / "bin" / "python"))
    assert found is not None and found.error, found


def test_a_pyvenv_cfg_with_crlf_line_ends_is_read_as_python_reads_it(tmp_path: Path) -> None:
    venv = real_venv(tmp_path / "venv")
    config = venv / "pyvenv.cfg"
    config.write_bytes(config.read_bytes().replace(b"\n", b"\r\n"))
    assert python_distrust(str(venv / "bin" / "python")) is None


def test_a_writable_file_inside_a_package_a_pth_imports_is_found(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    (site / "hook").mkdir(parents=True)
    init = site / "hook" / "__init__.py"
    init.write_text("")
    (site / "hook.pth").write_text("import hook\n")
    assert site_distrust((str(site),), (str(site / "hook.pth"),), imported=("hook",)) is None
    init.chmod(0o666)
    found = site_distrust((str(site),), (str(site / "hook.pth"),), imported=("hook",))
    assert found is not None and found.path == str(init) and found.who == "every user"


@needs_root
def test_an_acl_that_lets_another_user_write_counts(tmp_path: Path) -> None:
    import struct

    pth = tmp_path / "site" / "x.pth"
    pth.parent.mkdir()
    pth.write_text("")
    entries = [(0x01, 6, 0xFFFFFFFF), (0x02, 6, STRANGER), (0x04, 4, 0xFFFFFFFF), (0x10, 6, 0xFFFFFFFF),
               (0x20, 4, 0xFFFFFFFF)]  # fmt: skip
    acl = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries)
    try:
        os.setxattr(pth, "system.posix_acl_access", acl)
    except OSError as error:
        pytest.skip(f"no ACLs on this filesystem: {error.strerror}")
    found = site_distrust((str(pth.parent),), (str(pth),))
    assert found is not None and "through an ACL" in found.who


def test_a_tree_is_read_whole_as_entry_by_entry_reading_reads_it(tmp_path: Path) -> None:
    """tree_distrust skips listed_distrust for plainly trusted entries: it finds what reading every entry
    with listed_distrust finds, however deep (links to directories: the next test)."""
    from safepip.facts.trust import tree_distrust

    pip = tmp_path / "site-packages" / "pip"
    deep = pip / "_internal" / "commands" / "nested"
    deep.mkdir(parents=True)
    for number, mode in enumerate([0o644, 0o664, 0o666, 0o600, 0o755, 0o777, 0o620]):
        (deep / f"m{number}.py").write_text("")
        (deep / f"m{number}.py").chmod(mode)
    (pip / "_internal" / "shared").mkdir()
    (pip / "_internal" / "shared").chmod(0o777)
    (pip / "_internal" / "sticky").mkdir()
    (pip / "_internal" / "sticky").chmod(0o1777)
    (pip / "link").symlink_to(deep / "m0.py")
    if os.geteuid() == 0:
        (deep / "theirs.py").write_text("")
        os.chown(deep / "theirs.py", STRANGER, STRANGER)
    uid, groups = os.geteuid(), frozenset(os.getgroups())
    every = [pip] + [Path(d) / name for d, dirs, files in os.walk(pip) for name in [*dirs, *files]]
    # entry by entry, and a sticky directory that others can write as one not to import from (root's own
    # too: the next test)
    expected = [listed_distrust(str(p), os.lstat(p), uid, groups) or content_dir_distrust(str(p), os.stat(p), uid)
                for p in every]  # fmt: skip
    found = tree_distrust(str(pip), uid, groups)
    assert sorted(map(str, found)) == sorted(str(p) for p in expected if p is not None)
    assert {problem.path for problem in found} >= {str(deep / "m2.py"), str(deep / "m5.py")}
    assert str(pip / "link") not in {problem.path for problem in found}
    assert tree_distrust(str(deep / "m2.py"), uid, groups)[0].who == "every user"  # a module file
    assert tree_distrust(str(tmp_path / "missing"), uid, groups) == []


def test_a_link_in_a_site_dir_or_in_pip_is_judged_by_where_it_leads(tmp_path: Path) -> None:
    """Python imports through a link: `sitecustomize.py -> elsewhere` runs what is elsewhere."""
    site, elsewhere = tmp_path / "site-packages", tmp_path / "elsewhere"
    (site / "pip").mkdir(parents=True)
    elsewhere.mkdir()
    (elsewhere / "hook.py").write_text("")
    (site / "sitecustomize.py").symlink_to(elsewhere / "hook.py")
    (site / "pip" / "linked.py").symlink_to(elsewhere / "hook.py")
    assert site_distrust((str(site),), ()) is None
    (elsewhere / "hook.py").chmod(0o666)
    found = site_distrust((str(site),), ())
    assert found is not None and found.path == str(elsewhere / "hook.py") and found.who == "every user"
    (elsewhere / "hook.py").chmod(0o644)
    (site / "sitecustomize.py").unlink()
    elsewhere.chmod(0o777)  # the one link left, inside pip, now leads through a directory anyone can write
    found = site_distrust((str(site),), ())
    assert found is not None and found.path == str(elsewhere)
    elsewhere.chmod(0o755)
    (site / "pip" / "dangling.py").symlink_to(tmp_path / "missing.py")  # someone could make it later
    found = site_distrust((str(site),), ())
    assert found is not None and found.error == "does not exist"


def test_a_directory_reached_through_a_link_is_walked_and_bytecode_counts(tmp_path: Path) -> None:
    """pip/_internal/commands -> elsewhere, pip -> elsewhere, and __pycache__/x.pyc: what runs is there."""
    site, elsewhere = tmp_path / "site-packages", tmp_path / "elsewhere"
    (site / "pip").mkdir(parents=True)
    (site / "pip" / "__init__.py").write_text("")
    (elsewhere / "commands").mkdir(parents=True)
    (elsewhere / "commands" / "install.py").write_text("")
    (site / "pip" / "commands").symlink_to(elsewhere / "commands")
    (elsewhere / "commands" / "loop").symlink_to(elsewhere / "commands")  # walked once, then the walk ends
    assert site_distrust((str(site),), ()) is None
    (elsewhere / "commands" / "install.py").chmod(0o666)
    found = site_distrust((str(site),), ())
    assert found is not None and found.path.endswith("/commands/install.py")
    (elsewhere / "commands" / "install.py").chmod(0o644)

    other = tmp_path / "other-site"
    other.mkdir()
    (other / "pip").symlink_to(elsewhere / "commands")  # a package that is a link, at the top
    (elsewhere / "commands" / "install.py").chmod(0o666)
    found = site_distrust((str(other),), ())
    assert found is not None and found.path == str(other / "pip" / "install.py")
    (elsewhere / "commands" / "install.py").chmod(0o644)

    (site / "sitecustomize.py").write_text("")
    (site / "__pycache__").mkdir()
    (site / "__pycache__" / "sitecustomize.cpython-311.pyc").write_bytes(b"")
    assert site_distrust((str(site),), ()) is None
    (site / "__pycache__" / "sitecustomize.cpython-311.pyc").chmod(0o666)
    found = site_distrust((str(site),), ())
    assert found is not None and found.path.endswith("sitecustomize.cpython-311.pyc")


def test_a_pth_file_whose_imports_cannot_be_read_is_not_trusted(tmp_path: Path) -> None:
    pth = tmp_path / "x.pth"
    pth.write_text("import os; exec(open('/tmp/anything').read())\n")
    found = site_distrust((str(tmp_path),), (str(pth),), opaque=(str(pth),))
    assert found is not None and found.path == str(pth) and "cannot be checked" in (found.error or "")


def test_a_missing_dir_a_pth_names_counts_when_another_user_could_create_it(tmp_path: Path) -> None:
    """`/tmp/proj` of a deleted editable install: whoever creates it first is on sys.path."""
    site, sticky, closed = tmp_path / "site", tmp_path / "sticky", tmp_path / "closed"
    for directory in (site, sticky, closed):
        directory.mkdir()
    sticky.chmod(0o1777)
    assert site_distrust((str(site),), (), named=(str(closed / "proj"), str(closed / "a" / "b"))) is None
    found = site_distrust((str(site),), (), named=(str(closed / "proj"), str(sticky / "proj" / "src")))
    if ROOT:  # a sticky directory of root's, as /tmp: fine on the way, but anyone can create the name
        assert found is not None and found.path == str(sticky / "proj" / "src")
        assert "any user can create" in (found.error or "")
    else:  # a user's own 1777 directory is not trusted at all
        assert found is not None and found.path == str(sticky) and found.who == "every user"
    (sticky / "proj").mkdir()  # there now, and the user's own: judged as an existing path is
    (sticky / "proj" / "src").mkdir()
    assert site_distrust((str(site),), (), named=(str(sticky / "proj" / "src"),)) is None


def test_a_venvs_pip_walked_while_its_python_answers_is_the_walk_site_distrust_takes(tmp_path: Path) -> None:
    """probe walks a venv's pip while its interpreter is asked (paths.likely_site_dir: read off the venv);
    site_distrust takes that walk for those roots and walks every other tree itself."""
    from safepip.facts.paths import likely_site_dir
    from safepip.facts.site_trust import walk_trees
    from safepip.facts.tree_check import likely_trees

    venv = tmp_path / "venv"
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "pip").mkdir(parents=True)
    (site / "pip" / "__init__.py").write_text("")
    (site / "hook").mkdir()
    (site / "hook" / "__init__.py").write_text("")
    python = str(venv / "bin" / "python")
    assert likely_site_dir(python) is None  # no pyvenv.cfg: not a venv, nothing guessed
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert likely_site_dir(python) == (str(site), (3, 11))
    assert likely_trees(str(site)) == [str(site / "pip")]
    (site / "__pycache__").mkdir()
    assert likely_trees(str(site)) == [str(site / "pip"), str(site / "__pycache__")]

    (site / "pip" / "__init__.py").chmod(0o666)
    walked = walk_trees(likely_trees(str(site)), os.geteuid())
    assert [problem.who for problem in walked[str(site / "pip")]] == ["every user"]
    (site / "pip" / "__init__.py").chmod(0o644)  # changed after the walk: the walk's verdict is the one taken
    found = site_distrust((str(site),), (), walked=walked)
    assert found is not None and found.path == str(site / "pip" / "__init__.py")
    assert site_distrust((str(site),), ()) is None

    (site / "hook" / "__init__.py").chmod(0o666)  # a tree not walked before is walked here
    found = site_distrust(
        (str(site),), (), imported=("hook",), walked=walk_trees(likely_trees(str(site)), os.geteuid())
    )
    assert found is not None and found.path == str(site / "hook" / "__init__.py")
    (venv / "lib" / "python3.12").mkdir()
    assert likely_site_dir(python) is None  # two Pythons' libs: no guess
    (venv / "lib" / "python3.12").rmdir()
    (venv / "lib" / "python3.11").rename(venv / "lib" / "python-dev")
    assert likely_site_dir(python) is None  # a name that is no version: no guess


def test_pythonplatlibdir_is_checked_where_it_moves_the_standard_library(tmp_path: Path) -> None:
    """With PYTHONPLATLIBDIR a Python takes its standard library from `<prefix>/<that dir>/pythonX.Y`, `..`
    and all: a directory another user can write or create there would run before anything else."""
    from safepip.facts.python_trust import platlibdir_distrust

    python = tmp_path / "prefix" / "bin" / "python3"
    python.parent.mkdir(parents=True)
    python.write_text("")
    stdlib = tmp_path / "mine" / "python3.11"
    stdlib.mkdir(parents=True)
    (stdlib / "os.py").write_text("")
    assert platlibdir_distrust(str(python), {}) is None
    assert platlibdir_distrust(str(python), {"PYTHONPLATLIBDIR": "../mine"}) is None
    (stdlib / "os.py").chmod(0o666)
    found = platlibdir_distrust(str(python), {"PYTHONPLATLIBDIR": "../mine"})
    assert found is not None and found.path == str(stdlib / "os.py")
    (stdlib / "os.py").chmod(0o644)
    (tmp_path / "shared").mkdir(mode=0o777)
    os.chmod(tmp_path / "shared", 0o777)
    found = platlibdir_distrust(str(python), {"PYTHONPLATLIBDIR": "../shared"})
    assert found is not None and found.who == "every user"
    (tmp_path / "sticky").mkdir()
    os.chmod(tmp_path / "sticky", 0o1777)
    found = platlibdir_distrust(str(python), {"PYTHONPLATLIBDIR": "../sticky/later"})
    # root's sticky directory: anyone can create the name there; an ordinary user's: anyone can write it
    assert found is not None and (
        "any user can create it" in (found.error or "") or found.who == "every user"
    )
    home = {"PYTHONHOME": str(tmp_path / "other"), "PYTHONPLATLIBDIR": "../mine"}  # PYTHONHOME's prefix
    (tmp_path / "other").mkdir()
    (stdlib / "os.py").chmod(0o666)
    found = platlibdir_distrust(str(python), home)
    assert found is not None and found.path == str(stdlib / "os.py")


def test_pythonhome_is_checked_as_a_standard_library(tmp_path: Path) -> None:
    """Every Python safepip starts would take its standard library from PYTHONHOME (safepip's own Python
    too, so this is the check for a pip run by another interpreter)."""
    from safepip.facts.python_trust import python_home_distrust

    stdlib = tmp_path / "home" / "lib" / "python3.11"
    stdlib.mkdir(parents=True)
    (stdlib / "os.py").write_text("")
    assert python_home_distrust({}) is None
    assert python_home_distrust({"PYTHONHOME": str(tmp_path / "home")}) is None
    (stdlib / "os.py").chmod(0o666)
    found = python_home_distrust({"PYTHONHOME": f"/usr:{tmp_path / 'home'}"})  # prefix:exec_prefix
    assert found is not None and found.path == str(stdlib / "os.py")


def test_a_sticky_directory_anyone_can_write_is_trusted_on_the_way_but_not_to_import_from(
    tmp_path: Path,
) -> None:
    """/tmp's sticky bit keeps others from replacing what is there, not from adding a name: a `__pycache__`,
    package or site dir that is sticky and writable by every user lets anyone add the .pyc or module Python
    opens next, even when they cannot list it (mode 1733)."""
    from safepip.facts.trust import top_distrust, tree_distrust

    if os.geteuid() != 0:
        pytest.skip("a root-owned sticky directory needs root")
    uid, groups = os.geteuid(), frozenset(os.getgroups())
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    os.chmod(sessions, 0o1733)
    site = tmp_path / "site-packages"
    (site / "pkg").mkdir(parents=True)
    (site / "pkg" / "__init__.py").write_text("")
    assert tree_distrust(str(site), uid, groups) == []
    (site / "pkg" / "__pycache__").symlink_to(sessions)
    found = tree_distrust(str(site), uid, groups)
    assert [problem.reason() for problem in found] == [
        f"{site / 'pkg' / '__pycache__'} is writable by every user"
    ]
    assert distrust(str(sessions / "x.pyc"), uid, missing_ok=True) is None  # on the way: fine, as before
    found = top_distrust(str(sessions), uid, groups)
    assert found and found[0].who == "every user"


def check_and_walk(roots: list[str], uid: int) -> tuple[dict[str, list[str]], dict[str, list[str]], bool]:
    """TreeCheck's verdict and walk_trees' on the same trees, as reasons; and whether find was asked."""
    from safepip.facts.site_trust import walk_trees
    from safepip.facts.tree_check import TreeCheck

    check = TreeCheck(roots, uid)
    asked = check.question is not None
    checked = {root: sorted(p.reason() for p in found) for root, found in check.walked().items()}
    walked = {root: sorted(p.reason() for p in found) for root, found in walk_trees(roots, uid).items()}
    return checked, walked, asked


@pytest.mark.skipif(not os.path.exists("/usr/bin/find"), reason="no /usr/bin/find here")
def test_a_tree_checked_by_find_gives_what_walking_it_gives(tmp_path: Path) -> None:
    """TreeCheck (find, on another core) says only that a tree is plainly clean; whatever find names there
    (a file or directory others can write, a link, another owner) makes safepip walk the tree itself, so the
    verdict is tree_distrust's in every case."""
    pip = tmp_path / "site-packages" / "pip"
    deep = pip / "_internal" / "commands" / "nested"
    deep.mkdir(parents=True)
    for number in range(30):
        (deep / f"m{number}.py").write_text("")
    cache = tmp_path / "site-packages" / "__pycache__"
    cache.mkdir()
    roots, uid = [str(pip), str(cache), str(tmp_path / "missing")], os.geteuid()
    checked, walked, asked = check_and_walk(roots, uid)
    assert asked and checked == walked == {root: [] for root in roots}

    (tmp_path / "elsewhere").mkdir(mode=0o777)
    (tmp_path / "elsewhere").chmod(0o777)
    link = pip / "link"
    changes = [  # each made, judged, undone; the group's write is a problem unless the group is the user's own
        (lambda: (deep / "m7.py").chmod(0o666), lambda: (deep / "m7.py").chmod(0o644)),
        (lambda: (deep / "m8.py").chmod(0o664), lambda: (deep / "m8.py").chmod(0o644)),
        (lambda: deep.chmod(0o777), lambda: deep.chmod(0o755)),
        (lambda: link.symlink_to(tmp_path / "elsewhere", target_is_directory=True), lambda: link.unlink()),
    ]
    if ROOT:
        changes.append(
            (lambda: os.chown(deep / "m9.py", STRANGER, STRANGER), lambda: os.chown(deep / "m9.py", 0, 0))
        )
    for number, (make, undo) in enumerate(changes):
        make()
        checked, walked, asked = check_and_walk(roots, uid)
        assert asked and checked == walked
        assert number == 1 or checked[str(pip)] != []
        undo()
        assert check_and_walk(roots, uid)[0] == {root: [] for root in roots}


def check_and_read(site: Path, uid: int) -> tuple[object, object, bool]:
    """A TreeCheck of a site dir's pip and bytecode trees and of its top, and walk_trees and read_tops of the
    same, as reasons; and whether find was asked."""
    from safepip.facts.site_trust import read_tops, walk_trees
    from safepip.facts.tree_check import TreeCheck, likely_trees

    def reasons(found: dict[str, list[Distrust]]) -> dict[str, list[str]]:
        return {root: sorted(p.reason() for p in problems) for root, problems in found.items()}

    roots = likely_trees(str(site))
    check = TreeCheck(roots, uid, top=str(site))
    asked = check.question is not None
    checked = (reasons(check.walked()), reasons(check.tops()))
    read = (reasons(walk_trees(roots, uid)), reasons(read_tops([str(site)], uid)))
    return checked, read, asked


@pytest.mark.skipif(not os.path.exists("/usr/bin/find"), reason="no /usr/bin/find here")
def test_a_site_dirs_top_checked_by_find_gives_what_reading_it_gives(tmp_path: Path) -> None:
    """find reads the site dir's own entries (not below them, but for pip and the bytecode, whole): its
    verdict on the top is read_tops' in every case, and it still goes whole through pip."""
    site = tmp_path / "site-packages"
    (site / "pip" / "_internal").mkdir(parents=True)
    (site / "pip" / "_internal" / "main.py").write_text("")
    (site / "__pycache__").mkdir()
    (site / "pkg").mkdir()
    (site / "pkg" / "deep.py").write_text("")
    (site / "pkg" / "deep.py").chmod(0o666)  # below a top entry: not read at the top (nor by find)
    for number in range(20):
        (site / f"mod{number}.py").write_text("")
    uid = os.geteuid()
    checked, read, asked = check_and_read(site, uid)
    assert asked and checked == read and checked[1] == {str(site): []}

    (tmp_path / "elsewhere").mkdir(mode=0o777)
    (tmp_path / "elsewhere").chmod(0o777)
    changes = [  # each made, judged, undone
        (lambda: (site / "mod3.py").chmod(0o666), lambda: (site / "mod3.py").chmod(0o644)),
        (lambda: (site / "pkg").chmod(0o777), lambda: (site / "pkg").chmod(0o755)),
        (lambda: (site / "evil").symlink_to(tmp_path / "elsewhere"), lambda: (site / "evil").unlink()),
        (lambda: (site / "pip" / "_internal" / "main.py").chmod(0o666),
         lambda: (site / "pip" / "_internal" / "main.py").chmod(0o644)),
        (lambda: site.chmod(0o777), lambda: site.chmod(0o755)),
    ]  # fmt: skip
    if ROOT:
        changes.append(
            (lambda: os.chown(site / "mod4.py", STRANGER, STRANGER), lambda: os.chown(site / "mod4.py", 0, 0))
        )
    for make, undo in changes:
        make()
        checked, read, asked = check_and_read(site, uid)
        assert asked and checked == read and checked != ({root: [] for root in read[0]}, {str(site): []})
        undo()
        assert check_and_read(site, uid)[0] == read_clean(site, uid)


def read_clean(site: Path, uid: int) -> object:
    from safepip.facts.tree_check import likely_trees

    return ({root: [] for root in likely_trees(str(site))}, {str(site): []})


def test_without_a_trusted_find_the_trees_are_walked_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `find` that is missing, or that another user could have changed, is never run."""
    from safepip.facts import tree_check

    (tmp_path / "pip").mkdir()
    (tmp_path / "pip" / "open.py").write_text("")
    (tmp_path / "pip" / "open.py").chmod(0o666)
    fake = tmp_path / "bin" / "find"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexit 0\n")  # would say "nothing there" about anything
    fake.chmod(0o777)
    for path in (str(fake), str(tmp_path / "missing")):
        monkeypatch.setattr(tree_check, "FIND", path)
        checked, walked, asked = check_and_walk([str(tmp_path / "pip")], os.geteuid())
        assert not asked and checked == walked and checked[str(tmp_path / "pip")] != []


def test_a_site_dirs_top_read_while_its_python_answers_is_the_reading_site_distrust_takes(
    tmp_path: Path,
) -> None:
    """probe reads the top of the site dir a venv most likely has while its interpreter is asked; site_distrust
    takes that reading for that dir and reads every other site dir itself."""
    from safepip.facts.site_trust import read_tops

    site, other = tmp_path / "site-packages", tmp_path / "other-site-packages"
    for directory in (site, other):
        directory.mkdir()
        (directory / "module.py").write_text("")
    (site / "module.py").chmod(0o666)
    tops = read_tops([str(site)], os.geteuid())
    assert [problem.who for problem in tops[str(site)]] == ["every user"]
    (site / "module.py").chmod(0o644)  # changed after the reading: the reading's verdict is the one taken
    found = site_distrust((str(site), str(other)), (), tops=tops)
    assert found is not None and found.path == str(site / "module.py")
    assert site_distrust((str(site), str(other)), ()) is None
    (other / "module.py").chmod(0o666)  # a site dir not read before is read here
    found = site_distrust((str(site), str(other)), (), tops=read_tops([str(site)], os.geteuid()))
    assert found is not None and found.path == str(other / "module.py")


@pytest.mark.skipif(ROOT, reason="root reads any directory")
def test_a_directory_whose_entries_cannot_be_read_is_not_trusted(tmp_path: Path) -> None:
    """Python imports from a directory it can search but not list (mode 0311): what is there is unknown, in
    pip's tree or at a site dir's top alike."""
    from safepip.facts.trust import tree_distrust

    pip = tmp_path / "site-packages" / "pip"
    hidden = pip / "_internal"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("")
    hidden.chmod(0o311)
    try:
        found = tree_distrust(str(pip), os.geteuid(), frozenset(os.getgroups()))
        assert [problem.path for problem in found] == [str(hidden)]
        assert "cannot be read" in found[0].reason()
        (tmp_path / "site-packages").chmod(0o311)
        unread = site_distrust((str(tmp_path / "site-packages"),), ())
        assert unread is not None and unread.path == str(tmp_path / "site-packages")
    finally:
        (tmp_path / "site-packages").chmod(0o755)
        hidden.chmod(0o755)


def test_a_group_shared_problem_is_taken_only_inside_the_activated_environment() -> None:
    """first_problem acts on what no group alone can change first, then on a group-shared problem outside
    the environment the user activated; only one inside it is what shared_in accepts (with a notice)."""
    from safepip.facts.trust import Distrust, first_problem, shared_in

    env = "/home/alice/team-venv"
    other = Distrust("/home/alice/team-venv/lib/x.py", "bob")
    outside = Distrust("/srv/team-modules", "group team", group=1234)
    inside = Distrust("/home/alice/team-venv/lib", "group team", group=1234)
    assert first_problem([inside, outside, None, other], env) == other
    assert first_problem([inside, outside], env) == outside
    assert first_problem([inside, None], env) == inside
    assert first_problem([None]) is None
    assert shared_in(inside, env) and not shared_in(outside, env) and not shared_in(other, env)
    assert not shared_in(inside, None)  # a venv found by itself, or named: no exception
    assert not shared_in(Distrust("/home/alice/team-venv-2/x", "group team", group=1234), env)


@pytest.mark.parametrize(
    ("owner", "mode", "said"),
    [
        (0, 0o1777, None),  # /tmp
        (0, 0o777, "writable by every user, without the sticky bit"),
        (0, 0o755, "owned by root"),
        (STRANGER, 0o1777, f"owned by {STRANGER} (sticky, but not root's)"),
    ],
)
def test_a_temp_root_says_what_is_wrong_with_it(
    tmp_path: Path, owner: int, mode: int, said: str | None
) -> None:
    """A directory pip's temp files may go below: the user's own, or root's and sticky (as /tmp); the line
    names what is wrong (its owner and mode are given, as the temp probe read them)."""
    uid = os.geteuid() if os.geteuid() != 0 else 1001
    assert temp_root_problem(str(tmp_path), owner, mode | 0o040000, uid) == said
