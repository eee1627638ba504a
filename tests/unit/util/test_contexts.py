"""safepip's contextmanager does what contextlib's does for the ways safepip's context managers are written."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from safepip.util.contexts import contextmanager

BOTH = pytest.mark.parametrize(
    "make", [contextmanager, contextlib.contextmanager], ids=["safepip", "contextlib"]
)


@BOTH
def test_the_code_around_the_yield_runs_on_entry_and_exit(make: Callable[..., Any]) -> None:
    steps: list[str] = []

    @make
    def held(name: str) -> Iterator[str]:
        """Held."""
        steps.append("enter")
        try:
            yield name
        finally:
            steps.append("exit")

    with held("lock") as value:
        steps.append(value)
    assert steps == ["enter", "lock", "exit"]
    assert held.__name__ == "held" and held.__doc__ == "Held."
    with pytest.raises(KeyError), held("x"):
        raise KeyError("in the block")
    assert steps[-2:] == ["enter", "exit"]


@BOTH
def test_the_generator_sees_the_blocks_exception_and_may_replace_or_suppress_it(
    make: Callable[..., Any],
) -> None:
    @make
    def converting() -> Iterator[None]:
        try:
            yield
        except KeyError as error:
            raise ValueError("converted") from error

    @make
    def suppressing() -> Iterator[None]:
        try:
            yield
        except KeyError:
            pass

    with pytest.raises(ValueError, match="converted"), converting():
        raise KeyError("k")
    with suppressing():
        raise KeyError("k")
    with pytest.raises(IndexError), suppressing():
        raise IndexError("not caught by it")
    with pytest.raises(StopIteration), suppressing():
        raise StopIteration  # PEP 479 wraps it in the generator; the block's own exception comes out


@BOTH
def test_a_generator_that_yields_never_or_twice_is_an_error(make: Callable[..., Any]) -> None:
    @make
    def never() -> Iterator[None]:
        return
        yield

    @make
    def twice() -> Iterator[None]:
        yield
        yield

    with pytest.raises(RuntimeError), never():
        pass
    with pytest.raises(RuntimeError), twice():
        pass
