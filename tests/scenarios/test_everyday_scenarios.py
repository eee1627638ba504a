"""Everyday commands as alice on Debian's externally managed python3: doctor, shell-init, the pip commands
other than install, console scripts linked into ~/.local/bin, `run -- CMD` and `--json install`.

With no venv active, alice's installs go to safepip's managed venv; every test here checks that the other
commands act on that same venv, and that nothing outside it (Debian's packages, a file of alice's own in
~/.local/bin) changes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from .support import (
    DEBIAN_PYTHON,
    Safepip,
    assert_user_aftermath,
    describe,
    dists_under,
    import_location,
    is_under,
    path_with,
    run_as,
    run_ok,
    snapshot,
    snapshot_diff,
    target_line,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

SITE = "lib/python3.11/site-packages"
SYSTEM_SITE = Path("/usr/local/lib/python3.11/dist-packages")
DEBIAN_DIST_PACKAGES = Path("/usr/lib/python3/dist-packages")
HELLO = "hello from spcli 2.0\n"


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


def user_bin(user: User) -> Path:
    return user.home / ".local/bin"


def the_managed_venv(user: User) -> Path:
    """The one managed venv in the user's home (fails when there are none or several)."""
    venvs = sorted(managed_venvs(user.home).iterdir())
    assert len(venvs) == 1, f"expected one managed venv, found {venvs}"
    return venvs[0]


def planned_managed_venv(safepip: Safepip, user: User) -> Path:
    """Where an install would go, from `explain` (which writes nothing)."""
    explained = safepip.explain(user, ["spcli"])
    assert explained.returncode == 0, json.dumps(explained.plan, indent=2)
    assert explained.target["kind"] == "managed", json.dumps(explained.plan, indent=2)
    path = Path(explained.target["path"])
    assert path.parent == managed_venvs(user.home), path
    return path


def install_spcli(safepip: Safepip, user: User, env: dict[str, str] | None = None) -> tuple[Path, str]:
    """`safepip install spcli` into the managed venv: (the venv, safepip's stderr)."""
    proc = safepip.install(user, ["spcli"], env=env)
    assert proc.returncode == 0, describe(proc)
    assert "Successfully installed spcli-2.0" in proc.stdout, describe(proc)
    kind, path, _reason = target_line(proc.stderr, user.home)
    assert kind == "managed", describe(proc)
    venv = Path(path)
    assert venv == the_managed_venv(user), describe(proc)
    assert dists_under(user.home, "spcli") == [venv / SITE], describe(proc)
    return venv, proc.stderr


def names_in_pip_list(output: str) -> dict[str, str]:
    """`pip list --format json` as {normalised name: version}."""
    return {entry["name"].lower().replace("_", "-"): entry["version"] for entry in json.loads(output)}


def debian_site_names() -> set[str]:
    # the names are enough to see an install or uninstall there; hashing the whole tree would cost seconds
    return {entry.name for entry in DEBIAN_DIST_PACKAGES.iterdir()}


# ---------------------------------------------------------------- doctor


def test_doctor_names_the_externally_managed_python_and_the_managed_target(
    safepip: Safepip, alice: User
) -> None:
    planned = planned_managed_venv(safepip, alice)
    home_before = snapshot(alice.home)

    proc = safepip.run(alice, ["doctor"])

    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    pep668 = [i for i, line in enumerate(lines) if line.startswith("[!!] PEP 668")]
    assert len(pep668) == 1, describe(proc)
    # the check and its indented consequence lines: what plain pip would hit, and what safepip does
    block = [lines[pep668[0]]]
    block += [line for line in lines[pep668[0] + 1 :][:2] if line.startswith(" ")]
    assert any("externally-managed-environment" in line for line in block), describe(proc)
    assert any(str(planned) in line for line in block), describe(proc)
    assert any(line.startswith("[ok] interpreter: /usr/bin/python3") for line in lines), describe(proc)
    target = [line for line in lines if line.startswith("[ok] target:")]
    assert len(target) == 1 and f"managed target {planned}" in target[0], describe(proc)
    # a checklist, nothing else: every line is a check or belongs to the one above it
    assert all(line.startswith(("[ok] ", "[!!] ", "       ")) for line in lines), describe(proc)
    assert snapshot_diff(home_before, snapshot(alice.home)) == [], "doctor wrote into the home"
    assert_user_aftermath(alice)


@pytest.mark.parametrize("argv", [["doctor", "--json"], ["--json", "doctor"]], ids=["after", "before"])
def test_doctor_json_is_one_document_with_checks(safepip: Safepip, alice: User, argv: list[str]) -> None:
    planned = planned_managed_venv(safepip, alice)

    proc = safepip.run(alice, argv)

    assert proc.returncode == 0, describe(proc)
    document = json.loads(proc.stdout)
    assert document["kind"] == "doctor", describe(proc)
    assert document["target"]["kind"] == "managed", describe(proc)
    assert Path(document["target"]["path"]) == planned, describe(proc)
    checks: list[dict[str, Any]] = document["checks"]
    assert checks and all(isinstance(check["topic"], str) and check["topic"] for check in checks)
    by_topic = {check["topic"]: check for check in checks}
    assert by_topic["PEP 668"]["ok"] is False, describe(proc)
    assert "externally-managed-environment" in by_topic["PEP 668"]["pip"], describe(proc)
    assert by_topic["target"]["ok"] is True and str(planned) in by_topic["target"]["finding"]
    assert not managed_venvs(alice.home).exists(), "doctor made the managed venv"


# ---------------------------------------------------------------- shell-init

SHELL_SCRIPTS = {
    # pip here is the shell function from shell-init; spcli-hello is found by name through the PATH entry
    "bash": 'eval "$({safepip} shell-init bash)" && type pip && pip install {source} spcli && spcli-hello',
    "zsh": 'eval "$({safepip} shell-init zsh)" && whence -f pip && pip install {source} spcli && spcli-hello',
    "fish": "{safepip} shell-init fish | source; and functions pip; and pip install {source} spcli; "
    "and spcli-hello",
}


@pytest.mark.parametrize("shell", sorted(SHELL_SCRIPTS))
def test_shell_init_routes_pip_through_safepip_and_puts_user_bin_on_path(
    safepip: Safepip, safepip_tool: Path, alice: User, shell: str
) -> None:
    executable = shutil.which(shell)
    if executable is None:
        pytest.skip(f"{shell} is not installed on this machine")
    env = {"PATH": path_with(safepip_tool.parent)}
    assert str(user_bin(alice)) not in env["PATH"]
    # without the profile lines, pip is Debian's, and it refuses
    plain = run_as(alice, [executable, "-c", f"pip install {' '.join(safepip.source_args())} spcli"])
    assert plain.returncode != 0 and "externally-managed-environment" in plain.stderr, describe(plain)

    lines = safepip.run(alice, ["shell-init", shell], env=env)
    assert lines.returncode == 0, describe(lines)
    assert str(safepip_tool) in lines.stdout and str(user_bin(alice)) in lines.stdout, describe(lines)

    script = SHELL_SCRIPTS[shell].format(safepip=safepip_tool, source=" ".join(safepip.source_args()))
    proc = run_as(alice, [executable, "-c", script], env=env)

    assert proc.returncode == 0, describe(proc)
    assert str(safepip_tool) in proc.stdout, f"pip is not a function calling safepip\n{describe(proc)}"
    kind, path, _reason = target_line(proc.stderr, alice.home)
    assert kind == "managed", describe(proc)
    assert Path(path) == the_managed_venv(alice), describe(proc)
    assert dists_under(alice.home, "spcli") == [Path(path) / SITE], describe(proc)
    assert proc.stdout.endswith(HELLO), describe(proc)
    assert "not on PATH" not in proc.stderr, describe(proc)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- list, show, freeze, check, uninstall


def test_pip_commands_act_on_the_managed_venv(safepip: Safepip, alice: User) -> None:
    system_site_before = snapshot(SYSTEM_SITE)
    debian_before = debian_site_names()
    venv, _stderr = install_spcli(safepip, alice)
    link = user_bin(alice) / "spcli-hello"
    assert link.is_symlink(), "the console script was not linked"

    listed = safepip.run(alice, ["list", "--format", "json"])
    assert listed.returncode == 0, describe(listed)
    assert names_in_pip_list(listed.stdout).get("spcli") == "2.0", describe(listed)
    # the same answer as the managed venv's own pip, and not Debian's
    own = run_ok(alice, [venv / "bin/python", "-m", "pip", "list", "--format", "json"])
    assert names_in_pip_list(listed.stdout) == names_in_pip_list(own.stdout)
    debian = run_ok(alice, [DEBIAN_PYTHON, "-m", "pip", "list", "--format", "json"])
    assert "spcli" not in names_in_pip_list(debian.stdout)

    shown = safepip.run(alice, ["show", "spcli"])
    assert shown.returncode == 0, describe(shown)
    assert f"Location: {venv / SITE}\n" in shown.stdout, describe(shown)

    frozen = safepip.run(alice, ["freeze"])
    assert frozen.returncode == 0 and "spcli==2.0" in frozen.stdout.splitlines(), describe(frozen)
    # the managed venv sees Debian's packages: said once, where a requirements file is made from it
    assert "`pip freeze --local` shows only what was installed into it" in frozen.stderr, describe(frozen)
    local = safepip.run(alice, ["freeze", "--local"])
    assert local.stdout.splitlines() == ["spcli==2.0"] and local.stderr == "", describe(local)
    again = safepip.run(alice, ["freeze"])
    assert again.stdout == frozen.stdout and "--local" not in again.stderr, describe(again)

    checked = safepip.run(alice, ["check"])
    own_check = run_as(alice, [venv / "bin/python", "-m", "pip", "check"])
    assert (checked.returncode, checked.stdout) == (own_check.returncode, own_check.stdout), describe(checked)

    removed = safepip.run(alice, ["uninstall", "-y", "spcli"])
    assert removed.returncode == 0, describe(removed)
    assert "Successfully uninstalled spcli-2.0" in removed.stdout, describe(removed)
    assert target_line(removed.stderr, alice.home)[:2] == ("managed", str(venv)), describe(removed)
    assert dists_under(alice.home, "spcli") == [], describe(removed)
    assert not (venv / "bin/spcli-hello").exists()
    assert not link.is_symlink() and not link.exists(), f"dangling link left: {link}\n{describe(removed)}"
    assert "removed the link ~/.local/bin/spcli-hello: its script is gone" in removed.stderr, describe(
        removed
    )

    listed_after = safepip.run(alice, ["list", "--format", "json"])
    assert "spcli" not in names_in_pip_list(listed_after.stdout), describe(listed_after)
    assert snapshot_diff(system_site_before, snapshot(SYSTEM_SITE)) == []
    assert debian_site_names() == debian_before
    assert_user_aftermath(alice)


def test_reading_commands_make_no_venv_and_share_the_lock(safepip: Safepip, alice: User) -> None:
    # `pip list` with pip going to safepip, before any install: Debian's packages, and nothing made
    listed = safepip.run(alice, ["list", "--format", "json"])
    assert listed.returncode == 0, describe(listed)
    debian = run_ok(alice, [DEBIAN_PYTHON, "-m", "pip", "list", "--format", "json"])
    assert names_in_pip_list(listed.stdout) == names_in_pip_list(debian.stdout), describe(listed)
    assert not managed_venvs(alice.home).exists(), describe(listed)
    venv, _stderr = install_spcli(safepip, alice)
    # another reader holds the venv's lock (here the test, shared); show reads meanwhile, an install waits
    fd = os.open(venv / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        shown = safepip.run(alice, ["--lock-timeout", "1", "show", "spcli"])
        assert shown.returncode == 0 and "Version: 2.0" in shown.stdout, describe(shown)
        blocked = safepip.run(alice, ["--lock-timeout", "1", "install", "spdep"])
        assert blocked.returncode == 75, describe(blocked)
    finally:
        os.close(fd)


def test_a_downgrade_that_takes_a_script_away_removes_its_link(safepip: Safepip, alice: User) -> None:
    install_spcli(safepip, alice)
    link = user_bin(alice) / "spcli-hello"
    assert link.is_symlink()
    down = safepip.install(alice, ["spcli==0.5"])  # 0.5 had no script yet
    assert down.returncode == 0 and "Successfully installed spcli-0.5" in down.stdout, describe(down)
    assert not os.path.lexists(link), describe(down)
    assert "removed the link ~/.local/bin/spcli-hello: its script is gone" in down.stderr, describe(down)


def test_no_link_is_removed_from_a_bin_dir_others_can_write(safepip: Safepip, alice: User) -> None:
    # safepip links nothing into a ~/.local/bin that another user can write, and removes nothing there either
    install_spcli(safepip, alice)
    link = user_bin(alice) / "spcli-hello"
    user_bin(alice).chmod(0o777)
    down = safepip.install(alice, ["spcli==0.5"])
    assert down.returncode == 0, describe(down)
    assert link.is_symlink() and "removed the link" not in down.stderr, describe(down)


def test_uninstalling_a_system_package_seen_by_the_managed_venv_says_so(
    safepip: Safepip, alice: User
) -> None:
    debian_before = debian_site_names()
    install_spcli(safepip, alice)
    removed = safepip.run(alice, ["uninstall", "-y", "pyjwt"])  # Debian's python3-jwt
    assert removed.returncode == 0, describe(removed)  # pip's own code: it exits 0
    assert "not uninstalled: pyjwt (in the system's site-packages" in removed.stderr, describe(removed)
    assert debian_site_names() == debian_before


def test_uninstall_leaves_links_into_other_places_alone(safepip: Safepip, alice: User) -> None:
    venv, _stderr = install_spcli(safepip, alice)
    # a dangling symlink of alice's own, pointing somewhere that is not the managed venv
    own_dangling = user_bin(alice) / "old-tool"
    run_ok(alice, ["ln", "-s", alice.home / "gone/old-tool", own_dangling])

    removed = safepip.run(alice, ["uninstall", "-y", "spcli"])

    assert removed.returncode == 0, describe(removed)
    assert not (user_bin(alice) / "spcli-hello").is_symlink(), describe(removed)
    assert own_dangling.is_symlink(), f"safepip removed a link it did not make\n{describe(removed)}"
    assert str(own_dangling) not in removed.stderr, describe(removed)
    assert venv.is_dir()


# ---------------------------------------------------------------- console scripts


def test_console_script_is_linked_into_user_bin_and_runs(safepip: Safepip, alice: User) -> None:
    venv, stderr = install_spcli(safepip, alice)

    link = user_bin(alice) / "spcli-hello"
    assert link.is_symlink(), stderr
    assert Path(os.path.realpath(link)) == Path(os.path.realpath(venv / "bin/spcli-hello")), stderr
    # one line says what was linked, and (the clean PATH lacks ~/.local/bin) that it is not on PATH
    linked = [line for line in stderr.splitlines() if line.startswith("safepip: linked ")]
    assert linked == [
        "safepip: linked spcli-hello into ~/.local/bin (not on PATH: add it to run them by name)"
    ], stderr
    assert link.lstat().st_uid == alice.uid

    hello = run_as(alice, [link])
    assert (hello.returncode, hello.stdout) == (0, HELLO), describe(hello)
    by_name = run_as(alice, ["spcli-hello"], env={"PATH": path_with(user_bin(alice))})
    assert (by_name.returncode, by_name.stdout) == (0, HELLO), describe(by_name)
    # the venv's own scripts (python, pip, activate) are not linked
    assert sorted(entry.name for entry in user_bin(alice).iterdir()) == ["spcli-hello"]
    assert_user_aftermath(alice)


def test_a_named_project_already_there_gets_its_script_linked_without_pip(
    safepip: Safepip, alice: User
) -> None:
    """spcli came in as spneedscli's dependency (its script not linked: alice did not name it); naming it now
    is answered without pip, and links its script. Its link removed by hand is made again the same way."""
    needs = safepip.install(alice, ["spneedscli"])
    assert needs.returncode == 0 and "Successfully installed" in needs.stdout, describe(needs)
    link = user_bin(alice) / "spcli-hello"
    assert not link.is_symlink(), describe(needs)
    for dry_run in (["--dry-run", "spcli"], ["--dry-run", "spcli", "spbase"]):  # pip not run, then run
        dry = safepip.install(alice, dry_run)
        assert dry.returncode == 0 and not link.is_symlink(), describe(dry)

    for again in (False, True):
        if again:
            link.unlink()
        named = safepip.install(alice, ["spcli"])

        assert named.returncode == 0, describe(named)
        assert "pip not run: spcli==2.0" in named.stderr, describe(named)
        assert link.is_symlink(), describe(named)
        hello = run_as(alice, [link])
        assert (hello.returncode, hello.stdout) == (0, HELLO), describe(hello)
        assert "safepip: linked spcli-hello into ~/.local/bin" in named.stderr, describe(named)
    quiet = safepip.install(alice, ["spcli"])  # linked already: nothing to say
    assert quiet.returncode == 0 and "linked" not in quiet.stderr, describe(quiet)
    assert_user_aftermath(alice)


OWN_SCRIPT = "#!/bin/sh\necho alice-own-spcli-hello\n"


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_pre_existing_user_bin_entry_is_left_alone(safepip: Safepip, alice: User, kind: str) -> None:
    bin_dir = user_bin(alice)
    run_ok(alice, ["mkdir", "-p", bin_dir])
    mine = alice.home / "bin/my-hello"
    run_ok(alice, ["mkdir", "-p", mine.parent])
    run_ok(alice, ["sh", "-c", f"printf '%s' \"$1\" > {mine} && chmod 755 {mine}", "sh", OWN_SCRIPT])
    existing = bin_dir / "spcli-hello"
    if kind == "file":
        run_ok(alice, ["cp", "-p", mine, existing])
    else:
        run_ok(alice, ["ln", "-s", mine, existing])
    before = snapshot(bin_dir)
    own_before = snapshot(mine.parent)

    venv, stderr = install_spcli(safepip, alice)

    assert snapshot_diff(before, snapshot(bin_dir)) == [], stderr
    assert snapshot_diff(own_before, snapshot(mine.parent)) == [], stderr
    if kind == "file":
        assert stat.S_ISREG(existing.lstat().st_mode) and existing.read_text() == OWN_SCRIPT
    else:
        assert existing.is_symlink() and os.readlink(existing) == str(mine)
    left = [line for line in stderr.splitlines() if "left ~/.local/bin/spcli-hello alone" in line]
    assert len(left) == 1, stderr
    assert "~" + str(venv / "bin")[len(str(alice.home)) :] in left[0], stderr  # paths under the home as ~/…
    assert "safepip: linked" not in stderr, stderr
    # alice's script still answers to the name; spcli's is in the venv
    own = run_as(alice, [existing])
    assert own.stdout == "alice-own-spcli-hello\n", describe(own)
    hello = run_as(alice, [venv / "bin/spcli-hello"])
    assert hello.stdout == HELLO, describe(hello)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- run -- CMD


def test_run_uses_the_managed_venv_and_passes_the_exit_code_through(safepip: Safepip, alice: User) -> None:
    venv, _stderr = install_spcli(safepip, alice)

    proc = safepip.run(
        alice,
        [
            "run",
            "--",
            "python",
            "-c",
            "import os, spcli, sys; print(sys.prefix); print(os.environ['VIRTUAL_ENV'])",
        ],
    )

    assert proc.returncode == 0, describe(proc)
    assert proc.stdout.splitlines() == [str(venv), str(venv)], describe(proc)
    # Debian's python3 itself cannot import spcli: it was the target's python that ran
    plain = run_as(alice, [DEBIAN_PYTHON, "-c", "import spcli"])
    assert plain.returncode != 0, describe(plain)

    by_name = safepip.run(alice, ["run", "--", "spcli-hello"])
    assert (by_name.returncode, by_name.stdout) == (0, HELLO), describe(by_name)

    for code in (7, 0, 1):
        exited = safepip.run(alice, ["run", "--", "sh", "-c", f"exit {code}"])
        assert exited.returncode == code, describe(exited)

    missing = safepip.run(alice, ["run", "--", "no-such-command-spday"])
    assert missing.returncode == 127, describe(missing)
    assert_user_aftermath(alice)


def test_pip_in_the_managed_venv_is_its_own(safepip: Safepip, alice: User) -> None:
    """The managed venv's pip is safepip's seed, found through a .pth: `pip` in its bin runs it, so that
    activated (or through `run`), `pip` is not Debian's, which PEP 668 stops. A venv made before safepip
    wrote these scripts gets them at its next install."""
    venv, _stderr = install_spcli(safepip, alice)
    scripts = sorted(entry.name for entry in (venv / "bin").glob("pip*"))
    minor = next((venv / "lib").glob("python3.*")).name.removeprefix("python")
    assert scripts == ["pip", "pip3", f"pip{minor}"], scripts
    for script in scripts:
        version = run_as(alice, [venv / "bin" / script, "--version"])
        assert version.returncode == 0 and "/.local/share/safepip/seed/pip-" in version.stdout, describe(
            version
        )

    by_run = safepip.run(alice, ["run", "--", "pip", "install", *safepip.source_args(), "spbase"])
    assert by_run.returncode == 0 and "Successfully installed spbase" in by_run.stdout, describe(by_run)
    assert dists_under(alice.home, "spbase") == [venv / SITE], describe(by_run)

    for script in scripts:
        (venv / "bin" / script).unlink()
    again = safepip.install(alice, ["--force-reinstall", "--no-deps", "spbase"])
    assert again.returncode == 0, describe(again)
    assert sorted(entry.name for entry in (venv / "bin").glob("pip*")) == scripts
    assert (venv / "bin/pip").stat().st_uid == alice.uid
    assert_user_aftermath(alice)


def test_run_makes_the_managed_venv_when_missing(safepip: Safepip, alice: User) -> None:
    planned = planned_managed_venv(safepip, alice)
    assert not planned.exists()

    proc = safepip.run(alice, ["-q", "run", "--", "python", "-c", "import sys; print(sys.prefix)"])

    assert proc.returncode == 0, describe(proc)
    assert proc.stdout == f"{planned}\n", describe(proc)
    assert proc.stderr == "", describe(proc)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- --json install


def test_json_install_prints_one_document_on_stdout(safepip: Safepip, alice: User) -> None:
    proc = safepip.run(alice, ["--json", "install", *safepip.source_args(), "spcli"])

    assert proc.returncode == 0, describe(proc)
    document = json.loads(proc.stdout)  # the whole of stdout, so nothing else is on it
    assert isinstance(document, dict), describe(proc)
    assert document["kind"] == "install", describe(proc)
    assert document["result"]["exit_code"] == 0, describe(proc)
    assert document["result"]["error"] is None, describe(proc)
    assert document["target"]["kind"] == "managed", describe(proc)
    venv = the_managed_venv(alice)
    assert Path(document["target"]["path"]) == venv, describe(proc)
    # pip's output went to stderr
    assert "Successfully installed spcli-2.0" in proc.stderr, describe(proc)
    assert "Successfully installed" not in proc.stdout, describe(proc)
    shown = "~" + str(venv)[len(str(alice.home)) :]  # safepip's lines show paths under the home as ~/…
    assert any(shown in message for message in document["result"]["messages"]), describe(proc)
    assert is_under(import_location(alice, venv / "bin/python", "spcli"), venv)
    assert_user_aftermath(alice)


def test_json_install_that_pip_fails_reports_pips_exit_code(safepip: Safepip, alice: User) -> None:
    proc = safepip.run(alice, ["--json", "install", *safepip.source_args(), "spday-no-such-package"])

    assert proc.returncode == 1, describe(proc)
    document = json.loads(proc.stdout)
    assert document["kind"] == "install", describe(proc)
    assert document["result"]["exit_code"] == 1, describe(proc)
    assert "No matching distribution" in proc.stderr, describe(proc)
    assert_user_aftermath(alice)
