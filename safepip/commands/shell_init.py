"""`safepip shell-init`: the lines for a shell profile: `pip` (and `pip3`) going to safepip, the directory it
links scripts into on PATH, and completion of safepip's commands and options. `eval "$(safepip shell-init
bash)"` in ~/.bashrc; fish: `safepip shell-init fish | source`. Also what the profile's pip function asks
after each run (`--overlay-of`)."""

from __future__ import annotations

import os
import shlex
import shutil
import sys

from safepip.actions.scripts import user_bin_dir
from safepip.errors import UsageError
from safepip.util.archive import running_archive

SHELLS = ("bash", "zsh", "fish")


def shell_init(rest: list[str], words: list[str]) -> int:
    """`safepip shell-init [SHELL]`: the profile's lines; `--overlay-of VENV`: what the profile's pip function
    asks after each run. `words`: safepip's commands and options, for completion."""
    if rest[:1] == ["--overlay-of"] and len(rest) == 2:  # what the profile's pip() asks after each run
        from safepip.facts.own_dirs import own_dirs
        from safepip.facts.paths import ready_overlay_of

        print(ready_overlay_of(own_dirs(os.geteuid()).data.path, rest[1]) or "")
        return 0
    shell = rest[0] if rest else os.path.basename(os.environ.get("SHELL", ""))
    if shell not in SHELLS or len(rest) > 1:
        raise UsageError(
            f"unknown shell {' '.join(rest) or shell!r}", f"safepip shell-init {'|'.join(SHELLS)}"
        )
    home = os.environ.get("HOME") or os.path.expanduser("~")
    print(profile_lines(shell, own_command(), user_bin_dir(home), words))
    return 0


def own_command() -> list[str]:
    """How to run this very safepip again from any directory (shell-init's functions): its script's absolute
    path, `python -I PYZ`, or `python -E -P -m safepip`; never with the working directory or a PYTHON*
    variable deciding what safepip's own Python imports. Refused for a safepip found only in the working
    directory (`python -m safepip` in a checkout): the functions would run whatever is in the next one."""
    archive = running_archive()
    if archive is not None:  # a downloaded .pyz is seldom executable
        return [sys.executable, "-I", archive]
    script = sys.argv[0]
    if os.path.basename(script) == "__main__.py":
        home = os.path.dirname(os.path.dirname(os.path.abspath(script)))
        if os.path.abspath(os.getcwd()) == home and home not in sys.path[1:]:
            raise UsageError(
                f"this safepip runs from the working directory ({home}); pip in your shell would then run "
                "whatever safepip is in the directory you type it in",
                "install safepip first (python3 -m safepip.zipapp.build && python3 dist/safepip.pyz self "
                "install), then run ~/.local/bin/safepip shell-init",
            )
        # 3.10 has no -P; its -I keeps the working directory out too (and the user site)
        return [sys.executable, *(["-E", "-P"] if sys.version_info >= (3, 11) else ["-I"]), "-m", "safepip"]
    found = os.path.abspath(script) if os.path.sep in script else shutil.which(script)
    return [found or "safepip"]


def profile_lines(shell: str, safepip: list[str], user_bin: str, words: list[str]) -> str:
    """`safepip`: the command that runs this safepip (its absolute path, or `python -m safepip`); `words`:
    its commands and options, for completion."""
    quoted = shlex.join(safepip)
    listed = shlex.quote(" ".join(words))
    if shell == "fish":
        return "\n".join(
            [
                f"complete -c safepip -f -a {listed}",
                "# safepip: pip goes through safepip; scripts it links are on PATH",
                "function _safepip_follow; set -q VIRTUAL_ENV; and not test -w $VIRTUAL_ENV; or return 0; "
                f'set -l o ({quoted} shell-init --overlay-of $VIRTUAL_ENV); and test -n "$o"; or return 0; '
                "set -gx VIRTUAL_ENV $o; set -gx PATH $o/bin $PATH; end",
                f"function pip --wraps pip; {quoted} $argv; set -l code $status; _safepip_follow; return $code; end",
                f"function pip3 --wraps pip3; {quoted} $argv; set -l code $status; _safepip_follow; return $code; end",
                f"contains -- {shlex.quote(user_bin)} $PATH; or set -gx PATH {shlex.quote(user_bin)} $PATH",
            ]
        )
    # after pip, a shell whose active venv safepip overlays switches to the overlay, so `python` sees what
    # was installed (only when the venv is not the user's to write: their own venvs cost nothing)
    follow = (
        '_safepip_follow() { [ -n "$VIRTUAL_ENV" ] && [ ! -w "$VIRTUAL_ENV" ] || return 0; local o; '
        f'o=$({quoted} shell-init --overlay-of "$VIRTUAL_ENV") && [ -n "$o" ] || return 0; '
        'export VIRTUAL_ENV="$o" PATH="$o/bin:$PATH"; hash -r 2>/dev/null; }'
    )
    # safepip's own words for safepip; for pip and pip3, pip's own completion, as `pip completion` sets it up
    pip_words = (
        '_safepip_pip_words() { COMPREPLY=( $( COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD '
        f"PIP_AUTO_COMPLETE=1 {quoted} 2>/dev/null ) ); }}; complete -o default -F _safepip_pip_words pip pip3"
    )
    completion = f"complete -o default -W {listed} safepip; {pip_words}"
    if shell == "zsh":
        completion = f"autoload -U +X bashcompinit && bashcompinit && {completion}"
    return "\n".join(
        [
            completion,
            "# safepip: pip goes through safepip; scripts it links are on PATH",
            follow,
            f'pip() {{ {quoted} "$@"; local code=$?; _safepip_follow; return $code; }}',
            f'pip3() {{ {quoted} "$@"; local code=$?; _safepip_follow; return $code; }}',
            f'case ":$PATH:" in *:{shlex.quote(user_bin)}:*) ;; *) export PATH={shlex.quote(user_bin)}":$PATH" ;; esac',
        ]
    )
