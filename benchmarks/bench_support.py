"""What benchmarks/run.py is built from: running a command as a measurement, interleaving repetitions,
reporting ratios against a target, what the sections share (Run), and the environments they measure in
(local wheels, venvs, and a base Python of the benchmark's own)."""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PYTHON_DIR = f"python{sys.version_info[0]}.{sys.version_info[1]}"
DEPS = [f"benchdep{n}" for n in range(10)]  # the requirements of the no-op installs


# A control beside safepip: a Python that only starts the command it is given and waits (what any Python
# wrapper of pip costs), run as `python bare.py <argv>` (bare_wrapper)
BARE = """\
import os, sys
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
os._exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


class BenchError(RuntimeError):
    """A command the benchmark depends on failed."""


def load_write_wheel() -> Callable[..., str]:
    spec = importlib.util.spec_from_file_location(
        "bench_packages", REPO / "tests" / "fixtures" / "packages.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_wheel  # type: ignore[no-any-return]


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak(self) -> int:
        return max(self.peak_kib)


@dataclass
class Verdict:
    label: str
    ratio: float
    limit: float

    @property
    def passed(self) -> bool:
        return self.ratio <= self.limit


class Bench:
    """Runs commands in a clean environment: no pip configuration (the machine's pip.conf has a
    constraint line), no PIP_* or PYTHON* variable of the caller's, a HOME of the benchmark's own."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._homes = iter(range(10**6))
        self.home = self.new_home("home")
        self.environ = {
            "HOME": str(self.home),
            "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull,
        }

    def new_home(self, name: str | None = None) -> Path:
        """An empty home directory: a user who never ran safepip."""
        home = self.root / "homes" / (name or f"fresh-{next(self._homes)}")
        home.mkdir(parents=True)
        return home

    def run(
        self, argv: Sequence[str | Path], extra: dict[str, str] | None = None, timing: Timing | None = None
    ) -> None:
        """Run once; when `timing` is given, record wall time and the tree's peak RSS."""
        environ = {**self.environ, **(extra or {})}
        start = time.perf_counter()
        child = subprocess.Popen([str(a) for a in argv], env=environ, cwd=self.root,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        assert child.stderr is not None
        errors = child.stderr.read()
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise BenchError(
                f"failed ({child.returncode}): {' '.join(map(str, argv))}\n{errors.decode(errors='replace')}"
            )
        if timing is not None:
            timing.seconds.append(elapsed)
            timing.peak_kib.append(usage.ru_maxrss)

    def output(self, argv: Sequence[str | Path], extra: dict[str, str] | None = None) -> str:
        """Run once, untimed; its stdout."""
        done = subprocess.run([str(a) for a in argv], env={**self.environ, **(extra or {})}, cwd=self.root,
                              capture_output=True, text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise BenchError(f"failed ({done.returncode}): {' '.join(map(str, argv))}\n{done.stderr}")
        return done.stdout.strip()

    def in_venv(self, venv: Path) -> dict[str, str]:
        """The variables of an activated venv."""
        return {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{self.environ['PATH']}"}

    def make_venv(self, venv: Path) -> Path:
        """`python -m venv` (with pip) at `venv`; returns its site-packages."""
        self.run([sys.executable, "-m", "venv", venv])
        return site_packages(self, venv / "bin" / "python")


@dataclass
class Run:
    """What every section shares: the bench, the options, the local wheels."""

    bench: Bench
    reps: int
    wheels: Path
    write_wheel: Callable[..., str]
    safepip: Path = BIN / "safepip"  # main() replaces it with self_installed's, unless --beside
    _new_names: Iterator[int] = field(default_factory=lambda: iter(range(10**6)))

    @classmethod
    def in_directory(cls, root: Path, reps: int) -> Run:
        """The bench in `root`, and the local wheels of benchone and DEPS."""
        run = cls(bench=Bench(root), reps=reps, wheels=root / "wheels", write_wheel=load_write_wheel())
        run.wheels.mkdir()
        for name in ["benchone", *DEPS]:
            run.write_wheel(str(run.wheels), name, "1.0", {f"{name}/__init__.py": "VALUE = 1\n"})
        return run

    @property
    def offline(self) -> list[str]:
        return ["--no-index", "--find-links", str(self.wheels)]

    def new_wheel(self) -> str:
        """A package never installed anywhere yet, so that pip really installs it."""
        name = f"benchnew{next(self._new_names)}"
        self.write_wheel(str(self.wheels), name, "1.0", {f"{name}/__init__.py": "VALUE = 1\n"})
        return name

    @functools.cached_property
    def base_python(self) -> Path:
        """An externally managed base Python of the benchmark's own, the 10 (d) packages in its
        site-packages (see make_base_python)."""
        return make_base_python(self.bench, self.bench.root / "base-python", [*self.offline, *DEPS])


def site_packages(bench: Bench, python: Path) -> Path:
    return Path(bench.output([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]))


Step = tuple[Timing, Callable[[], None], Callable[[Timing], None]]


def interleave(reps: int, steps: Sequence[Step]) -> None:
    """Each repetition runs every step once: (timing, untimed preparation, timed command), in an order drawn
    anew (seeded: a run can be repeated), so that each step comes right after each other one about as often:
    what a command leaves behind (written pages still to flush, caches) weighs on no row alone. (Starting each
    repetition one step further on, as before, left every step after the same one in all but one position.)"""
    draw = random.Random(len(steps))
    for _ in range(reps):
        for timing, prepare, measure in draw.sample(list(steps), len(steps)):
            prepare()
            measure(timing)


def at_most(count: int, measure: Callable[[Timing], None]) -> Callable[[Timing], None]:
    """A step measured in the first `count` repetitions only."""

    def capped(timing: Timing) -> None:
        if len(timing.seconds) < count:
            measure(timing)

    return capped


def nothing() -> None:
    pass


def load() -> str:
    """The machine's load average: the figures move with what else runs on it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def row(timing: Timing, ratio: float) -> str:
    return f"  {timing.label:<58} {timing.median * 1000:8.1f} ms   x{ratio:5.2f}   peak {timing.peak / 1024:6.1f} MiB"


def paired_ratios(timing: Timing, baseline: Timing) -> list[float] | None:
    """Each repetition's time over the baseline's in the same repetition, seconds apart (interleave): what
    the machine does from one minute to the next (pip itself took 400 to 690 ms from hour to hour on these
    shared cores) divides out. None when the rows were not measured in the same repetitions (at_most)."""
    if len(timing.seconds) != len(baseline.seconds):
        return None
    return [time / base for time, base in zip(timing.seconds, baseline.seconds, strict=True)]


def ratio_of(timing: Timing, baseline: Timing) -> float:
    """The median of the paired ratios; the medians' ratio where there are no pairs."""
    pairs = paired_ratios(timing, baseline)
    return statistics.median(pairs) if pairs else timing.median / baseline.median


def ratio_interval(timing: Timing, baseline: Timing, resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval of ratio_of(timing, baseline), the repetitions drawn again (seeded: the same
    figures give the same interval): how far the ratio could move with the machine's noise alone."""
    draw = random.Random(0)
    pairs = paired_ratios(timing, baseline)
    if pairs:
        ratios = sorted(statistics.median(draw.choices(pairs, k=len(pairs))) for _ in range(resamples))
    else:
        ratios = sorted(
            statistics.median(draw.choices(timing.seconds, k=len(timing.seconds)))
            / statistics.median(draw.choices(baseline.seconds, k=len(baseline.seconds)))
            for _ in range(resamples)
        )
    return ratios[int(resamples * 0.025)], ratios[int(resamples * 0.975) - 1]


def report(
    title: str, baseline: Timing, timings: Sequence[Timing], targets: Sequence[tuple[str, float]] = ()
) -> list[Verdict]:
    """Print each row against the baseline (its median time, and ratio_of: the median of its per-repetition
    ratios); the first len(targets) rows are held to (name, limit), with the ratio's 95 % interval beside."""
    print(f"\n{title}")
    verdicts = []
    for index, timing in enumerate(timings):
        ratio = ratio_of(timing, baseline)
        line = row(timing, ratio)
        if index < len(targets):
            name, limit = targets[index]
            verdict = Verdict(name, ratio, limit)
            verdicts.append(verdict)
            low, high = ratio_interval(timing, baseline)
            line += f"   target <= {limit:.2f}: {'PASS' if verdict.passed else 'FAIL'} (95 % {low:.2f}-{high:.2f})"
        print(line)
    print(row(baseline, 1.0))
    return verdicts


def self_installed(bench: Bench) -> Path:
    """safepip as the README's first command installs it: safepip.pyz built from this checkout (REPO), then
    `self install`ed into a HOME of the benchmark's own; its ~/.local/bin/safepip. A copy: editing the
    checkout during a run changes nothing that runs."""
    archive = bench.root / "safepip.pyz"
    built = subprocess.run([sys.executable, "-m", "safepip.zipapp.build", "--output", str(archive)], cwd=REPO,
                           env=bench.environ, capture_output=True, text=True, check=False)  # fmt: skip
    if built.returncode != 0:
        raise BenchError(f"could not build safepip.pyz from {REPO}:\n{built.stderr}")
    home = bench.new_home("tool")
    bench.run([sys.executable, archive, "self", "install"], {"HOME": str(home)})
    return home / ".local" / "bin" / "safepip"


def bare_wrapper(root: Path) -> Path:
    """The control's script (BARE), written into `root` once."""
    script = root / "bare.py"
    if not script.exists():
        script.write_text(BARE)
    return script


def remove_installed(site: Path, name: str) -> bool:
    """Uninstall a pure-Python package without scripts as pip does (its files and its dist-info), without
    the ~0.4 s of starting pip for it between every timed run. True when it was installed."""
    found = False
    for entry in (site / name, *site.glob(f"{name}-*.dist-info")):
        if entry.exists():
            shutil.rmtree(entry)
            found = True
    return found


def require_installed(site: Path, name: str) -> None:
    """The timed command really installed `name` there (and not into some other target)."""
    if not any(site.glob(f"{name}-*.dist-info")):
        raise BenchError(f"{name} is not in {site} after the timed install")


def bulk_names(count: int) -> list[str]:
    return [f"benchbulk{number:03d}" for number in range(count)]


def start_bulk_wheels(dest: Path, count: int, files_each: int) -> subprocess.Popen[bytes]:
    """Start writing `count` wheels of `files_each` small modules each into `dest` (names: bulk_names).

    In a process of its own: it runs while the venvs are made, and the benchmark's own memory, a floor
    under every peak it measures, does not grow by it."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import bench_support as b; "
        "b.write_bulk_wheels(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))"
    )
    here = str(Path(__file__).parent)
    return subprocess.Popen([sys.executable, "-c", code, here, str(dest), str(count), str(files_each)])


def write_bulk_wheels(dest: str, count: int, files_each: int) -> None:
    write_wheel = load_write_wheel()
    for name in bulk_names(count):
        files = {f"{name}/__init__.py": ""}
        files.update({f"{name}/m{module:03d}.py": f"N = {module}\n" for module in range(1, files_each)})
        write_wheel(dest, name, "1.0", files)


def make_fresh_and_crowded_venvs(
    bench: Bench, fresh: Path, crowded: Path, packages: int, files_each: int
) -> tuple[Path, Path]:
    """Two venvs, one fresh, one with `packages` local packages of `files_each` files installed by pip;
    their site-packages."""
    bulk = bench.root / "bulk-wheels"
    bulk.mkdir()
    writing = start_bulk_wheels(bulk, packages, files_each)
    sites = bench.make_venv(fresh), bench.make_venv(crowded)
    if writing.wait() != 0:
        raise BenchError(f"could not write the wheels of {packages} packages")
    # --no-compile: as many files as the packages have, not twice as many with .pyc, and a shorter set-up
    bench.run([crowded / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile",
               "--no-index", "--find-links", bulk, *bulk_names(packages)])  # fmt: skip
    return sites


def count_files(top: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(top))


def make_base_python(bench: Bench, dest: Path, packages_from: Sequence[str | Path]) -> Path:
    """A base Python (not a venv) of the benchmark's own at `dest`, with an empty site-packages of its own,
    marked externally managed (PEP 668); then `packages_from` (pip arguments) installed into it.

    A venv cannot serve as that base: Python finds a venv's base through `home` in pyvenv.cfg and the
    symbolic links of its executable, so a venv made from venv B (by `python -m venv` or virtualenv) sees the
    site-packages of B's own base, never B's. And the machine's base Pythons are not the benchmark's to
    install into. So this lays out an installation: a copy of the base executable (a copy, not a link:
    Python resolves a linked executable and would take the original prefix), the standard library and
    lib-dynload as links to the original's, and a real, empty `site-packages`. Python then finds its prefix
    at `dest` by its landmark (lib/pythonX.Y/os.py), and a venv made from it with system site-packages sees
    `dest`'s site-packages: what a managed venv sees of the system's packages."""
    base = Path(sys.base_prefix)
    executable = base / "bin" / PYTHON_DIR
    stdlib = base / "lib" / PYTHON_DIR
    if not executable.is_file() or not (stdlib / "os.py").is_file():
        raise BenchError(f"{base} is not laid out as bin/{PYTHON_DIR} and lib/{PYTHON_DIR}")
    (dest / "bin").mkdir(parents=True)
    (dest / "lib" / PYTHON_DIR / "site-packages").mkdir(parents=True)
    shutil.copy2(executable, dest / "bin" / PYTHON_DIR)
    (dest / "bin" / "python3").symlink_to(PYTHON_DIR)
    for entry in (base / "lib").iterdir():  # libpython, for an executable that finds it at $ORIGIN/../lib
        if entry.name != PYTHON_DIR:
            (dest / "lib" / entry.name).symlink_to(entry)
    for entry in stdlib.iterdir():
        if entry.name != "site-packages":
            (dest / "lib" / PYTHON_DIR / entry.name).symlink_to(entry)
    (dest / "lib" / PYTHON_DIR / "EXTERNALLY-MANAGED").write_text(
        "[externally-managed]\nError=the safepip benchmark's base Python\n"
    )
    python = dest / "bin" / "python3"
    prefix = bench.output([python, "-c", "import sys; print(sys.prefix)"])
    if Path(prefix) != dest:
        raise BenchError(f"the laid-out Python at {dest} took the prefix {prefix}")
    site = dest / "lib" / PYTHON_DIR / "site-packages"
    bench.run([sys.executable, "-m", "pip", "install", "-q", "--target", site, *packages_from])
    return python


def externally_managed(python: str) -> bool:
    """Whether `python` carries the PEP 668 marker (safepip then installs into a managed venv)."""
    done = subprocess.run(
        [python, "-I", "-c", "import os, sysconfig; print(os.path.isfile(os.path.join("
         "sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.returncode == 0 and done.stdout.strip() == "True"
