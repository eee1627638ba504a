"""What safepip adds to an install, seen from inside its process: the time from the command's start to pip's
spawn, pip's own run, and the time after pip ends, against plain pip, alternated.

    python benchmarks/overhead.py [--reps 30] [--crowded]

A one-wheel install into a fresh venv, as run.py's (a): plain `python -m pip install`, safepip repeated, and
safepip's first run (a new HOME), in turn. safepip is self-installed from this checkout, as run.py's is, and
runs through a wrapper that its venv's Python runs as the launcher does (`-IS`, its prefix and site-packages
set), loading safepip as the launcher does; the wrapper records, on the machine's monotonic clock, when its first line ran, when it spawned pip,
and when pip ended; the benchmark records when it started the command and when the command ended. Python's
own start-up is the first line's time less the command's start. A floor beside it: a bare Python that only
starts the same pip (`-P -m pip`) and waits, what any Python wrapper of pip costs before doing anything.
With `--crowded`, the venv is run.py's venv of 300 packages instead of a fresh one.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_support import (
    BIN,
    Run,
    bare_wrapper,
    make_fresh_and_crowded_venvs,
    remove_installed,
    self_installed,
    site_packages,
)

WRAPPER = """\
import time
START = time.monotonic()
import gc, os, sys
sys.prefix = sys.exec_prefix = os.environ["SAFEPIP_BENCH_VENV"]
sys.path.append(os.environ["SAFEPIP_BENCH_SITE"])
gc.disable()
import safepip.util.process as process
marks = {"start": START, "spawns": [], "ends": []}
spawn, wait = process.spawn, process.Child.wait
def spawned(argv, *args, **kwargs):
    marks["spawns"].append((time.monotonic(), [str(a) for a in argv[:5]]))
    return spawn(argv, *args, **kwargs)
def waited(child, timeout=None):
    code = wait(child, timeout)
    if code is not None:
        marks["ends"].append(time.monotonic())
    return code
process.spawn, process.Child.wait = spawned, waited
exit_now = os._exit
def leave(code):
    with open(os.environ["SAFEPIP_BENCH_MARKS"], "w") as out:
        out.write(repr(marks))
    exit_now(code)
os._exit = leave
from safepip.cli.main import main
main()
"""


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:6.1f} ms (min {min(values) * 1000:6.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--crowded", action="store_true", help="a venv of 300 packages, as run.py's (a)")
    options = parser.parse_args()
    reps = options.reps
    with tempfile.TemporaryDirectory(prefix="safepip-overhead-") as directory:
        root = Path(directory)
        run = Run.in_directory(root, reps)
        bench = run.bench
        venv = root / "venv"
        if options.crowded:
            _, site = make_fresh_and_crowded_venvs(bench, root / "venv-fresh", venv, 300, 300)
        else:
            site = bench.make_venv(venv)
        wrapper, marks = root / "wrapper.py", root / "marks"
        wrapper.write_text(WRAPPER)
        bare = bare_wrapper(root)
        tool = self_installed(bench).resolve().parents[1]  # ~/.local/bin/safepip leads to <tool>/bin/safepip
        environ = {**bench.environ, **bench.in_venv(venv), "SAFEPIP_BENCH_MARKS": str(marks),
                   "SAFEPIP_BENCH_VENV": str(tool), "SAFEPIP_BENCH_SITE": str(site_packages(bench, tool / "bin" / "python"))}  # fmt: skip
        install = ["install", "-q", *run.offline, "benchone"]
        rows: dict[str, list[float]] = {}

        def timed(argv: list[str], extra: dict[str, str]) -> tuple[float, float]:
            remove_installed(site, "benchone")
            started = time.monotonic()
            subprocess.run(argv, env={**environ, **extra}, cwd=root, check=True, stdout=subprocess.DEVNULL)
            return started, time.monotonic()

        def safepip(kind: str) -> None:
            extra = {"HOME": str(bench.new_home())} if kind == "first run" else {}
            started, ended = timed([str(tool / "bin" / "python"), "-IS", str(wrapper), *install], extra)
            found = ast.literal_eval(marks.read_text())  # the wrapper's repr: no import at its exit
            spawned = next(at for at, argv in reversed(found["spawns"]) if "pip" in argv)
            for name, value in [("total", ended - started), ("Python's start-up", found["start"] - started),
                                ("to pip's spawn", spawned - started), ("pip", found["ends"][-1] - spawned),
                                ("after pip", ended - found["ends"][-1])]:  # fmt: skip
                rows.setdefault(f"safepip {kind}: {name}", []).append(value)

        def pip() -> None:
            started, ended = timed([str(venv / "bin" / "python"), "-m", "pip", *install], {})
            rows.setdefault("python -m pip install", []).append(ended - started)

        def floor() -> None:
            python = str(venv / "bin" / "python")
            started, ended = timed([str(BIN / "python"), str(bare), python, "-P", "-m", "pip", *install], {})
            rows.setdefault("bare Python starting pip", []).append(ended - started)

        steps = [pip, floor, lambda: safepip("repeated"), lambda: safepip("first run")]
        order = random.Random(1)
        for _ in range(reps):
            for step in order.sample(steps, len(steps)):
                step()
        print(f"safepip overhead: {reps} alternations, medians; load {os.getloadavg()[0]:.2f}")
        for name, values in rows.items():
            print(f"  {name:<40} {median_ms(values)}")

        def over_pip(name: str) -> list[float]:
            """Each alternation's `name` over plain pip's in the same alternation."""
            return [t / b for t, b in zip(rows[name], rows["python -m pip install"], strict=True)]

        print(
            f"  bare Python starting pip / pip x{statistics.median(over_pip('bare Python starting pip')):.3f}"
        )
        draw = random.Random(0)
        for kind in ("repeated", "first run"):
            pairs, child = over_pip(f"safepip {kind}: total"), over_pip(f"safepip {kind}: pip")
            boots = sorted(statistics.median(draw.choices(pairs, k=len(pairs))) for _ in range(2000))
            print(f"  {kind}: total / pip x{statistics.median(pairs):.3f} (95 % {boots[50]:.3f}-{boots[1949]:.3f}),"
                  f" safepip's pip / plain pip x{statistics.median(child):.3f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
