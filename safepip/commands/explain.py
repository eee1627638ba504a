"""`safepip explain ARGS` and `safepip doctor`: the plan and the facts behind it; they write nothing."""

from __future__ import annotations

from safepip.commands.common import plan_for
from safepip.facts.records import Context
from safepip.facts.request import Request
from safepip.policy.doctor import Check, checklist
from safepip.policy.pip_command import pip_command
from safepip.policy.plan import Plan


def explain(request: Request) -> tuple[Context, Plan, list[str] | None]:
    """The facts, the plan, and the pip command safepip would run (None when it would refuse)."""
    context, plan = plan_for(request, writes=False)
    return context, plan, pip_command(plan, "install") if plan.target else None


def doctor(request: Request) -> tuple[Context, Plan, list[Check]]:
    context, plan = plan_for(request, writes=False)
    return context, plan, checklist(context, plan, request)
