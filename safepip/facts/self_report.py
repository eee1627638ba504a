"""What a Python interpreter says about itself, as a function of its prefix: describe().

It runs in two places. Its text is the body of the query (interpreter.py), run with `-S` in the interpreter
asked, any CPython 3.8 or newer; and it is imported here for a venv of safepip's own Python, which would say
the same (same_python.py). Hence: the standard library only, imported inside describe() (the query sets
sys.prefix first: sysconfig reads it when imported), no safepip import, no `from __future__` (an import the
query would look up before it has dropped the working directory from its path), annotations in quotes.
"""

import os
import sys


def describe(
    executable: "str",
    prefix: "str",
    exec_prefix: "str",
    base_prefix: "str",
    user_base: "str",
    user_site_enabled: "bool",
    sys_path: "list[str]",
) -> "dict[str, object]":
    """The facts only the interpreter knows; the .pth files its site dirs hold are read by safepip itself
    (facts/pth.py). `user_base` and `user_site_enabled` are site.getuserbase() and
    site.check_enableusersite() as they run there; `sys_path` its import path before site runs."""
    import site
    import sysconfig

    ver = f"{sys.version_info[0]}.{sys.version_info[1]}"
    in_venv = prefix != base_prefix

    def scheme_paths(kind: "str", values: "dict[str, str]") -> "dict[str, str]":
        get = getattr(sysconfig, "get_preferred_scheme", None)
        name = (
            get(kind) if get else (sysconfig.get_default_scheme() if kind == "prefix" else os.name + "_user")
        )
        return sysconfig.get_paths(scheme=name, vars=values, expand=True)

    paths = scheme_paths("prefix", {"base": prefix, "platbase": exec_prefix})
    if in_venv:
        paths["include"] = os.path.join(prefix, "include", "site", "python" + ver)
    try:
        user_paths = scheme_paths("user", {"userbase": user_base})
    except Exception:
        user_paths = {}
    # the site dirs site.main() would start from (nothing a site dir holds has run)
    system_site = in_venv and pyvenv_cfg(prefix).get("include-system-site-packages") == "true"
    user_active = user_site_enabled and (not in_venv or system_site)
    # the user site of `user_base` (site.getusersitepackages() keeps the first it computed)
    user_site = site._get_path(user_base) if hasattr(site, "_get_path") else site.getusersitepackages()
    site_dirs = [user_site] if user_active else []
    site_dirs += site.getsitepackages([prefix] + ([base_prefix] if system_site else []))
    if hasattr(sysconfig, "get_default_scheme"):  # 3.10 and later
        stdlib = sysconfig.get_path("stdlib", sysconfig.get_default_scheme())
    else:
        stdlib = sysconfig.get_path("stdlib")
    keys = ("purelib", "platlib", "scripts", "data", "include")
    return {
        "executable": executable,
        "version": "{}.{}.{}".format(*sys.version_info[:3]),
        "tag": {"cpython": "cp"}.get(sys.implementation.name, sys.implementation.name[:2])
        + ver.replace(".", ""),
        "prefix": prefix,
        "base_prefix": base_prefix,
        "user_site_enabled": user_site_enabled,
        "user_base": user_base,
        "stdlib": stdlib,
        "externally_managed": (not in_venv) and os.path.isfile(os.path.join(stdlib, "EXTERNALLY-MANAGED")),
        "scheme": {k: paths[k] for k in keys},
        "user_scheme": {k: user_paths[k] for k in keys if k in user_paths},
        "sys_path": sys_path,
        "site_candidates": site_dirs,
        "markers": markers(ver),
    }


def pyvenv_cfg(prefix: "str") -> "dict[str, str]":
    values = {}
    try:
        with open(os.path.join(prefix, "pyvenv.cfg"), encoding="utf-8") as handle:
            for line in handle:
                key, sep, value = line.partition("=")
                if sep:
                    values[key.strip().lower()] = value.strip().lower()
    except OSError:
        pass
    return values


def markers(ver: "str") -> "dict[str, str]":
    """The environment markers (PEP 508); what `platform` reports on POSIX, without importing it."""
    implementation = {"cpython": "CPython", "pypy": "PyPy"}.get(sys.implementation.name)
    if hasattr(os, "uname") and implementation is not None:
        uname = os.uname()
        machine, release, system, kernel = uname.machine, uname.release, uname.sysname, uname.version
        full_version = sys.version.split()[0]
        full_version += ".0" if full_version.count(".") == 1 else ""
    else:
        import platform

        machine, release, system, kernel = (
            platform.machine(),
            platform.release(),
            platform.system(),
            platform.version(),
        )
        full_version, implementation = platform.python_version(), platform.python_implementation()
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": "{}.{}.{}".format(*sys.implementation.version[:3]),
        "os_name": os.name,
        "platform_machine": machine,
        "platform_release": release,
        "platform_system": system,
        "platform_version": kernel,
        "python_full_version": full_version,
        "platform_python_implementation": implementation,
        "python_version": ver,
        "sys_platform": sys.platform,
    }
