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
                f"function pip --wraps pip; {quoted} $argv; end",
                f"function pip3 --wraps pip3; {quoted} $argv; end",
                f"contains -- {shlex.quote(user_bin)} $PATH; or set -gx PATH {shlex.quote(user_bin)} $PATH",
            ]
        )
    completion = f"complete -o default -W {listed} safepip"
    if shell == "zsh":
        completion = f"autoload -U +X bashcompinit && bashcompinit && {completion}"
    return "\n".join(
        [
            completion,
            "# safepip: pip goes through safepip; scripts it links are on PATH",
            f'pip() {{ {quoted} "$@"; }}',
            f'pip3() {{ {quoted} "$@"; }}',
            f'case ":$PATH:" in *:{shlex.quote(user_bin)}:*) ;; *) export PATH={shlex.quote(user_bin)}":$PATH" ;; esac',
        ]
    )
