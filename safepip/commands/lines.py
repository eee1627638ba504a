"""The short lines a command says while it works: where pip will write, and how to use what it installed."""

from __future__ import annotations

from safepip.policy.plan import Target


def target_line(target: Target) -> str:
    return f"target {target.kind} {target.path} ({target.reason})"


def usage_line(target: Target) -> str:
    return (
        f"installed into {target.path}; run it with {target.python} "
        f"(in scripts: $(safepip python)), or put {target.path}/bin on PATH"
    )
