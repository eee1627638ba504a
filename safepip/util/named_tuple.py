"""`NamedTuple`, as mypy knows it from `typing`, made at run time without typing's check of each field's
annotation: with `from __future__ import annotations` every annotation is a string, and typing compiles
each one, which for safepip's records costs more than all of safepip's own start-up work (benchmark row (f)
gives the figure). The classes made are plain `collections.namedtuple` classes with the methods, properties
and docstring of the class statement, as typing makes them; generic named tuples are not supported.
"""

from __future__ import annotations

__all__ = ["NamedTuple"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from collections import namedtuple

    # what a class statement may not define, as typing.NamedTuple forbids it
    PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults", "_make",
         "_replace", "_asdict", "_source"}
    )  # fmt: skip
    SPECIAL = frozenset({"__module__", "__name__", "__annotations__", "__qualname__"})

    class NamedTupleType(type):
        def __new__(mcs, name, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a NamedTuple takes no other base class")
            fields = list(namespace.get("__annotations__", {}))
            with_default = [field for field in fields if field in namespace]
            if with_default and fields[-len(with_default) :] != with_default:
                raise TypeError(f"{name}: a field without a default follows one with a default")
            made = namedtuple(
                name,
                fields,
                defaults=[namespace[field] for field in with_default],
                module=namespace["__module__"],
            )
            made.__annotations__ = dict(namespace.get("__annotations__", {}))
            made.__qualname__ = namespace.get("__qualname__", name)
            for key, value in namespace.items():
                if key in PROHIBITED:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
                if key not in SPECIAL and key not in fields:
                    setattr(made, key, value)
            return made

    class NamedTuple(metaclass=NamedTupleType):
        pass
