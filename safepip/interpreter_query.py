"""Ask one Python interpreter, in one subprocess, for every fact safepip needs about it."""

from __future__ import annotations

import json
import os
import subprocess

from safepip.context import Interpreter
from safepip.errors import SafepipError

# Runs inside the target interpreter (any CPython >= 3.8): stdlib only, prints one JSON object.
QUERY_SCRIPT = r"""
import json, os, site, sys, sysconfig
def scheme_paths(kind):
    get = getattr(sysconfig, "get_preferred_scheme", None)
    name = get(kind) if get else (sysconfig.get_default_scheme() if kind == "prefix" else os.name + "_user")
    return sysconfig.get_paths(scheme=name, expand=True), name
ver = "%d.%d" % sys.version_info[:2]
in_venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)
paths, name = scheme_paths("prefix")
if in_venv:
    paths["include"] = os.path.join(sys.prefix, "include", "site", "python" + ver)
user_base = site.getuserbase()
try:
    user_paths, _ = scheme_paths("user")
except Exception:
    user_paths = {}
pip_version = None
try:
    import importlib.util
    if importlib.util.find_spec("pip") is not None:
        from importlib.metadata import version
        pip_version = version("pip")
except Exception:
    pip_version = None
stdlib = sysconfig.get_path("stdlib", sysconfig.get_default_scheme() if hasattr(sysconfig, "get_default_scheme") else None)
print(json.dumps({
    "executable": sys.executable,
    "version": "%d.%d.%d" % sys.version_info[:3],
    "tag": {"cpython": "cp"}.get(sys.implementation.name, sys.implementation.name[:2]) + ver.replace(".", ""),
    "prefix": sys.prefix,
    "base_prefix": getattr(sys, "base_prefix", sys.prefix),
    "user_site_enabled": bool(site.check_enableusersite()),
    "user_base": user_base,
    "stdlib": stdlib,
    "externally_managed": (not in_venv) and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
    "pip_version": pip_version,
    "scheme": {k: paths[k] for k in ("purelib", "platlib", "scripts", "data", "include")},
    "user_scheme": {k: user_paths[k] for k in ("purelib", "platlib", "scripts", "data", "include") if k in user_paths},
}))
"""


def query_interpreter(python: str) -> Interpreter:
    """Run the query script with `python`; cwd is `/` so nothing in the user's directory is imported."""
    try:
        done = subprocess.run(
            [python, "-c", QUERY_SCRIPT], capture_output=True, text=True, cwd="/", timeout=60, check=False
        )
    except OSError as error:
        raise SafepipError(f"cannot run {python}: {error.strerror}") from error
    except subprocess.TimeoutExpired as error:
        raise SafepipError(f"{python} did not answer within 60 seconds") from error
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SafepipError(f"{python} failed to describe itself: {last}")
    raw = json.loads(done.stdout)
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
    )


def read_pyvenv_cfg(prefix: str) -> dict[str, str]:
    values: dict[str, str] = {}
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    values[key.strip().lower()] = (
                        value.strip().lower() if key.strip() != "home" else value.strip()
                    )
    except OSError:
        pass
    return values
