"""The rules of the default policy, first to last, and what they share: one `Decision` records what each
rule passed over and why. Pure: facts in, a plan or None (the next rule) out."""

from __future__ import annotations

from safepip.errors import EXIT_REFUSED
from safepip.facts import paths
from safepip.facts.pip_config import PipSetting
from safepip.facts.records import Context, DirFact, Interpreter
from safepip.facts.request import Request
from safepip.policy.pip_command import ENVIRONMENT_OPTIONS, LOCATION_OPTIONS
from safepip.policy.plan import CHANGING_COMMANDS, PassedOver, Plan, Refusal, Target

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

EXPLICIT_OPTIONS = ("--target", "--prefix", "--root", "--user")
ENV_SOURCES = {
    "VIRTUAL_ENV": "the active virtualenv",
    "CONDA_PREFIX": "the active conda environment",
    "--python": "the venv of --python",
    "--venv": "the venv given with --venv",
    "project venv": "the project venv",
}


class Decision:
    """The state of one decision as the rules run: what was passed over and why."""

    def __init__(self, context: Context, request: Request, pip_args: tuple[str, ...] = ()) -> None:
        self.context, self.request, self.pip_args = context, request, pip_args
        self.passed: list[PassedOver] = []
        self.env_overrides: tuple[tuple[str, str], ...] = ()
        self.notices: list[str] = []
        self.advice: list[str] = []  # said once per target (actions/said.py), not on every run

    def pass_over(self, kind: str, path: str | None, reason: str) -> None:
        self.passed.append(PassedOver(kind, path, reason))

    def plan(self, target: Target, pip_options: tuple[str, ...] = ()) -> Plan:
        interpreter = self.context.interpreter
        if interpreter is not None and not target.version:
            target = target._replace(version=interpreter.version)
        return Plan(
            target,
            tuple(self.passed),
            None,
            pip_options,
            self.pip_args,
            tuple(self.notices),
            self.env_overrides,
            advice=tuple(self.advice),
        )

    def refuse(self, message: str, hint: str, exit_code: int = EXIT_REFUSED) -> Plan:
        refusal = Refusal(message, hint, exit_code)
        return Plan(None, tuple(self.passed), refusal, (), self.pip_args, tuple(self.notices))

    def no_fallback_refusal(self) -> Plan | None:
        if not self.request.options.no_fallback or not self.passed:
            return None
        first = self.passed[-1]  # the candidate just passed over: the first real one
        return self.refuse(
            f"{first.kind} target {first.path or ''} cannot be used: {first.reason}".replace("  ", " "),
            "drop --no-fallback (SAFEPIP_NO_FALLBACK) to let safepip pick another target",
        )


def describe_dir(fact: DirFact, user: str) -> str:
    if fact.read_only_mount:
        return f"{fact.path} is on a read-only mount"
    if fact.distrust and fact.writable:
        return f"{fact.path} is not safe to write through: {fact.distrust}"
    if fact.noexec and fact.writable:
        return f"{fact.path} is on a noexec mount: compiled modules and console scripts installed there cannot run"
    owner = f"owned by {fact.owner_name}" if fact.owner_name else (fact.error or "missing")
    mode = f", mode {fact.mode:o}" if fact.mode is not None else ""
    where = fact.path if fact.probed in (None, fact.path) else f"{fact.path} (its parent {fact.probed})"
    return f"{where} is not writable by {user} ({owner}{mode})"


def usable(fact: DirFact) -> bool:
    return fact.writable and not fact.noexec and not fact.distrust


def first_unwritable(dirs: Mapping[str, DirFact]) -> DirFact | None:
    """The first directory pip cannot write, or where what it writes could not run (a noexec mount)."""
    return next((fact for fact in dirs.values() if not usable(fact)), None)


def why_moved(decision: Decision) -> str:
    """The reason that matters to the user: why the first real candidate could not be used."""
    for item in decision.passed:
        if item.kind in ("explicit", "env"):
            return item.reason
    return decision.passed[-1].reason if decision.passed else "no other candidate"


def has_pip(interpreter: Interpreter) -> bool:
    return interpreter.pip_version is not None


def breaks_system(decision: Decision) -> bool:
    return decision.request.pip_args.has("--break-system-packages") or decision.context.pip.enabled(
        "break-system-packages"
    )


def requires_virtualenv(decision: Decision) -> str | None:
    setting = decision.context.pip.get("require-virtualenv")
    if decision.request.pip_args.has("--require-virtualenv") or decision.request.pip_args.has(
        "--require-venv"
    ):
        return "--require-virtualenv is given"
    if setting is not None and setting.enabled:
        return f"pip requires a virtualenv ({setting.source})"
    return None


def explicit_rule(decision: Decision, interpreter: Interpreter) -> Plan | None:
    """Rule 1: --target/--prefix/--root/--user, or PIP_TARGET/PIP_PREFIX/PIP_USER, honoured as given."""
    context, args = decision.context, decision.request.pip_args
    label, source, setting = explicit_choice(decision)
    if label is None:
        return None
    if label == "--user":
        problem = user_site_problem(decision, interpreter, explicit=True)
        path = interpreter.user_base
    else:
        fact = context.explicit_dir
        assert fact is not None
        path = fact.path
        problem = None if usable(fact) else describe_dir(fact, context.identity.name)
    if problem is None:
        return decision.plan(
            Target(
                "explicit", path, interpreter.executable, f"{label} {source}", has_pip=has_pip(interpreter)
            )
        )
    if not decision.request.options.fallback:
        if setting is None:
            drop = f"drop {label}"
        elif setting.startswith("PIP_"):
            drop = f"unset {setting}"
        else:  # a pip config file: maybe the administrator's
            drop = f"pass --no-user (for {setting})" if label == "--user" else f"remove {setting}"
        return decision.refuse(
            f"{label} {source}: {path} cannot be used: {problem}",
            f"choose a {('directory' if label != '--user' else 'target')} you can write, {drop} to let "
            "safepip pick a target, or pass --fallback to let it move this one",
        )
    decision.pass_over("explicit", path, f"{problem}; moved because of --fallback")
    if source == "on the command line":
        decision.pip_args = args.without(EXPLICIT_OPTIONS)
    else:
        decision.env_overrides = (("PIP_TARGET", ""), ("PIP_PREFIX", ""), ("PIP_USER", "0"))
    return None


def setting_words(key: str, setting: PipSetting) -> str:
    """A pip setting as the user would find it: `PIP_USER`, or `user = true` in the config file holding it."""
    if setting.source.startswith("PIP_"):
        return setting.source
    return f"`{key} = {setting.value}` in {setting.source}"


def explicit_choice(decision: Decision) -> tuple[str | None, str, str | None]:
    """The explicit option, where it comes from, and the setting behind it (None on the command line)."""
    args, switches = decision.request.pip_args, decision.context.pip
    location = args.explicit_location
    if location is not None:
        return location[0], "on the command line", None
    if args.user and decision.request.command in LOCATION_OPTIONS["--user"]:  # `config --user` is pip's file
        return "--user", "on the command line", None
    for key, label in (("target", "--target"), ("prefix", "--prefix")):
        setting = switches.get(key)
        if setting is not None and setting.value:
            return label, f"from {setting.source}", setting_words(key, setting)
    user = switches.get("user")
    if user is not None and user.enabled and args.user is not False:  # --no-user cancels PIP_USER
        if decision.context.active_env is not None:
            decision.notices.append(
                f"ignoring {setting_words('user', user)} inside a virtualenv, where pip cannot install with --user"
            )
            return None, "", None
        return "--user", f"from {user.source}", setting_words("user", user)
    return None, "", None


def environment_rule(decision: Decision, interpreter: Interpreter) -> Plan | None:
    """Rules 2 and 3: the active environment, or a project venv of the user's: used, or overlaid."""
    context, options = decision.context, decision.request.options
    if options.venv and context.interpreter_source != "--venv":
        venv = options.venv
        if context.venv_option_distrust:
            return decision.refuse(
                f"--venv {venv} cannot be made: {context.venv_option_distrust}",
                "pass --venv a path under a directory that only you (or root) can write, e.g. under your home",
            )
        return decision.plan(
            Target("venv", venv, paths.venv_python(venv), "--venv given; it will be created",
                   create_from=interpreter.real_path),
            ENVIRONMENT_OPTIONS,
        )  # fmt: skip
    prefix = context.active_env
    if prefix is None:
        return None
    kind = "venv" if context.interpreter_source in ("project venv", "--venv") else "env"
    what = f"{ENV_SOURCES.get(context.interpreter_source, 'the environment')} {prefix}"
    blocked = first_unwritable(context.env_dirs)
    if blocked is None:
        return decision.plan(
            Target(kind, prefix, interpreter.executable, f"{what} is writable", has_pip=has_pip(interpreter)),
            ENVIRONMENT_OPTIONS,
        )
    problem = describe_dir(blocked, context.identity.name)
    decision.pass_over(kind, prefix, problem)
    refusal = decision.no_fallback_refusal()
    if refusal is not None:
        return refusal
    if context.overlay_venv is None:
        decision.pass_over(
            "overlay", None, f"no overlay for {prefix}: it is neither a venv nor a conda environment"
        )
        return None
    if not usable(context.data_dir):
        decision.pass_over(
            "overlay", context.overlay_venv, describe_dir(context.data_dir, context.identity.name)
        )
        return None
    reason, advice = overlay_reason(blocked, what, prefix, context.identity.name)
    decision.advice.append(advice)
    return decision.plan(
        Target(
            "overlay",
            context.overlay_venv,
            paths.venv_python(context.overlay_venv),
            reason,
            create_from=None if context.overlay_venv_ready else interpreter.real_path,
            system_site_packages=interpreter.system_site_packages,
            overlay_of=prefix,
        ),
        ENVIRONMENT_OPTIONS,
    )


def overlay_reason(blocked: DirFact, what: str, prefix: str, user: str) -> tuple[str, str]:
    """Why an environment is overlaid (the target's reason) and how to install into it directly instead (said
    once): its mount when that is what stops it, else its owner."""
    overlay = "safepip installs into an overlay venv that still sees its packages"
    if blocked.read_only_mount:
        return f"{what} is on a read-only mount", f"{prefix} is on a read-only mount: {overlay}"
    if blocked.noexec and blocked.writable:
        return (
            f"{what} is on a noexec mount",
            f"{prefix} is on a noexec mount, where compiled modules and console scripts cannot run: {overlay}; "
            "to install into it directly instead, make it on a filesystem mounted without noexec",
        )
    owner = blocked.owner_name or "another user"
    return (
        f"{what} is not writable by {user} (owned by {owner})",
        f"{prefix} belongs to {owner}: {overlay}; to install into it directly instead: sudo chown -R {user} {prefix}",
    )


def own_environment_rule(decision: Decision, interpreter: Interpreter) -> Plan | None:
    """Rule 4: the interpreter's own (system) environment, when pip could really install there."""
    context = decision.context
    where = interpreter.scheme.get("purelib", interpreter.prefix)
    problems = []  # the reason that decides first: PEP 668 says no even to root
    if interpreter.externally_managed and not breaks_system(decision):
        problems.append(f"{interpreter.executable} is externally managed (PEP 668)")
    blocked = first_unwritable(context.env_dirs)
    if blocked is not None:
        problems.append(describe_dir(blocked, context.identity.name))
    venv_required = requires_virtualenv(decision)
    if venv_required:
        problems.append(venv_required)
    if context.identity.under_sudo and not decision.request.options.system:
        problems.append("running under sudo: the system environment is only used with --system")
    if decision.request.options.prefer == "user" and not problems:
        problems.append("--prefer user")
    if not problems:
        reason = f"{where} is writable" + (
            " (--break-system-packages)" if interpreter.externally_managed else ""
        )
        return decision.plan(
            Target("env", interpreter.prefix, interpreter.executable, reason, has_pip=has_pip(interpreter)),
            ENVIRONMENT_OPTIONS,
        )
    decision.pass_over("env", where, "; ".join(problems))
    return decision.no_fallback_refusal()


def user_site_problem(decision: Decision, interpreter: Interpreter, explicit: bool = False) -> str | None:
    context = decision.context
    if decision.request.pip_args.user is False:
        return "--no-user is given"
    if interpreter.is_venv and not interpreter.system_site_packages:
        return "user site-packages are not visible in this virtualenv"
    if not interpreter.user_site_enabled:
        return "user site-packages are disabled for this interpreter (PYTHONNOUSERSITE or -s)"
    if (
        interpreter.externally_managed
        and not breaks_system(decision)
        and (
            decision.request.command in CHANGING_COMMANDS or not explicit
        )  # `pip list --user` changes nothing
    ):
        return f"{interpreter.executable} is externally managed (PEP 668), which covers --user too"
    venv_required = requires_virtualenv(decision)
    if venv_required:
        return venv_required
    blocked = first_unwritable(context.user_dirs)
    if blocked is not None or not context.user_dirs:
        return (
            describe_dir(blocked, context.identity.name) if blocked else "no user site for this interpreter"
        )
    if not explicit and decision.request.options.prefer == "venv":
        return "--prefer venv"
    return None


def user_rule(decision: Decision, interpreter: Interpreter) -> Plan | None:
    """Rule 5: pip's own fallback, --user."""
    problem = user_site_problem(decision, interpreter)
    if problem is None:
        reason = "pip's --user, as pip itself falls back to: " + why_moved(decision)
        return decision.plan(
            Target(
                "user", interpreter.user_base, interpreter.executable, reason, has_pip=has_pip(interpreter)
            ),
            ("--user",),
        )
    decision.pass_over("user", interpreter.user_base, problem)
    return None


def managed_rule(decision: Decision, interpreter: Interpreter) -> Plan | None:
    """Rule 6: a venv of safepip's own for this interpreter, made once and reused."""
    context = decision.context
    if context.managed_venv is None or not usable(context.data_dir):
        decision.pass_over(
            "managed", context.managed_venv, describe_dir(context.data_dir, context.identity.name)
        )
        return None
    system_python = not interpreter.is_venv
    reason = why_moved(decision)
    if system_python:
        reason += "; a venv that still sees the system's packages"
    return decision.plan(
        Target(
            "managed",
            context.managed_venv,
            paths.venv_python(context.managed_venv),
            reason,
            create_from=None if context.managed_venv_ready else interpreter.real_path,
            system_site_packages=system_python,
        ),
        ENVIRONMENT_OPTIONS,
    )
