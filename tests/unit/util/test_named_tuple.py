"""safepip's NamedTuple makes what typing.NamedTuple makes, without checking the annotations."""

from __future__ import annotations

import typing

import pytest

from safepip.util.named_tuple import NamedTuple


class Point(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str | None = None

    @property
    def norm(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, by: int) -> Point:
        return self._replace(x=self.x + by)


class TypingPoint(typing.NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str | None = None


def test_the_class_behaves_as_typing_makes_it() -> None:
    point = Point(3, label="a")
    assert tuple(point) == tuple(TypingPoint(3, label="a")) == (3, 0, "a")
    assert isinstance(point, tuple)
    assert Point._fields == TypingPoint._fields
    assert Point._field_defaults == TypingPoint._field_defaults
    # the annotations stay strings (typing makes ForwardRefs of them); get_type_hints reads both alike
    assert Point.__annotations__ == {"x": "int", "y": "int", "label": "str | None"}
    assert typing.get_type_hints(Point) == typing.get_type_hints(TypingPoint)
    assert Point.__doc__ == TypingPoint.__doc__ == "A point."
    assert Point.__module__ == TypingPoint.__module__ == __name__
    assert Point.__qualname__ == "Point"
    assert point.norm == 3
    assert point.moved(2) == Point(5, 0, "a")
    assert point._asdict() == {"x": 3, "y": 0, "label": "a"}
    assert repr(point) == "Point(x=3, y=0, label='a')"


def test_what_typing_refuses_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows"):

        class Bad(NamedTuple):
            x: int = 0
            y: int  # type: ignore[misc]

    with pytest.raises(AttributeError, match="_replace"):

        class Overwrites(NamedTuple):
            x: int

            def _replace(self) -> None: ...  # type: ignore[misc]

    with pytest.raises(TypeError, match="no other base"):

        class Mixed(NamedTuple, int):  # type: ignore[misc]
            x: int
