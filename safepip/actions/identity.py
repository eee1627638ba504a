"""Under sudo, become the user who ran it: pip then writes nothing root-owned into their home.

`sudo pip install` leaves root-owned files in the user's venv and cache that break their next install. So,
before anything touches a file, safepip drops to SUDO_UID: supplementary groups, gid and uid (real, effective
and saved), and HOME, USER and LOGNAME from the password database. `--system` keeps root instead.
"""

from __future__ import annotations

import os
import pwd

from safepip.errors import RefusedError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

SUDO_VARIABLES = ("SUDO_UID", "SUDO_GID", "SUDO_USER", "SUDO_COMMAND", "SUDO_HOME")


NOBODY = 65534


def first_ordinary_uid() -> int:
    """UID_MIN from /etc/login.defs (1000 where it is not set): below it are root and system accounts."""
    try:
        with open("/etc/login.defs", encoding="utf-8", errors="replace") as defs:
            for line in defs:
                key, _, value = line.strip().partition(" ")
                if key == "UID_MIN" and value.strip().isdigit():
                    return int(value.strip())
    except OSError:
        pass
    return 1000


def under_sudo(environ: Mapping[str, str], euid: int) -> bool:
    return euid == 0 and ("SUDO_UID" in environ or "SUDO_GID" in environ)


def invoking_user(environ: Mapping[str, str], euid: int) -> pwd.struct_passwd | None:
    """The ordinary user behind sudo, or None when this is not sudo. A SUDO_UID or SUDO_GID that does not
    name an ordinary user in the password database stops safepip: running on as root would leave
    root-owned files in whatever HOME says."""
    if not under_sudo(environ, euid):
        return None
    uid_text, gid_text = environ.get("SUDO_UID", ""), environ.get("SUDO_GID")
    fix = "run safepip without sudo (it needs no root), or unset SUDO_UID and SUDO_GID if they are left over"
    if (
        not uid_text.isascii()
        or not uid_text.isdigit()
        or (gid_text is not None and not (gid_text.isascii() and gid_text.isdigit()))
    ):
        shown = f"SUDO_UID={uid_text!r}" + (f", SUDO_GID={gid_text!r}" if gid_text is not None else "")
        raise RefusedError(f"running as root under sudo with {shown}, which is not a user id", fix)
    if int(uid_text) < first_ordinary_uid() or int(uid_text) == NOBODY:
        raise RefusedError(
            f"running under sudo with SUDO_UID={uid_text}: not an ordinary user's id, there is no one to become",
            fix,
        )
    try:
        return pwd.getpwuid(int(uid_text))
    except (KeyError, OverflowError):
        raise RefusedError(
            f"running under sudo for uid {uid_text}, which is not in the password database", fix
        ) from None


def become(user: pwd.struct_passwd, environ: MutableMapping[str, str]) -> None:
    """Drop root for `user` for good, and give the environment their identity."""
    groups = os.getgrouplist(user.pw_name, user.pw_gid)
    os.setgroups(groups)
    os.setresgid(user.pw_gid, user.pw_gid, user.pw_gid)
    os.setresuid(user.pw_uid, user.pw_uid, user.pw_uid)
    environ["HOME"] = user.pw_dir
    environ["USER"] = environ["LOGNAME"] = user.pw_name
    for name in SUDO_VARIABLES:  # pip and build tools run as the user now, not under sudo
        environ.pop(name, None)


def drop_sudo(environ: MutableMapping[str, str], keep_root: bool) -> str | None:
    """Become the invoking user unless `keep_root`; the line that says so, or None when nothing changed.
    Called before anything else runs, typer's or argparse's callbacks included."""
    user = invoking_user(environ, os.geteuid())
    if user is None or keep_root:
        return None
    become(user, environ)
    return (
        f"running as {user.pw_name} (uid {user.pw_uid}), who ran sudo: safepip needs no root; "
        "pass --system to install into the system environment as root"
    )
