"""The site dirs as site.main() grows them, read from the .pth files without running them."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepip.facts.pth import KNOWN_LINES, parse_code_line, read_site_dirs


def test_pth_lines_add_paths_site_dirs_and_imported_modules(tmp_path: Path) -> None:
    site, base, extra = tmp_path / "site", tmp_path / "base", tmp_path / "extra"
    for directory in (site, base, extra):
        directory.mkdir()
    (site / "a.pth").write_text(f"# a comment\n\n{extra}\nrelative-missing\n")
    (site / "b.pth").write_text(
        "import os, hook.sub; from other.mod import x; __import__('dunder').go()\n"
        f"import site; site.addsitedir('{base}')\n"
    )
    (site / ".hidden.pth").write_text("import hidden\n")
    (base / "base.pth").write_text("import from_base\n")
    (base / "pip").mkdir()
    (base / "pip" / "__init__.py").write_text("")
    (base / "pip-24.2.dist-info").mkdir()

    found = read_site_dirs([str(site), str(tmp_path / "missing")], (3, 11))
    assert found.site_dirs == [str(site), str(extra), str(base)]
    assert found.pth_files == [str(site / n) for n in (".hidden.pth", "a.pth", "b.pth")] + [
        str(base / "base.pth")
    ]
    assert found.pth_imports == ["dunder", "from_base", "hidden", "hook", "os", "other", "site"]
    assert found.opaque == []
    assert found.pth_paths == [str(extra), str(site / "relative-missing"), str(base)]
    assert (found.pip_home, found.pip_version) == (str(base), "24.2")


def test_hidden_pth_files_count_only_before_3_13(tmp_path: Path) -> None:
    (tmp_path / ".hidden.pth").write_text("import hidden\n")
    assert read_site_dirs([str(tmp_path)], (3, 12)).pth_imports == ["hidden"]
    assert read_site_dirs([str(tmp_path)], (3, 13)).pth_imports == []


def test_pip_is_the_first_on_the_path_even_without_its_metadata(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        (directory / "pip").mkdir(parents=True)
        (directory / "pip" / "__init__.py").write_text("")
    (second / "pip-24.0.dist-info").mkdir()
    found = read_site_dirs([str(first), str(second)], (3, 11))
    assert (found.pip_home, found.pip_version) == (None, None)


@pytest.mark.parametrize(
    ("line", "imported"),
    [
        ("import os as o, p8mod", ["os", "p8mod"]),
        ("import os; __import__ ('p1mod')", ["os", "p1mod"]),
        ("import importlib; importlib.import_module('p2mod').go()", ["importlib", "p2mod"]),
        ("import\tp4mod", ["p4mod"]),
        ('import os;exec("try:\\n import certifi\\nexcept Exception: pass\\n")', ["certifi", "os"]),
    ],
)
def test_what_an_import_line_imports_is_read_from_its_syntax(
    tmp_path: Path, line: str, imported: list[str]
) -> None:
    (tmp_path / "x.pth").write_text(line + "\n")
    found = read_site_dirs([str(tmp_path)], (3, 11))
    assert found.pth_imports == sorted(imported)
    assert found.opaque == []


@pytest.mark.parametrize(
    "line",
    [
        "import os;exec('imp'+'ort p3mod')",
        "import site, sys; site.addsitedir(sys.prefix + '/extra')",
        "import importlib; importlib.import_module('p' + '2mod')",
        "import sys; sys.path.insert(0, '/tmp/anywhere')",
        "import runpy; runpy.run_path('/tmp/x.py')",
    ],
)
def test_a_line_whose_imports_cannot_be_read_makes_its_file_opaque(tmp_path: Path, line: str) -> None:
    (tmp_path / "x.pth").write_text(line + "\n")
    assert read_site_dirs([str(tmp_path)], (3, 11)).opaque == [str(tmp_path / "x.pth")]


@pytest.mark.parametrize("line", sorted(KNOWN_LINES))
def test_a_known_line_is_read_as_its_syntax_reads(tmp_path: Path, line: str) -> None:
    """The lines kept in KNOWN_LINES (so that `_ast` is not imported for them) say what parsing them says,
    and a line that differs from one of them in the least is parsed."""
    assert KNOWN_LINES[line] == parse_code_line(line)
    (tmp_path / "distutils-precedence.pth").write_text(line + "\n")
    assert read_site_dirs([str(tmp_path)], (3, 11)).pth_imports == ["_distutils_hack", "os"]
    (tmp_path / "distutils-precedence.pth").write_text(
        line.replace("add_shim()", "add_shim(); import evil") + "\n"
    )
    assert read_site_dirs([str(tmp_path)], (3, 11)).pth_imports == ["_distutils_hack", "evil", "os"]


def test_setuptools_own_line_is_a_known_one() -> None:
    """setuptools' distutils-precedence.pth, as the venv of this test run has it (when it does)."""
    import sysconfig

    pth = Path(sysconfig.get_path("purelib")) / "distutils-precedence.pth"
    if not pth.exists():
        pytest.skip("no setuptools .pth file in this venv")
    assert pth.read_text().rstrip() in KNOWN_LINES


def test_a_bom_hides_no_import_line_from_3_13(tmp_path: Path) -> None:
    (tmp_path / "x.pth").write_bytes(b"\xef\xbb\xbfimport p5mod\n")
    assert read_site_dirs([str(tmp_path)], (3, 13)).pth_imports == ["p5mod"]
    assert (
        read_site_dirs([str(tmp_path)], (3, 12)).pth_imports == []
    )  # before 3.13: a path line, as site.py reads it


def test_a_dir_on_the_path_already_still_has_its_pth_files_read_when_addsitedir_adds_it(
    tmp_path: Path,
) -> None:
    site, extra = tmp_path / "site", tmp_path / "extra"
    site.mkdir()
    extra.mkdir()
    (site / "a.pth").write_text(f"{extra}\n")
    (site / "b.pth").write_text(f"import site; site.addsitedir('{extra}')\n")
    (extra / "c.pth").write_text("import p6mod\n")
    found = read_site_dirs([str(site)], (3, 11))
    assert "p6mod" in found.pth_imports and str(extra / "c.pth") in found.pth_files


@pytest.mark.parametrize("version", [(3, 11), (3, 12), (3, 13)])
def test_lines_end_where_site_py_ends_them(tmp_path: Path, version: tuple[int, int]) -> None:
    """Before 3.13 site.py iterates the file (only \\n, \\r, \\r\\n end a line), and a form feed is whitespace
    in code: `import os\\f; exec(...)` runs the exec. From 3.13 on it splits as str.splitlines: the exec is a
    path line there, never run."""
    (tmp_path / "x.pth").write_text("import os\x0c; exec(open('/tmp/hook.py').read())\n")
    opaque = read_site_dirs([str(tmp_path)], version).opaque
    assert opaque == ([] if version >= (3, 13) else [str(tmp_path / "x.pth")])
