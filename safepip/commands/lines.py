"""The short lines a command says while it works: one before pip (where it will write, and why in a few
words) and one after (how to use what it installed, or that pip changed nothing). Paths under the home are
shown as `~/…`; `-v` and `explain` show everything in full."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safepip.policy.plan import Target

MAX_LINE = 120  # one short line before pip, where the reason allows; `-v` and `explain` say everything


def shown(path: str, home: str) -> str:
    """`path` as `~/…` when it is under `home` (and the home is not `/`)."""
    home = home.rstrip("/")
    if home and (path == home or path.startswith(home + "/")):
        return "~" + path[len(home) :]
    return path


def short_reason(reason: str, home: str, room: int) -> str:
    """The reason's first clause, paths under the home as `~/…`; where that does not fit in `room`, without
    its parenthesized details, last first; never cut inside a word (a longer line says what matters)."""
    first = reason.split("; ")[0]
    words = " ".join(shown(word, home) if word.startswith("/") else word for word in first.split(" "))
    while len(words) > room and words.endswith(")") and " (" in words:
        words = words[: words.rindex(" (")]
    return words


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


def dist_state(dirs: tuple[str, ...]) -> list[tuple[int, int, int] | None]:
    """The install directories' own stamps (inode, mtime, ctime): an install or a reinstall adds, removes or
    renames entries at their top (a distribution's .dist-info, at least), which changes them; a run where
    pip found everything satisfied does not."""
    state: list[tuple[int, int, int] | None] = []
    for directory in dirs:
        try:
            info = os.stat(directory)
        except OSError:
            state.append(None)
            continue
        state.append((info.st_ino, info.st_mtime_ns, info.st_ctime_ns))
    return state
