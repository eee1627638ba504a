"""Ask one Python interpreter, in one subprocess, for every fact safepip needs about it (or, for a venv of
safepip's own Python, read them here: same_python.py); cache the answer.

The answer is kept in safepip's cache dir, keyed by the interpreter's path and the environment variables that
change it, and used again while the files it depends on (the interpreter, pyvenv.cfg, the EXTERNALLY-MANAGED
marker, the site-packages directories) keep their size and mtime: a pip upgrade or a new .pth file changes the
site-packages directory, so the next run asks again.
"""

from __future__ import annotations

import os

from safepip.errors import SafepipError
from safepip.facts.own_records import decode_record, read_record, write_record
from safepip.facts.python_trust import read_pyvenv_cfg
from safepip.facts.records import Interpreter
from safepip.facts.same_python import same_python_answer, same_python_venv
from safepip.facts.stamps import pth_stamp
from safepip.util.digest import sha256_hex
from safepip.util.dirs import make_dirs
from safepip.util.named_tuple import NamedTuple
from safepip.util.process import python_code, python_path
from safepip.util.questions import NoAnswer, Question

TYPE_CHECKING = False  # typing itself is not imported on the hot path
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from safepip.facts.pth import SiteDirs

# The query, run with -S in the interpreter asked: self_report.py's text, then these lines, which write its
# answer as one record (facts/own_records.py).
QUERY_RUN = r"""
# -S skips site.venv(), which on some versions is what makes a venv's sys.prefix: do what it does (before
# describe() imports sysconfig: it reads sys.prefix then), the prefix always the executable's dir's parent
exe_dir = os.path.dirname(os.path.abspath(sys.executable))
for venv_cfg in (os.path.join(exe_dir, "pyvenv.cfg"), os.path.join(os.path.dirname(exe_dir), "pyvenv.cfg")):
    if os.path.isfile(venv_cfg):
        sys.prefix = sys.exec_prefix = os.path.dirname(exe_dir)
        break
import marshal, site
sys.stdout.buffer.write(marshal.dumps(describe(
    sys.executable, sys.prefix, sys.exec_prefix, getattr(sys, "base_prefix", sys.prefix), site.getuserbase(),
    bool(site.check_enableusersite()), [p for p in sys.path if p and os.path.isabs(p)],
), 2))  # the version of safepip's records (facts/own_records.py): the same bytes from every Python 3
sys.stdout.flush()
os._exit(0)  # the answer is whole: safepip reads until the pipe closes, which needs no interpreter teardown
"""


def query_script() -> str:
    """The query's text. self_report.py's own text is read through its loader: from a file, or from
    safepip.pyz."""
    from safepip.facts import self_report

    loader: Any = self_report.__loader__  # a file's, or zipimport's
    try:
        source: bytes = loader.get_data(self_report.__file__)
    except OSError as error:
        raise SafepipError(f"cannot read safepip's own {self_report.__file__}: {error.strerror}") from None
    return source.decode("utf-8") + QUERY_RUN


CACHE_FORMAT = 9  # 9: the stamps hold every site candidate
# Environment variables that change what an interpreter reports (its user site, its sys.path, Debian's layout).
AFFECTING = ("HOME", "DEB_PYTHON_INSTALL_LAYOUT")
NOT_ASKED_WITH = ("PYTHONPATH", "PYTHONPYCACHEPREFIX")  # code and bytecode the query could load unchecked


def cache_key(python: str, environ: Mapping[str, str]) -> str:
    relevant = sorted((k, v) for k, v in environ.items() if k in AFFECTING or k.startswith("PYTHON"))
    return sha256_hex(repr([CACHE_FORMAT, os.path.abspath(python), relevant]))[:24]


def file_stamp(path: str) -> list[object]:
    try:
        info = os.stat(path)
    except OSError:
        return ["file", path, None]
    return ["file", path, info.st_mtime_ns, info.st_size]


def exists_stamp(path: str) -> list[object]:
    return ["exists", path, os.path.isdir(path)]


STAMPS = {"file": file_stamp, "pth": pth_stamp, "exists": exists_stamp}


def stamps_for(python: str, raw: Mapping[str, Any]) -> list[list[object]]:
    """What the answer depends on: the interpreter, pyvenv.cfg, the PEP 668 marker, pip's own metadata,
    the site directories' .pth files, and whether the user site and each site dir site.main() starts from
    exist."""
    prefix, stdlib, scheme = raw["prefix"], raw["stdlib"], raw["scheme"]
    pip_home = raw.get("pip_home")
    pip_info = (
        os.path.join(pip_home, f"pip-{raw['pip_version']}.dist-info")
        if pip_home and raw.get("pip_version")
        else os.path.join(scheme["purelib"], "pip")
    )
    sites = dict.fromkeys(
        d for d in (scheme.get("purelib"), scheme.get("platlib"), *raw.get("site_dirs", ())) if d
    )
    user_site = raw["user_scheme"].get("purelib")
    # every site dir site.main() would start from, there or not (Debian's names dist-packages dirs a venv
    # does not have): one that appears later is read at start-up, so the answer is asked again
    candidates = [str(path) for path in raw.get("site_candidates", ())]
    added = dict.fromkeys(
        [*sites, *candidates, *raw.get("pth_paths", ()), *([user_site] if user_site else [])]
    )
    read = {str(stamp[1]): stamp for stamp in raw.get("pth_stamps", ())}  # as they were before being read
    return [
        file_stamp(os.path.realpath(python)),
        file_stamp(os.path.join(prefix, "pyvenv.cfg")),
        file_stamp(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        file_stamp(pip_info),
        *(read.get(site) or pth_stamp(site) for site in sites),
        *(exists_stamp(path) for path in added),  # a dir a .pth names that appears later: asked again
    ]


def cached_answer(path: str) -> dict[str, Any] | None:
    entry = read_record(path)
    try:
        stamps = entry["stamps"]
        if any(STAMPS[str(kind)](str(where)) != [kind, where, *rest] for kind, where, *rest in stamps):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    answer = entry.get("answer")
    return answer if isinstance(answer, dict) else None


def keep_answer(path: str, python: str, raw: Mapping[str, Any]) -> None:
    """Write the cache entry atomically; a cache that cannot be written is not an error."""
    try:
        make_dirs(os.path.dirname(path))
        write_record(path, {"stamps": stamps_for(python, raw), "answer": raw})
    except (OSError, ValueError):
        pass


class ReadAhead(NamedTuple):
    """The .pth files of the site dirs an interpreter was expected to name, read while it was asked."""

    candidates: list[str]
    version: tuple[int, int]
    found: SiteDirs


class PendingQuery:
    """The facts of one interpreter, on their way: read from the cache at once; or, for a venv of safepip's
    own Python, read here when `result` is called (same_python.py); or asked of the interpreter in a child
    that runs while safepip goes on (`result` waits for it). Used as a context manager, which ends the child
    if its answer was never read."""

    def __init__(self, python: str, cache_path: str | None, keep: bool) -> None:
        self.python, self.cache_path, self.keep = python, cache_path, keep
        self.question: Question | None = None
        self.ahead: ReadAhead | None = None
        self.same: str | None = None  # the venv read here
        self.fresh = False  # an answer made in this run, to be kept
        self.raw = cached_answer(cache_path) if cache_path else None
        if not describes_itself(self.raw):
            self.raw = None
            self.same = same_python_venv(python, os.environ)
            if self.same is not None:
                return
            try:
                # without PYTHONPATH and PYTHONPYCACHEPREFIX: what is there is checked only once the answer
                # is in (probe.py), and the answer does not depend on them
                quiet = {name: value for name, value in os.environ.items() if name not in NOT_ASKED_WITH}
                self.question = Question(
                    python_code(python, query_script(), no_site=True), quiet, QUERY_TIMEOUT
                )
            except NoAnswer as error:
                raise SafepipError(str(error)) from None

    @property
    def asking(self) -> bool:
        """The interpreter is being asked (no cached answer): there is time for other work."""
        return self.question is not None

    @property
    def reading(self) -> bool:
        """The answer is still to be read here (same_python.py), by `result`."""
        return self.same is not None and self.raw is None

    def read_ahead(self, candidates: list[str], version: tuple[int, int]) -> None:
        """While the interpreter is asked: read the .pth files of the site dirs it will most likely name
        (paths.likely_site_dir). Its answer takes them when exactly these are the ones of its site dirs that
        exist (Debian's Python also names dist-packages dirs a venv does not have), on this version."""
        from safepip.facts.pth import read_site_dirs

        self.ahead = ReadAhead(candidates, version, read_site_dirs(candidates, version))

    def result(self) -> Interpreter:
        if self.raw is None and self.same is not None:
            self.raw, self.fresh = with_site_dirs(same_python_answer(self.python, self.same)), True
        elif self.raw is None:
            assert self.question is not None
            self.raw, self.fresh = read_answer(self.python, self.question, self.ahead), True
        if self.fresh and self.cache_path and self.keep:
            keep_answer(self.cache_path, self.python, self.raw)
            self.fresh = False
        return interpreter_from(self.python, self.raw)

    def __enter__(self) -> PendingQuery:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_rest: object) -> None:
        if self.question is not None:
            self.question.__exit__(kind)


def start_query(
    python: str, cache_dir: str | None = None, environ: Mapping[str, str] | None = None, keep: bool = True
) -> PendingQuery:
    """The interpreter's facts: from the cache while still valid, else from running it (and, when `keep`,
    caching the answer; not for explain and doctor, which write nothing, nor into a private fallback dir
    that the run has not made yet: it must be made 0700 first)."""
    environ = os.environ if environ is None else environ
    path = os.path.join(cache_dir, "interpreters", cache_key(python, environ)) if cache_dir else None
    return PendingQuery(python, path, keep)


def answer_known(python: str, cache_dir: str | None, environ: Mapping[str, str]) -> bool:
    """Whether start_query would have an answer without asking: one kept (not yet checked for staleness), or
    one read here (same_python.py)."""
    if cache_dir and os.path.exists(os.path.join(cache_dir, "interpreters", cache_key(python, environ))):
        return True
    return same_python_venv(python, os.environ) is not None


def query_interpreter(
    python: str, cache_dir: str | None = None, environ: Mapping[str, str] | None = None, keep: bool = True
) -> Interpreter:
    """start_query's facts, waited for."""
    with start_query(python, cache_dir, environ, keep) as pending:
        return pending.result()


QUERY_TIMEOUT = 30.0  # seconds; a Python answers in well under one
REQUIRED = {"executable": str, "version": str, "tag": str, "prefix": str, "base_prefix": str,
            "user_site_enabled": bool, "user_base": str, "stdlib": str, "externally_managed": bool,
            "scheme": dict, "user_scheme": dict, "sys_path": list, "site_candidates": list}  # fmt: skip


def describes_itself(raw: object) -> bool:
    """An answer (from the query or the cache) with every fact safepip needs, each of its type."""
    return isinstance(raw, dict) and all(isinstance(raw.get(key), kind) for key, kind in REQUIRED.items())


def read_answer(python: str, question: Question, ahead: ReadAhead | None = None) -> dict[str, Any]:
    """The query script's answer (run with `python`, never importing from the working directory)."""
    try:
        answer = question.answer()
    except NoAnswer as error:
        raise SafepipError(str(error)) from None
    if answer.code != 0:
        raise SafepipError(f"{python} is not a Python safepip can use: {answer.last_error_line()}")
    raw = decode_record(answer.stdout)
    if not describes_itself(raw):
        raise SafepipError(f"{python} is not a Python safepip can use: it did not describe itself")
    return with_site_dirs(raw, ahead)


def with_site_dirs(raw: dict[str, Any], ahead: ReadAhead | None = None) -> dict[str, Any]:
    """The interpreter's answer with what its site dirs' .pth files add, read here (facts/pth.py), or
    while it was asked when it names the site dirs read then."""
    from safepip.facts.pth import read_site_dirs

    version = tuple(int(part) for part in raw["version"].split(".") if part.isdigit())
    candidates = [str(path) for path in raw["site_candidates"]]
    existing = [path for path in candidates if os.path.isdir(path)]  # what read_site_dirs would read
    if ahead is not None and ahead.candidates == existing and ahead.version == version[:2]:
        found = ahead.found
    else:
        found = read_site_dirs(candidates, version)
    return {
        **raw,
        # Python puts PYTHONPATH first, then the standard library; the query ran without it
        "sys_path": [*python_path(os.environ), *raw["sys_path"], *found.site_dirs],
        "site_dirs": found.site_dirs,
        "pth_files": found.pth_files,
        "pth_imports": found.pth_imports,
        "pth_paths": found.pth_paths,
        "pip_home": found.pip_home,
        "pip_version": found.pip_version,
        "pth_opaque": found.opaque,
        "pth_stamps": found.pth_stamps,
    }


def interpreter_from(python: str, raw: Mapping[str, Any]) -> Interpreter:
    prefix = raw["prefix"]
    is_venv = prefix != raw["base_prefix"]
    return Interpreter(
        executable=python,
        real_path=os.path.realpath(raw["executable"] or python),
        version=raw["version"],
        tag=raw["tag"],
        prefix=prefix,
        base_prefix=raw["base_prefix"],
        is_venv=is_venv,
        is_conda=os.path.isdir(os.path.join(prefix, "conda-meta")),
        system_site_packages=is_venv
        and read_pyvenv_cfg(prefix).get("include-system-site-packages") == "true",
        user_site_enabled=raw["user_site_enabled"],
        user_base=raw["user_base"],
        stdlib=raw["stdlib"],
        externally_managed=raw["externally_managed"],
        pip_version=raw["pip_version"],
        scheme=raw["scheme"],
        user_scheme=raw["user_scheme"],
        sys_path=tuple(raw.get("sys_path", ())),
        site_dirs=tuple(raw.get("site_dirs", ())),
        pth_files=tuple(raw.get("pth_files", ())),
        pth_imports=tuple(raw.get("pth_imports", ())),
        pth_opaque=tuple(raw.get("pth_opaque", ())),
        pth_paths=tuple(raw.get("pth_paths", ())),
        markers=raw.get("markers", {}),
    )
