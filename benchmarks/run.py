"""safepip against plain pip (and uv, when present), side by side in one run: medians of interleaved
repetitions, the ratios (each the median of the repetitions' own ratios: a row against its baseline run
seconds before or after it), and each command's peak memory.

    python benchmarks/run.py [--reps 5] [--only a,d]

Run it with the Python of the environment safepip is installed in (the README's test venv works:
`.venv/bin/python benchmarks/run.py`). safepip is run as a black box, as the README's first command installs
it: safepip.pyz built from this checkout and `self install`ed (its launcher starts Python with `-IS`), a
copy that edits to the checkout during the run do not reach; with `--beside`, the `safepip` next to this
Python instead (pip's install of it: a script whose Python runs `site`).
Everything happens offline in a temporary directory: the packages are small local wheels, installed with
`--no-index --find-links`; no pip configuration of the machine's is read (PIP_CONFIG_FILE=/dev/null, except
where a row sets up a pip.conf of its own).

Measured:
  (a) `safepip install` of one local wheel vs `python -m pip install` of it, with the venv active: into a
      fresh venv and into a venv of 300 packages (~90,000 files); a first run (a new, empty HOME: nothing
      cached by an earlier safepip) and repeated (as in a Makefile), and `safepip --python <venv> install`
      for comparison; and, for comparison too, the first run into a fresh venv of a copy of the Python
      (`--copies`), which safepip asks about itself (the venvs above run safepip's own Python binary, read
      in its process); and a control, a bare Python that starts the same pip and waits; and the `safepip`
      next to this Python, repeated. (a) has the smallest margin: it runs 10 x reps.
  (b) `safepip python` and `safepip explain` vs `python -c pass`
  (c) creating a venv with safepip (its managed-venv path, pip usable inside) vs `virtualenv` defaults and
      (in 3 repetitions at most) `python -m venv`
  (d) a no-op `install -r` of 10 satisfied local wheels vs pip's (and uv's), each after one untimed run:
      plain; with a constraints file configured in a pip.conf; and satisfied by the system packages a
      managed venv sees (the benchmark's own externally managed base Python holds them)
  (e) peak memory (max RSS of the process tree) of each
  (f) the import cost of libraries safepip keeps off its hot path, each in a fresh `python -c`
  (g) for an externally managed Python (/usr/bin/python3 where it is marked): the first install, which
      makes the managed venv (a new HOME each time), vs a later one into it (a new package each time)
Targets: (a) <= 1.10 x pip, (c) <= 0.30 x virtualenv, (d) <= 0.20 x pip, (g) first <= 1.40 x later.
"""

from __future__ import annotations

import argparse
import functools
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from bench_support import (
    BIN,
    DEPS,
    BenchError,
    Run,
    Step,
    Timing,
    Verdict,
    at_most,
    bare_wrapper,
    count_files,
    externally_managed,
    interleave,
    load,
    make_fresh_and_crowded_venvs,
    nothing,
    remove_installed,
    report,
    require_installed,
    row,
    self_installed,
    site_packages,
)

SECTIONS = "abcdefg"
A_REPS = 10  # (a) runs 10 x reps: its margin is the smallest, and on shared cores pip's own time moves by
# about a tenth from one run to the next (its ratios' 95 % intervals are printed beside the targets)
STDLIB_VENV_REPS = 3  # `python -m venv`, slow with its pip, is for comparison only: in 3 at most
F_REPS = 3  # (f) too: its rows are differences of a few milliseconds
ONE_WHEEL, VENV, NO_OP, FIRST = 1.10, 0.30, 0.20, 1.40  # the targets of SPEC.md's "Speed"
BULK_PACKAGES, BULK_FILES = 300, 300  # (a)'s crowded venv: 300 packages of 300 files
SYSTEM_PYTHON = "/usr/bin/python3"  # externally managed on Debian and Ubuntu: safepip's target is `managed`
# what safepip does without on its hot path (typer only where installed: safepip no longer depends on it)
HOT_PATH_IMPORTS = [
    "typer", "filelock", "platformdirs", "packaging.requirements", "subprocess", "tempfile", "hashlib",
    "argparse", "virtualenv", "json", "re", "signal", "ast", "_ast", "ctypes", "contextlib",
]  # fmt: skip
# the modules `safepip install` imports before pip starts
HOT_PATH_MODULES = ["safepip.cli.main", "safepip.commands.common", "safepip.commands.install", "safepip.policy.noop",
                    "safepip.facts.installed"]  # fmt: skip


def one_wheel(run: Run) -> list[Verdict]:
    bench = run.bench
    started = time.perf_counter()
    fresh, crowded = bench.root / "venv-fresh", bench.root / "venv-300"
    fresh_site, crowded_site = make_fresh_and_crowded_venvs(bench, fresh, crowded, BULK_PACKAGES, BULK_FILES)
    venvs = {fresh: fresh_site, crowded: crowded_site}
    files = count_files(crowded_site)
    print(f"(a) set-up: a venv of {BULK_PACKAGES} packages, {files} files in its site-packages, "
          f"made in {time.perf_counter() - started:.0f} s")  # fmt: skip

    # for comparison, no target: a venv whose Python is a copy (`--copies`), not safepip's own binary, so a
    # first run asks it about itself (a venv of safepip's own Python is read in safepip's process)
    copied = bench.root / "venv-copied"
    bench.run([sys.executable, "-m", "venv", "--copies", copied])
    copied_timings, copied_steps = one_wheel_steps(
        run, copied, site_packages(bench, copied / "bin" / "python")
    )
    steps: list[Step] = copied_steps[:2]
    tables = []
    for venv, site in venvs.items():
        timings, venv_steps = one_wheel_steps(run, venv, site)
        steps += venv_steps
        tables.append((venv, timings))
    interleave(run.reps * A_REPS, steps)
    verdicts = []
    for venv, (pip, *rows) in tables:
        where = "a fresh venv" if venv == fresh else f"a venv of {BULK_PACKAGES} packages ({files} files)"
        short = "fresh venv" if venv == fresh else f"{BULK_PACKAGES}-package venv"
        verdicts += report(
            f"(a) install one local wheel into {where}, active", pip, rows,
            [(f"(a) {short}, first run", ONE_WHEEL), (f"(a) {short}, repeated", ONE_WHEEL)],
        )  # fmt: skip
    report("(a) for comparison, a fresh venv of a copy of the Python (asked, not read in safepip's process)",
           copied_timings[0], copied_timings[1:2])  # fmt: skip
    return verdicts


def one_wheel_steps(run: Run, venv: Path, site: Path) -> tuple[list[Timing], list[Step]]:
    """pip, then safepip first run, repeated and by --python, and a control: a bare Python that only starts
    the same pip and waits (what any Python wrapper of pip costs, and how far this machine's noise moves a
    ratio that should be Python's start-up alone); benchone is uninstalled before each."""
    bench, safepip = run.bench, run.safepip
    python = venv / "bin" / "python"
    active = bench.in_venv(venv)
    install = ["install", "-q", *run.offline, "benchone"]
    homes: list[Path] = []

    def uninstall() -> None:
        remove_installed(site, "benchone")

    # a first run: a HOME with nothing from an earlier safepip; pip keeps nothing in HOME when it installs a
    # local wheel, so a new HOME takes nothing from the pip that safepip runs
    def uninstall_and_new_home() -> None:
        uninstall()
        homes.append(bench.new_home())

    def measure(argv: list[str | Path], new_home: bool = False) -> Callable[[Timing], None]:
        def timed(timing: Timing) -> None:
            bench.run(argv, {**active, "HOME": str(homes[-1])} if new_home else active, timing)
            require_installed(site, "benchone")

        return timed

    timings = [
        Timing("python -m pip install <wheel>"),
        Timing("safepip install <wheel>, first run (new HOME)"),
        Timing("safepip install <wheel>, repeated"),
        Timing("safepip --python <venv> install <wheel>, repeated"),
        Timing("a bare Python that starts the same pip and waits"),
    ]
    pip, first, repeated, by_path, floor = timings
    bare = bare_wrapper(bench.root)
    steps: list[Step] = [
        (pip, uninstall, measure([python, "-m", "pip", *install])),
        (first, uninstall_and_new_home, measure([safepip, "-q", *install], new_home=True)),
        (repeated, uninstall, measure([safepip, "-q", *install])),
        (by_path, uninstall, measure([safepip, "-q", "--python", python, *install])),
        (floor, uninstall, measure([sys.executable, bare, python, "-P", "-m", "pip", *install])),
    ]
    if safepip != BIN / "safepip":
        beside = Timing("safepip install <wheel>, repeated, by the safepip that pip installed beside")
        timings.append(beside)
        steps.append((beside, uninstall, measure([BIN / "safepip", "-q", *install])))
    return timings, steps


def start_up(run: Run) -> list[Verdict]:
    bench, safepip = run.bench, run.safepip
    venv = bench.root / "venv-b"
    bench.make_venv(venv)
    python, active = venv / "bin" / "python", bench.in_venv(venv)
    bare, version, explain = (
        Timing("python -c pass"),
        Timing("safepip python"),
        Timing("safepip explain benchone"),
    )
    interleave(run.reps, [
        (bare, nothing, lambda t: bench.run([python, "-c", "pass"], active, t)),
        (version, nothing, lambda t: bench.run([safepip, "python"], active, t)),
        (explain, nothing, lambda t: bench.run([safepip, "explain", "benchone"], active, t)),
    ])  # fmt: skip
    return report("(b) start-up", bare, [version, explain])


def venv_creation(run: Run) -> list[Verdict]:
    """A venv with pip usable inside: safepip's managed venv (PIP_REQUIRE_VIRTUALENV rules out the
    interpreter's own environment and --user, so `safepip python` makes one), removed between runs."""
    bench, safepip = run.bench, run.safepip
    base = str(Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}")
    home = {"HOME": str(bench.new_home("c"))}
    extra = {**home, "PIP_REQUIRE_VIRTUALENV": "1"}
    made = bench.root / "made"
    made.mkdir()
    # untimed once each: safepip's one-time pip seed, virtualenv's app-data
    managed = Path(bench.output([safepip, "-q", "--python", base, "python"], extra)).parents[1]
    bench.run([BIN / "virtualenv", "-q", made / "warm-up"], home)

    def drop_managed() -> None:
        shutil.rmtree(managed)

    def drop_made() -> None:
        shutil.rmtree(made / "venv", ignore_errors=True)

    own, virtualenv, stdlib = (
        Timing("safepip (managed venv)"),
        Timing("virtualenv (defaults)"),
        Timing("python -m venv"),
    )
    interleave(run.reps, [
        (own, drop_managed, lambda t: bench.run([safepip, "-q", "--python", base, "python"], extra, t)),
        (virtualenv, drop_made, lambda t: bench.run([BIN / "virtualenv", "-q", made / "venv"], home, t)),
        (stdlib, drop_made, at_most(STDLIB_VENV_REPS,
                                    lambda t: bench.run([base, "-m", "venv", made / "venv"], home, t))),
    ])  # fmt: skip
    bench.run([managed / "bin" / "python", "-m", "pip", "--version"], extra)  # the managed venv's pip works
    return report(
        "(c) create a venv with a working `python -m pip`", virtualenv, [own, stdlib], [("(c)", VENV)]
    )


class NoOp(NamedTuple):
    """One (d) variant: safepip's command and pip's, up to `install`, and their environment."""

    name: str
    title: str
    safepip: list[str | Path]
    pip: list[str | Path]
    extra: dict[str, str]


def no_op(run: Run) -> list[Verdict]:
    bench, safepip = run.bench, run.safepip
    requirements = bench.root / "requirements.txt"
    requirements.write_text("".join(f"{name}>=1.0\n" for name in DEPS))
    constraints = bench.root / "constraints.txt"
    constraints.write_text("".join(f"{name}==1.0\n" for name in DEPS))  # what is installed: satisfied
    pip_conf = bench.root / "pip-constraint.conf"
    pip_conf.write_text(f"[global]\nconstraint = {constraints}\n")
    venv = bench.root / "venv-d"
    bench.make_venv(venv)
    python = venv / "bin" / "python"
    bench.run([python, "-m", "pip", "install", "-q", *run.offline, "-r", requirements])
    active = bench.in_venv(venv)
    variants = [
        NoOp("plain", "into the active venv", [safepip, "-q"], [python, "-m", "pip"], active),
        NoOp("constraints", f"into the active venv, a pip.conf with constraint = {constraints.name}",
             [safepip, "-q"], [python, "-m", "pip"], {**active, "PIP_CONFIG_FILE": str(pip_conf)}),
    ]  # fmt: skip
    try:
        variants.append(system_packages_variant(run, requirements))
    except BenchError as error:
        print(f"(d) system packages: skipped, {error}")

    verdicts = []
    uv = shutil.which("uv")
    install: list[str | Path] = ["install", "-q", *run.offline, "-r", requirements]
    for variant in variants:
        answer = bench.output([*variant.pip, "install", *run.offline, "-r", requirements], variant.extra)
        if answer.count("Requirement already satisfied") != len(DEPS) or "Successfully" in answer:
            raise BenchError(f"(d) {variant.name}: pip's answer is not 'nothing to do':\n{answer}")
        bench.run([*variant.safepip, *install], variant.extra)  # untimed: what a first run caches is there
        safepip_d = Timing("safepip install -r (10 satisfied)")
        pip_d = Timing("pip install -r (10 satisfied)")
        uv_d = Timing("uv pip install -r (10 satisfied)")
        steps: list[Step] = [
            (safepip_d, nothing, functools.partial(bench.run, [*variant.safepip, *install], variant.extra)),
            (pip_d, nothing, functools.partial(bench.run, [*variant.pip, *install], variant.extra)),
        ]
        if uv and variant.name == "plain":
            steps.append((uv_d, nothing, lambda t: bench.run(
                [uv, "pip", "install", "-q", "--offline", *run.offline, "--python", python, "-r", requirements],
                active, t)))  # fmt: skip
        interleave(run.reps, steps)
        verdicts += report(
            f"(d) no-op install -r of 10 satisfied wheels, {variant.name}: {variant.title}", pip_d,
            [safepip_d, *([uv_d] if uv_d.seconds else [])], [(f"(d) {variant.name}", NO_OP)],
        )  # fmt: skip
    return verdicts


def system_packages_variant(run: Run, requirements: Path) -> NoOp:
    """(d) where the 10 are the system's packages, seen by safepip's managed venv: the benchmark's base
    Python has them in its own site-packages and is externally managed, so `safepip --python <it>` installs
    into a managed venv made with include-system-site-packages; pip's row is that venv's `python -m pip`."""
    bench = run.bench
    by_base: list[str | Path] = [run.safepip, "-q", "--python", run.base_python]
    extra = {"HOME": str(bench.new_home("d-system"))}
    bench.run([*by_base, "install", "-q", *run.offline, "-r", requirements], extra)  # untimed: makes the venv
    managed = Path(bench.output([*by_base, "python"], extra))
    venv = managed.parents[1]
    if any(site_packages(bench, managed).glob("benchdep*")):
        raise BenchError(f"the managed venv {venv} has the packages in its own site-packages")
    if "include-system-site-packages = true" not in (venv / "pyvenv.cfg").read_text():
        raise BenchError(f"the managed venv {venv} does not see the system's packages")
    return NoOp("system packages", "safepip --python <base>, the managed venv's pip; the base has the 10",
                by_base, [managed, "-m", "pip"], extra)  # fmt: skip


def import_cost(run: Run) -> list[Verdict]:
    """The figures behind hand-written code on safepip's hot path: what each library costs to import."""
    bench = run.bench
    python = sys.executable  # the benchmark's venv: safepip's own dependencies are installed there
    bare = Timing("python -c pass")
    import importlib.util

    modules = [module for module in HOT_PATH_IMPORTS if importlib.util.find_spec(module.split(".")[0])]
    imports = [Timing(f"import {module}") for module in modules]
    for module in modules:  # untimed once: the bytecode cache is written
        bench.run([python, "-c", f"import {module}"])
    interleave(run.reps * F_REPS, [
        (bare, nothing, lambda t: bench.run([python, "-c", "pass"], None, t)),
        *[(timing, nothing, lambda t, m=module: bench.run([python, "-c", f"import {m}"], None, t))
          for timing, module in zip(imports, modules, strict=True)],
    ])  # fmt: skip
    print("\n(f) import cost in a fresh `python -c` (median minus `python -c pass`), the benchmark's venv")
    for timing in imports:
        print(f"  {timing.label:<30} {(timing.median - bare.median) * 1000:+7.1f} ms"
              f"   ({timing.median * 1000:6.1f} ms, peak {timing.peak / 1024:5.1f} MiB)")  # fmt: skip
    print(row(bare, 1.0))
    named_tuples(run)
    return []


# util/named_tuple.py's classes made by collections.namedtuple instead (which compiles an __new__ per class)
NAMEDTUPLE_SWAP = """
import collections, safepip.util.named_tuple as n
class Made(type):
    def __new__(mcs, name, bases, namespace):
        if not bases:
            return super().__new__(mcs, name, bases, namespace)
        fields = list(namespace.get("__annotations__", {}))
        made = collections.namedtuple(name, fields, defaults=[namespace[f] for f in fields if f in namespace],
                                      module=namespace["__module__"])
        for key, value in namespace.items():
            if key not in fields and key not in ("__module__", "__qualname__", "__annotations__"):
                setattr(made, key, value)
        return made
class NamedTuple(metaclass=Made):
    pass
n.NamedTuple = NamedTuple
"""


def named_tuples(run: Run) -> None:
    """safepip's records made by typing.NamedTuple (it compiles every annotation string) and by
    collections.namedtuple (it compiles an __new__ per class) against util/named_tuple.py, over the modules
    an install imports."""
    python, bench = sys.executable, run.bench
    hot = "import " + ", ".join(HOT_PATH_MODULES)
    ours = Timing("safepip's records, util.named_tuple")
    typing = Timing("safepip's records, typing.NamedTuple")
    namedtuple = Timing("safepip's records, collections.namedtuple")
    swap = "import typing, safepip.util.named_tuple as n; n.NamedTuple = typing.NamedTuple; "
    bench.run([python, "-c", hot])  # untimed once: the bytecode cache is written
    interleave(run.reps * F_REPS, [
        (ours, nothing, lambda t: bench.run([python, "-c", hot], None, t)),
        (typing, nothing, lambda t: bench.run([python, "-c", swap + hot], None, t)),
        (namedtuple, nothing, lambda t: bench.run([python, "-c", NAMEDTUPLE_SWAP + hot], None, t)),
    ])  # fmt: skip
    print(f"  importing what an install imports: typing.NamedTuple {(typing.median - ours.median) * 1000:+.1f} ms,"
          f" collections.namedtuple {(namedtuple.median - ours.median) * 1000:+.1f} ms"
          f" ({ours.median * 1000:.1f} ms with util.named_tuple)")  # fmt: skip


def first_install(run: Run) -> list[Verdict]:
    bench, safepip = run.bench, run.safepip
    if externally_managed(SYSTEM_PYTHON):
        python: str | Path = SYSTEM_PYTHON
    else:
        python = run.base_python
        print(f"(g) {SYSTEM_PYTHON} is not externally managed: the benchmark's own base Python instead")
    by_base: list[str | Path] = [safepip, "-q", "--python", python]
    homes: list[Path] = []

    @functools.cache
    def managed_site(home: Path) -> Path:  # the managed venv's path depends on HOME and the Python only
        return site_packages(bench, Path(bench.output([*by_base, "python"], {"HOME": str(home)})))

    def new_home() -> None:
        if homes:
            shutil.rmtree(homes[-1])
        homes.append(bench.new_home())

    def measure(home: Callable[[], Path]) -> Callable[[Timing], None]:
        def timed(timing: Timing) -> None:
            name = run.new_wheel()  # untimed: a package pip really installs
            bench.run([*by_base, "install", "-q", *run.offline, name], {"HOME": str(home())}, timing)
            require_installed(managed_site(home()), name)

        return timed

    later_home, seeded_home = bench.new_home("g-later"), bench.new_home("g-seeded")
    for home in (later_home, seeded_home):  # untimed: the managed venv and the pip seed
        bench.run([*by_base, "install", "-q", *run.offline, run.new_wheel()], {"HOME": str(home)})
    seeded_venv = Path(bench.output([*by_base, "python"], {"HOME": str(seeded_home)})).parents[1]
    later_python = Path(bench.output([*by_base, "python"], {"HOME": str(later_home)}))
    later_site = site_packages(bench, later_python)

    def pip_in_managed(timing: Timing) -> None:
        name = run.new_wheel()
        bench.run([later_python, "-m", "pip", "install", "-q", *run.offline, name], {"HOME": str(later_home)},
                  timing)  # fmt: skip
        require_installed(later_site, name)

    first = Timing("safepip install <wheel>, first (new HOME: venv and pip seed)")
    seeded = Timing("safepip install <wheel>, first (the pip seed already there)")
    later = Timing("safepip install <wheel>, later (the managed venv exists)")
    pip = Timing("<managed venv>/bin/python -m pip install <wheel>")
    interleave(run.reps, [
        (first, new_home, measure(lambda: homes[-1])),
        (seeded, lambda: shutil.rmtree(seeded_venv), measure(lambda: seeded_home)),
        (later, nothing, measure(lambda: later_home)),
        (pip, nothing, pip_in_managed),
    ])  # fmt: skip
    return report(
        f"(g) install one local wheel for {python} (target: managed), the first one making the managed venv",
        later, [first, seeded, pip], [("(g) first/later", FIRST)],
    )  # fmt: skip


SECTION_RUNS: dict[str, Callable[[Run], list[Verdict]]] = {
    "a": one_wheel, "b": start_up, "c": venv_creation, "d": no_op, "f": import_cost, "g": first_install,
}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)  # the whole run in about 9 minutes on 2 cores
    parser.add_argument("--only", default=SECTIONS, help="sections to run, e.g. a,d (default: all)")
    parser.add_argument("--beside", action="store_true",
                        help="run the safepip next to this Python, not one self-installed from this checkout")  # fmt: skip
    options = parser.parse_args()
    only = {letter for letter in options.only.replace(",", "") if letter.strip()}
    if not only <= set(SECTIONS) or options.reps < 1:
        parser.error(f"--only takes letters of {SECTIONS}; --reps at least 1")
    if not (BIN / "safepip").exists():
        sys.exit(f"no safepip next to {sys.executable}: run this with the Python safepip is installed in")
    started = time.perf_counter()
    root = Path(tempfile.mkdtemp(prefix="safepip-bench-"))
    try:
        run = Run.in_directory(root, options.reps)
        if not options.beside:
            run.safepip = self_installed(run.bench)
        pip_version = run.bench.output([sys.executable, "-m", "pip", "--version"]).split()[1]
        print(
            f"safepip benchmark: {options.reps} interleaved repetitions, medians; Python "
            f"{sys.version.split()[0]}, pip {pip_version}; uv: {shutil.which('uv') or 'not found'}; {load()}"
            f"\nsafepip: {'beside this Python' if options.beside else 'self-installed from this checkout'}"
        )
        verdicts: list[Verdict] = []
        for letter, section in SECTION_RUNS.items():
            if letter in only:
                verdicts += section(run)
        if "e" in only:
            floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                "\n(e) peak memory is the last column: max RSS of the process and the children it waited for;"
                f"\n    Linux counts the benchmark's own peak ({floor:.1f} MiB) into a command's at its start,"
                " so a figure at that floor means at most that"
            )
    except BenchError as error:
        sys.exit(str(error))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nat the end: {load()}; the run took {time.perf_counter() - started:.0f} s")
    print("targets: " + (", ".join(
        f"{v.label} x{v.ratio:.2f} <= {v.limit:.2f} {'PASS' if v.passed else 'FAIL'}" for v in verdicts)
        or "none in the sections run"))  # fmt: skip
    return 0 if all(verdict.passed for verdict in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
