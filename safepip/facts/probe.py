"""probe_context(): gather every fact the decision needs. Reads only, apart from probe files."""

from __future__ import annotations

import os

from safepip.facts import paths
from safepip.facts.choice import find_project_venvs, own_environment, probe_identity
from safepip.facts.chosen import probe_interpreter
from safepip.facts.fs import probe_dir
from safepip.facts.own_dirs import own_dirs
from safepip.facts.pip_files import default_src_distrust, pip_file_distrust
from safepip.facts.records import SCHEME_KEYS, Context, DirFact, Interpreter
from safepip.facts.trust import distrust

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from safepip.facts.request import Request


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


def venv_option_distrust(request: Request, uid: int) -> str | None:
    """A `--venv` that safepip would create: its path must be one nobody else can change on the way."""
    venv = request.options.venv
    if venv is None or os.path.lexists(paths.venv_python(venv)):
        return None
    if os.path.lexists(venv) and not os.path.isdir(venv):
        return f"{venv} exists and is not a directory"
    found = distrust(venv, uid, missing_ok=True)
    return found.reason() if found is not None else None


def probe_context(
    request: Request,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    writes: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> Context:
    """Every fact. `meanwhile` (the caller's own work that needs no fact) runs while the interpreter answers
    or find reads its trees (chosen.py)."""
    environ = os.environ if environ is None else environ
    cwd = cwd or os.getcwd()
    own_prefix = own_environment()
    identity = probe_identity(environ)
    project_venvs = find_project_venvs(cwd, identity.home, identity.euid)
    own = own_dirs(identity.euid)
    keep = writes and own.private_root is None  # not into a private fallback dir the run has not made yet
    chosen = probe_interpreter(request, environ, cwd, identity, project_venvs, own, keep, meanwhile)
    choice, interpreter, error, switches = chosen.choice, chosen.interpreter, chosen.error, chosen.switches
    source, active_env = choice.source, choice.active_env
    from safepip.facts.pip_cache import probe_pip_cache  # imported in probe_interpreter's wait
    from safepip.facts.temp import probe_temp, probe_temps

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
    temp = probe_temps(environ, own.cache.path) if chosen.temp is None else chosen.temp
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
        own_cache=own.usable_cache,
        private_root=own.private_root,
        home_problem=own.home_problem,
        interpreter_refused=choice.refused is not None,
        venv_option_distrust=venv_option_distrust(request, identity.euid),
        pip_file_distrust=pip_file_distrust(
            request.pip_args, switches, identity.euid, request.command, environ
        ),
        src_default_distrust=default_src_distrust(request.pip_args, switches, identity.euid, cwd),
        trust_notices=choice.trust_notices,
    )
