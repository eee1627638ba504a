"""`NamedTuple`, as mypy knows it from `typing`, made at run time without typing's check of each field's
annotation and without `collections.namedtuple`'s compiling of a constructor for each class: with `from
__future__ import annotations` every annotation is a string, which typing compiles, and namedtuple compiles
an `__new__` per class; for safepip's few dozen records, on every run, both cost more than the rest of
safepip's start-up work (benchmark row (f) gives the figures). The classes made are tuples with the fields,
methods, properties and docstring of the class statement and what namedtuple gives (`_fields`,
`_field_defaults`, `_make`, `_replace`, `_asdict`, the repr); generic named tuples are not supported.
"""

from __future__ import annotations

__all__ = ["NamedTuple"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    # what a class statement may not define, as typing.NamedTuple forbids it
    PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults", "_make",
         "_replace", "_asdict", "_source"}
    )  # fmt: skip
    SPECIAL = frozenset({"__module__", "__name__", "__annotations__", "__qualname__"})
    MISSING = object()

    class Record(tuple):
        """What every record class shares: namedtuple's constructor (with its errors) and methods, read off
        the class's `_fields` and `_field_defaults`."""

        __slots__ = ()

        def __new__(cls, *args, **kwargs):
            fields = cls._fields
            count = len(fields)
            if len(args) == count and not kwargs:
                return tuple.__new__(cls, args)
            if len(args) > count:
                raise TypeError(f"{cls.__name__}() takes {count} arguments but {len(args)} were given")
            values = [*args, *[MISSING] * (count - len(args))]
            for key, value in kwargs.items():
                try:
                    index = fields.index(key)
                except ValueError:
                    raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}") from None
                if values[index] is not MISSING:
                    raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
                values[index] = value
            for index in range(len(args), count):
                if values[index] is MISSING:
                    if fields[index] not in cls._field_defaults:
                        raise TypeError(f"{cls.__name__}() missing required argument {fields[index]!r}")
                    values[index] = cls._field_defaults[fields[index]]
            return tuple.__new__(cls, values)

        @classmethod
        def _make(cls, iterable):
            made = tuple.__new__(cls, iterable)
            if len(made) != len(cls._fields):
                raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(made)}")
            return made

        def _replace(self, **changes):
            pairs = zip(self._fields, self, strict=True)
            made = self._make([changes.pop(field, value) for field, value in pairs])
            if changes:
                raise ValueError(f"Got unexpected field names: {list(changes)!r}")
            return made

        def __repr__(self):
            pairs = zip(self._fields, self, strict=True)
            return f"{type(self).__name__}({', '.join(f'{f}={v!r}' for f, v in pairs)})"

        def _asdict(self):
            return dict(zip(self._fields, self, strict=True))

        def __getnewargs__(self):
            return tuple(self)

    class NamedTupleType(type):
        def __new__(mcs, name, bases, namespace):
            if not bases:  # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            if bases != (NamedTuple,):
                raise TypeError(f"{name}: a NamedTuple takes no other base class")
            annotations = dict(namespace.get("__annotations__", {}))
            fields = tuple(annotations)
            with_default = [field for field in fields if field in namespace]
            if with_default and list(fields[-len(with_default) :]) != with_default:
                raise TypeError(f"{name}: a field without a default follows one with a default")
            defaults = tuple(namespace[field] for field in with_default)
            body = {
                "__doc__": f"{name}({', '.join(fields)})",
                "__slots__": (),
                "__module__": namespace["__module__"],
                "__qualname__": namespace.get("__qualname__", name),
                "__annotations__": annotations,
                "__match_args__": fields,
                "_fields": fields,
                "_field_defaults": dict(zip(with_default, defaults, strict=True)),
            }
            for index, field in enumerate(fields):
                body[field] = property(
                    lambda self, index=index: self[index], doc=f"Alias for field number {index}"
                )
            for key, value in namespace.items():
                if key in PROHIBITED:
                    raise AttributeError(f"{name}: cannot overwrite NamedTuple attribute {key}")
                if key not in SPECIAL and key not in fields:
                    body[key] = value
            return type(name, (Record,), body)

    class NamedTuple(metaclass=NamedTupleType):
        pass
