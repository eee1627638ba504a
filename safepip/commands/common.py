"""What every command starts with: the request, the facts, the plan; and the target's lock and venv."""

from __future__ import annotations

import os

from safepip.errors import RefusedError
from safepip.facts.paths import VENV_LOCK, runtime_lock_path
from safepip.facts.pip_args import parse_pip_args
from safepip.facts.probe import probe_context
from safepip.facts.request import Options, Request
from safepip.util.contexts import contextmanager

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from safepip.facts.records import Context
    from safepip.policy.plan import Plan, Target

    Notify = Callable[[str], None]

VENV_KINDS = ("venv", "managed", "overlay")  # targets that are venvs: locked in their own `.lock`, as uv does
# venvs of safepip's own: made and removed by it, their console scripts linked into ~/.local/bin
OWN_VENV_KINDS = ("managed", "overlay")


def make_request(command: str, argv: Sequence[str], options: Options) -> Request:
    return Request(command, parse_pip_args(argv, command), options)


def plan_for(
    request: Request,
    environ: Mapping[str, str] | None = None,
    cwd: str | None = None,
    writes: bool = True,
    meanwhile: Callable[[], None] | None = None,
) -> tuple[Context, Plan]:
    """Probe and decide. `writes=False` (explain, doctor) keeps even safepip's own caches untouched;
    `meanwhile` runs while the interpreter answers, when it is asked (probe_context)."""
    context = probe_context(request, environ, cwd, writes, meanwhile)
    from safepip.policy.decide import decide_target  # imported lazily: see commands/install.py

    return context, decide_target(context, request)


def require_target(plan: Plan) -> Target:
    if plan.refusal is not None or plan.target is None:
        refusal = plan.refusal
        assert refusal is not None
        raise RefusedError(refusal.message, refusal.hint, refusal.exit_code)
    return plan.target


def overlay_site_dirs(context: Context) -> tuple[str, ...]:
    interpreter = context.interpreter
    if interpreter is None:
        return ()
    return tuple(interpreter.scheme[key] for key in ("purelib", "platlib") if key in interpreter.scheme)


def lock_file_for(context: Context, target: Target, shared: bool = False) -> str:
    """`<venv>/.lock` for a venv (an environment too, when it is a venv or conda prefix); else a file in
    safepip's runtime dir. `shared` (a command that only reads): an environment whose lock file is not the
    user's to make (a root's venv, read before its overlay is made) is locked in the runtime dir too."""
    interpreter = context.interpreter
    own = context.own_cache.path if context.own_cache else context.data_dir.path
    if target.kind in VENV_KINDS:
        return os.path.join(target.path, VENV_LOCK)
    if target.kind == "env" and interpreter is not None and (interpreter.is_venv or interpreter.is_conda):
        venv_lock = os.path.join(target.path, VENV_LOCK)
        if not shared or lock_file_usable(venv_lock):
            return venv_lock
    return runtime_lock_path(own, target.path)


@contextmanager
def locked_target(
    context: Context, target: Target, request: Request, notify: Notify, shared: bool = False
) -> Iterator[int | None]:
    """The target's lock for the block, its venv made first under that lock when the plan needs one. Yields
    the lock's descriptor, for the processes started for the target to inherit. `shared`: a command that
    only reads the target, its venv made already (made_first): held beside other readers, changing nothing."""
    from safepip.actions.locks import target_lock  # imported lazily: see commands/install.py
    from safepip.actions.own_dirs import make_private_root

    if context.private_root is not None:
        make_private_root(context.private_root, context.identity.euid)
    owned = target.kind in OWN_VENV_KINDS
    # a --venv this run makes: removed again when interrupted before it is ready (one that was there is kept)
    made_here = owned or (target.kind == "venv" and not os.path.lexists(target.path))
    lock_file = lock_file_for(context, target, shared)
    dir_mode = 0o755 if target.kind in VENV_KINDS else 0o700  # a venv's directory is made with its lock
    trusted_by = context.identity.euid if target.kind in VENV_KINDS else None  # a venv made or taken here
    try:
        with target_lock(
            lock_file, target.path, request.options.lock_timeout, notify, dir_mode, trusted_by, shared
        ) as fd:
            if shared:
                pass  # nothing is written under a shared lock
            elif target.create_from is not None:  # said under -v: the line before pip is the target's alone
                make_venv(context, target, owned, notify if request.options.verbose else ignore, fd)
            elif target.kind == "overlay":
                from safepip.actions.venvs import write_overlay_pth

                write_overlay_pth(target.path, overlay_site_dirs(context))
            if (
                owned
                and not shared
                and target.create_from is None
                and not os.path.lexists(os.path.join(target.path, "bin", "pip"))
            ):
                from safepip.actions.venvs import write_pip_scripts  # made before safepip wrote them

                write_pip_scripts(target.path)
            yield fd
    except RefusedError:
        raise  # the lock, or a directory another user made, refused: nothing of this run's to remove
    except BaseException:
        if made_here and target.create_from is not None:  # interrupted before its venv was ready
            from safepip.actions.venvs import remove_if_unused

            remove_if_unused(target.path)
        raise


def lock_file_usable(lock_file: str) -> bool:
    from safepip.actions.locks import open_lock_file

    try:
        os.close(open_lock_file(lock_file))
    except OSError:
        return False
    return True


def made_first(context: Context, target: Target, request: Request, notify: Notify) -> None:
    """The venv the plan needs (a --venv to create), made under its lock, which is let go again: for a command
    that only reads the target, or runs one of the user's."""
    if target.create_from is not None:
        with locked_target(context, target, request, notify):
            pass


def ignore(_message: str) -> None:
    pass


def make_venv(context: Context, target: Target, owned: bool, notify: Notify, lock_fd: int | None) -> None:
    from safepip.actions.venvs import ensure_venv  # and its imports only for a venv to make

    assert target.create_from is not None
    made = ensure_venv(
        target.path,
        create_from=target.create_from,
        owned=owned,
        system_site_packages=target.system_site_packages,
        data_root=context.data_dir.path,
        base=context.interpreter,
        overlay_site_dirs=overlay_site_dirs(context) if target.kind == "overlay" else (),
        lock_fd=lock_fd,
    )
    if made:
        notify(f"created the {'venv' if target.kind == 'venv' else target.kind + ' venv'} {target.path}")


def pip_cache_variables(plan: Plan, uid: int, notify: Notify) -> dict[str, str]:
    """PIP_CACHE_DIR for a pip sent to safepip's own cache (policy/cache.py), that cache made private first."""
    if plan.cache is None or not plan.cache.redirect_to:
        return {}
    from safepip.actions.own_dirs import private_pip_cache

    said = private_pip_cache(plan.cache.redirect_to, uid)
    if said is not None:
        notify(said)
    return {"PIP_CACHE_DIR": plan.cache.redirect_to}
