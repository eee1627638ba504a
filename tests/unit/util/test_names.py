"""Project names as PEP 503 compares them, without `re`; patterns compiled when first used."""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from safepip.util.names import normalize, pattern, requirement_name


def pep503(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize(
    "name", ["Sp_Cli", "a--b", "a-_.-b", "Zope.Interface", "__x__", "-", "", "ÄÖ_ü", "a.", ".a", "a___.b"]
)
def test_normalize_is_pep_503(name: str) -> None:
    assert normalize(name) == pep503(name)


def test_normalize_is_pep_503_for_random_names() -> None:
    rng = random.Random(503)
    for _ in range(5000):
        name = "".join(rng.choice("aZ9-_.İ") for _ in range(rng.randrange(12)))
        assert normalize(name) == pep503(name), name


def test_a_pattern_matches_as_re_compile_does() -> None:
    comment = pattern(r"(^|\s+)#.*$")
    assert comment.sub("", "pkg  # a comment") == "pkg"
    assert pattern(rb"coding[:=]\s*([-\w.]+)").search(b"# coding: latin-1").group(1) == b"latin-1"
    assert pattern(r"(?i)^(http|https|file):").search("HTTPS://x") is not None


def test_re_is_imported_only_when_a_pattern_is_used() -> None:
    code = (
        "import sys; from safepip.util.names import pattern; p = pattern('a+'); print('re' in sys.modules); "
        "p.match('a'); print('re' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


PEP508_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


def test_a_requirements_name_is_read_as_pep_508s_pattern_reads_it() -> None:
    rng = random.Random(508)
    samples = [
        "spcli>=2",
        "Zope.Interface[x]",
        "a",
        "-a",
        "a-",
        "a._-",
        "_a",
        "9 ; python_version>'3'",
        "",
        "İx",
    ]
    samples += ["".join(rng.choice("aZ9-_.[>= İ") for _ in range(rng.randrange(10))) for _ in range(5000)]
    for text in samples:
        found = PEP508_NAME.match(text)
        assert requirement_name(text) == (found.group(0) if found else None), text
