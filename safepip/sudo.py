"""Under sudo, become the user who ran it: pip then writes nothing root-owned into their home.

`sudo pip install` leaves root-owned files in the user's venv and cache that break their next install. So,
before anything touches a file, safepip drops to SUDO_UID: supplementary groups, gid and uid (real, effective
and saved), and HOME, USER and LOGNAME from the password database. `--system` keeps root instead.
"""

from __future__ import annotations

import os
import pwd

from safepip.errors import RefusedError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, before pip's head start
if TYPE_CHECKING:
    from collections.abc import Mapping, MutableMapping

SUDO_VARIABLES = ("SUDO_UID", "SUDO_GID", "SUDO_USER", "SUDO_COMMAND", "SUDO_HOME")


def sudo_from_a_user(environ: Mapping[str, str], euid: int) -> bool:
    sudo_uid = environ.get("SUDO_UID", "")
    return euid == 0 and sudo_uid.isdigit() and int(sudo_uid) != 0


def invoking_user(environ: Mapping[str, str], euid: int) -> pwd.struct_passwd | None:
    """The ordinary user behind sudo, or None when this is not sudo from an ordinary user."""
    if not sudo_from_a_user(environ, euid):
        return None
    sudo_uid = environ["SUDO_UID"]
    try:
        return pwd.getpwuid(int(sudo_uid))
    except KeyError:
        raise RefusedError(
            f"running under sudo for uid {sudo_uid}, which is not in the password database",
            "run safepip without sudo, or pass --system to install for root",
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
    """Become the invoking user unless `keep_root`; the line that says so, or None when nothing changed."""
    user = invoking_user(environ, os.geteuid())
    if user is None or keep_root:
        return None
    become(user, environ)
    return (
        f"running as {user.pw_name} (uid {user.pw_uid}), who ran sudo: safepip needs no root; "
        "pass --system to install into the system environment as root"
    )
