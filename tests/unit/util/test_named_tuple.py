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


@pytest.mark.parametrize(
    "args, kwargs",
    [((1, 2, "a", 4), {}), ((), {}), ((1,), {"x": 2}), ((1,), {"z": 2}), ((), {"y": 1})],
    ids=["too many", "none", "twice", "unknown", "required missing"],
)
def test_a_wrong_call_is_a_type_error_as_with_typing(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    for kind in (Point, TypingPoint):
        with pytest.raises(TypeError):
            kind(*args, **kwargs)


def test_make_replace_copy_and_match_as_with_typing() -> None:
    import copy
    import pickle

    for kind in (Point, TypingPoint):
        point = kind._make([1, 2, None])
        assert point._replace(y=5) == kind(1, 5)
        with pytest.raises(ValueError, match="unexpected field names"):
            point._replace(z=1)
        with pytest.raises(TypeError):
            kind._make([1])
        assert copy.deepcopy(point) == point and type(copy.copy(point)) is kind
        assert pickle.loads(pickle.dumps(point)) == point
        match point:
            case kind(x, y):  # type: ignore[misc]
                assert (x, y) == (1, 2)
            case _:
                pytest.fail("__match_args__")
        assert kind(y=3, x=1) == (1, 3, None) and kind(1, label="b") == (1, 0, "b")
