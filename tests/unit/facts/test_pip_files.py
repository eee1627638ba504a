"""The files pip is told to write or to trust, and its config files, judged by the trust rule
(facts/pip_files.py), read as pip reads each command's options and settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from safepip.facts.pip_args import parse_pip_args
from safepip.facts.pip_config import PipSetting, PipSwitches, read_pip_switches
from safepip.facts.pip_files import default_src_distrust, pip_file_distrust

NO_SETTINGS = PipSwitches({})


def judged(argv: list[str], switches: PipSwitches = NO_SETTINGS) -> str | None:
    """pip_file_distrust of `pip ARGV` (its first word the command)."""
    command, *rest = argv
    return pip_file_distrust(parse_pip_args(rest, command), switches, os.geteuid(), command)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A directory every user can write (not sticky): anyone can put a link in place of a file there."""
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o777)
    return directory


@pytest.mark.parametrize("option", ["--log", "--log-file", "--local-log", "--report", "--log-f"])
def test_a_file_pip_writes_where_anyone_can_replace_it_is_named(option: str, shared: Path) -> None:
    found = judged(["install", option, str(shared / "pip.out"), "x"])
    assert found is not None and f"{shared} is writable by every user" in found
    assert "not safe to write" in found and f"{shared / 'pip.out'}" in found


@pytest.mark.parametrize(
    "argv",
    [
        ["lock", "-o", "{shared}/pylock.toml", "x"],
        ["download", "-d", "{shared}/wheels", "x"],
        ["download", "--destination-dir={shared}/wheels", "x"],
        ["wheel", "-w", "{shared}/wheels", "x"],
        ["install", "--src", "{shared}/src", "-e", "git+https://example.org/x#egg=x"],
    ],
)
def test_what_download_wheel_and_lock_write_into_counts_too(argv: list[str], shared: Path) -> None:
    found = judged([arg.format(shared=shared) for arg in argv])
    assert found is not None and "not safe to write" in found


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "-f", "--log", "{shared}/pip.log", "x"],  # show's -f is --files: no value
        ["list", "--local", "--log", "{shared}/pip.log"],  # --local is list's own, not --local-log
        ["list", "-e", "--log", "{shared}/pip.log"],
        ["freeze", "--all", "--log", "{shared}/pip.log"],
        ["config", "--global", "--log", "{shared}/pip.log", "list"],
        ["completion", "-b", "--log", "{shared}/pip.log"],
    ],
)
def test_each_command_is_read_with_its_own_options(argv: list[str], shared: Path) -> None:
    found = judged([arg.format(shared=shared) for arg in argv])
    assert found is not None and "pip's log" in found


def test_an_option_of_the_commands_own_is_no_file(tmp_path: Path) -> None:
    """`list --local --outdated`: no log at all (the word after --local is no path), however open the cwd."""
    assert judged(["list", "--local", "--outdated"]) is None
    assert judged(["list"], PipSwitches({"report": PipSetting("/tmp/x.json", "PIP_REPORT")})) is None


def test_files_of_the_users_own_are_fine_there_or_not_yet(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("")
    assert (
        judged(["install", "--log", str(tmp_path / "new.log"), "--cert", str(tmp_path / "ca.pem"), "x"])
        is None
    )
    assert judged(["install", "--report", "-", "x"]) is None  # stdout
    assert judged(["install", "--log", "/dev/null", "x"]) is None  # root's device, writable by all by design


def test_in_tmp_only_a_file_already_there_will_do() -> None:
    """/tmp, root's and sticky: anyone can make a new name there (a link to a file of the user's) before pip
    opens it; a file the user already has there is theirs."""
    handle, mine = tempfile.mkstemp(prefix="safepip-test-", suffix=".log", dir="/tmp")
    os.close(handle)
    try:
        assert judged(["install", "--log", mine, "x"]) is None
        os.unlink(mine)
        found = judged(["install", "--log", mine, "x"])
        assert found is not None and "any user can create it in /tmp" in found
    finally:
        if os.path.lexists(mine):
            os.unlink(mine)


@pytest.mark.parametrize("option", ["--cert", "--client-cert"])
def test_a_certificate_anyone_can_change_is_not_trusted(option: str, tmp_path: Path) -> None:
    cert = tmp_path / "ca.pem"
    cert.write_text("")
    cert.chmod(0o666)
    found = judged(["install", option, str(cert), "x"])
    assert found is not None and "not safe to trust" in found and f"{cert} is writable by every user" in found


def test_a_link_on_the_way_is_followed_and_its_target_judged(tmp_path: Path, shared: Path) -> None:
    (shared / "certs").mkdir()
    (tmp_path / "certs").symlink_to(shared / "certs")
    found = judged(["install", "--cert", str(tmp_path / "certs" / "ca.pem"), "x"])
    assert found is not None and f"{shared} is writable by every user" in found


def test_pips_settings_count_and_the_command_line_wins(tmp_path: Path, shared: Path) -> None:
    setting = PipSwitches({"cert": PipSetting(str(shared / "ca.pem"), "/etc/pip.conf")})
    found = judged(["install", "x"], setting)
    assert found is not None and "CA bundle" in found
    (tmp_path / "ca.pem").write_text("")
    assert judged(["install", "--cert", str(tmp_path / "ca.pem"), "x"], setting) is None
    log = PipSwitches({"log-file": PipSetting(str(shared / "pip.log"), "PIP_LOG_FILE")})
    assert judged(["list"], log) is not None


def test_the_setting_pip_applies_last_is_the_one_judged(tmp_path: Path, shared: Path) -> None:
    """Of an option's names, the last one pip applies wins (a command's section after [global], variables
    last); an empty one pip skips."""
    config = tmp_path / "pip.conf"
    config.write_text(f"[global]\nlog = {tmp_path / 'ok.log'}\n[install]\nlog-file = {shared / 'pip.log'}\n")
    environ = {"PIP_CONFIG_FILE": str(config)}
    assert judged(["install", "x"], read_pip_switches(environ, None, None)) is not None
    config.write_text(f"[global]\nlog = {shared / 'pip.log'}\n")
    skipped = read_pip_switches({**environ, "PIP_LOG": ""}, None, None)
    assert judged(["install", "x"], skipped) is not None  # PIP_LOG= is skipped: the file's log stands
    later = read_pip_switches({**environ, "PIP_LOG_FILE": str(tmp_path / "ok.log")}, None, None)
    assert judged(["install", "x"], later) is None


def test_a_config_file_another_user_can_change_is_not_read(tmp_path: Path, shared: Path) -> None:
    config = shared / "pip.conf"
    config.write_text("[global]\n")
    found = judged(["list"], read_pip_switches({"PIP_CONFIG_FILE": str(config)}, None, None))
    assert found is not None and f"pip's config file {config} is not safe to read" in found
    mine = tmp_path / "pip.conf"
    mine.write_text("[global]\n")
    assert judged(["list"], read_pip_switches({"PIP_CONFIG_FILE": str(mine)}, None, None)) is None


def test_home_is_expanded_where_pip_expands_it(monkeypatch: pytest.MonkeyPatch, shared: Path) -> None:
    monkeypatch.setenv("HOME", str(shared))
    assert judged(["install", "--log", "~/pip.log", "x"]) is not None  # pip reads ~ in its path options
    assert judged(["install", "--report", "~/report.json", "x"]) is None  # but not in --report's: ./~/...


def test_a_dash_is_stdout_only_for_the_report_and_the_lock_file(
    monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    monkeypatch.chdir(shared)
    assert judged(["list", "--log", "-"]) is not None  # a file named `-`, here
    assert judged(["install", "--report", "-", "x"]) is None
    assert judged(["lock", "-o", "-", "x"]) is None


def test_a_link_of_the_users_own_to_a_missing_file_in_tmp_is_judged_where_it_leads(tmp_path: Path) -> None:
    """Anyone can make the missing target in /tmp, and pip would open it through the user's link."""
    target = f"/tmp/safepip-test-missing-{os.getpid()}.log"
    (tmp_path / "pip.log").symlink_to(target)
    found = judged(["list", "--log", str(tmp_path / "pip.log")])
    assert found is not None and "any user can create it in /tmp" in found


def test_the_lock_files_home_is_expanded_as_pip_expands_it(
    monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    monkeypatch.setenv("HOME", str(shared))
    assert judged(["lock", "--output", "~/pylock.toml", "x"]) is not None


def test_of_a_sections_files_the_first_place_of_a_key_orders_it(tmp_path: Path, shared: Path) -> None:
    """pip merges a section across its files (a key keeps the place it first had, the last file's value),
    then applies the keys in that order: `log-file` after `log` here, whichever file set `log` last. An
    empty value in a later file takes the key's value away."""
    home = tmp_path / "home"
    (home / ".pip").mkdir(parents=True)
    (home / ".config" / "pip").mkdir(parents=True)
    old, new = home / ".pip" / "pip.conf", home / ".config" / "pip" / "pip.conf"
    old.write_text(f"[global]\nlog = {home / 'one.log'}\nlog-file = {shared / 'pip.log'}\n")
    new.write_text(f"[global]\nlog = {home / 'two.log'}\n")
    assert judged(["list"], read_pip_switches({}, str(home), None)) is not None
    old.write_text(f"[global]\nlog = {shared / 'pip.log'}\n")
    new.write_text("[global]\nlog =\n")
    assert judged(["list"], read_pip_switches({}, str(home), None)) is None  # pip writes no log


def test_where_download_and_wheel_put_files_must_be_closed_to_others(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pip takes a file it finds there as its download: /tmp is fine on the way to a file, not as the
    directory pip fills, its default (the working directory) included."""
    monkeypatch.chdir("/tmp")
    found = judged(["download", "x"])
    assert found is not None and "download directory" in found and "/tmp" in found
    assert judged(["wheel", "-w", "/tmp", "x"]) is not None
    assert judged(["lock", "x"]) is not None  # ./pylock.toml: anyone can make it first in /tmp
    monkeypatch.chdir(tmp_path)
    assert judged(["download", "x"]) is None and judged(["lock", "x"]) is None


def test_the_ca_files_the_environment_gives_tls_count_too(tmp_path: Path, shared: Path) -> None:
    (shared / "ca.pem").write_text("")
    args = parse_pip_args(["x"], "install")
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        found = pip_file_distrust(args, NO_SETTINGS, os.geteuid(), "install", {name: str(shared / "ca.pem")})
        assert found is not None and f"({name})" in found
    found = pip_file_distrust(
        args, NO_SETTINGS, os.geteuid(), "install", {"SSL_CERT_DIR": f"{tmp_path}:/tmp"}
    )
    assert found is not None and "/tmp (SSL_CERT_DIR)" in found  # anyone can add a certificate there
    assert (
        pip_file_distrust(args, NO_SETTINGS, os.geteuid(), "install", {"SSL_CERT_DIR": str(tmp_path)}) is None
    )


def test_pips_default_source_directory_counts_where_an_editable_can_come_from(shared: Path) -> None:
    """An editable VCS requirement can come from the command line, a requirement file or pip's settings,
    in any spelling pip reads (`git+`, `git:`): ./src is judged whenever one could."""
    for argv, settings in [
        (["-e", "git+https://example.org/x#egg=x"], {}),
        (["-e", "git://example.org/x#egg=x"], {}),
        (["-r", "requirements.txt"], {}),
        (["x"], {"editable": PipSetting("git+https://example.org/x#egg=x", "PIP_EDITABLE")}),
        (["x"], {"requirement": PipSetting("requirements.txt", "PIP_REQUIREMENT")}),
    ]:
        found = default_src_distrust(
            parse_pip_args(argv, "install"), PipSwitches(settings), os.geteuid(), str(shared)
        )
        assert found is not None and f"{shared / 'src'}" in found, argv
    plain = parse_pip_args(["x"], "install")
    assert default_src_distrust(plain, NO_SETTINGS, os.geteuid(), str(shared)) is None
    given = parse_pip_args(["--src", "/elsewhere", "-e", "git+https://example.org/x#egg=x"], "install")
    assert default_src_distrust(given, NO_SETTINGS, os.geteuid(), str(shared)) is None  # judged as --src


def test_an_empty_directory_is_the_working_directory_to_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/tmp")
    assert judged(["download", "-d", "", "x"]) is not None  # `-d "$UNSET"`: pip saves into /tmp
    assert judged(["wheel", "--wheel-dir=", "x"]) is not None


def test_dot_dot_past_a_missing_directory_is_read_as_pip_reads_it(tmp_path: Path, shared: Path) -> None:
    """pip takes --log's `..` as text: past a missing directory, to whatever is there."""
    (shared / "log").symlink_to(tmp_path / "important.txt")
    path = f"{tmp_path}/nosuch/../shared/log"
    found = judged(["install", "--log", path, "x"])
    assert found is not None and "pip's log" in found


def test_an_option_of_the_commands_own_is_no_abbreviation_of_another(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir("/tmp")
    assert judged(["list", "--local", "--outdated"]) is None  # --local is list's own, not --local-log
    assert judged(["freeze", "--local", "--all"]) is None


def test_config_dirs_are_judged_as_every_pip_reads_them(
    monkeypatch: pytest.MonkeyPatch, shared: Path
) -> None:
    """pip 23 takes an empty XDG_CONFIG_DIRS entry as the relative `pip/`, and XDG_CONFIG_HOME as it is;
    pip 26 strips them: both readings are judged."""
    (shared / "pip").mkdir()
    (shared / "pip" / "pip.conf").write_text("[global]\n")
    monkeypatch.chdir(shared)
    empty_entry = read_pip_switches({"XDG_CONFIG_DIRS": "/etc/xdg:"}, None, None)
    found = judged(["list"], empty_entry)
    assert found is not None and "pip's config file pip/pip.conf" in found
    monkeypatch.chdir(shared.parent)  # pip 23's reading, ` /...` relative to here, is the user's own
    padded = read_pip_switches({"XDG_CONFIG_HOME": f" {shared}"}, str(shared.parent), None)
    found = judged(["list"], padded)
    assert found is not None and f"{shared}/pip/pip.conf" in found


@pytest.mark.parametrize(
    "argv",
    [
        ["install", "--in", "--cache-dir", "--log", "{shared}/pip.log", "x"],  # pip 26: --in is --index-url
        ["download", "--con", "--cache-dir", "--log", "{shared}/pip.log", "x"],
        ["install", "--log-fi={shared}/pip.log", "x"],
    ],
)
def test_every_word_pip_could_take_for_the_option_is_judged(argv: list[str], shared: Path) -> None:
    """pip resolves an abbreviation among its own version's options, which the table may not match: a word
    the table takes as a value (`--cache-dir` here, when `--in` is ambiguous to it) can be an option to pip,
    and the next word its log."""
    found = judged([arg.format(shared=shared) for arg in argv])
    assert found is not None and "pip's log" in found
