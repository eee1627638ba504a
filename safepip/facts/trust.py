"""What safepip trusts: the one rule for everything it executes, imports or writes through.

Trusted means owned by the user or root and writable by no other user, for the path itself and every
directory and link on the way to it, followed the way the kernel follows it. Nobody else can then change
what the path leads to between this check and its use, so the path that was checked is the path used.
Exceptions: a directory that is root's and sticky (`/tmp`: others can add entries, not replace ours); a
group that has no member but the user (Debian's user private groups; root's `staff`); and, only where the
caller allows it, a group the user belongs to (a team's shared venv that the user activated).
As root (uid 0) only root's own files pass.

The rule is decided here and nowhere else: `distrust` for a path, `tree_distrust` for all below one, and the
predicates for safepip's own private dirs and records. Elsewhere owners and permissions are read only as
facts that let nothing run, be imported or written through without this rule: which file on PATH is
executable (choice.py, actions/scripts.py), what the user could not remove (stuck.py), whose entries a
cache or a temp dir has (pip_cache.py, temp.py, own_dirs.py), what pip's error means (diagnose.py).
"""

from __future__ import annotations

import errno
import os
import stat

from safepip.util.listing import lstat_entries
from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_LINKS = 40  # as the kernel's ELOOP


class Distrust(NamedTuple):
    """Why a path is not trusted: the entry on the way that someone else can change, and who."""

    path: str
    who: str  # a user's name, "group NAME", or "every user"
    group: int | None = None  # only this group (which the user belongs to) can change it
    error: str | None = None  # the path cannot be followed at all

    def reason(self) -> str:
        if self.error:
            return f"{self.path}: {self.error}"
        if self.who.startswith("group ") or self.who == "every user" or self.who.endswith("(through an ACL)"):
            return f"{self.path} is writable by {self.who}"
        return f"{self.path} is owned by {self.who}"


def owner_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def group_only_of(gid: int, uid: int) -> bool:
    """No user but `uid` (and root) is in group `gid`, as a listed member or by their primary group."""
    import grp
    import pwd

    try:
        names = set(grp.getgrgid(gid).gr_mem)
    except KeyError:
        return False
    try:
        own = pwd.getpwuid(uid).pw_name if uid != 0 else "root"
    except KeyError:
        own = None
    if names - {own, "root"}:
        return False
    return not any(entry.pw_gid == gid and entry.pw_uid not in (uid, 0) for entry in pwd.getpwall())


ACL_ACCESS = "system.posix_acl_access"
ACL_USER, ACL_GROUP, ACL_MASK, ACL_WRITE, ACL_EXECUTE = 0x02, 0x08, 0x10, 0x02, 0x01


def acl_writers(path: str) -> list[tuple[int, int]]:
    """The named users (tag 2) and groups (tag 8) a POSIX ACL lets write `path`: [(tag, id)]. The mode's
    group bits then show the ACL's mask, not who may write."""
    return acl_granted(path, ACL_WRITE)


def acl_granted(path: str, permission: int) -> list[tuple[int, int]]:
    """The named users and groups a POSIX ACL gives `permission` (ACL_WRITE, ACL_EXECUTE) on `path`."""
    try:
        raw = os.getxattr(path, ACL_ACCESS, follow_symlinks=False)
    except OSError:
        return []
    import struct  # only for a file with an ACL

    entries = [struct.unpack_from("<HHI", raw, offset) for offset in range(4, len(raw) - 7, 8)]
    mask = next((perm for tag, perm, _id in entries if tag == ACL_MASK), 0x7)
    return [
        (tag, ident)
        for tag, perm, ident in entries
        if tag in (ACL_USER, ACL_GROUP) and perm & mask & permission
    ]


def groups_of(uid: int) -> frozenset[int]:
    """The groups whose members are this process's user, when `uid` is that user: a group-shared entry
    (a team's venv) is told apart by them."""
    return frozenset(os.getgroups()) | {os.getegid()} if uid == os.geteuid() else frozenset()


def entry_distrust(path: str, info: os.stat_result, uid: int, groups: frozenset[int]) -> Distrust | None:
    """One entry on the way: who besides `uid` and root could change it."""
    if info.st_uid not in (uid, 0):
        return Distrust(path, owner_name(info.st_uid))
    if stat.S_ISLNK(info.st_mode):
        return None  # a link's own mode means nothing; the directory holding it was checked
    for tag, ident in acl_writers(path) if info.st_mode & stat.S_IWGRP else ():  # an ACL shows in the mask
        if tag == ACL_USER and ident not in (uid, 0):
            return Distrust(path, f"{owner_name(ident)} (through an ACL)")
        if tag == ACL_GROUP and not group_only_of(ident, uid):
            return Distrust(
                path, f"group {group_name(ident)} (through an ACL)", ident if ident in groups else None
            )
    mode = info.st_mode
    if mode & stat.S_IWOTH and not (stat.S_ISDIR(mode) and mode & stat.S_ISVTX and info.st_uid == 0):
        return Distrust(path, "every user")
    if mode & stat.S_IWGRP and not (stat.S_ISDIR(mode) and mode & stat.S_ISVTX and info.st_uid == 0):
        gid = info.st_gid
        if group_only_of(gid, uid):
            return None
        return Distrust(path, f"group {group_name(gid)}", gid if gid in groups else None)
    return None


def content_dir_distrust(path: str, info: os.stat_result, uid: int) -> Distrust | None:
    """A directory whose entries are imported (a package, a site dir, `__pycache__`, a PYTHONPATH entry),
    `info` from stat. The sticky bit that makes a root-owned /tmp fine on the way to something protects only
    the names there already: whoever can write it can add the name Python opens next (a module, a .pyc)."""
    mode = info.st_mode
    if not (stat.S_ISDIR(mode) and mode & stat.S_ISVTX and mode & (stat.S_IWOTH | stat.S_IWGRP)):
        return None  # not sticky, or writable by nobody else: entry_distrust judges it
    if mode & stat.S_IWOTH:
        return Distrust(path, "every user")
    if group_only_of(info.st_gid, uid):
        return None
    return Distrust(path, f"group {group_name(info.st_gid)}")


def listed_distrust(path: str, info: os.stat_result, uid: int, groups: frozenset[int]) -> Distrust | None:
    """An entry found in a directory listing (`info` from lstat): the entry, and when it is a link, where it
    leads, whole (Python imports through it); a link that leads nowhere is not followed blindly either."""
    found = entry_distrust(path, info, uid, groups)
    if found is None and stat.S_ISLNK(info.st_mode):
        return distrust(path, uid)
    return found


def roots_device(path: str) -> bool:
    """`/dev/null` and its kind: a character device of root's, named directly (not through a link), that
    every user may write by design and no one can turn into a file of the user's."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISCHR(info.st_mode) and info.st_uid == 0


def creatable_by_others(path: str, uid: int | None = None) -> Distrust | None:
    """A path that does not exist yet: whether another user could make it appear, through its nearest
    existing directory (a sticky one such as /tmp included: anyone can create a new name there)."""
    parent = os.path.dirname(os.path.join(os.getcwd(), path))
    while not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    found = distrust(parent, uid)
    if found is not None:
        return found
    mode = os.stat(parent).st_mode
    if mode & stat.S_ISVTX and mode & (stat.S_IWOTH | stat.S_IWGRP):
        return Distrust(path, "", error=f"does not exist, and any user can create it in {parent}")
    return None


def distrust(path: str, uid: int | None = None, *, missing_ok: bool = False) -> Distrust | None:
    """Why `path` is not trusted by `uid` (default: this process's user); None when it is.

    Every component is checked as the kernel resolves it, links followed (their targets checked the same
    way). `missing_ok`: a path whose tail does not exist yet is judged by what exists (for directories
    safepip will create)."""
    uid = os.geteuid() if uid is None else uid
    groups = groups_of(uid)
    shared: Distrust | None = None
    pending = [part for part in os.path.join(os.getcwd(), path).split("/") if part not in ("", ".")]
    current = "/"
    found = entry_distrust("/", os.lstat("/"), uid, groups)
    if found is not None:
        return found
    links = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        try:
            info = os.lstat(candidate)
        except FileNotFoundError:
            if missing_ok:
                return shared
            return Distrust(candidate, "", error="does not exist")
        except OSError as error:
            return Distrust(candidate, "", error=error.strerror or str(error))
        found = entry_distrust(candidate, info, uid, groups)
        if found is not None:
            if found.group is None:
                return found
            shared = shared or found
        if stat.S_ISLNK(info.st_mode):
            links += 1
            if links > MAX_LINKS:
                return Distrust(candidate, "", error="too many levels of symbolic links")
            target = os.readlink(candidate)
            pending = [p for p in target.split("/") if p not in ("", ".")] + pending
            if target.startswith("/"):
                current = "/"
            continue
        if pending and not stat.S_ISDIR(info.st_mode):
            return Distrust(candidate, "", error="not a directory")
        current = candidate
    return shared


def group_shared(found: Distrust | None) -> bool:
    """Only a group the user belongs to can change it (a team's shared venv)."""
    return found is not None and found.group is not None and not found.error


def within(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")


def shared_in(found: Distrust | None, env: str | None) -> bool:
    """A problem only a group of the user's can change, inside the environment the user activated (a team's
    shared venv): the one kind safepip accepts, with a notice. Outside it (the standard library it takes,
    a PYTHONPATH entry) it is refused as any other."""
    return found is not None and group_shared(found) and env is not None and within(found.path, env)


def first_problem(problems: Iterable[Distrust | None], env: str | None = None) -> Distrust | None:
    """The problem to act on: the first one that not only a group of the user's can change; else the first
    group-shared one outside `env`; else the first."""
    found = [problem for problem in problems if problem is not None]
    return next(
        (problem for problem in found if not group_shared(problem)),
        next((problem for problem in found if not shared_in(problem, env)), found[0] if found else None),
    )


def unlisted(directory: str, error: OSError) -> Distrust:
    """A directory whose entries cannot be read: Python still imports from it when it can search it, and
    what it would find there is unknown."""
    return Distrust(directory, "", error=f"its entries cannot be read ({error.strerror})")


def top_way_distrust(directory: str, uid: int) -> list[Distrust]:
    """A directory itself, and every directory and link on the way: top_distrust without its entries."""
    found = [distrust(directory, uid)]
    try:
        found.append(content_dir_distrust(directory, os.stat(directory), uid))
    except OSError:
        pass
    return [problem for problem in found if problem is not None]


def top_distrust(directory: str, uid: int, groups: frozenset[int]) -> list[Distrust]:
    """A directory (and every directory and link on the way) and each entry at its top, links followed."""
    found: list[Distrust | None] = [*top_way_distrust(directory, uid)]
    trusted = (uid, 0)
    try:
        entries = lstat_entries(directory)
    except OSError as error:
        entries = []
        if error.errno not in (errno.ENOENT, errno.ENOTDIR):  # missing: nothing there to import
            found.append(unlisted(directory, error))
    for name, info in entries:
        if info.st_uid in trusted and not info.st_mode & 0o022:  # plainly trusted (a link's mode is 0777)
            continue
        found.append(listed_distrust(os.path.join(directory, name), info, uid, groups))
    return [problem for problem in found if problem is not None]


def tree_distrust(root: str, uid: int, groups: frozenset[int]) -> list[Distrust]:
    """What is wrong with `root` and every entry below it: one lstat per entry, and listed_distrust's whole
    reading only for an entry that is not plainly the user's or root's and writable by nobody else (for which
    it finds nothing either). A link is judged by where it leads and, leading to a directory, walked there
    too (Python imports through it); each directory once, so a loop of links ends.

    Entries are read relative to their open directory (scandir and lstat on its descriptor): the kernel
    resolves each name in one step instead of the whole path again."""
    problems: list[Distrust] = []
    trusted = (uid, 0)
    pending: list[str] = []
    walked: set[tuple[int, int]] = set()

    def visit(path: str, info: os.stat_result, name: str, dir_fd: int | None) -> None:
        if info.st_uid not in trusted or info.st_mode & 0o022:  # a link's mode is 0777: read whole
            problem = listed_distrust(path, info, uid, groups)
            if problem is not None:
                problems.append(problem)
                if not group_shared(problem):
                    return  # below a group-shared one, what a member put there is still judged
        if stat.S_ISLNK(info.st_mode):
            try:
                info = os.stat(name, dir_fd=dir_fd)  # where the link leads
            except OSError:
                return
        if stat.S_ISDIR(info.st_mode) and (info.st_dev, info.st_ino) not in walked:
            walked.add((info.st_dev, info.st_ino))
            problem = content_dir_distrust(path, info, uid)  # sticky: not for what Python imports from
            if problem is not None:
                problems.append(problem)
                if not group_shared(problem):
                    return
            pending.append(path)

    try:
        visit(root, os.lstat(root), root, None)
    except OSError:
        return problems
    while pending:
        top = pending.pop()
        try:
            fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
        except OSError as error:
            if error.errno not in (errno.ENOENT, errno.ENOTDIR):  # gone since: nothing there to import
                problems.append(unlisted(top, error))
            continue
        try:
            with os.scandir(fd) as scan:
                for entry in scan:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    # the common case inline (a plain file of the user's or root's, writable by nobody else)
                    if info.st_uid in trusted and not info.st_mode & 0o022 and stat.S_ISREG(info.st_mode):
                        continue
                    visit(f"{top}/{entry.name}", info, entry.name, fd)
        finally:
            os.close(fd)
    return problems


def is_private_dir(path: str, uid: int | None = None) -> bool:
    """`path` is a real directory of `uid`'s (not a link) that nobody else can even read: mode 0700 or less."""
    uid = os.geteuid() if uid is None else uid
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return private_dir_info(info, uid)


def private_dir_info(info: os.stat_result, uid: int) -> bool:
    """is_private_dir from an lstat already taken."""
    return stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not stat.S_IMODE(info.st_mode) & 0o077


def own_file_info(info: os.stat_result, uid: int) -> bool:
    """A regular file of `uid`'s that no one else can write (from its fstat): one of safepip's records."""
    return stat.S_ISREG(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o022


def others_may_replace(owner_uid: int | None, mode: int | None, uid: int) -> bool:
    """A directory, not the user's, that every user can write and that is not sticky: anyone may remove or
    replace what another put there."""
    return owner_uid != uid and mode is not None and bool(mode & 0o002) and not mode & stat.S_ISVTX


def temp_root_problem(path: str, owner_uid: int | None, mode: int | None, uid: int) -> str | None:
    """A temp root pip may write below: the user's own, or root's and sticky; and trusted on the way."""
    if owner_uid is None or mode is None:
        return None  # missing: reported as such by the caller
    if owner_uid != uid and not (owner_uid == 0 and mode & stat.S_ISVTX):
        if owner_uid == 0 and mode & 0o002:  # root's, and anyone may replace what another put there
            return "writable by every user, without the sticky bit"
        return f"owned by {owner_name(owner_uid)}" + (
            " (sticky, but not root's)" if mode & stat.S_ISVTX else ""
        )
    found = distrust(path, uid)
    return found.reason() if found is not None else None
