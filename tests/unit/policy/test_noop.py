"""The no-op fast path against pip's own answer: when safepip says "already satisfied, pip not run", pip's
`--dry-run --report` must agree that there is nothing to install. A real venv, real wheels, real pip.

Every case is answered twice through a cache dir (built, then from the cache): the same answer both times.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safepip.facts.pip_config import PipSetting, PipSwitches
from tests.unit.policy.noop_world import World, answer, clean_env, make_world, pip_has_work, settle

FILES = {
    "plain.txt": "# comment\nalpha  # trailing comment\nbeta>=1 \\\n  ; python_version >= '3'\n",
    "nested.txt": "-r sub/inner.txt\n--index-url https://example.invalid/simple\ngamma\n",
    "sub/inner.txt": "Iota-Pkg\n${NOOP_REQUIREMENT}\n",
    "hashed.txt": "alpha==1.0 --hash=sha256:0000\n",
    "editable.txt": "-e ./somewhere\n",
    "quoted.txt": "-r 'sub/inner.txt'\n--no-binary :all:\n",
    "bom.txt": "\ufeffalpha\n",
    # constraints
    "constraints.txt": "alpha<2\n",
    "violated.txt": "alpha>=2\n",
    "deep-violated.txt": "alpha==2.0\n",  # alpha is beta's dependency
    "elsewhere.txt": "delta==9\nsigma>=2\n",  # delta is not installed, sigma is: neither is in the closure
    "marked.txt": "alpha>=2; python_version < '3'\n",
    "with-extras.txt": "alpha[x]<2\n",
    "url.txt": "alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl\n",
    "unnamed.txt": "./wheels/alpha-1.0-py3-none-any.whl\n",
    "editable-c.txt": "-e ./somewhere\n",
    "outer-c.txt": "-c sub/inner-c.txt\n",
    "sub/inner-c.txt": "alpha>=2\n",
    "r-in-c.txt": "-r plain.txt\n",
    "pre-c.txt": "kappa<2\n",  # kappa 1.0rc1 is installed
    # a nested -c is relative to the file that names it, not to the working directory
    "limits.txt": "alpha>=2\n",
    "sub/limits.txt": "alpha<2\n",
    "sub/req-c.txt": "-c limits.txt\nbeta\n",
    "req-c-violated.txt": "-c limits.txt\nbeta\n",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    world = make_world(tmp_path_factory.mktemp("noop"), FILES)
    # distributions installed the old way, as Debian's python3-* packages are: an egg-info directory with
    # PKG-INFO and requires.txt, and an egg-info file
    egg = world.site_packages / "upsilon-1.0.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: upsilon\nVersion: 1.0\n")
    (egg / "requires.txt").write_text('alpha>=1\n\n[fast]\ntheta\n\n[:python_version < "3"]\ndelta\n')
    (world.site_packages / "phi-1.0.egg-info").write_text("Metadata-Version: 1.1\nName: phi\nVersion: 1.0\n")
    settle(world)
    yield world


CASES = [  # (pip arguments, extra environment, the fast path answers, pip has work (None: either))
    (["alpha"], {}, True, False),
    (["alpha==1.0"], {}, True, False),
    (["alpha>=1,<2"], {}, True, False),
    (["alpha==2.0"], {}, False, True),
    (["alpha>=2"], {}, False, True),
    (["beta"], {}, True, False),
    (["gamma"], {}, True, False),
    (["mu"], {}, False, True),
    (["omicron"], {}, False, True),
    (["eta"], {}, True, False),
    (["eta[fast]"], {}, False, True),
    (["rho[x]"], {}, True, False),
    (["iota-pkg"], {}, True, False),
    (["IOTA.PKG"], {}, True, False),
    (["Iota_Pkg==1.0"], {}, True, False),
    (["kappa"], {}, True, False),
    (["kappa>=1.0"], {}, False, True),
    (["kappa<2"], {}, True, False),  # an installed pre-release is admitted, as pip admits it
    (["kappa<1.0"], {}, False, True),  # but not by `<` its own final release (PEP 440)
    (["alpha; python_version >= '3'"], {}, True, False),
    (["alpha; python_version < '3'", "beta"], {}, True, False),
    (["lam", "alpha>=2"], {}, False, True),
    (["delta"], {}, False, True),
    (["upsilon"], {}, True, False),
    (["upsilon>=1", "phi==1.0"], {}, True, False),
    (["upsilon[fast]"], {}, False, True),
    (["upsilon[slow]"], {}, False, False),  # pip warns that it has no such extra; the check leaves it to pip
    (["-r", "plain.txt"], {}, True, False),
    (["-rplain.txt", "rho"], {}, True, False),
    (["--requirement=nested.txt"], {}, True, False),
    (["-r", "nested.txt"], {"NOOP_REQUIREMENT": "delta"}, False, True),
    (["-r", "nested.txt"], {"NOOP_REQUIREMENT": ""}, False, True),  # left as written: not a requirement
    (["-r", "quoted.txt"], {}, True, False),
    (["-r", "bom.txt"], {}, True, False),
    (["-r", "hashed.txt"], {}, False, None),
    (["-r", "editable.txt"], {}, False, None),
    (["-r", "missing.txt"], {}, False, True),
    # constraints: read and applied as pip applies them
    (["-c", "constraints.txt", "alpha"], {}, True, False),
    (["-c", "violated.txt", "alpha"], {}, False, True),
    (["-c", "deep-violated.txt", "beta"], {}, False, True),
    (["-c", "violated.txt", "delta"], {}, False, True),
    (["-c", "elsewhere.txt", "alpha"], {}, True, False),
    (["-c", "marked.txt", "alpha"], {}, True, False),
    (["-c", "pre-c.txt", "kappa"], {}, True, False),
    (["-c", "outer-c.txt", "alpha"], {}, False, True),
    (["-r", "sub/req-c.txt"], {}, True, False),
    (["-r", "req-c-violated.txt"], {}, False, True),
    (["-c", "constraints.txt", "-c", "violated.txt", "alpha"], {}, False, True),
    (["--constraint=constraints.txt", "-r", "plain.txt"], {}, True, False),
    (["alpha"], {"PIP_CONSTRAINT": "constraints.txt"}, True, False),
    (["alpha"], {"PIP_CONSTRAINT": "constraints.txt violated.txt"}, False, True),
    (["-c", "constraints.txt", "alpha"], {"PIP_CONSTRAINT": "violated.txt"}, False, True),
    (["-c", "missing.txt", "alpha"], {}, False, True),
    (["-c", "with-extras.txt", "alpha"], {}, False, None),
    (["-c", "url.txt", "alpha"], {}, False, None),
    (["-c", "unnamed.txt", "alpha"], {}, False, None),
    (["-c", "editable-c.txt", "alpha"], {}, False, None),
    (["-c", "r-in-c.txt", "alpha"], {}, False, None),
    # options that are pip's business
    (["-U", "alpha"], {}, False, None),
    (["--upgrade", "beta"], {}, False, None),
    (["--force-reinstall", "alpha"], {}, False, None),
    (["-I", "alpha"], {}, False, None),
    (["alpha"], {"PIP_UPGRADE": "1"}, False, None),
    (["--no-index", "--find-links", "/elsewhere", "alpha"], {}, True, False),
    (["-i", "https://example.invalid/simple", "beta"], {}, True, False),
    (["-q", "--no-deps", "--prefer-binary", "alpha"], {}, True, False),
    (["--", "alpha"], {}, False, None),
    (["./wheels/alpha-1.0-py3-none-any.whl"], {}, False, None),
    (["alpha @ https://example.invalid/alpha-1.0-py3-none-any.whl"], {}, False, None),
    (["--report", "out.json", "alpha"], {}, False, None),
    (["-c", "constraints.txt"], {}, False, True),  # nothing to install
]


@pytest.mark.parametrize(
    ("args", "extra", "fast", "work"), CASES, ids=[" ".join(c[0]) + (" +env" if c[1] else "") for c in CASES]
)
def test_fast_path_agrees_with_pip(
    world: World, tmp_path: Path, args: list[str], extra: dict[str, str], fast: bool, work: bool | None
) -> None:
    environ = clean_env(**extra)
    built = answer(world, args, environ, cache_dir=tmp_path)
    assert (built is not None) is fast, built
    assert answer(world, args, environ, cache_dir=tmp_path) == built  # the second from the cache
    assert bool(list(tmp_path.glob("noop/*"))) is fast  # only a positive answer is kept
    if not fast and work is None:
        return  # an option the fast path leaves to pip: nothing of pip's to compare
    pip_work = pip_has_work(world, [a for a in args if a != "out.json" and a != "--report"], environ)
    if fast:
        assert not pip_work, "the fast path answered, but pip would install something"
    if work is not None:
        assert pip_work is work


def test_answer_names_the_closure(world: World) -> None:
    assert answer(world, ["gamma"], clean_env()) == ["alpha==1.0", "beta==1.0", "gamma==1.0"]


@pytest.mark.parametrize(
    ("value", "fast"), [("constraints.txt", True), ("constraints.txt  violated.txt", False)]
)
def test_constraint_from_a_config_file(world: World, value: str, fast: bool) -> None:
    """pip's `constraint =` in a config file: a whitespace-separated list of files, read like `-c`."""
    switches = PipSwitches({"constraint": PipSetting(value, "/etc/pip.conf")})
    got = answer(world, ["beta"], clean_env(), switches=switches)
    assert (got is not None) is fast, got
