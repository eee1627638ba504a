"""`safepip doctor`: this machine's permission context as a checklist.

Each check says what it found, what a plain `pip install` would hit because of it, and what safepip does
instead. Built from the same facts and plan as `explain`; writes nothing.
"""

from __future__ import annotations

from safepip.facts.records import Context, DirFact, Interpreter
from safepip.facts.request import Request
from safepip.policy.plan import Plan
from safepip.policy.rules import describe_dir
from safepip.policy.temp import temp_problem
from safepip.util.named_tuple import NamedTuple


class Check(NamedTuple):
    topic: str
    ok: bool
    finding: str
    pip: str | None = None  # what plain pip would hit
    safepip: str | None = None  # what safepip does about it


def dir_checks(topic: str, dirs: dict[str, DirFact], user: str, consequence: str) -> list[Check]:
    """One check per directory (purelib and platlib are often the same), naming the scheme keys it serves."""
    by_path: dict[str, list[str]] = {}
    facts: dict[str, DirFact] = {}
    for key, fact in dirs.items():
        by_path.setdefault(fact.path, []).append(key)
        facts[fact.path] = fact
    checks = []
    for path, keys in by_path.items():
        fact = facts[path]
        ok = fact.writable and not fact.noexec
        finding = f"{path} is writable" if ok else describe_dir(fact, user)
        checks.append(Check(f"{topic} ({', '.join(keys)})", ok, finding, None if ok else consequence))
    return checks


def checklist(context: Context, plan: Plan, request: Request) -> list[Check]:
    target = plan.target
    will = f"installs into the {target.kind} target {target.path} ({target.reason})" if target else None
    checks = identity_checks(context)
    interpreter = context.interpreter
    if interpreter is None:
        checks.append(
            Check("interpreter", False, context.interpreter_error or "none found", "no pip to run", None)
        )
        return [*checks, verdict(plan, will)]
    checks += interpreter_checks(context, interpreter, will)
    checks += place_checks(context, interpreter)
    checks += temp_and_cache_checks(context, plan, request)
    return [*checks, verdict(plan, will)]


def identity_checks(context: Context) -> list[Check]:
    """Who runs safepip: sudo, and a home safepip cannot use."""
    who = context.identity
    checks = [Check("identity", True, f"{who.name} (uid {who.euid}), home {who.home}")]
    if who.under_sudo:
        checks.append(
            Check(
                "sudo",
                False,
                "running as root under sudo",
                "root-owned files in the user's venv and cache",
                "switches to the sudo user unless --system",
            )
        )
    if context.home_problem:
        checks.append(
            Check(
                "home",
                False,
                context.home_problem,
                "pip --user fails with Permission denied",
                f"keeps its venvs and cache in {context.private_root or 'nothing usable: exit 77'}",
            )
        )
    return checks


def interpreter_checks(context: Context, interpreter: Interpreter, will: str | None) -> list[Check]:
    """The interpreter chosen, what the trust rule said of others, and PEP 668."""
    kind = "venv" if interpreter.is_venv else "conda" if interpreter.is_conda else "system Python"
    checks = [Check("trust", True, notice) for notice in context.trust_notices]
    checks.append(
        Check(
            "interpreter",
            True,
            f"{interpreter.executable} (Python {interpreter.version}, {kind}, "
            f"from {context.interpreter_source}, pip {interpreter.pip_version or 'none'})",
        )
    )
    checks.append(
        Check(
            "PEP 668",
            not interpreter.externally_managed,
            "externally managed" if interpreter.externally_managed else "not externally managed",
            "error: externally-managed-environment" if interpreter.externally_managed else None,
            will if interpreter.externally_managed else None,
        )
    )
    return checks


def place_checks(context: Context, interpreter: Interpreter) -> list[Check]:
    """Where pip could write: the environment's dirs, the user site, the project venvs found."""
    user = context.identity.name
    checks = dir_checks("environment", dict(context.env_dirs), user, "Permission denied on install")
    isolated_venv = interpreter.is_venv and not interpreter.system_site_packages
    if interpreter.user_site_enabled and context.user_dirs and not isolated_venv:  # a venv has no user site
        checks += dir_checks("user site", dict(context.user_dirs), user, "pip --user fails")
    for venv in context.project_venvs:
        checks.append(
            Check(
                "project venv",
                venv.trusted,
                f"{venv.path} (owner {venv.owner_name})",
                None if venv.trusted else "a venv of another user is not yours to run",
                "uses it" if venv.trusted else f"never runs it: {venv.distrust_reason}",
            )
        )
    return checks


def temp_and_cache_checks(context: Context, plan: Plan, request: Request) -> list[Check]:
    """The temp dir pip would use and its cache, and what safepip gives pip instead."""
    checks = []
    if context.temp:
        first = context.temp[0]
        problem = temp_problem(first, request.options.min_tmp_space)
        repair = plan.temp.parent if plan.temp and not plan.temp.keep else None
        checks.append(
            Check(
                "temp",
                problem is None,
                f"{first.path} ({first.source})" + (f": {problem}" if problem else " is usable"),
                None
                if problem is None
                else "builds fail (Permission denied, No space left, failed to map segment)",
                f"gives pip a private temp dir in {repair}" if repair else None,
            )
        )
    cache = context.pip_cache
    if cache is not None and cache.path is not None:
        ok = cache.writable and not cache.foreign
        redirect = plan.cache.redirect_to if plan.cache else None
        checks.append(
            Check(
                "pip cache",
                ok,
                cache.path + ("" if ok else f": {plan.cache.reason if plan.cache else 'unusable'}"),
                None if ok else "pip disables its cache with a warning on every run",
                f"gives pip PIP_CACHE_DIR={redirect}" if redirect else None,
            )
        )
    return checks


def verdict(plan: Plan, will: str | None) -> Check:
    if plan.refusal is not None:
        return Check(
            "target",
            False,
            plan.refusal.message,
            None,
            f"stops with exit {plan.refusal.exit_code}: {plan.refusal.hint}",
        )
    return Check("target", True, will or "", None, None)
