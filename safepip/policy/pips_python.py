"""pip's own `--python`: given to pip (an argument, PIP_PYTHON or `python =` in a pip.conf), it makes pip start
itself again under that interpreter, past the target safepip chose and the Python it checked. Refused
before pip runs, for every pip command and for pip's help (commands/install.py)."""

from __future__ import annotations

from safepip.errors import EXIT_USAGE
from safepip.facts.pip_config import PipSwitches
from safepip.policy.plan import Plan
from safepip.policy.rules import Decision


def pips_own_python(decision: Decision) -> Plan | None:
    """pip's own `--python` (an argument, PIP_PYTHON or `python =` in a pip.conf) makes pip start itself again
    under that interpreter: past the target safepip chose and the Python it checked. Refused (exit 2), with
    safepip's `--python`, which means the same and is checked, as the fix."""
    args = decision.request.pip_args
    # and its abbreviations, which commands without --python-version (list, show, ...) take as --python
    uses = [
        u for u in args.options if u.name == "--python" or (len(u.name) > 3 and "--python".startswith(u.name))
    ]
    use = uses[-1] if uses else None
    if use is not None and use.value is None and use.name != "--python":
        use = use._replace(
            value=args.argv[use.first_index + 1] if use.first_index + 1 < len(args.argv) else ""
        )
    # pip's main parser re-runs pip, whatever --isolated after the command says; the command's own parser
    # stops on it (a `[list]` section): said here the same way
    setting = pips_python_setting(decision.context.pip)
    if use is not None and use.value:
        value, where = use.value, "on the command line"
    elif setting is not None:
        value, where = setting
    else:
        return None
    return decision.refuse(*own_python_refusal(value, where, decision.request.command), EXIT_USAGE)


def pips_python_setting(switches: PipSwitches) -> tuple[str, str] | None:
    """pip's own --python from its settings, as (value, where); None when none is set (pip ignores an empty
    one)."""
    setting = switches.main.get("python") or switches.get("python")
    if setting is None or not setting.value.strip():
        return None
    return setting.value.strip(), f"from {setting.source}"


def own_python_refusal(value: str, where: str, command: str) -> tuple[str, str]:
    """What is said of pip's own --python (pips_own_python, and pip's help): the message and the fix."""
    return (
        f"pip's --python {value} ({where}) would run pip under a Python safepip did not check or choose",
        f"give it to safepip instead: safepip --python {value} {command} … (SAFEPIP_PYTHON)",
    )
