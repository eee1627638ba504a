"""The site dirs as site.main() grows them, read from the .pth files without running them."""

from __future__ import annotations

from pathlib import Path

from safepip.facts.pth import read_site_dirs


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
    # "x" too: what `from … import` names may be a module, so it is looked for as one
    assert found.pth_imports == ["dunder", "from_base", "hidden", "hook", "os", "other", "site", "x"]
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
