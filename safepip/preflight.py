"""Before pip runs: would this install leave the target half-upgraded? After: what did pip leave behind?

pip upgrades by moving the old files aside (to `~`-named stash entries) and deleting them after the new ones
are in. An entry the user cannot remove (immutable, someone else's in a directory the user cannot write, on a
read-only mount) breaks that halfway: pip leaves stash entries, sometimes with exit 0. So the target's
site-packages is scanned first; only when something there is stuck does pip's own `--dry-run --report`
say whether this install touches it (the common path pays one directory walk and no extra pip run).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from safepip.context import Context
from safepip.delegate import pip_command
from safepip.errors import RefusedError
from safepip.fs_facts import Inspector, entry_inspector, is_read_only_mount
from safepip.pip_args import parse_pip_args
from safepip.plan import Plan, Request, Target
from safepip.requirement_reading import normalize
from safepip.trust import owner_name

STASH_PREFIX = "~"
SHOWN = 3  # stuck entries named in the one-line refusal


class StuckEntry(NamedTuple):
    path: str
    why: str
    fix: str


def stuck_entries(site_dirs: Iterable[str], uid: int, user: str) -> list[StuckEntry]:
    """Entries under the site dirs that `user` could not remove or replace."""
    stuck: list[StuckEntry] = []
    inspect = entry_inspector()
    for site in site_dirs:
        if not os.path.isdir(site):
            continue
        if is_read_only_mount(site):
            stuck.append(
                StuckEntry(site, "on a read-only mount", "install into a target on a writable filesystem")
            )
            continue
        walk_for_stuck(site, uid, user, inspect, stuck)
    return stuck


def walk_for_stuck(directory: str, uid: int, user: str, inspect: Inspector, stuck: list[StuckEntry]) -> None:
    parent_writable: bool | None = None  # asked only when an entry here is someone else's
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        found = inspect(entry.path)
        if found is None:
            continue
        owner_uid, pinned, is_dir = found
        if pinned is not None:
            stuck.append(StuckEntry(entry.path, pinned, f"sudo chattr -{pinned[0]} {entry.path}"))
            continue  # its contents cannot be removed either: one entry says it
        if owner_uid != uid:
            owner = owner_name(owner_uid)
            if is_dir and not os.access(entry.path, os.W_OK | os.X_OK):
                why, fix = f"owned by {owner}, not writable by {user}", f"sudo chown -R {user} {entry.path}"
                stuck.append(StuckEntry(entry.path, why, fix))
                continue
            if parent_writable is None:
                parent_writable = os.access(directory, os.W_OK | os.X_OK)
            if not parent_writable:
                why = f"owned by {owner} in {directory}, which {user} cannot write"
                stuck.append(StuckEntry(entry.path, why, f"sudo chown -R {user} {directory}"))
                continue
        if is_dir:
            walk_for_stuck(entry.path, uid, user, inspect, stuck)


def installed_files(site_dirs: Iterable[str]) -> dict[str, list[str]]:
    """Project name (normalised) -> the absolute paths its RECORD lists."""
    import csv

    projects: dict[str, list[str]] = {}
    for site in site_dirs:
        try:
            names = os.listdir(site)
        except OSError:
            continue
        for name in names:
            if not name.endswith(".dist-info"):
                continue
            project = normalize(name[: -len(".dist-info")].rpartition("-")[0] or name)
            record = os.path.join(site, name, "RECORD")
            try:
                with open(record, newline="", encoding="utf-8") as handle:
                    rows = [row[0] for row in csv.reader(handle) if row]
            except OSError:
                rows = []
            paths = [os.path.normpath(os.path.join(site, row)) for row in rows]
            projects.setdefault(project, []).extend([*paths, os.path.join(site, name)])
    return projects


def owners_of(
    entries: Iterable[StuckEntry], projects: Mapping[str, list[str]]
) -> dict[str, list[StuckEntry]]:
    """Project -> its stuck entries; entries that belong to no project are nobody's business."""
    owned: dict[str, list[StuckEntry]] = {}
    for entry in entries:
        prefix = entry.path.rstrip(os.sep) + os.sep
        for project, files in projects.items():
            if any(path == entry.path or path.startswith(prefix) for path in files):
                owned.setdefault(project, []).append(entry)
    return owned


def would_install(command: list[str], environ: Mapping[str, str], report: str) -> set[str] | None:
    """The projects pip would (re)install, from its own `--dry-run --report`; None when pip cannot say.

    `command` is the install command with `--dry-run --report REPORT` among safepip's options."""
    try:
        import subprocess  # only for the dry run, not on the hot path

        proc = subprocess.run(command, env=dict(environ), capture_output=True, stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            return None
        with open(report, encoding="utf-8") as handle:
            data = json.load(handle)
        return {normalize(item["metadata"]["name"]) for item in data.get("install", [])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def blocking_entries(
    site_dirs: tuple[str, ...], uid: int, user: str, ask_pip: Callable[[], set[str] | None]
) -> list[StuckEntry]:
    """The stuck entries this install would have to remove; pip is asked only when there are stuck ones."""
    stuck = stuck_entries(site_dirs, uid, user)
    if not stuck:
        return []
    owned = owners_of(stuck, installed_files(site_dirs))
    if not owned:
        return []
    touched = ask_pip()
    if touched is None:  # pip cannot resolve this install: the real run will say why
        return []
    return [entry for project in sorted(owned) if project in touched for entry in owned[project]]


def refusal_text(entries: list[StuckEntry], user: str) -> tuple[str, str]:
    """(message, fix) for stopping before pip: the entries, and the commands that free them."""
    named = "; ".join(f"{entry.path} ({entry.why})" for entry in entries[:SHOWN])
    more = f" and {len(entries) - SHOWN} more" if len(entries) > SHOWN else ""
    message = (
        f"this install would replace files {user} cannot remove, leaving a half-upgraded environment: "
        f"{named}{more}; nothing was changed"
    )
    fixes = list(dict.fromkeys(entry.fix for entry in entries))
    return message, " && ".join(fixes[:SHOWN]) + (", and the same for the rest" if len(fixes) > SHOWN else "")


def stash_entries(site_dirs: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for site in site_dirs:
        try:
            found.update(
                os.path.join(site, name) for name in os.listdir(site) if name.startswith(STASH_PREFIX)
            )
        except OSError:
            continue
    return found


def install_dirs(context: Context, target: Target) -> tuple[str, ...]:
    """The site-packages and scripts directories pip will change for this target (for the preflight)."""
    interpreter = context.interpreter
    if target.kind in ("env", "venv") and interpreter is not None and target.python == interpreter.executable:
        scheme = interpreter.scheme
    elif target.kind == "user" and interpreter is not None:
        scheme = interpreter.user_scheme
    elif target.kind in ("managed", "overlay", "venv") and os.path.isdir(target.path):
        from safepip.venvs import site_packages

        return (site_packages(target.path), os.path.join(target.path, "bin"))
    elif target.kind == "explicit" and target.reason.startswith("--target"):  # reason: "<option> <source>"
        return (target.path,)
    else:
        return ()
    return tuple(dict.fromkeys(scheme[key] for key in ("purelib", "platlib", "scripts") if key in scheme))


def refuse_half_upgrade(
    context: Context, plan: Plan, request: Request, environ: Mapping[str, str], dirs: tuple[str, ...]
) -> None:
    """Stop before pip when this install would have to remove files the user cannot remove."""

    def dry_run_installs() -> set[str] | None:
        import shutil
        import tempfile

        report_dir = tempfile.mkdtemp(prefix="safepip-report-", dir=environ.get("TMPDIR") or None)
        report = os.path.join(report_dir, "report.json")
        # the user's own --report would come later on the line and win: the dry run goes without it
        user_args = parse_pip_args(plan.pip_args).without(("--report",))
        dry_run = plan._replace(
            pip_options=("--dry-run", "--quiet", "--report", report, *plan.pip_options), pip_args=user_args
        )
        try:
            return would_install(pip_command(dry_run, request.command), environ, report)
        finally:
            shutil.rmtree(report_dir, ignore_errors=True)

    blocking = blocking_entries(dirs, context.identity.euid, context.identity.name, dry_run_installs)
    if blocking:
        raise RefusedError(*refusal_text(blocking, context.identity.name))


def new_stash_line(entries: set[str]) -> str | None:
    if not entries:
        return None
    names = " ".join(sorted(entries))
    return (
        f"pip left {len(entries)} stash entries (a half-done upgrade); check `pip check`, then: rm -rf {names} "
        "(if that says Operation not permitted: sudo chattr -R -i on them first)"
    )
