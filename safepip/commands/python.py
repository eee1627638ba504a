"""`safepip python`: the interpreter of the resolved target, its venv made first so the path works at once."""

from __future__ import annotations

from safepip.commands.common import locked_target, plan_for, require_target
from safepip.facts.request import Request

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safepip.commands.common import Notify


def resolve_python(request: Request, notify: Notify) -> str:
    context, plan = plan_for(request)
    target = require_target(plan)
    if target.create_from is not None:
        with locked_target(context, target, request, notify):
            pass
    return target.python
