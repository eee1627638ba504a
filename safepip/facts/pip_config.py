"""pip's own switches that change where it installs, read from its environment variables and config files.

Every key is kept: the decision reads the few that move the target (user, target, prefix,
require-virtualenv, break-system-packages, cache-dir, no-cache-dir), and the no-op check must know of any
setting that changes what pip does. Mirrors pip's precedence: config files (global < user < site < PIP_CONFIG_FILE), the command's section
(`[install]`, `[list]`, ...) over `[global]`, and `PIP_*` environment variables over all files; `--isolated`
leaves out the user's files and the variables.
"""

from __future__ import annotations

import os

from safepip.util.named_tuple import NamedTuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})


class PipSetting(NamedTuple):
    value: str
    source: str  # "PIP_USER", or the config file's path

    @property
    def enabled(self) -> bool:
        return self.value.strip().lower() in TRUE_WORDS


class PipSwitches(NamedTuple):
    settings: Mapping[str, PipSetting]  # in the order pip applies them (apply)
    main: Mapping[str, PipSetting] = {}  # what pip's main parser sees (read_pip_switches)
    files: tuple[str, ...] = ()  # the config files pip loads, there or not (its main parser reads them all)

    def get(self, key: str) -> PipSetting | None:
        return self.settings.get(key)

    def enabled(self, key: str) -> bool:
        setting = self.settings.get(key)
        return setting is not None and setting.enabled


def xdg_variable(environ: Mapping[str, str], name: str, default: str) -> str:
    """An XDG variable as pip's platformdirs reads it: a blank one is unset."""
    value = environ.get(name, "")
    return value if value.strip() else default


def config_files(environ: Mapping[str, str], home: str | None, site_prefix: str | None) -> list[str]:
    """pip's config files in the order it loads them (later files win); none when PIP_CONFIG_FILE is
    os.devnull, as pip then loads none."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    xdg_dirs = xdg_variable(environ, "XDG_CONFIG_DIRS", "/etc/xdg")
    files = [
        os.path.join(d, "pip", "pip.conf") for entry in xdg_dirs.split(os.pathsep) for d in readings(entry)
    ]
    files.append("/etc/pip.conf")
    if home is not None and not (env_file and os.path.exists(env_file)):  # None: a home not safepip's to read
        default = os.path.join(home, ".config")
        homes = readings(xdg_variable(environ, "XDG_CONFIG_HOME", default), default)
        files += [
            os.path.join(home, ".pip", "pip.conf"),
            *(os.path.join(d, "pip", "pip.conf") for d in homes),
        ]
    if site_prefix:
        files.append(os.path.join(site_prefix, "pip.conf"))
    if env_file:
        files.append(env_file)
    return files


def readings(entry: str, default: str | None = None) -> list[str]:
    """An XDG directory as each pip reads it: pip 23's platformdirs takes it as it is, `~` expanded (an
    empty entry of XDG_CONFIG_DIRS becomes the relative `pip/`); pip 26's strips it and passes over a
    relative one (to `default`, for XDG_CONFIG_HOME). All of them: the safe side, as what is read here is
    also judged by the trust rule (facts/pip_files.py)."""
    stripped = entry.strip()
    modern = stripped if os.path.isabs(stripped) else default
    return list(dict.fromkeys(path for path in (os.path.expanduser(entry), modern) if path is not None))


def setting_key(name: str) -> str:
    """A setting's name as pip normalises it: lower case, `_` as `-`, a leading `--` dropped (so that
    PIP___PYTHON and `--python = …` in a file both set `python`)."""
    key = name.lower().replace("_", "-")
    return key[2:] if key.startswith("--") else key


def read_pip_switches(
    environ: Mapping[str, str],
    home: str | None,
    site_prefix: str | None,
    isolated: bool = False,
    command: str = "install",
) -> PipSwitches:
    """What pip running `command` will find set: every file's [global] section, then every file's section of
    the command, then the PIP_* variables, as pip orders them. The command's `--isolated` leaves out the
    user's files and the variables; pip's main parser, which reads `--python` before the command, takes every
    file's [global] and the variables whatever is given after the command (`main`)."""
    sections = ("global", command)
    read = {path: read_config_file(path, sections) for path in config_files(environ, home, site_prefix)}
    variables = {
        setting_key(name[4:]): PipSetting(value, name)
        for name, value in environ.items()
        if name.startswith("PIP_") and name != "PIP_CONFIG_FILE"  # every one: the no-op check sees them all
    }
    main: dict[str, PipSetting] = {}
    for found in read.values():
        main.update(found[0])
    main.update(variables)
    kept = (
        [read[path] for path in config_files(environ, None, site_prefix)] if isolated else list(read.values())
    )
    settings: dict[str, PipSetting] = {}
    for index in range(len(sections)):
        merged: dict[str, PipSetting] = {}  # pip merges a section's files first: a later file's value, an
        for found in kept:  # empty one too, in the place the key first had
            merged.update(found[index])
        apply(settings, merged)
    if not isolated:
        apply(settings, variables)
    return PipSwitches(settings, main, tuple(read))


def apply(settings: dict[str, PipSetting], found: Mapping[str, PipSetting]) -> None:
    """A section's settings (or the variables) applied in turn, as pip applies them: an empty one is skipped,
    and each one applied goes last, so that of an option's names (`log`, `log-file`) the last one in that
    order is the one pip keeps."""
    for key, setting in found.items():
        if setting.value:
            settings.pop(key, None)
            settings[key] = setting


def read_config_file(path: str, sections: tuple[str, ...]) -> list[dict[str, PipSetting]]:
    """The settings of each of `sections` in one config file."""
    if not os.path.isfile(path):
        return [{} for _ in sections]  # most of pip's config files do not exist: configparser is not imported
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return [{} for _ in sections]  # pip stops on a broken file; it will say so itself when it runs
    return [
        {setting_key(key): PipSetting(value, path) for key, value in parser.items(section)}
        if parser.has_section(section)
        else {}
        for section in sections
    ]
