"""Before pip runs: would this install leave the target half-upgraded? After: what did pip leave behind?

pip upgrades by moving the old files aside (to `~`-named stash entries) and deleting them after the new ones
are in. An entry the user cannot remove (immutable, someone else's in a directory the user cannot write, on a
read-only mount) breaks that halfway: pip leaves stash entries, sometimes with exit 0. So the target's
site-packages is scanned first; only when something there is stuck does pip's own `--dry-run --report`
say whether this install touches it (the common path pays one directory walk and no extra pip run).
"""

from __future__ import annotations

import os

from safepip.errors import RefusedError
from safepip.facts.stuck import StuckEntry, stuck_entries
from safepip.util.names import normalize
from safepip.util.questions import NoAnswer, ask

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

DRY_RUN_TIMEOUT = 600.0
STASH_PREFIX = "~"
SHOWN = 3  # stuck entries named in the one-line refusal


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


def would_install(
    argv: list[str], environ: Mapping[str, str], report: str, lock_fd: int | None
) -> set[str] | None:
    """The projects pip would (re)install, from its own `--dry-run --report`; None when pip cannot say."""
    try:
        answer = ask(argv, environ, DRY_RUN_TIMEOUT, inherit=[lock_fd] if lock_fd is not None else [])
        if answer.code != 0:
            return None
        import json  # pip's report: only when something is stuck

        with open(report, encoding="utf-8") as handle:
            data = json.load(handle)
        return {normalize(item["metadata"]["name"]) for item in data.get("install", [])}
    except (OSError, NoAnswer, ValueError, KeyError, TypeError):
        return None


def blocking_entries(
    dirs: tuple[str, ...], uid: int, user: str, cache: str | None, ask_pip: Callable[[], set[str] | None]
) -> list[StuckEntry]:
    """The stuck entries this install would have to remove; pip is asked only when there are stuck ones."""
    stuck = stuck_entries(dirs, uid, user, cache)
    if not stuck:
        return []
    owned = owners_of(stuck, installed_files(dirs))
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


def refuse_half_upgrade(
    dirs: tuple[str, ...],
    uid: int,
    user: str,
    cache: str | None,
    dry_run: Callable[[str], list[str]],
    environ: Mapping[str, str],
    lock_fd: int | None,
) -> None:
    """Stop before pip when this install would have to remove files the user cannot remove. `dry_run(report)`
    is pip's command with `--dry-run --report <report>`; it runs in pip's private temp dir."""

    def dry_run_installs() -> set[str] | None:
        report = os.path.join(environ.get("TMPDIR") or "/nonexistent", "safepip-dry-run-report.json")
        return would_install(dry_run(report), environ, report, lock_fd)

    blocking = blocking_entries(dirs, uid, user, cache, dry_run_installs)
    if blocking:
        raise RefusedError(*refusal_text(blocking, user))


def stash_line(entries: set[str], earlier: bool = False) -> str | None:
    if not entries:
        return None
    names = " ".join(sorted(entries))
    who = "an earlier pip left" if earlier else "pip left"
    return (
        f"{who} {len(entries)} stash entries (a half-done upgrade); check `pip check`, then: rm -rf {names} "
        "(if that says Operation not permitted: sudo chattr -R -i on them first)"
    )
