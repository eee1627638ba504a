"""The layout is the architecture: dependencies point one way (cli → commands → policy and actions → facts →
util), no module imports a layer above it or a sibling layer, no import cycles, no module over 400 lines.
zipapp/ (the builder of safepip.pyz) stands apart: it imports nothing else of safepip, and nothing imports it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "safepip"
# what each layer may import besides itself; the top-level modules (errors, __init__) are below everything
MAY_IMPORT = {
    "util": set(),
    "facts": {"util"},
    "policy": {"facts", "util"},
    "actions": {"facts", "util"},
    "commands": {"policy", "actions", "facts", "util"},
    "cli": {"commands", "policy", "actions", "facts", "util"},
    "zipapp": set(),  # the builder of safepip.pyz: developer tooling, standard library only
}
MAX_LINES = 400


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def layer_of(path: Path) -> str | None:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else None


def imported(path: Path) -> set[str]:
    """Every safepip module this file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("safepip"):
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("safepip"))
    return names


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down(path: Path) -> None:
    layer = layer_of(path)
    if layer is None:
        top_level = {m for m in imported(path) if m.split(".")[1:2] and m.split(".")[1] in MAY_IMPORT}
        if path.name != "__main__.py":
            assert not top_level, f"{path.name} is below every layer and may not import {top_level}"
        return
    for name in imported(path):
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in MAY_IMPORT or parts[1] == layer:
            continue
        assert parts[1] in MAY_IMPORT[layer], f"{layer}/{path.name} imports {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_no_import_cycles() -> None:
    known = {module_name(path): path for path in modules()}
    graph = {
        name: {target for target in imported(path) if target in known and target != name}
        for name, path in known.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            raise AssertionError("import cycle: " + " -> ".join([*trail[trail.index(name) :], name]))
        if name in done:
            return
        for target in sorted(graph[name]):
            visit(target, [*trail, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])


# where owners and permissions may be read as facts that decide no trust (facts/trust.py's docstring says which)
READ_OWNERS_AS_FACTS = {
    "facts/choice.py", "actions/scripts.py", "facts/stuck.py", "facts/pip_cache.py", "facts/temp.py",
    "facts/own_dirs.py", "facts/diagnose.py",
}  # fmt: skip


def owner_checks(path: Path) -> list[int]:
    """The lines that call os.access or compare an owner (st_uid, owner_uid)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "os.access":
            found.append(node.lineno)
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(
                isinstance(side, ast.Attribute) and side.attr in ("st_uid", "owner_uid") for side in sides
            ):
                found.append(node.lineno)
    return found


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_trust_module_judges_owners(path: Path) -> None:
    """STYLE: one module decides what is trusted; nothing else calls os.access or compares owners, except
    the modules named in trust.py's docstring, which read them as facts."""
    relative = str(path.relative_to(PACKAGE))
    if relative == "facts/trust.py" or relative in READ_OWNERS_AS_FACTS:
        return
    assert owner_checks(path) == [], f"{relative} judges owners or permissions itself"


def test_the_owner_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nos.access('x', os.W_OK)\nif info.st_uid != uid: pass\nx = fact.owner_uid\n")
    assert owner_checks(sample) == [2, 3]
