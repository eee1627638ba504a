"""decide_target(): the default policy. Pure: context and request in, plan out; touches nothing.

The first rule that applies wins; every candidate passed over keeps the reason, for `safepip explain`.
"""

from __future__ import annotations

import os

from safepip.errors import EXIT_REFUSED
from safepip.facts.pip_files import FIX as PIP_FILES_FIX
from safepip.facts.records import Context, Interpreter
from safepip.facts.request import Request
from safepip.facts.temp import TempFact
from safepip.policy.cache import decide_cache
from safepip.policy.pips_python import pips_own_python
from safepip.policy.plan import READING_COMMANDS, Plan, Refusal, Target
from safepip.policy.rules import (
    Decision,
    environment_rule,
    explicit_rule,
    managed_rule,
    own_environment_rule,
    user_rule,
)
from safepip.policy.temp import decide_temp


def decide_target(context: Context, request: Request) -> Plan:
    """The target, and the temp and cache directories pip gets with it."""
    plan = decide_location(context, request)
    if request.command in READING_COMMANDS and context.interpreter is not None:
        plan = for_reading(plan, context.interpreter, request.command)
    temp = (
        decide_temp(temp_candidates_for(context, plan.target), request.options.min_tmp_space)
        if context.temp
        else None
    )
    cache = None
    if context.pip_cache is not None and context.own_cache is not None:
        own = os.path.join(context.own_cache.path, "pip-cache")
        cache = decide_cache(context.pip_cache, context.identity.name, own, context.own_cache.writable)
    if cache is not None and cache.refusal is not None and plan.target is not None:
        return plan._replace(
            target=None,
            refusal=Refusal(
                cache.refusal,
                "give pip a cache dir of yours that no one else can write (--cache-dir), or --no-cache-dir",
                EXIT_REFUSED,
            ),
        )
    target, interpreter = plan.target, context.interpreter
    in_venv = interpreter is not None and interpreter.is_venv
    pip_outside_venv = target is not None and target.kind in ("env", "user", "explicit") and not in_venv
    # pip's ./src counts only where pip runs outside a venv (in one, it checks out into the venv's src)
    unsafe_file = context.pip_file_distrust or (context.src_default_distrust if pip_outside_venv else None)
    if unsafe_file is not None and target is not None:
        return plan._replace(target=None, refusal=Refusal(unsafe_file, PIP_FILES_FIX, EXIT_REFUSED))
    cache_notices = (cache.notice,) if cache and cache.notice else ()
    if cache is not None and cache.advice is not None:
        plan = plan._replace(advice=(*plan.advice, cache.advice))
    if context.home_problem and context.private_root:
        # pip runs with the private directory as its home: neither its config, cache nor builds touch the other
        private = context.private_root
        own_home = (
            ("HOME", private),
            ("XDG_CONFIG_HOME", f"{private}/config"),
            ("XDG_CACHE_HOME", f"{private}/cache"),
        )
        plan = plan._replace(env_overrides=(*plan.env_overrides, *own_home))
        moved = f"safepip keeps its venvs and pip's cache in {context.private_root} (private, mode 700)"
        if context.pip_cache is None or not context.pip_cache.foreign:
            cache_notices = ()  # the home line covers an unwritable cache
        plan = plan._replace(notices=(f"home: {context.home_problem}; {moved}", *plan.notices))
    temp_notices = (
        (f"temp: {temp.reason}; pip gets a private directory in {temp.parent}",)
        if temp is not None and not temp.keep
        else ()
    )
    return plan._replace(temp=temp, cache=cache, pip_notices=(*cache_notices, *temp_notices))


def decide_location(context: Context, request: Request) -> Plan:
    decision = Decision(context, request, pip_args=request.pip_args.argv)
    refused = pips_own_python(decision)
    if refused is not None:
        return refused
    for venv in context.project_venvs:
        if not venv.trusted:
            decision.pass_over("venv", venv.path, f"{venv.distrust_reason}; its python is never executed")
            decision.notices.append(f"ignoring {venv.path}: {venv.distrust_reason}")
    for notice in context.trust_notices:
        decision.notices.append(notice)
    interpreter = context.interpreter
    if interpreter is None and context.interpreter_refused:
        return decision.refuse(
            f"refused: {context.interpreter_error}; safepip never runs a Python that another user can change,"
            " nor one it cannot read to check",
            "use a Python that is yours or root's and that no one else can write (or ask its owner to fix "
            "its permissions), or deactivate that environment and let safepip pick a target",
        )
    if interpreter is None:
        return decision.refuse(
            f"no Python to install for: {context.interpreter_error}",
            "pass --python PATH of a working Python (SAFEPIP_PYTHON), or activate the virtualenv you mean",
        )
    if request.options.system:
        for rule in (explicit_rule, own_environment_rule):
            plan = rule(decision, interpreter)
            if plan is not None:
                return plan
        return decision.refuse(
            "--system: the system environment cannot be used: "
            + "; ".join(p.reason for p in decision.passed),
            (
                "add --break-system-packages if you really mean to change an externally managed Python, or "
                if context.identity.euid == 0
                else "run with sudo for a root-owned system Python, add --break-system-packages for an externally "
                "managed one if you really mean it, or "
            )
            + "drop --system and let safepip pick a place you can write",
        )
    for rule in (explicit_rule, environment_rule, own_environment_rule, user_rule, managed_rule):
        plan = rule(decision, interpreter)
        if plan is not None:
            return plan
    home = f"; home: {context.home_problem}" if context.home_problem and not context.private_root else ""
    return decision.refuse(
        "no writable place to install: " + "; ".join(f"{p.kind}: {p.reason}" for p in decision.passed) + home,
        f"make {context.data_dir.path} writable (check HOME and XDG_DATA_HOME)"
        + (", or remove the directories named above that are not yours" if home else "")
        + ", or pass --target DIR you can write",
    )


def for_reading(plan: Plan, interpreter: Interpreter, command: str) -> Plan:
    """A pip command that only reads what is installed (list, freeze, show, …) makes no venv of safepip's:
    where the overlay, or the managed venv of a system Python, is not made yet, pip reads the interpreter's
    own environment, whose packages are all that venv would have (besides pip)."""
    target = plan.target
    if target is None or target.create_from is None or target.kind not in ("managed", "overlay"):
        return plan
    if target.kind == "managed" and not target.system_site_packages:
        return plan  # it would see nothing of the interpreter's: made, under its lock, as for an install
    reading = Target(
        "env",
        interpreter.prefix,
        interpreter.executable,
        f"the {target.kind} venv is not made yet; {command} reads what it would see",
        has_pip=interpreter.pip_version is not None,
        version=interpreter.version,
    )
    return plan._replace(target=reading)


def temp_candidates_for(context: Context, target: Target | None) -> tuple[TempFact, ...]:
    """pip's temp dir, then /tmp and /var/tmp, then the target's own filesystem, then safepip's cache."""
    on_target = tuple(fact for fact in context.target_temp if target is not None and fact.path == target.path)
    if not on_target or len(context.temp) < 2:
        return context.temp
    return (*context.temp[:-1], *on_target, context.temp[-1])
