"""safepip against plain pip (and uv, when present), side by side in one run: medians of interleaved
repetitions, the ratios, and each command's peak memory.

    python benchmarks/run.py [--reps 7]

Run it with the Python of the environment safepip is installed in (the README's test venv works:
`.venv/bin/python benchmarks/run.py`). Everything happens offline in a temporary directory: the packages
are small local wheels, installed with `--no-index --find-links`.

Measured:
  (a) `safepip install` of one local wheel vs `python -m pip install` of it, into the active writable venv
      (same pip): a first run (no entry from an earlier run: pip's head start is the active venv's), repeated
      (as in a Makefile: the head start from the last identical run), and, for comparison, a first run with
      `--python <venv>`, which has no head start. (a) has the smallest margin: it runs 3 x reps.
  (b) `safepip --version` and `safepip explain` vs `python -c pass`
  (c) creating a venv with safepip (its managed-venv path, pip usable inside) vs `virtualenv` defaults and
      `python -m venv`
  (d) a no-op `safepip install -r` of 10 satisfied local wheels vs pip's (and uv's)
  (e) peak memory (max RSS of the process tree) of each
Targets: (a) <= 1.10, (c) <= 0.30 x virtualenv, (d) <= 0.20 x pip.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGETS = {"a": 1.10, "c": 0.30, "d": 0.20}
A_REPS = 3  # (a) runs 3 x reps: its margin is the smallest, and one busy moment moves a median of few


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


class Bench:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.home.mkdir()
        self.environ = {
            "HOME": str(self.home),
            "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_CONFIG_FILE": os.devnull,
        }

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
            sys.exit(
                f"failed ({child.returncode}): {' '.join(map(str, argv))}\n{errors.decode(errors='replace')}"
            )
        if timing is not None:
            timing.seconds.append(elapsed)
            timing.peak_kib.append(usage.ru_maxrss)


def interleave(
    reps: int, steps: Sequence[tuple[Timing, Callable[[], None], Callable[[Timing], None]]]
) -> None:
    """Each repetition runs every step once, in turn: (timing, untimed preparation, timed command)."""
    for _ in range(reps):
        for timing, prepare, measure in steps:
            prepare()
            measure(timing)


def load() -> str:
    """The machine's load average: the figures move with what else runs on it."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def nothing() -> None:
    pass


def report(
    title: str, timings: Sequence[Timing], baseline: Timing, target_key: str | None = None, targeted: int = 1
) -> bool:
    """Print each row against the baseline; the first `targeted` rows are held to the target."""
    print(f"\n{title}")
    ok = True
    for index, timing in enumerate(timings):
        ratio = timing.median / baseline.median
        line = f"  {timing.label:<44} {timing.median * 1000:8.1f} ms   x{ratio:5.2f}   peak {timing.peak / 1024:6.1f} MiB"
        if target_key and index < targeted:
            limit = TARGETS[target_key]
            ok = ok and ratio <= limit
            line += f"   target <= {limit:.2f}: {'PASS' if ratio <= limit else 'FAIL'}"
        print(line)
    print(
        f"  {baseline.label:<44} {baseline.median * 1000:8.1f} ms   x 1.00   peak {baseline.peak / 1024:6.1f} MiB"
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    options = parser.parse_args()
    safepip = BIN / "safepip"
    if not safepip.exists():
        sys.exit(f"no safepip next to {sys.executable}: run this with the Python safepip is installed in")
    uv = shutil.which("uv")
    write_wheel = load_write_wheel()
    root = Path(tempfile.mkdtemp(prefix="safepip-bench-"))
    try:
        bench = Bench(root)
        wheels = root / "wheels"
        wheels.mkdir()
        write_wheel(str(wheels), "benchone", "1.0", {"benchone/__init__.py": "VALUE = 1\n"})
        names = [f"benchdep{n}" for n in range(10)]
        for name in names:
            write_wheel(str(wheels), name, "1.0", {f"{name}/__init__.py": ""})
        requirements = root / "requirements.txt"
        requirements.write_text("".join(f"{name}>=1.0\n" for name in names))
        offline = ["--no-index", "--find-links", str(wheels)]

        print(
            f"safepip benchmark: {options.reps} interleaved repetitions, medians; Python {sys.version.split()[0]}"
        )
        venv = root / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
        python = venv / "bin" / "python"
        in_venv = {"VIRTUAL_ENV": str(venv), "PATH": f"{venv / 'bin'}:{bench.environ['PATH']}"}
        pip_version = subprocess.run(
            [python, "-m", "pip", "--version"], capture_output=True, text=True
        ).stdout.split()[1]
        print(f"pip {pip_version} in the benchmark venv; uv: {uv or 'not found'}; {load()}")

        # (a) one local wheel into a writable venv
        def uninstall() -> None:
            bench.run([python, "-m", "pip", "uninstall", "-y", "-q", "benchone"])

        def uninstall_and_forget() -> None:  # as on a fresh machine: no entry from an earlier run
            uninstall()
            shutil.rmtree(bench.home / ".cache" / "safepip" / "head-start", ignore_errors=True)

        pip_a = Timing("python -m pip install <wheel>")
        first_a = Timing("safepip install <wheel>, first run")
        repeated_a = Timing("safepip install <wheel>, repeated")
        cold_a = Timing("safepip --python <venv> install, first run")  # no head start: not the active venv's
        safepip_install = [safepip, "-q", "install", "-q", *offline, "benchone"]
        interleave(options.reps * A_REPS, [
            (pip_a, uninstall, lambda t: bench.run([python, "-m", "pip", "install", "-q", *offline, "benchone"], in_venv, t)),
            (first_a, uninstall_and_forget, lambda t: bench.run(safepip_install, in_venv, t)),
            (repeated_a, uninstall, lambda t: bench.run(safepip_install, in_venv, t)),
            (cold_a, uninstall_and_forget, lambda t: bench.run(
                [safepip, "-q", "--python", python, "install", "-q", *offline, "benchone"], in_venv, t)),
        ])  # fmt: skip
        ok_a = report("(a) install one local wheel into a venv", [first_a, repeated_a, cold_a], pip_a, "a", 2)

        # (b) start-up
        bare, version, explain = (
            Timing("python -c pass"),
            Timing("safepip --version"),
            Timing("safepip explain benchone"),
        )
        interleave(options.reps, [
            (bare, nothing, lambda t: bench.run([python, "-c", "pass"], in_venv, t)),
            (version, nothing, lambda t: bench.run([safepip, "--version"], in_venv, t)),
            (explain, nothing, lambda t: bench.run([safepip, "explain", "benchone"], in_venv, t)),
        ])  # fmt: skip
        report("(b) start-up", [version, explain], bare)

        # (c) making a venv with pip usable inside: safepip's managed venv (PIP_REQUIRE_VIRTUALENV rules out
        # the interpreter's own environment and --user, so `safepip python` makes one), removed between runs
        made = root / "made"
        made.mkdir()
        counter = iter(range(10**6))

        def fresh() -> Path:
            return made / str(next(counter))

        base = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")
        managed_root = bench.home / ".local" / "share" / "safepip" / "venvs"
        managed_env = {"PIP_REQUIRE_VIRTUALENV": "1"}

        def drop_managed() -> None:
            shutil.rmtree(managed_root, ignore_errors=True)

        bench.run(
            [safepip, "-q", "--python", base, "python"], managed_env
        )  # the one-time pip seed, as virtualenv's app-data
        own, virtualenv, stdlib = (
            Timing("safepip (managed venv)"),
            Timing("virtualenv (defaults)"),
            Timing("python -m venv"),
        )
        interleave(options.reps, [
            (own, drop_managed, lambda t: bench.run([safepip, "-q", "--python", base, "python"], managed_env, t)),
            (virtualenv, nothing, lambda t: bench.run([BIN / "virtualenv", "-q", fresh()], None, t)),
            (stdlib, nothing, lambda t: bench.run([base, "-m", "venv", fresh()], None, t)),
        ])  # fmt: skip
        for venv_dir in managed_root.iterdir():  # the managed venv really has a working pip
            bench.run([venv_dir / "bin" / "python", "-m", "pip", "--version"])
        ok_c = report("(c) create a venv with a working `python -m pip`", [own, stdlib], virtualenv, "c")

        # (d) no-op install of 10 satisfied requirements
        bench.run([python, "-m", "pip", "install", "-q", *offline, "-r", requirements])
        pip_d, safepip_d = (
            Timing("pip install -r (10 satisfied)"),
            Timing("safepip install -r (10 satisfied)"),
        )
        steps = [
            (safepip_d, nothing, lambda t: bench.run([safepip, "-q", "install", "-q", *offline, "-r", requirements], in_venv, t)),
            (pip_d, nothing, lambda t: bench.run([python, "-m", "pip", "install", "-q", *offline, "-r", requirements], in_venv, t)),
        ]  # fmt: skip
        uv_d = Timing("uv pip install -r (10 satisfied)")
        if uv:
            steps.append((uv_d, nothing, lambda t: bench.run(
                [uv, "pip", "install", "-q", "--offline", *offline, "--python", python, "-r", requirements], in_venv, t)))  # fmt: skip
        interleave(options.reps, steps)
        ok_d = report(
            "(d) no-op install -r of 10 satisfied wheels", [safepip_d, *([uv_d] if uv else [])], pip_d, "d"
        )

        print("\n(e) peak memory is the last column: max RSS of the process and the children it waited for")
        results = {"a": ok_a, "c": ok_c, "d": ok_d}
        print(f"\nat the end: {load()}")
        print(
            "targets: "
            + ", ".join(f"({key}) {'PASS' if passed else 'FAIL'}" for key, passed in results.items())
        )
        return 0 if all(results.values()) else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
