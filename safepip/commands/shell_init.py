"""The lines for a shell profile: `pip` (and `pip3`) going to safepip, and the directory it links scripts into
on PATH, and completion of safepip's commands and options. `eval "$(safepip shell-init bash)"` in ~/.bashrc; fish: `safepip shell-init fish | source`."""

from __future__ import annotations

import shlex

SHELLS = ("bash", "zsh", "fish")


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
    completion = f"complete -o default -W {listed} safepip"
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
