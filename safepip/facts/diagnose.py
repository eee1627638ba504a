"""Read pip's error output for the known permission causes and say, in one line, the cause and the fix."""

from __future__ import annotations

import os
import re
from urllib.parse import unquote

from safepip.facts.fs import is_read_only_mount, pinned_attribute
from safepip.facts.pip_args import PipArgs
from safepip.facts.trust import owner_name
from safepip.util.named_tuple import NamedTuple
from safepip.util.units import format_bytes

ERRNO_PATH = re.compile(r"\[Errno (?P<errno>1|13|28|30|122)\] [^:'\n]+: '(?P<path>[^'\n]+)'")
# setuptools and other backends: `error: could not create 'src/x.egg-info': Permission denied`
COULD_NOT = re.compile(
    r"could not (?:create|write|open|make) '(?P<path>[^'\n]+)'(?: for writing)?: "
    r"(?P<text>Permission denied|Operation not permitted|Read-only file system|Disk quota exceeded|No space left on device)"
)
TEXT_ERRNO = {"Permission denied": 13, "Operation not permitted": 1, "Read-only file system": 30,
              "Disk quota exceeded": 122, "No space left on device": 28}  # fmt: skip
NO_SPACE = re.compile(
    r"\[Errno 28\] No space left on device|incomplete-download|Connection interrupted while downloading"
)
QUOTA = re.compile(r"\[Errno 122\] Disk quota exceeded|Disk quota exceeded")
TRAILING_EXTRAS = re.compile(r"\[[^\]]*\]$")
NOEXEC = re.compile(r"(?P<path>/\S+?\.so): failed to map segment from shared object")
EXTERNALLY_MANAGED = re.compile(r"externally-managed-environment")
LOCK_FAILED = re.compile(
    r"\[Errno 37\] No locks available|\[Errno 524\]|The file lock '[^']+' could not be acquired"
)


class Diagnosis(NamedTuple):
    cause: str
    fix: str

    def line(self) -> str:
        return f"{self.cause}. Fix: {self.fix}"


def why_unchangeable(path: str, uid: int) -> tuple[str, str]:
    """(cause, fix) for a file pip could not change: immutable, read-only mount, or someone else's."""
    kind = pinned_attribute(path)
    if kind is not None:
        return f"{path} has the {kind} attribute (chattr +{kind[0]})", f"sudo chattr -{kind[0]} {path}"
    if is_read_only_mount(path if os.path.exists(path) else os.path.dirname(path)):
        return f"{path} is on a read-only mount", "install into a target on a writable filesystem"
    for candidate in (path, os.path.dirname(path)):
        try:
            owner = os.lstat(candidate).st_uid
        except OSError:
            continue
        if owner != uid:
            return (
                f"{candidate} is owned by {owner_name(owner)}",
                f"let safepip pick a target (drop --target/--prefix), or: sudo chown -R {owner_name(uid)} {candidate}",
            )
    return f"pip was not allowed to change {path}", "check its permissions with `ls -l` and `lsattr`"


def locate(name: str, roots: tuple[str, ...], limit: int = 50_000) -> str:
    """pip names some files relative to the directory it was in; find the one that cannot be changed."""
    if os.path.isabs(name):
        return name
    seen = 0
    for root in roots:
        for directory, _dirs, files in os.walk(root):
            seen += len(files)
            if name in files:
                candidate = os.path.join(directory, name)
                if pinned_attribute(candidate) or os.lstat(candidate).st_uid != os.geteuid():
                    return candidate
            if seen > limit:
                return name
    return name


def free_space_of(path: str) -> str:
    try:
        vfs = os.statvfs(path)
    except OSError:
        return "unknown"
    return format_bytes(vfs.f_bavail * vfs.f_frsize)


def existing(path: str) -> str:
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    return path


def mount_point(path: str) -> str:
    """The directory the filesystem holding `path` is mounted on."""
    current = os.path.realpath(existing(path))
    try:
        device = os.stat(current).st_dev
        while current != "/" and os.stat(os.path.dirname(current)).st_dev == device:
            current = os.path.dirname(current)
    except OSError:
        pass
    return current


def full_filesystem(path: str, quota: bool) -> Diagnosis:
    where = mount_point(path)
    if quota:
        return Diagnosis(
            f"your disk quota on {where} is used up (pip was writing {path})",
            "free space within your quota (`quota -s` shows it), or pick a target on another filesystem: safepip --venv DIR install …",
        )
    return Diagnosis(
        f"no space left on {where} ({free_space_of(where)} free; pip was writing {path})",
        f"free space on {where}, or pick a target on another filesystem: safepip --venv DIR install … "
        "(for a full temp dir, set TMPDIR; --min-tmp-space raises the bar)",
    )


def read_only(path: str) -> Diagnosis:
    return Diagnosis(
        f"{path} is on a read-only filesystem ({mount_point(path)})",
        "let safepip pick a target (drop --target/--prefix), or install into a writable filesystem",
    )


def source_trees(args: PipArgs, cwd: str) -> tuple[str, ...]:
    """The local directories pip builds in place (`-e DIR`, `-e file://DIR`, a directory argument such as
    `.[dev]`): a build backend names what it writes relative to the one it runs in."""
    found = []
    for value in (*args.values("--editable"), *args.positionals):
        if value.startswith("file://"):
            value = unquote(value[len("file://") :])
        directory = os.path.normpath(os.path.join(cwd, TRAILING_EXTRAS.sub("", value)))
        if os.path.isdir(directory):
            found.append(directory)
    return tuple(dict.fromkeys(found))


def under(path: str, tree: str) -> bool:
    return os.path.realpath(path).startswith(os.path.realpath(tree) + os.sep)


def in_tree(name: str, trees: tuple[str, ...]) -> str | None:
    """A relative `name` a build could not create: in the first tree where its directory exists."""
    for tree in trees:
        candidate = os.path.join(tree, name)
        if os.path.lexists(candidate) or os.path.isdir(os.path.dirname(candidate)):
            return candidate
    return None


def diagnose_path(
    errno: int, path: str, uid: int, roots: tuple[str, ...], sources: tuple[str, ...] = ()
) -> Diagnosis:
    """What an error naming `path` means; a relative path is the build's (its source tree) or the target's."""
    trees = tuple(dict.fromkeys((*sources, os.getcwd())))
    if not os.path.isabs(path):
        path = in_tree(path, sources) or locate(path, (os.getcwd(), *roots))
        if not os.path.isabs(path):
            path = os.path.join(os.getcwd(), path)
    if errno in (28, 122):
        return full_filesystem(path, quota=errno == 122)
    if errno == 30 or is_read_only_mount(existing(path)):
        return read_only(path)
    tree = next((tree for tree in trees if under(path, tree)), None)
    written = path if os.path.exists(path) else os.path.dirname(path)
    if tree is not None and not any(under(path, root) for root in roots) and not os.access(written, os.W_OK):
        copy = f"~/{os.path.basename(tree)}"
        return Diagnosis(
            f"the build writes {path} into its source tree {tree}, which {owner_name(uid)} cannot write",
            f"build from a copy you own (cp -r {tree} {copy}, then install {copy}), "
            "or ask the tree's owner for write access",
        )
    return Diagnosis(*why_unchangeable(path, uid))


def diagnose(
    output: str, uid: int, temp_dir: str, roots: tuple[str, ...] = (), sources: tuple[str, ...] = ()
) -> Diagnosis | None:
    """The first known cause in pip's output, or None. `roots`: the target's directories; `sources`: the
    local source trees the build runs in (source_trees)."""
    match = NOEXEC.search(output)
    if match:
        return Diagnosis(
            f"a compiled module in pip's build environment could not be loaded: {temp_dir} is on a noexec mount",
            "set TMPDIR to a directory on a mount without noexec",
        )
    match = ERRNO_PATH.search(output)
    if match:
        return diagnose_path(int(match.group("errno")), match.group("path"), uid, roots, sources)
    match = COULD_NOT.search(output)
    if match:
        return diagnose_path(TEXT_ERRNO[match.group("text")], match.group("path"), uid, roots, sources)
    if QUOTA.search(output):
        return full_filesystem(roots[0] if roots else temp_dir, quota=True)
    if NO_SPACE.search(output):
        return Diagnosis(
            f"no space left: {temp_dir} has {free_space_of(temp_dir)} free (pip may call this a network error)",
            "free space there, or set TMPDIR to a larger filesystem (safepip --min-tmp-space raises the bar)",
        )
    if LOCK_FAILED.search(output):
        return Diagnosis(
            "pip cannot lock files where it keeps its cache or temp files (a network filesystem such as NFS "
            "without locks, or another pip holding the lock)",
            "set PIP_CACHE_DIR and TMPDIR to a local filesystem, or wait for the other pip to finish",
        )
    if EXTERNALLY_MANAGED.search(output):
        return Diagnosis(
            "the interpreter is externally managed (PEP 668)",
            "let safepip choose the target (drop --target/--user), or pass --break-system-packages if you mean it",
        )
    return None
