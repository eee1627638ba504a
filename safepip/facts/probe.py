"""probe_context(): gather every fact the decision needs. Reads only, apart from probe files."""

from __future__ import annotations

import os

from safepip.errors import SafepipError
from safepip.facts import paths
from safepip.facts.choice import (
    choose_interpreter,
    find_project_venvs,
    own_environment,
    probe_identity,
    shared_notice,
)
from safepip.facts.fs import probe_dir
from safepip.facts.interpreter import start_query
from safepip.facts.own_dirs import own_dirs
from safepip.facts.python_trust import platlibdir_distrust, python_home_distrust
from safepip.facts.records import SCHEME_KEYS, Context, DirFact, Interpreter
from safepip.facts.trust import distrust, shared_in, within
from safepip.util.named_tuple import NamedTuple
from safepip.util.process import pycache_prefix, python_path

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from safepip.facts.interpreter import PendingQuery
    from safepip.facts.pip_config import PipSwitches
    from safepip.facts.request import Request
    from safepip.facts.site_trust import TreeCheck
    from safepip.facts.temp import TempFact
    from safepip.facts.trust import Distrust

# pip builds without isolation, importing the backend (setuptools) from the target's site dirs
NOT_ISOLATED = ("--no-build-isolation", "--no-use-pep517")


def scheme_facts(scheme: Mapping[str, str], cache: dict[str, DirFact]) -> dict[str, DirFact]:
    facts: dict[str, DirFact] = {}
    for key in SCHEME_KEYS:
        if key in scheme:
            facts[key] = probe_dir(scheme[key], cache)
    return facts


def explicit_directory(
    request: Request, switches_target: str | None, switches_prefix: str | None
) -> str | None:
    location = request.pip_args.explicit_location
    if location is not None:
        return location[1]
    return switches_target or switches_prefix


def temp_target_dirs(
    request: Request, interpreter: Interpreter | None, managed: str | None, overlay: str | None
) -> list[str]:
    """Targets whose own directory can hold a private temp dir: venvs and the user base, never a system
    prefix or a --target directory, where a leftover would be in the way."""
    dirs = [managed, overlay, request.options.venv]
    if interpreter is not None:
        dirs += [interpreter.prefix if interpreter.is_venv else None, interpreter.user_base]
    return list(dict.fromkeys(path for path in dirs if path))


def probe_temps(environ: Mapping[str, str], own_cache: str) -> tuple[TempFact, ...]:
    from safepip.facts.temp import probe_temp, temp_candidates  # see probe_context

    return tuple(
        probe_temp(path, source, own=source == "fallback" and path.startswith(own_cache))
        for path, source in temp_candidates(environ, os.path.join(own_cache, "tmp"))
    )


def venv_option_distrust(request: Request, uid: int) -> str | None:
    """A `--venv` that safepip would create: its path must be one nobody else can change on the way."""
    venv = request.options.venv
    if venv is None or os.path.lexists(paths.venv_python(venv)):
        return None
    if os.path.lexists(venv) and not os.path.isdir(venv):
        return f"{venv} exists and is not a directory"
    found = distrust(venv, uid, missing_ok=True)
    return found.reason() if found is not None else None


class Read(NamedTuple):
    """What of an interpreter's start-up imports was read before its site dirs are judged."""

    walked: dict[str, list[Distrust]]  # trees read whole in the wait for its answer, or checked by find
    tops: dict[str, list[Distrust]]  # site dirs whose top was read in that wait
    trees: list[str] | None  # the start-up trees of a kept answer


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


def probe_context(
    request: Request,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    writes: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> Context:
    """Every fact. `meanwhile` (the caller's own work that needs no fact) runs while the interpreter is
    asked, when it is, after what the probe itself does in that time; else while the trees its kept answer
    names are checked."""
    environ = os.environ if environ is None else environ
    cwd = cwd or os.getcwd()
    own_prefix = own_environment()
    identity = probe_identity(environ)
    project_venvs = find_project_venvs(cwd, identity.home, identity.euid)
    own = own_dirs(identity.euid)
    # the home's dirs when they are usable or the private fallback is used; none at all when neither can be:
    # never a cache that another user could have written into
    own_cache = own.cache.path if own.home_problem is None or own.private_root is not None else None
    choice = choose_interpreter(request, environ, project_venvs, own_prefix, identity.euid)
    home = python_home_distrust(environ, identity.euid) if choice.refused is None else None
    if home is not None:  # every Python takes its standard library from there: none can run
        choice = choice._replace(refused=f"PYTHONHOME: {home.reason()}")
    platlib = (
        platlibdir_distrust(choice.python, environ, identity.euid)
        if choice.refused is None and choice.python
        else None
    )
    if platlib is not None:
        choice = choice._replace(refused=f"PYTHONPLATLIBDIR: {platlib.reason()}")
    python, source, active_env = choice.python, choice.source, choice.active_env
    shared_env = choice.shared_env
    interpreter: Interpreter | None = None
    error: str | None = None
    temp: tuple[TempFact, ...] | None = None
    walked: dict[str, list[Distrust]] = {}  # see Read
    tops: dict[str, list[Distrust]] = {}
    check: TreeCheck | None = None
    trees: list[str] | None = None
    query: PendingQuery | None = None
    if choice.refused is not None:
        error = f"{python} ({source}) is not safe to run: {choice.refused}"
    elif python is not None and not os.path.lexists(python):
        error = f"{python} does not exist"  # never run what appears there later
    elif python is None:
        error = "no python3 or python on PATH that is yours or root's"
    else:
        try:
            query = start_query(python, own_cache, environ, keep=writes and own.private_root is None)
        except SafepipError as failure:
            error = failure.message
    # What only the rest of the probe needs is imported now that the interpreter is asked: on a first run
    # its loading fills the wait for the answer instead of delaying the question.
    from safepip.facts.pip_cache import probe_pip_cache
    from safepip.facts.pip_config import read_pip_switches
    from safepip.facts.site_trust import TreeCheck, likely_trees, read_tops, startup_trees, walk_trees
    from safepip.facts.temp import probe_temp

    if query is not None:
        with query:
            try:
                if query.asking:  # the interpreter takes a while to answer: meanwhile, what needs no answer
                    temp = probe_temps(environ, own.cache.path)
                    likely = paths.likely_site_dir(query.python)  # a guess, taken where the answer agrees
                    if likely is not None:
                        walked = walk_trees(likely_trees(likely[0]), identity.euid)
                        tops = read_tops([likely[0]], identity.euid)
                        query.read_ahead([likely[0]], likely[1])
                    if meanwhile is not None:
                        meanwhile()
                    interpreter = query.result()
                else:  # the answer was kept: the trees it names are checked by find while safepip goes on
                    interpreter = query.result()
                    trees = startup_trees(interpreter.site_dirs, interpreter.pth_imports)
                    check = TreeCheck(trees, identity.euid)
                    temp = probe_temps(environ, own.cache.path)
                    if meanwhile is not None:
                        meanwhile()
            except SafepipError as failure:
                error = failure.message
    switches = read_pip_switches(
        environ,
        None if own.home_problem else identity.home,  # another user's home: their pip.conf is not read
        interpreter.prefix if interpreter else None,
        request.pip_args.has("--isolated"),
        request.command,
    )
    if check is not None:
        walked = check.walked()
    if interpreter is not None:
        unsafe, where = import_path_distrust(
            request, interpreter, switches, environ, cwd, identity.euid, Read(walked, tops, trees), shared_env
        )
        if unsafe is not None and not shared_in(unsafe, shared_env):
            error = f"{python} ({source}) is not safe to run: {where} {unsafe.reason()}"
            choice = choice._replace(refused=unsafe.reason())
            interpreter = None
        elif unsafe is not None:
            choice = choice._replace(notices=(*choice.notices, shared_notice(shared_env, unsafe)))
    if interpreter is not None and interpreter.is_venv and active_env is None:
        active_env = interpreter.prefix  # --python pointing into a venv
    cache: dict[str, DirFact] = {}
    env_dirs = scheme_facts(interpreter.scheme, cache) if interpreter else {}
    user_dirs = scheme_facts(interpreter.user_scheme, cache) if interpreter and interpreter.user_base else {}
    target_setting, prefix_setting = switches.get("target"), switches.get("prefix")
    explicit = explicit_directory(
        request,
        target_setting.value if target_setting else None,
        prefix_setting.value if prefix_setting else None,
    )
    root = own.data.path
    temp = probe_temps(environ, own.cache.path) if temp is None else temp
    managed = overlay = None
    if interpreter is not None:
        managed = paths.managed_venv_path(root, interpreter.tag, interpreter.real_path)
        if interpreter.is_venv or interpreter.is_conda:  # an environment that can be active (SPEC, rule 2)
            overlay = paths.overlay_venv_path(root, interpreter.tag, interpreter.prefix)
    target_temp = tuple(
        probe_temp(path, "target", own=True)
        for path in temp_target_dirs(request, interpreter, managed, overlay)
    )
    cli_cache = request.pip_args.last("--cache-dir")
    pip_cache = probe_pip_cache(
        switches,
        os.path.expanduser(cli_cache.value) if cli_cache and cli_cache.value else None,  # pip expands `~`
        request.pip_args.has("--no-cache-dir"),
        environ,
        identity.home,
        identity.euid,
    )
    return Context(
        identity=identity,
        interpreter=interpreter,
        interpreter_source=source,
        interpreter_error=error,
        active_env=active_env,
        project_venvs=project_venvs,
        pip=switches,
        env_dirs=env_dirs,
        user_dirs=user_dirs,
        explicit_dir=probe_dir(explicit) if explicit else None,
        data_dir=own.data,
        managed_venv=managed,
        managed_venv_ready=managed is not None and paths.venv_is_ready(managed),
        overlay_venv=overlay,
        overlay_venv_ready=overlay is not None and paths.venv_is_ready(overlay),
        own_prefix=own_prefix,
        temp=temp,
        target_temp=target_temp,
        pip_cache=pip_cache,
        own_cache=own.cache if own_cache is not None else None,
        private_root=own.private_root,
        home_problem=own.home_problem,
        interpreter_refused=choice.refused is not None,
        venv_option_distrust=venv_option_distrust(request, identity.euid),
        trust_notices=choice.notices,
    )
