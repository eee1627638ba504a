"""probe_interpreter(): the interpreter of a run, chosen (choice.py), checked (python_trust.py), described
(interpreter.py: its kept answer, read here for a venv of safepip's own Python, or asked) and the import path
pip's Python will start from judged (site_trust.py).

find reads the trees of the venv's likely site dir on the other core from the moment the venv is named
(tree_check.py): it only reads, and its verdict is taken for those trees alone, once the interpreter
is chosen, checked and described; site_trust walks any other tree itself.
"""

from __future__ import annotations

import os

from safepip.errors import SafepipError
from safepip.facts import paths
from safepip.facts.choice import (
    InterpreterChoice,
    choose_interpreter,
    named_python,
    own_environment,
)
from safepip.facts.interpreter import answer_known, start_query
from safepip.facts.python_trust import platlibdir_distrust, python_home_distrust
from safepip.facts.records import Interpreter
from safepip.facts.tree_check import TreeCheck, likely_check, likely_trees
from safepip.facts.trust import shared_in, within
from safepip.util.named_tuple import NamedTuple
from safepip.util.process import pycache_prefix, python_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from safepip.facts.interpreter import PendingQuery
    from safepip.facts.own_dirs import OwnDirs
    from safepip.facts.pip_config import PipSwitches
    from safepip.facts.records import Identity, ProjectVenv
    from safepip.facts.request import Request
    from safepip.facts.temp import TempFact
    from safepip.facts.trust import Distrust

# pip builds without isolation, importing the backend (setuptools) from the target's site dirs
NOT_ISOLATED = ("--no-build-isolation", "--no-use-pep517")


class Read(NamedTuple):
    """What of an interpreter's start-up imports was read before its site dirs are judged."""

    walked: dict[str, list[Distrust]]  # trees read whole (in the wait for its answer, or by find)
    tops: dict[str, list[Distrust]]  # site dirs whose top was read in that wait
    trees: list[str] | None  # the start-up trees of a kept answer


class Chosen(NamedTuple):
    choice: InterpreterChoice
    interpreter: Interpreter | None  # None when there is none, or it is not safe to run
    error: str | None  # why there is none
    switches: PipSwitches
    temp: tuple[TempFact, ...] | None  # the temp dirs, when they were probed in a wait


def import_path_distrust(
    request: Request,
    interpreter: Interpreter,
    switches: PipSwitches,
    environ: Mapping[str, str],
    cwd: str,
    uid: int,
    read: Read,
    shared_env: str | None,
) -> tuple[Distrust | None, str]:
    """What pip's Python imports from that another user could change (site_trust.site_distrust), and where
    that is for the message: "its site dir", or the variable that put it there."""
    from safepip.facts.site_trust import builds_in_target, site_distrust

    # pip imports from PYTHONPATH before anything else; without build isolation a build imports its
    # backend, and a setup.py whatever it likes, from anywhere in the site dirs: those are checked whole
    use_pep517 = request.pip_args.has("--use-pep517") or switches.enabled("use-pep517")
    # the pip that builds: the interpreter's own; for an externally managed one, whose packages a managed
    # venv sees, safepip's seed (23.1 or later: None), unless told to break the system's packages
    breaks = request.pip_args.has("--break-system-packages") or switches.enabled("break-system-packages")
    builder = interpreter.pip_version if breaks or not interpreter.externally_managed else None
    isolated = (
        not any(request.pip_args.has(option) for option in NOT_ISOLATED)
        and not any(switches.get(option[2:]) for option in NOT_ISOLATED)
        and (use_pep517 or not builds_in_target(interpreter.sys_path, builder))
    )
    # PYTHONPATH's entries come before the standard library; bytecode is read from PYTHONPYCACHEPREFIX
    pycache = pycache_prefix(environ, cwd)
    sources = [("PYTHONPATH", entry) for entry in python_path(environ)]
    sources += [("PYTHONPYCACHEPREFIX", pycache)] if pycache is not None else []
    extra = [entry for _name, entry in sources]
    unsafe = site_distrust(
        interpreter.site_dirs,
        interpreter.pth_files,
        uid,
        interpreter.pth_imports,
        interpreter.pth_opaque,
        (*interpreter.pth_paths, *extra),
        read.walked,
        whole=(*extra, *(() if isolated else interpreter.site_dirs)),
        trees=read.trees,
        tops=read.tops,
        env=shared_env,
    )
    if unsafe is None:
        return None, ""
    where = next(
        # the entry itself or below it, or a directory on the way to it
        (
            f"{name} has"
            for name, entry in sources
            if within(unsafe.path, entry) or within(entry, unsafe.path)
        ),
        "its site dir",
    )
    return unsafe, where


def checked_choice(
    request: Request,
    environ: Mapping[str, str],
    project_venvs: tuple[ProjectVenv, ...],
    own_prefix: str,
    uid: int,
    named: tuple[str, str, str | None] | None,
) -> InterpreterChoice:  # fmt: skip
    """choose_interpreter's choice, refused when PYTHONHOME or PYTHONPLATLIBDIR is not to be trusted."""
    choice = choose_interpreter(request, environ, project_venvs, own_prefix, uid, named)
    home = python_home_distrust(environ, uid) if choice.refused is None else None
    if home is not None:  # every Python takes its standard library from there: none can run
        return choice._replace(refused=f"PYTHONHOME: {home.reason()}")
    platlib = (
        platlibdir_distrust(choice.python, environ, uid) if choice.refused is None and choice.python else None
    )
    if platlib is not None:
        return choice._replace(refused=f"PYTHONPLATLIBDIR: {platlib.reason()}")
    return choice


def start_asking(
    choice: InterpreterChoice, own_cache: str | None, environ: Mapping[str, str], keep: bool
) -> tuple[PendingQuery | None, str | None]:
    """The chosen interpreter's facts on their way (start_query); or why there are none to ask for."""
    python, source = choice.python, choice.source
    if choice.refused is not None:
        return None, f"{python} ({source}) is not safe to run: {choice.refused}"
    if python is None:
        return None, "no python3 or python on PATH that is yours or root's"
    if not os.path.lexists(python):
        return None, f"{python} does not exist"  # never run what appears there later
    try:
        return start_query(python, own_cache, environ, keep=keep), None
    except SafepipError as failure:
        return None, failure.message


def probe_interpreter(
    request: Request,
    environ: Mapping[str, str],
    cwd: str,
    identity: Identity,
    project_venvs: tuple[ProjectVenv, ...],
    own: OwnDirs,
    keep: bool,
    meanwhile: Callable[[], None] | None,
) -> Chosen:
    """The interpreter, its description and pip's switches. `keep`: a new answer is kept in safepip's cache;
    `meanwhile`: the caller's own work that needs no fact, run while the interpreter answers or find reads."""
    uid = identity.euid
    own_cache = own.usable_cache.path if own.usable_cache else None
    named = named_python(request, environ)
    # find starts reading now, unless the interpreter will be asked (then it would compete with that child)
    check = likely_check(named[0], uid) if named and answer_known(named[0], own_cache, environ) else None
    try:
        choice = checked_choice(request, environ, project_venvs, own_environment(), uid, named)
        python, source = choice.python, choice.source
        if not named and choice.refused is None and python and answer_known(python, own_cache, environ):
            check = likely_check(python, uid)  # a project venv's, or PATH's
        query, error = start_asking(choice, own_cache, environ, keep)
        # What only the rest of the probe needs is imported now that the interpreter is asked: on a first
        # run its loading fills the wait for the answer instead of delaying the question.
        from safepip.facts.pip_config import read_pip_switches
        from safepip.facts.site_trust import read_tops, startup_trees, walk_trees
        from safepip.facts.temp import probe_temps

        interpreter: Interpreter | None = None
        temp: tuple[TempFact, ...] | None = None
        walked: dict[str, list[Distrust]] = {}
        tops: dict[str, list[Distrust]] = {}
        trees: list[str] | None = None
        if query is not None:
            with query:
                try:
                    if query.asking:  # the interpreter takes a while to answer: meanwhile, what needs none
                        temp = probe_temps(environ, own.cache.path)
                        likely = paths.likely_site_dir(query.python)  # a guess, taken where the answer agrees
                        if likely is not None:
                            walked = walk_trees(likely_trees(likely[0]), uid) if check is None else {}
                            tops = read_tops([likely[0]], uid)
                            query.read_ahead([likely[0]], likely[1])
                        if meanwhile is not None:
                            meanwhile()
                        interpreter = query.result()
                    else:  # kept, or read here
                        kept = not query.reading
                        interpreter = query.result()
                        if kept:  # its trees are known: find reads them, unless it reads the likely ones
                            trees = startup_trees(interpreter.site_dirs, interpreter.pth_imports)
                            check = check or TreeCheck(trees, uid)
                        temp = probe_temps(environ, own.cache.path)
                        if meanwhile is not None:
                            meanwhile()
                except SafepipError as failure:
                    error = failure.message
        switches = read_pip_switches(
            environ,
            None if own.home_problem else identity.home,  # another user's home: their pip.conf is not read
            interpreter.prefix if interpreter else None,
            request.pip_args.isolated,
            request.command,
        )
        if check is not None:
            walked = {**walked, **check.walked()}
            tops = {**tops, **check.tops()}
    finally:
        if check is not None:
            check.close()
    if interpreter is not None:
        unsafe, where = import_path_distrust(
            request, interpreter, switches, environ, cwd, uid, Read(walked, tops, trees), choice.shared_env
        )
        if unsafe is not None and not shared_in(unsafe, choice.shared_env):
            error = f"{python} ({source}) is not safe to run: {where} {unsafe.reason()}"
            return Chosen(choice._replace(refused=unsafe.reason()), None, error, switches, temp)
        if unsafe is not None:  # one notice for each group
            choice = choice.shared_also(unsafe)
    return Chosen(choice, interpreter, error, switches, temp)
