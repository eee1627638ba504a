"""`safepip self install|update [PYZ]|uninstall`: the `safepip` command on the user's PATH, from safepip.pyz.

Run from the archive, `install` puts safepip in a venv of its own linked into ~/.local/bin (as pipx would),
and `update` replaces another build there; run from that install, `update NEW.pyz` hands over to the new
archive. Idempotent, no root, under a lock; a `safepip` in ~/.local/bin that safepip did not link is never
replaced.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from safepip.actions.locks import target_lock
from safepip.actions.scripts import made_by_safepip, on_path, user_bin_dir
from safepip.actions.tool_venv import link_tool, put_tool_in_place, remove_tool
from safepip.errors import RefusedError, UsageError
from safepip.facts.own_dirs import own_dirs
from safepip.facts.paths import runtime_lock_path
from safepip.facts.request import Options
from safepip.facts.tool import Tool, archive_distrust, installed_tool, locate_tool, tool_python
from safepip.policy.self_install import SelfStep, decide_self
from safepip.util.archive import OWN_VERSION, archive_about, running_archive
from safepip.util.process import own_python_environment, python_file, replace_process

Notify = Callable[[str], None]
USAGE = "safepip self install | self update [PYZ] | self uninstall"
ACTIONS = ("install", "update", "uninstall")
SELF_HELP = """\
  install           run from safepip.pyz: safepip in a venv of its own, ~/.local/bin/safepip linked to it
  update [PYZ]      the same from a newer safepip.pyz (this one, or PYZ)
  uninstall         remove that venv and the link; your venvs, overlays and the shared pip stay"""


def self_command(argv: list[str], options: Options, notify: Notify) -> int:
    if argv in (["--help"], ["-h"]):
        print(f"usage: {USAGE}\n\n{SELF_HELP}")
        return 0
    action = argv[0] if argv else None
    if action not in ACTIONS or len(argv) > (2 if action == "update" else 1):
        raise UsageError(f"unknown: safepip self {' '.join(argv)}".rstrip(), USAGE)
    if action == "update" and len(argv) == 2:
        update_from(argv[1], options)
    home = os.environ.get("HOME") or os.path.expanduser("~")
    dirs = own_dirs(os.geteuid())
    tool = locate_tool(dirs, user_bin_dir(home))
    with target_lock(runtime_lock_path(dirs.cache.path, tool.venv), tool.venv, options.lock_timeout, notify):
        if action == "uninstall":
            return uninstall(tool, notify)
        return install(tool, notify, update=action == "update")


def describe(about: dict[str, object]) -> str:
    return f"safepip {about.get('version')} (build {about.get('build')})"


def replacing(current: dict[str, object] | None, about: dict[str, object]) -> str:
    """What an update replaced, said; a newer version than the one put in place, said so."""
    if current is None:
        return ""
    from packaging.version import InvalidVersion, Version

    try:
        older = Version(str(about.get("version"))) < Version(str(current.get("version")))
    except InvalidVersion:
        older = False
    return f", replacing {describe(current)}" + (", a newer version" if older else "")


def install(tool: Tool, notify: Notify, update: bool) -> int:
    archive = running_archive()
    about = archive_about(archive) if archive is not None else None
    current = installed_tool(tool)
    step = decide_self(
        update,
        installed_build=None if current is None else str(current.get("build")),
        archive_build=None if about is None else str(about.get("build")),
    )
    if step is SelfStep.NOT_SELF_INSTALLED:
        raise UsageError(
            "this safepip was not put here by `self install`", "run `python3 safepip.pyz self install`"
        )
    if step is SelfStep.NEEDS_AN_ARCHIVE:
        assert current is not None
        notify(f"{describe(current)} is installed in {tool.venv}; to update: python3 NEW.pyz self update")
        return 0
    assert archive is not None and about is not None
    if os.path.lexists(tool.link) and not made_by_safepip(tool.link, tool.data_root):
        raise RefusedError(
            f"{tool.link} exists and was not made by safepip's self install (another `safepip`?)",
            f"remove or rename {tool.link}, then run this again",
        )
    if step is SelfStep.KEEP_OTHER_BUILD:
        assert current is not None
        notify(
            f"{describe(current)} is installed in {tool.venv}; `python3 {archive} self update` replaces it"
        )
        return 0
    if step is SelfStep.PUT_IN_PLACE:
        python = tool_python()
        put_tool_in_place(tool, python, archive, about)
        notify(f"installed {describe(about)} into {tool.venv} (with {python}){replacing(current, about)}")
    else:
        notify(f"{describe(about)} is {step.value} in {tool.venv}")
    if link_tool(tool):
        notify(f"linked {tool.link}")
        user_bin = os.path.dirname(tool.link)
        if not on_path(user_bin, os.environ.get("PATH", "")):
            notify(
                f"{user_bin} is not on PATH in this shell; a new login shell has it (~/.profile adds it once "
                f'it exists), or run: export PATH="{user_bin}:$PATH"'
            )
    return 0


def update_from(pyz: str, options: Options) -> None:
    """`safepip self update NEW.pyz` from an installed safepip: the new archive does the update."""
    archive = os.path.abspath(pyz)
    if not os.path.isfile(archive):
        raise UsageError(f"{pyz} is not a file", USAGE)
    problem = archive_distrust(archive)
    if problem is not None:
        raise RefusedError(f"will not run {archive}: {problem}", USAGE)
    forwarded = [*(["-q"] if options.quiet else []), "--lock-timeout", str(options.lock_timeout)]
    python = tool_python()
    argv = python_file(python, OWN_VERSION, archive, *forwarded, "self", "update")
    replace_process(argv, own_python_environment(os.environ))


def uninstall(tool: Tool, notify: Notify) -> int:
    removed = remove_tool(tool)
    for what in removed:
        notify(f"removed {what}")
    if not removed:
        notify("safepip is not installed by `self install` here: nothing to remove")
    notify(
        f"what safepip installed for you stays in {tool.data_root} (venvs, overlays, and the pip that they"
        " and the venvs made with --venv share); remove it when none of them is needed"
    )
    running = sys.prefix if sys.prefix != sys.base_prefix and running_archive() is None else None
    if running is not None and os.path.realpath(running) != os.path.realpath(tool.venv):
        notify(
            f"the safepip running now is in {running}, which `self install` did not make: remove it as it was"
            " installed (`pipx uninstall safepip-cli`, `pip uninstall safepip-cli`)"
        )
    return 0
