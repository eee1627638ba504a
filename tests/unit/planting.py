"""Code another user plants where a Python might import it: packages in a directory, bytecode in a
PYTHONPYCACHEPREFIX tree. Each leaves a marker file behind when it runs."""

from __future__ import annotations

from pathlib import Path

# what a run of safepip imports after its start-up, and the package itself
PLANTED = (
    "safepip", "__future__", "json", "zipfile", "argparse", "select", "fcntl", "shutil", "tempfile", "subprocess",
)  # fmt: skip


def plant_modules(directory: Path, marker: Path, names: tuple[str, ...] = PLANTED) -> None:
    """Packages in `directory` that add their name to `marker` when imported."""
    for name in names:
        package = directory / name
        package.mkdir()
        (package / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write({name!r} + '\\n')\n")


def plant_bytecode(prefix: Path, module: str, marker: Path) -> None:
    """A .pyc for the standard library's `module` in the PYTHONPYCACHEPREFIX tree, stamped with the real
    source's mtime and size, so Python takes it: it leaves `marker`, then runs the real module."""
    import importlib.util
    import marshal
    import sysconfig

    source = Path(sysconfig.get_path("stdlib")) / f"{module}.py"
    code = compile(f"open({str(marker)!r}, 'w').close()\n" + source.read_text(), str(source), "exec")
    info = source.stat()
    header = importlib.util.MAGIC_NUMBER + (0).to_bytes(4, "little")
    header += (int(info.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + (info.st_size & 0xFFFFFFFF).to_bytes(
        4, "little"
    )
    tag = importlib.util.cache_from_source(str(source)).rsplit("/", 1)[1]
    target = prefix / str(source.parent).lstrip("/") / tag
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(header + marshal.dumps(code))
