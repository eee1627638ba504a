"""Which temp directory pip gets: the first usable candidate; pip always works in a private directory
below it (actions/temp.py), so that whatever pip leaves there is removed with it."""

from __future__ import annotations

from safepip.facts.temp import TempFact
from safepip.util.named_tuple import NamedTuple
from safepip.util.units import format_bytes


class TempChoice(NamedTuple):
    keep: bool  # the current temp dir is usable: the private directory goes inside it
    parent: str | None  # where the private directory is made
    reason: str
    passed_over: tuple[tuple[str, str], ...] = ()  # (path, why not)


def temp_problem(fact: TempFact, min_space: int) -> str | None:
    if not fact.is_dir:
        return fact.error if fact.error == "not a directory" else f"missing ({fact.error})"
    if not fact.writable:
        return f"not writable ({fact.error})"
    if fact.distrust:
        return f"not safe: {fact.distrust}"
    if fact.noexec:
        return "on a noexec mount: compiled build requirements cannot be loaded from it"
    if fact.free_bytes is not None and fact.free_bytes < min_space:
        return f"only {format_bytes(fact.free_bytes)} free, less than {format_bytes(min_space)}"
    return None


def decide_temp(facts: tuple[TempFact, ...], min_space: int) -> TempChoice:
    passed: list[tuple[str, str]] = []
    for index, fact in enumerate(facts):
        problem = temp_problem(fact, min_space)
        if problem is None:
            if index == 0:
                return TempChoice(True, fact.path, f"{fact.path} is usable", ())
            first = passed[0]
            return TempChoice(False, fact.path, f"{first[0]}: {first[1]}", tuple(passed))
        passed.append((fact.path, problem))
    first = passed[0] if passed else ("TMPDIR", "missing")
    return TempChoice(True, None, f"no usable temp dir; {first[0]} left as it is", tuple(passed))
