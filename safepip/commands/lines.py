"""The short lines a command says while it works: one before pip (where it will write, and why in a few
words) and one after (how to use what it installed, or that pip changed nothing). Paths under the home are
shown as `~/…`; `-v` and `explain` show everything in full."""

from __future__ import annotations

import os

from safepip.policy.plan import Target

MAX_LINE = 120  # one short line before pip; `-v` and `explain` say everything


def shown(path: str, home: str) -> str:
    """`path` as `~/…` when it is under `home` (and the home is not `/`)."""
    home = home.rstrip("/")
    if home and (path == home or path.startswith(home + "/")):
        return "~" + path[len(home) :]
    return path


def short_reason(reason: str, home: str, room: int) -> str:
    first = reason.split("; ")[0]
    words = " ".join(shown(word, home) if word.startswith("/") else word for word in first.split(" "))
    return words if len(words) <= room else words[: max(room - 1, 10)] + "…"


def target_line(target: Target, home: str) -> str:
    head = f"target {target.kind} {shown(target.path, home)}"
    room = MAX_LINE - len("safepip: ") - len(head) - len(" ()")
    return f"{head} ({short_reason(target.reason, home, room)})"


def after_line(target: Target, home: str, changed: bool | None, python_changed: bool) -> str | None:
    """The line after a successful install: how to use a Python that is not the one the user meant, or
    that nothing was installed; None when neither applies (or whether pip changed anything is not known)."""
    if changed is False:
        return f"nothing to install: pip changed nothing in {shown(target.path, home)}"
    if python_changed and target.kind == "overlay":
        activate = shown(target.path, home) + "/bin/activate"
        return f"installed into the overlay {shown(target.path, home)}; use it with: source {activate}"
    if python_changed:
        python = shown(target.python, home)
        return f"installed into {shown(target.path, home)}; use {python} (in scripts: $(safepip python))"
    return None


def dist_state(dirs: tuple[str, ...]) -> dict[str, int]:
    """The installed distributions' metadata directories with their mtimes: an install or a reinstall
    changes them, a run where pip found everything satisfied does not."""
    state: dict[str, int] = {}
    for directory in dirs:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith((".dist-info", ".egg-info", ".egg-link")):
                try:
                    state[entry.path] = entry.stat(follow_symlinks=False).st_mtime_ns
                except OSError:
                    continue
    return state
