"""How plans and facts look: a text report, and the JSON document (schema `safepip/1`)
of `explain`, `install` (and the other pip commands) and `doctor`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from safepip.errors import SafepipError
from safepip.facts.records import Context, DirFact
from safepip.facts.request import Request
from safepip.policy.doctor import Check
from safepip.policy.plan import Plan

SCHEMA = "safepip/1"  # bump on any change that removes or renames a key


def as_data(value: Any) -> Any:
    """A record (a NamedTuple) as JSON data: records become objects, nested ones included."""
    if hasattr(value, "_asdict"):
        return {key: as_data(item) for key, item in value._asdict().items()}
    if isinstance(value, Mapping):
        return {key: as_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, frozenset)):
        return [as_data(item) for item in value]
    return value


def error_as_dict(error: SafepipError) -> dict[str, Any]:
    """With --json, a failure before any plan (a usage error, no target to read): the document says it."""
    result = {"exit_code": error.exit_code, "messages": [], "error": error.message, "hint": error.hint}
    return {"schema": SCHEMA, "kind": "error", "result": result}


def plan_as_dict(
    context: Context, plan: Plan, request: Request, pip_command: list[str] | None
) -> dict[str, Any]:
    facts = as_data(context)
    facts["identity"]["under_sudo"] = context.identity.under_sudo
    return {
        "schema": SCHEMA,
        "kind": "explain",
        "command": request.command,
        "pip_args": list(request.pip_args.argv),
        "target": as_data(plan.target) if plan.target else None,
        "passed_over": [as_data(item) for item in plan.passed_over],
        "refusal": as_data(plan.refusal) if plan.refusal else None,
        "notices": list(plan.every_notice),
        "advice": list(plan.advice),
        "pip_command": pip_command,
        "temp": as_data(plan.temp) if plan.temp else None,
        "cache": as_data(plan.cache) if plan.cache else None,
        "facts": facts,
    }


def describe_fact(fact: DirFact) -> str:
    owner = fact.owner_name or "?"
    mode = f"{fact.mode:04o}" if fact.mode is not None else "----"
    state = "writable" if fact.writable else f"NOT writable ({fact.error or 'denied'})"
    ro = ", read-only mount" if fact.read_only_mount else ""
    probed = "" if fact.probed == fact.path else f" [nearest existing: {fact.probed}]"
    return f"{fact.path}{probed}: {owner} {mode} {state}{ro}"


def plan_as_text(context: Context, plan: Plan, request: Request, pip_command: list[str] | None) -> str:
    lines = [f"safepip plan for: pip {request.command} {' '.join(request.pip_args.argv)}".rstrip()]
    if plan.target is not None:
        target = plan.target
        lines += [
            f"  target: {target.kind} {target.path}",
            f"  reason: {target.reason}",
            f"  python: {target.python}",
        ]
        if target.create_from:
            lines.append(f"  creates: a venv from {target.create_from}")
    else:
        assert plan.refusal is not None
        lines += [
            f"  refused (exit {plan.refusal.exit_code}): {plan.refusal.message}",
            f"  fix: {plan.refusal.hint}",
        ]
    if plan.passed_over:
        lines.append("  passed over:")
        lines += [f"    - {item.kind} {item.path or ''}: {item.reason}" for item in plan.passed_over]
    if plan.temp is not None:
        where = "kept" if plan.temp.keep else f"a private directory in {plan.temp.parent}"
        lines.append(f"  temp: {where} ({plan.temp.reason})")
        lines += [f"    - passed over {path}: {why}" for path, why in plan.temp.passed_over]
    if plan.cache is not None:
        where = f"redirected to {plan.cache.redirect_to}" if plan.cache.redirect_to else "pip's own"
        lines.append(f"  pip cache: {where} ({plan.cache.reason})")
    lines += [f"  notice: {notice}" for notice in plan.every_notice]
    lines += [f"  advice: {advice}" for advice in plan.advice]
    if pip_command:
        lines.append("  pip command: " + " ".join(pip_command))
    lines += facts_as_text(context)
    return "\n".join(lines)


def facts_as_text(context: Context) -> list[str]:
    who = context.identity
    lines = [
        "facts:",
        f"  user: {who.name} (uid {who.euid}), home {who.home}" + (", under sudo" if who.under_sudo else ""),
    ]
    interpreter = context.interpreter
    if interpreter is None:
        lines.append(f"  interpreter: none ({context.interpreter_error})")
    else:
        kind = "venv" if interpreter.is_venv else ("conda" if interpreter.is_conda else "system")
        lines += [
            f"  interpreter: {interpreter.executable} (Python {interpreter.version}, {kind}, "
            f"from {context.interpreter_source})",
            f"  externally managed (PEP 668): {'yes' if interpreter.externally_managed else 'no'}",
            f"  pip: {interpreter.pip_version or 'none'}; user site: "
            f"{'enabled' if interpreter.user_site_enabled else 'disabled'}",
        ]
    if context.env_dirs:
        lines.append("  environment directories:")
        lines += [f"    {key}: {describe_fact(fact)}" for key, fact in context.env_dirs.items()]
    if context.user_dirs:
        lines.append("  user site directories:")
        lines += [f"    {key}: {describe_fact(fact)}" for key, fact in context.user_dirs.items()]
    if context.explicit_dir:
        lines.append(f"  explicit directory: {describe_fact(context.explicit_dir)}")
    lines.append(f"  safepip data: {describe_fact(context.data_dir)}")
    if context.home_problem:
        fallback = context.private_root or "none usable"
        lines.append(f"  home: {context.home_problem}; private fallback: {fallback}")
    for venv in context.project_venvs:
        trust = "trusted" if venv.trusted else f"not used: {venv.distrust_reason}"
        lines.append(f"  project venv: {venv.path} (owner {venv.owner_name}, {trust})")
    for key, setting in context.pip.settings.items():
        lines.append(f"  pip setting: {key} = {setting.value} (from {setting.source})")
    return lines


def doctor_as_dict(context: Context, plan: Plan, request: Request, checks: list[Check]) -> dict[str, Any]:
    document = plan_as_dict(context, plan, request, None)
    document["kind"] = "doctor"
    document["checks"] = [as_data(check) for check in checks]
    return document


def checklist_as_text(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"[{'ok' if check.ok else '!!'}] {check.topic}: {check.finding}")
        if check.pip:
            lines.append(f"       pip would hit: {check.pip}")
        if check.safepip:
            lines.append(f"       safepip: {check.safepip}")
    return "\n".join(lines)
