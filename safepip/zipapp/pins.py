"""The wheels safepip.pyz is made of: pyproject.toml's dependencies, locked in pins.txt with their sha256.

    python3 -m safepip.zipapp.build --lock     # resolve again and rewrite pins.txt

pip resolves them as pure-Python wheels for the oldest Python that pyproject's requires-python admits
(`--platform any --implementation py --abi none --python-version X.Y`: a dependency that would need a
compiled wheel is resolved to an older release that does not, or the lock fails). The build
downloads exactly the pinned files (`--require-hashes`), or finds them in a wheel directory. Standard
library only; a pip to lock, and to download where there is one (else the index's JSON API is read).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

PINS = Path(__file__).with_name("pins.txt")
# environments a marker in a dependency's metadata is evaluated for when locking: every Python safepip
# supports, on the systems it runs on (pip itself evaluates markers for the Python that runs it only)
LOCK_PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14", "3.15")
LOCK_SYSTEMS = (("linux", "Linux"), ("darwin", "Darwin"))


class BuildError(Exception):
    pass


class Project(NamedTuple):
    name: str
    version: str
    summary: str
    requires_python: str
    dependencies: tuple[str, ...]

    @property
    def min_python(self) -> str:
        found = re.fullmatch(r"\s*>=\s*(\d+\.\d+)\s*", self.requires_python)
        if found is None:
            raise BuildError(f"requires-python {self.requires_python!r} is not of the form '>=X.Y'")
        return found.group(1)

    @property
    def dependencies_digest(self) -> str:
        """What pins.txt was locked for: a changed dependency list makes the pins stale."""
        text = "\n".join(sorted(re.sub(r"\s+", "", dep) for dep in self.dependencies))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class Pin(NamedTuple):
    name: str  # normalized
    version: str
    sha256: str


class Wheel(NamedTuple):
    path: Path
    name: str  # normalized
    version: str
    tags: tuple[str, str, str]


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def load_toml(path: Path) -> dict[str, Any]:
    import importlib

    for name in ("tomllib", "tomli", "pip._vendor.tomli"):  # Python 3.11+, else a tomli, else pip's
        try:
            toml = importlib.import_module(name)
        except ImportError:
            continue
        with open(path, "rb") as handle:
            loaded: dict[str, Any] = toml.load(handle)
        return loaded
    raise BuildError("reading pyproject.toml needs Python 3.11+, tomli or pip")


def read_project(checkout: Path) -> Project:
    project = load_toml(checkout / "pyproject.toml")["project"]
    return Project(
        name=project["name"],
        version=project["version"] if "version" in project else read_version(checkout),
        summary=project.get("description", ""),
        requires_python=project.get("requires-python", ""),
        dependencies=tuple(project.get("dependencies", ())),
    )


def read_version(checkout: Path) -> str:
    """`__version__` of safepip/__init__.py, which pyproject's dynamic version reads too (hatch)."""
    text = (checkout / "safepip" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r"^__version__ = \"([^\"]+)\"$", text, re.MULTILINE)
    if found is None:
        raise BuildError('no __version__ = "X" in safepip/__init__.py')
    return found.group(1)


# ---------------------------------------------------------------- pins


def read_pins(path: Path, project: Project) -> list[Pin]:
    text = path.read_text(encoding="utf-8")
    digest = re.search(r"^# dependencies: (\w+)$", text, re.MULTILINE)
    if digest is None or digest.group(1) != project.dependencies_digest:
        raise BuildError(
            f"{path} was not locked for pyproject.toml's dependencies; run: python3 -m safepip.zipapp.build --lock"
        )
    pins = [
        Pin(normalize(name), version, sha)
        for name, version, sha in re.findall(
            r"^([\w.-]+)==(\S+) \\\n\s+--hash=sha256:(\w+)", text, re.MULTILINE
        )
    ]
    pinned = {pin.name for pin in pins}
    missing = [
        dep for dep in project.dependencies if normalize(re.split(r"[\s<>=!~;\[(]", dep)[0]) not in pinned
    ]
    if missing:
        raise BuildError(f"{path} pins none of {missing}; run: python3 -m safepip.zipapp.build --lock")
    return pins


def write_pins(path: Path, project: Project, wheels: Iterable[Wheel]) -> None:
    lines = [
        "# The wheels safepip.pyz is built from: pyproject.toml's dependencies and theirs, resolved for",
        f"# Python {project.requires_python} as pure-Python wheels; markers were evaluated for Python"
        f" {', '.join(LOCK_PYTHONS)}.",
        "# Made by `python3 -m safepip.zipapp.build --lock`; pip can read it (`pip download -r`).",
        f"# dependencies: {project.dependencies_digest}",
    ]
    for wheel in sorted(wheels, key=lambda w: w.name):
        lines += [f"{wheel.name}=={wheel.version} \\", f"    --hash=sha256:{sha256_of(wheel.path)}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------- wheels


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_wheel_name(path: Path) -> Wheel | None:
    parts = path.name[: -len(".whl")].split("-") if path.name.endswith(".whl") else []
    if len(parts) not in (5, 6):
        return None
    return Wheel(path, normalize(parts[0]), parts[1], (parts[-3], parts[-2], parts[-1]))


def wheels_in(directory: Path) -> list[Wheel]:
    found = (read_wheel_name(path) for path in sorted(directory.glob("*.whl")))
    return [wheel for wheel in found if wheel is not None]


def target_options(project: Project) -> list[str]:
    """pip's options for wheels any supported Python can run: pure Python, for the oldest one."""
    return ["--only-binary", ":all:", "--platform", "any", "--implementation", "py", "--abi", "none",
            "--python-version", project.min_python]  # fmt: skip


def run_pip(pip: Sequence[str], args: Sequence[str]) -> None:
    command = [*pip, *args]
    print("+", shlex.join(command), file=sys.stderr)
    try:
        done = subprocess.run(command, check=False)
    except OSError as error:
        raise BuildError(f"cannot run {command[0]}: {error.strerror}; pass --pip") from None
    if done.returncode != 0:
        raise BuildError(
            f"pip failed (exit {done.returncode}): {shlex.join(command)}; another pip can be given with "
            "--pip, or the wheels with --wheels DIR --offline"
        )


Download = Callable[[Sequence[Pin], Path, Project], None]  # fetches the pinned wheels into a directory


def with_pip(pip: Sequence[str]) -> Download:
    def download(pins: Sequence[Pin], directory: Path, project: Project) -> None:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
            listing.writelines(f"{p.name}=={p.version} --hash=sha256:{p.sha256}\n" for p in pins)
        try:
            run_pip(pip, ["download", "--no-deps", "--require-hashes", "--quiet", "--dest", str(directory),
                          *target_options(project), "-r", listing.name])  # fmt: skip
        finally:
            os.unlink(listing.name)

    return download


def from_index(index_url: str) -> Download:
    """Without a pip: each pinned file from the index's JSON simple API (PEP 691), found by its sha256."""
    import urllib.error
    import urllib.parse
    import urllib.request

    def download(pins: Sequence[Pin], directory: Path, project: Project) -> None:
        for pin in pins:
            page = urllib.parse.urljoin(index_url.rstrip("/") + "/", f"{pin.name}/")
            try:
                request = urllib.request.Request(
                    page, headers={"Accept": "application/vnd.pypi.simple.v1+json"}
                )
                with urllib.request.urlopen(request, timeout=60) as answer:
                    files = json.load(answer)["files"]
                chosen = next(f for f in files if f.get("hashes", {}).get("sha256") == pin.sha256)
                url = urllib.parse.urljoin(page, chosen["url"])
                print("+ fetch", url, file=sys.stderr)
                with urllib.request.urlopen(url, timeout=300) as answer:
                    data = answer.read()
            except (OSError, ValueError, KeyError, StopIteration) as error:
                raise BuildError(f"cannot fetch {pin.name}=={pin.version} from {page}: {error!r}") from None
            if hashlib.sha256(data).hexdigest() != pin.sha256:
                raise BuildError(f"{url} is not the file pinned for {pin.name}=={pin.version}")
            partial = directory / f".{chosen['filename']}.part"
            partial.write_bytes(data)
            partial.replace(directory / chosen["filename"])

    return download


def pinned_wheels(
    pins: Sequence[Pin], directory: Path, download: Download | None, project: Project
) -> list[Wheel]:
    """The wheel of each pin from `directory`, downloaded there first when missing (unless `download` is None)."""

    def matching() -> tuple[list[Wheel], list[Pin]]:
        available = {(w.name, w.version): w for w in wheels_in(directory)}
        found, missing = [], []
        for pin in pins:
            wheel = available.get((pin.name, pin.version))
            if wheel is not None and sha256_of(wheel.path) == pin.sha256:
                found.append(wheel)
            else:
                missing.append(pin)
        return found, missing

    found, missing = matching()
    if missing and download is not None:
        directory.mkdir(parents=True, exist_ok=True)
        download(missing, directory, project)
        found, missing = matching()
    if missing:
        named = ", ".join(f"{p.name}=={p.version}" for p in missing)
        raise BuildError(f"no wheel with the pinned sha256 in {directory} for {named}")
    for wheel in found:
        if wheel.tags[1:] != ("none", "any"):
            raise BuildError(f"{wheel.path.name} is not a pure-Python wheel: the .pyz must run on any Python")
    return found


# ---------------------------------------------------------------- locking


MARKER_SCRIPT = r"""
import json, sys
try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement
requirements, environments = json.load(sys.stdin)
needed = {}
for text in requirements:
    req = Requirement(text)
    if req.marker is None or any(req.marker.evaluate({**env, "extra": ""}) for env in environments):
        needed[req.name] = str(req.specifier)
print(json.dumps(needed))
"""


def marker_environments(min_python: str) -> list[dict[str, str]]:
    minimum = tuple(int(part) for part in min_python.split("."))
    pythons = [v for v in LOCK_PYTHONS if tuple(int(p) for p in v.split(".")) >= minimum]
    return [
        {"python_version": version, "python_full_version": f"{version}.0", "sys_platform": platform,
         "platform_system": system, "os_name": "posix", "implementation_name": "cpython",
         "platform_python_implementation": "CPython", "platform_machine": "x86_64"}
        for version in pythons for platform, system in LOCK_SYSTEMS
    ]  # fmt: skip


def wheel_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(
            n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1
        )
        text = archive.read(metadata).decode("utf-8")
    headers = text.split("\n\n", 1)[0]
    return [
        line.split(":", 1)[1].strip() for line in headers.splitlines() if line.startswith("Requires-Dist:")
    ]


def lock(project: Project, pip: Sequence[str], pins: Path) -> None:
    """Resolve pyproject's dependencies for every supported Python and write pins.txt.

    pip resolves for the oldest supported Python (`--python-version`) but evaluates environment markers for
    the Python that runs it; a requirement that only another supported Python needs is added and the
    resolution run again, until nothing is missing."""
    requirements = list(project.dependencies)
    environments = marker_environments(project.min_python)
    for _round in range(5):
        with tempfile.TemporaryDirectory(prefix="safepip-lock-") as scratch:
            run_pip(pip, ["download", "--quiet", "--dest", scratch, *target_options(project), *requirements])
            wheels = wheels_in(Path(scratch))
            declared = [req for wheel in wheels for req in wheel_requirements(wheel.path)]
            done = subprocess.run([pip[0], "-c", MARKER_SCRIPT], input=json.dumps([declared, environments]),
                                  capture_output=True, text=True, check=False)  # fmt: skip
            if done.returncode != 0:
                raise BuildError(f"could not evaluate markers with {pip[0]}: {done.stderr.strip()}")
            needed: dict[str, str] = json.loads(done.stdout)
            have = {wheel.name for wheel in wheels}
            missing = [
                f"{name}{spec}" for name, spec in sorted(needed.items()) if normalize(name) not in have
            ]
            if not missing:
                write_pins(pins, project, wheels)
                print(f"locked {len(wheels)} wheels into {pins}", file=sys.stderr)
                return
            print(f"needed by another supported Python: {', '.join(missing)}", file=sys.stderr)
            requirements += missing
    raise BuildError("the resolution did not settle after 5 rounds")
