"""find on the other core: whether some trees hold anything tree_distrust (trust.py) would read closer.

Started as soon as the trees are known, before the interpreter that imports from them is even checked: find
only reads, and only ever clears a tree (TreeCheck). Kept apart from site_trust.py so that starting it
imports little.
"""

from __future__ import annotations

import os

from safepip.facts.trust import distrust

TYPE_CHECKING = False
if TYPE_CHECKING:
    from safepip.facts.trust import Distrust
    from safepip.util.questions import Question


def likely_trees(site: str) -> list[str]:
    """Where a venv's pip and its site dir's bytecode are, in its likely site dir (paths.likely_site_dir)."""
    return [
        tree for tree in (os.path.join(site, "pip"), os.path.join(site, "__pycache__")) if os.path.isdir(tree)
    ]


FIND = "/usr/bin/find"
TREE_CHECK_TIMEOUT = 30.0  # seconds; find reads pip's tree in a few milliseconds


GLOB = ("*", "?", "[", "\\")  # a path with one of these is no `-path` pattern of itself


def likely_check(python: str, uid: int) -> TreeCheck | None:
    """A TreeCheck of the likely trees of a venv's `python` (paths.likely_site_dir), and of that site dir's
    top; None when it has no such trees."""
    from safepip.facts.paths import likely_site_dir

    likely = likely_site_dir(python)
    trees = likely_trees(likely[0]) if likely is not None else []
    return TreeCheck(trees, uid, top=likely[0]) if likely is not None and trees else None


class TreeCheck:
    """tree_distrust of some trees, on its way: `find` looks for any entry that tree_distrust would read
    closer (another owner than the user or root, writable by group or others, a link) in a child, on the
    other core, while safepip goes on; `walked` waits for it. Where find names such an entry, fails, or is
    not a `find` of root's that nobody else can change, the trees are walked here, by tree_distrust itself:
    find only ever says that there is nothing to find. (The benchmark's (a) rows measure what it saves:
    pip's tree read while the later stages load.)"""

    def __init__(self, roots: list[str], uid: int, top: str | None = None) -> None:
        """`top`: a directory whose entries find reads too, one level deep (trust.top_distrust's reading),
        going deeper only into those of the roots that are its entries."""
        self.roots, self.uid = roots, uid
        inside = [root for root in roots if top and os.path.dirname(root) == top]
        if top and any(char in path for path in (top, *inside) for char in GLOB):
            top = None
        self.top = top
        starts = [root for root in roots if root not in inside or not top]
        self.question = ask_find(uid, [path for path in ([top] if top else []) + starts if os.path.lexists(path)],
                                 top, inside if top else [])  # fmt: skip
        self.cleared = False

    def walked(self) -> dict[str, list[Distrust]]:
        """tree_distrust of each root."""
        self.cleared = nothing_found(self.question)
        if self.cleared:
            return {root: [] for root in self.roots}
        from safepip.facts.site_trust import walk_trees

        return walk_trees(self.roots, self.uid)

    def tops(self) -> dict[str, list[Distrust]]:
        """trust.top_distrust of the top, once `walked` has the verdict: find's reading of its entries, or
        safepip's own."""
        if self.top is None:
            return {}
        from safepip.facts.trust import groups_of, top_distrust, top_way_distrust

        if self.cleared:
            return {self.top: top_way_distrust(self.top, self.uid)}
        return {self.top: top_distrust(self.top, self.uid, groups_of(self.uid))}

    def close(self) -> None:
        """End find if it still runs (its verdict was never asked for)."""
        if self.question is not None:
            self.question.close()


def ask_find(
    uid: int, paths: list[str], top: str | None = None, inside: list[str] | None = None
) -> Question | None:
    """find, asked for the first entry at or below `paths` that is not plainly trusted; None when there is
    nothing to ask or no find to trust (a link is not taken: busybox's applets are links). Below `top`, only
    its own entries are read, and the trees of those in `inside` whole."""
    from safepip.util.questions import NoAnswer, Question

    if not paths or os.path.islink(FIND) or distrust(FIND, uid) is not None:
        return None
    owners = ["!", "-uid", str(uid), "!", "-uid", "0"] if uid != 0 else ["!", "-uid", "0"]
    argv = [FIND, "-P", *paths, "(", "-perm", "/022", "-o", *owners, ")", "-print", "-quit"]
    if top is not None:  # ... -o: an entry of top's, not one of `inside` or below it, is not gone into
        kept = [test for root in inside or [] for test in ("-path", root, "-o", "-path", root + "/*", "-o")][
            :-1
        ]
        argv += ["-o", "-path", top + "/*", *(["!", "(", *kept, ")"] if kept else []), "-prune"]
    try:
        return Question(argv, {"LC_ALL": "C", "PATH": "/usr/bin:/bin"}, TREE_CHECK_TIMEOUT)
    except NoAnswer:
        return None


def nothing_found(question: Question | None) -> bool:
    """find ran, said nothing and ended well."""
    from safepip.util.questions import NoAnswer

    if question is None:
        return False
    with question:
        try:
            answer = question.answer()
        except NoAnswer:
            return False
    return answer.code == 0 and not answer.stdout and not answer.stderr
