"""The files in examples/, exercised for real as alice on Debian's externally managed python3.

- the Makefile, once, twice (the second run is a no-op for the stamps) and three times at once;
- the shell profile snippets, sourced by the shell they are for;
- the container recipe: its RUN and CMD lines run as alice in her home (there is no container engine here),
  and setup-as-user.sh on its own;
- the CI job, as github-actions.yml runs it.

The examples name real PyPI packages; the tests point them at fixture packages, offline. The scripts that
install safepip from a checkout get its dependencies (and its build backend) as wheels built once, as root.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .support import (
    DEBIAN_PYTHON,
    Safepip,
    assert_user_aftermath,
    built_once,
    describe,
    dists_under,
    force_remove,
    import_location,
    is_under,
    path_with,
    run_as,
    target_line,
    temp_entries_of,
)
from .support import ScenarioUser as User

pytestmark = pytest.mark.scenario

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = REPO_ROOT / "examples"
SITE = "lib/python3.11/site-packages"
SCRIPT_PATH = "/usr/bin:/bin"  # the scripts run `python3` from PATH: Debian's
RUNTIME, DEV = ("spbase",), ("spcli", "spneedsdep")
CHECKED = (*RUNTIME, *DEV)
ALL_INSTALLED = (*CHECKED, "spdep")  # spneedsdep requires spdep


def managed_venvs(home: Path) -> Path:
    return home / ".local/share/safepip/venvs"


def the_managed_venv(user: User) -> Path:
    venvs = sorted(managed_venvs(user.home).iterdir())
    assert len(venvs) == 1, f"expected one managed venv, found {venvs}"
    return venvs[0]


def offline_env(*find_links: Path) -> dict[str, str]:
    # pip reads these; safepip passes the environment on to pip, and the examples rely on that
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": " ".join(str(d) for d in find_links)}


def chown_tree(tree: Path, user: User) -> None:
    subprocess.run(["chown", "-R", f"{user.uid}:{user.gid}", str(tree)], check=True)


def copy_checkout(dest: Path, user: User) -> Path:
    """The working tree's files (tracked and new, not ignored) copied to `dest`, owned by `user`."""
    listed = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    for name in listed.stdout.decode().split("\0"):
        source = REPO_ROOT / name
        if name and source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    chown_tree(dest, user)
    return dest


def assert_installed_once(venv: Path, projects: tuple[str, ...]) -> None:
    """Each project installed exactly once, in the venv's site-packages, and no `~` stash entry left."""
    site = venv / SITE
    for project in projects:
        infos = sorted(site.glob(f"{project}-*.dist-info"))
        assert len(infos) == 1, f"{project}: {infos}"
    stash = sorted(entry.name for entry in site.iterdir() if entry.name.startswith("~"))
    assert stash == [], f"pip left stash entries in {site}: {stash}"


def make_offline_wheels(wheels: Path) -> Path:
    """safepip's dependencies and its build backend as wheels in `wheels`. Built as root, whose environment
    reaches the package index."""
    wheels.mkdir()
    proc = subprocess.run(
        [str(DEBIAN_PYTHON), "-m", "pip", "wheel", "--quiet", "-w", str(wheels), str(REPO_ROOT), "hatchling"],
        capture_output=True,
        text=True,
        cwd=wheels.parent,
    )
    assert proc.returncode == 0, describe(proc)
    # safepip itself must come from the checkout the script is given, not from here
    for built in wheels.glob("safepip-*.whl"):
        built.unlink()
    subprocess.run(["chmod", "-R", "go+rX,go-w", str(wheels)], check=True)
    return wheels


@pytest.fixture(scope="session")
def offline_wheels(shared_dir: Path) -> Path:
    """safepip's dependencies and its build backend as wheels, so that alice's `pip install CHECKOUT` works
    offline; built once for the session's workers."""
    return built_once(shared_dir, "offline-wheels", make_offline_wheels)


@pytest.fixture
def alice_temp_cleanup(alice: User) -> Iterator[User]:
    """alice, and whatever she leaves in /tmp or /var/tmp (a failed CI job leaves its tool venv) removed."""
    yield alice
    for stray in temp_entries_of(alice.uid) - alice.temp_baseline:
        force_remove(stray)


# ---------------------------------------------------------------- Makefile


def make_project(directory: Path, user: User) -> Path:
    """A copy of examples/Makefile with requirement files that name fixture packages, owned by `user`."""
    directory.mkdir()
    shutil.copy2(EXAMPLES / "Makefile", directory / "Makefile")
    (directory / "runtime.txt").write_text("".join(f"{name}\n" for name in RUNTIME))
    (directory / "dev.txt").write_text("".join(f"{name}\n" for name in DEV))
    chown_tree(directory, user)
    return directory


def run_make(
    user: User, project: Path, safepip_tool: Path, fixture_packages: Path
) -> subprocess.CompletedProcess[str]:
    return run_as(
        user,
        [
            "make",
            "-j4",
            f"SAFEPIP={safepip_tool}",
            "REQUIREMENTS=runtime.txt",
            "DEV_REQUIREMENTS=dev.txt",
            f"CHECK_PACKAGES={' '.join(CHECKED)}",
        ],
        env=offline_env(fixture_packages),
        cwd=project,
    )


def assert_make_succeeded(proc: subprocess.CompletedProcess[str], venv: Path) -> None:
    assert proc.returncode == 0, describe(proc)
    lines = proc.stdout.splitlines()
    # `test:` runs $(PY), the interpreter `safepip python` named when make read the Makefile
    assert any(
        re.fullmatch(rf"test: python 3\.\d+\.\d+ from {re.escape(str(venv))}", line) for line in lines
    ), describe(proc)
    assert "lint: runs with the target active" in lines, describe(proc)
    # `check:` is `safepip show`, which answers from the same venv
    for name in CHECKED:
        assert f"Name: {name}" in lines, describe(proc)
    locations = [line for line in lines if line.startswith("Location: ")]
    assert locations == [f"Location: {venv / SITE}"] * len(CHECKED), describe(proc)


def test_makefile_installs_into_one_managed_venv_and_a_second_run_is_a_no_op(
    safepip: Safepip, safepip_tool: Path, fixture_packages: Path, alice: User, scratch: Path
) -> None:
    project = make_project(scratch / "project", alice)
    assert not (alice.home / ".local").exists()

    first = run_make(alice, project, safepip_tool, fixture_packages)

    venv = the_managed_venv(alice)
    assert_make_succeeded(first, venv)
    assert first.stdout.count(f"{safepip_tool} -q install -r ") == 2, describe(first)
    for name in ALL_INSTALLED:
        assert dists_under(alice.home, name) == [venv / SITE], name
    assert_installed_once(venv, ALL_INSTALLED)
    assert is_under(import_location(alice, safepip.python(alice), "spneedsdep"), venv)
    stamps = {stamp.name: stamp.stat().st_mtime_ns for stamp in (project / ".stamps").iterdir()}
    assert sorted(stamps) == ["deps", "dev-deps"], stamps

    second = run_make(alice, project, safepip_tool, fixture_packages)

    assert_make_succeeded(second, venv)
    assert " install -r " not in second.stdout, describe(second)
    assert {stamp.name: stamp.stat().st_mtime_ns for stamp in (project / ".stamps").iterdir()} == stamps
    assert the_managed_venv(alice) == venv
    assert_user_aftermath(alice)


def pip_check_problems(user: User, venv: Path, projects: tuple[str, ...]) -> list[str]:
    """`pip check` lines about `projects`; the managed venv sees Debian's packages, whose own requirements
    are not this test's business."""
    proc = run_as(user, [venv / "bin/python", "-m", "pip", "check"])
    ours = re.compile(r"\b(" + "|".join(map(re.escape, projects)) + r")\b", re.IGNORECASE)
    return [line for line in (proc.stdout + proc.stderr).splitlines() if ours.search(line)]


@pytest.mark.slow
def test_three_concurrent_makes_take_turns_on_one_managed_venv(
    safepip_tool: Path, fixture_packages: Path, alice: User, scratch: Path
) -> None:
    projects = [make_project(scratch / f"project-{n}", alice) for n in range(3)]

    with ThreadPoolExecutor(len(projects)) as pool:
        results = list(
            pool.map(lambda project: run_make(alice, project, safepip_tool, fixture_packages), projects)
        )

    venv = the_managed_venv(alice)
    for proc in results:
        assert_make_succeeded(proc, venv)
    assert_installed_once(venv, ALL_INSTALLED)
    assert pip_check_problems(alice, venv, ALL_INSTALLED) == []
    imported = run_as(alice, [venv / "bin/python", "-c", f"import {', '.join(ALL_INSTALLED)}"])
    assert imported.returncode == 0, describe(imported)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- shell profiles

PROFILES = {
    # shell: (the example, where that shell reads it, the command line run in an interactive shell)
    "bash": ("bashrc", ".bashrc", ["-i", "-c"], "type pip"),
    "zsh": ("zshrc", ".zshrc", ["-i", "-c"], "whence -f pip"),
    "fish": ("config.fish", ".config/fish/config.fish", ["-i", "-c"], "functions pip"),
}


@pytest.mark.parametrize("shell", sorted(PROFILES))
def test_shell_profile_makes_pip_go_through_safepip(
    safepip: Safepip, safepip_tool: Path, fixture_packages: Path, alice: User, shell: str
) -> None:
    executable = shutil.which(shell)
    if executable is None:
        pytest.skip(f"{shell} is not installed on this machine")
    example, profile_name, flags, show_function = PROFILES[shell]
    profile = alice.home / profile_name
    profile.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(EXAMPLES / "shell" / example, profile)
    chown_tree(alice.home, alice)
    source = " ".join(safepip.source_args())
    # safepip on PATH as the README says; its tool venv's own pip is on PATH too, so only the profile's
    # function can make `pip` safepip
    env = {"PATH": path_with(safepip_tool.parent), "SHELL": executable}
    command = f"{show_function} && pip install {source} spbase && pip show spbase"

    proc = run_as(alice, [executable, *flags, command], env=env)

    assert proc.returncode == 0, describe(proc)
    assert str(safepip_tool) in proc.stdout, f"pip is not a function calling safepip\n{describe(proc)}"
    kind, path, _reason = target_line(proc.stderr, alice.home)
    venv = the_managed_venv(alice)
    assert (kind, Path(path)) == ("managed", venv), describe(proc)
    assert f"Location: {venv / SITE}" in proc.stdout.splitlines(), describe(proc)
    assert dists_under(alice.home, "spbase") == [venv / SITE]
    # the profile's PATH entry: ~/.local/bin comes first in that shell
    path_proc = run_as(alice, [executable, *flags, "echo $PATH"], env=env)
    assert path_proc.stdout.strip().startswith(f"{alice.home}/.local/bin:"), describe(path_proc)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- container


def containerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of examples/container/Containerfile, continuation lines joined."""
    text = (EXAMPLES / "container" / "Containerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, arguments = line.partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def example_requirements() -> list[str]:
    lines = (EXAMPLES / "requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_containerfile_refers_to_files_that_exist_and_runs_setup_as_user() -> None:
    steps = containerfile()
    tracked = set(
        subprocess.run(
            ["git", "-C", str(REPO_ROOT), "ls-files"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    )
    copies = [arguments.split() for instruction, arguments in steps if instruction == "COPY"]
    assert copies, steps
    destinations: dict[str, str] = {}
    for words in copies:
        *sources, dest = [word for word in words if not word.startswith("--")]
        for source in sources:  # the build context is the repository root
            assert (REPO_ROOT / source).exists(), f"COPY {source}: not in the repository"
        if sources == ["."]:
            destinations[dest] = ""
    assert destinations, f"the recipe does not copy the repository in: {copies}"
    workdir = next(arguments for instruction, arguments in reversed(steps) if instruction == "WORKDIR")
    users = [arguments for instruction, arguments in steps if instruction == "USER"]
    assert users and users[-1] not in ("root", "0"), "the recipe installs as root"
    runs = [arguments for instruction, arguments in steps if instruction == "RUN"]
    setup_runs = [run for run in runs if "setup-as-user.sh" in run]
    assert len(setup_runs) == 1, runs
    words = shlex.split(setup_runs[0])
    # every path the RUN line names under the copied repository is a file or directory of the repository
    named = 0
    for word in words:
        for dest, prefix in destinations.items():
            relative_dest = os.path.relpath(dest, workdir)
            if word == relative_dest or word.startswith(relative_dest + "/"):
                inside = os.path.normpath(os.path.join(prefix, os.path.relpath(word, relative_dest)))
                assert inside == "." or inside in tracked or (REPO_ROOT / inside).is_dir(), word
                named += 1
    script = next(word for word in words if word.endswith("setup-as-user.sh"))
    assert script.endswith("examples/container/setup-as-user.sh"), script
    assert named == 3, f"expected the script, a source and a requirements file under the copy: {words}"
    # setup-as-user.sh takes SAFEPIP_SOURCE and REQUIREMENTS
    assert len(words[words.index(script) + 1 :]) == 2, words
    # the image's command imports what the requirements file installs
    command = next(arguments for instruction, arguments in steps if instruction == "CMD")
    for requirement in example_requirements():
        assert f"import {requirement}" in command, (requirement, command)


def run_setup_as_user(
    user: User, argv: list[str], cwd: Path, offline_wheels: Path, fixture_packages: Path
) -> subprocess.CompletedProcess[str]:
    env = {"PATH": SCRIPT_PATH, **offline_env(offline_wheels, fixture_packages)}
    return run_as(user, argv, env=env, cwd=cwd)


def assert_tool_installed_requirements(user: User, proc: subprocess.CompletedProcess[str]) -> Path:
    """safepip in ~/.local/share/safepip-tool, spcli in the managed venv its `safepip python` names."""
    assert proc.returncode == 0, describe(proc)
    tool = user.home / ".local/share/safepip-tool/bin/safepip"
    python = run_as(user, [tool, "python"])
    assert python.returncode == 0, describe(python)
    venv = the_managed_venv(user)
    assert Path(python.stdout.strip()) == venv / "bin/python", describe(python)
    assert is_under(import_location(user, Path(python.stdout.strip()), "spcli"), venv)
    # the script's last step is `safepip -q list`
    assert re.search(r"^spcli\s+2\.0$", proc.stdout, re.MULTILINE), describe(proc)
    return venv


@pytest.mark.slow
def test_setup_as_user_installs_safepip_and_the_requirements_as_the_user(
    offline_wheels: Path, fixture_packages: Path, alice: User
) -> None:
    source = copy_checkout(alice.home / "checkout", alice)
    requirements = alice.home / "requirements.txt"
    requirements.write_text("spcli\n")
    chown_tree(requirements, alice)

    proc = run_setup_as_user(
        alice,
        ["sh", str(source / "examples/container/setup-as-user.sh"), str(source), str(requirements)],
        alice.home,
        offline_wheels,
        fixture_packages,
    )

    assert_tool_installed_requirements(alice, proc)
    assert_user_aftermath(alice)


@pytest.mark.slow
def test_containerfile_steps_run_as_the_user(
    offline_wheels: Path, fixture_packages: Path, alice: User
) -> None:
    """The recipe's steps after `USER`, run as alice with /home/app standing for her home."""
    steps = containerfile()
    user_at = max(i for i, (instruction, _) in enumerate(steps) if instruction == "USER")
    copy_dest = next(a for i, a in steps if i == "COPY" and a.split()[-2:-1] == ["."]).split()[-1]
    app_home = "/home/app"

    def here(text: str) -> str:
        return text.replace(app_home, str(alice.home))

    copy_checkout(Path(here(copy_dest)), alice)
    # the example's requirements name PyPI packages: the copy names a fixture package instead
    requirements = Path(here(copy_dest)) / "examples/requirements.txt"
    requirements.write_text("spcli\n")
    workdir = Path(here(next(a for i, a in reversed(steps) if i == "WORKDIR")))
    runs = [arguments for instruction, arguments in steps[user_at:] if instruction == "RUN"]
    assert runs, steps

    for run in runs:  # shell form: /bin/sh -c
        proc = run_setup_as_user(alice, ["sh", "-c", here(run)], workdir, offline_wheels, fixture_packages)
        assert proc.returncode == 0, f"RUN {run}\n{describe(proc)}"
    assert_tool_installed_requirements(alice, proc)

    # CMD, with the image's PATH; it imports the example's requirement, spcli here
    image_path = next(a for i, a in steps if i == "ENV" and a.startswith("PATH="))
    path = here(image_path.removeprefix("PATH=")).replace("$PATH", SCRIPT_PATH)
    command = json.loads(next(a for i, a in steps if i == "CMD"))
    for requirement in example_requirements():
        command = [word.replace(requirement, "spcli") for word in command]
    started = run_as(alice, command, env={"PATH": path}, cwd=workdir)
    assert (started.returncode, started.stdout) == (0, "spcli ready\n"), describe(started)
    assert_user_aftermath(alice)


# ---------------------------------------------------------------- CI job


def github_actions_run_lines() -> list[str]:
    text = (EXAMPLES / "ci" / "github-actions.yml").read_text()
    return [match.strip() for match in re.findall(r"^\s*run:\s*(.+)$", text, re.MULTILINE)]


@pytest.mark.slow
def test_ci_job_as_github_actions_runs_it(
    offline_wheels: Path, fixture_packages: Path, alice_temp_cleanup: User
) -> None:
    alice = alice_temp_cleanup
    checkout = copy_checkout(alice.home / "work/repo", alice)
    chown_tree(alice.home / "work", alice)
    (checkout / "examples/requirements.txt").write_text("spcli\n")
    runs = github_actions_run_lines()
    assert len(runs) == 1 and "examples/ci/job.sh" in runs[0], runs

    # actions/checkout leaves the working directory at the checkout
    proc = run_setup_as_user(alice, ["sh", "-c", runs[0]], checkout, offline_wheels, fixture_packages)

    assert proc.returncode == 0, describe(proc)
    venv = the_managed_venv(alice)
    # doctor's checklist comes first in the log
    lines = proc.stdout.splitlines()
    assert any(line.startswith("[!!] PEP 668") for line in lines), describe(proc)
    assert any(
        line.startswith(f"[ok] target: installs into the managed target {venv} (") for line in lines
    ), describe(proc)
    assert f"CI python: {venv}/bin/python" in lines, describe(proc)
    assert target_line(proc.stderr, alice.home)[:2] == ("managed", str(venv)), describe(proc)
    assert is_under(import_location(alice, venv / "bin/python", "spcli"), venv)
    # the job removes its tool venv from the temp dir
    assert_user_aftermath(alice)
