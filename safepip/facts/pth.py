"""The site dirs of an interpreter as site.main() grows them, read from the files without running any of
them: each site dir's .pth files, the paths they add (an overlay's base too, which a line adds with
`site.addsitedir`), the modules their `import` lines import, and the pip the interpreter would run.

The interpreter itself only says where site.main() starts (facts/interpreter.py asks it, with `-S`)."""

from __future__ import annotations

import os

from safepip.facts.stamps import pth_stamp
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    import _ast

# calls through which a line runs code or imports a module that cannot be read off the line itself
RUNS_CODE = frozenset({"exec", "eval", "compile", "execfile", "run_path", "run_module", "exec_module",
                       "load_module", "spec_from_file_location", "insert", "append", "extend"})  # fmt: skip
IMPORTS_NAMED = frozenset({"__import__", "import_module"})
# The import lines most venvs hold (setuptools' distutils-precedence.pth, its defaults before and since
# setuptools 60), read by parse_code_line once and kept here: parsing needs `_ast`, whose import costs more
# than all the rest of a first run's .pth reading (the benchmark's import costs, row (f)). A test keeps each
# entry equal to what parse_code_line reads.
DISTUTILS_PRECEDENCE = (
    "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var, '{}') == 'local'; "
    "enabled and __import__('_distutils_hack').add_shim(); "
)
KNOWN_LINES: dict[str, tuple[list[str], list[str], bool]] = {
    DISTUTILS_PRECEDENCE.format(default).rstrip(): (["os", "_distutils_hack"], [], True)
    for default in ("local", "stdlib")
}


class SiteDirs(NamedTuple):
    site_dirs: list[str]  # in sys.path order: the site dirs, then what their .pth files add
    pth_files: list[str]
    pth_imports: list[str]  # top-level modules that .pth import lines import
    pth_paths: list[str]  # every path a .pth file names, there or not
    pip_home: str | None  # the site dir pip is imported from
    pip_version: str | None
    opaque: list[str]  # .pth files with a line whose imports cannot be read off it (exec, a computed name)
    pth_stamps: list[list[object]]  # each site dir's pth_stamp, taken before its .pth files were read


def pth_names(directory: str, version: tuple[int, ...]) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    hidden_ok = version < (3, 13)  # site.py reads hidden .pth files too before 3.13
    return sorted(name for name in names if name.endswith(".pth") and (hidden_ok or not name.startswith(".")))


def read_site_dirs(candidates: list[str], version: tuple[int, ...]) -> SiteDirs:
    """What site.main() would make of `candidates` (the interpreter's own site dirs, in order)."""
    pending = list(candidates)  # grows as .pth lines add site dirs (site.addsitedir)
    processed: set[str] = set()  # site dirs whose .pth files were read: a path line adds a dir without that
    site_path: list[str] = []
    pth_files: list[str] = []
    imports: list[str] = []
    pth_paths: list[str] = []
    opaque: list[str] = []
    stamps: list[list[object]] = []
    for directory in pending:
        if directory in processed or not os.path.isdir(directory):
            continue
        processed.add(directory)
        stamps.append(pth_stamp(directory))
        if directory not in site_path:
            site_path.append(directory)
        for name in pth_names(directory, version):
            path = os.path.join(directory, name)
            pth_files.append(path)
            for line in pth_lines(path, version):
                if line.startswith(("import ", "import\t")):  # code: what it imports, and the dirs it adds
                    named, added, readable = read_code_line(line)
                    imports += named
                    pth_paths += added
                    pending += [added_dir for added_dir in added if os.path.isdir(added_dir)]
                    if not readable:
                        opaque.append(path)
                    continue
                if not line or line.startswith("#"):
                    continue
                added_path = os.path.abspath(os.path.join(directory, line))
                pth_paths.append(added_path)
                if os.path.exists(added_path) and added_path not in site_path:
                    site_path.append(added_path)
    pip_home, pip_version = find_pip(site_path)
    modules = sorted({name.split(".")[0] for name in imports if name})
    return SiteDirs(
        site_path, pth_files, modules, pth_paths, pip_home, pip_version, list(dict.fromkeys(opaque)), stamps
    )


def pth_lines(path: str, version: tuple[int, ...]) -> list[str]:
    """The lines as site.py splits them: from 3.13 on with str.splitlines (form feeds, \\x1c-\\x1e, NEL,
    U+2028 end a line too), before that only at \\n, \\r and \\r\\n, where a form feed is whitespace inside a
    line (`import os\\f; exec(...)` is one line that runs the exec)."""
    encoding = "utf-8-sig" if version >= (3, 13) else "utf-8"  # 3.13 reads a .pth file as UTF-8, BOM and all
    try:
        with open(path, encoding=encoding, errors="replace") as handle:
            if version >= (3, 13):
                return [line.rstrip() for line in handle.read().splitlines()]
            return [line.rstrip() for line in handle]  # universal newlines, as site.py iterates the file
    except OSError:
        return []


def read_code_line(line: str) -> tuple[list[str], list[str], bool]:
    """parse_code_line's reading, from KNOWN_LINES when the line is one of them."""
    known = KNOWN_LINES.get(line)
    if known is not None:
        imports, added, readable = known
        return list(imports), list(added), readable
    return parse_code_line(line)


def parse_code_line(line: str) -> tuple[list[str], list[str], bool]:
    """(modules the line imports, site dirs it adds, whether that is all it can import): read from its
    syntax, never run. `import a as b, c`, `from a import b`, `__import__("a")`,
    `importlib.import_module("a")` and `site.addsitedir("/dir")` with a literal are read, and so is the code
    of `exec("…")` with a literal; `exec` of anything else, a computed name or directory, or a change to
    sys.path make the line one whose imports cannot be known."""
    # `_ast`, the C module `ast` wraps: `ast` itself imports `enum` (the benchmark's import costs)
    import _ast as ast

    try:
        tree = compile(line, "<.pth line>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return [], [], True  # site.py cannot run it either
    imports: list[str] = []
    added: list[str] = []
    readable = True
    for node in syntax_nodes(tree):
        if isinstance(node, ast.Import):
            imports += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            imports.append(node.module or "")
        elif isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            literal = (
                node.args[0].value
                if node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                else None
            )
            if called in ("exec", "eval", "compile") and literal is not None:  # code in a literal: read too
                named, added_there, readable_there = read_code_line(literal)
                imports += named
                added += added_there
                readable = readable and readable_there
            elif called in RUNS_CODE or (called in (*IMPORTS_NAMED, "addsitedir") and literal is None):
                readable = False
            elif called in IMPORTS_NAMED and literal is not None:
                imports.append(literal)
            elif called == "addsitedir" and literal is not None:
                added.append(literal)
    return imports, added, readable


def syntax_nodes(tree: _ast.AST) -> list[_ast.AST]:
    """Every node of a syntax tree, breadth first: `ast.walk`'s order."""
    import _ast

    nodes = [tree]
    for node in nodes:  # grows as it goes
        for field in node._fields:
            value = getattr(node, field, None)
            for child in value if isinstance(value, list) else [value]:
                if isinstance(child, _ast.AST):
                    nodes.append(child)
    return nodes


def find_pip(site_path: list[str]) -> tuple[str | None, str | None]:
    """The first directory on the path with a pip package, and pip's version from its dist-info there."""
    for directory in site_path:
        if os.path.isfile(os.path.join(directory, "pip", "__init__.py")):
            try:
                infos = [
                    n for n in os.listdir(directory) if n.startswith("pip-") and n.endswith(".dist-info")
                ]
            except OSError:
                infos = []
            return (directory, infos[0][4:-10]) if infos else (None, None)
    return None, None
