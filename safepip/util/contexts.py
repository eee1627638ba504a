"""`contextlib.contextmanager`, for the few context managers on an install's way to pip (the target's lock,
the private temp dir): `contextlib` imports `collections` and `functools` with it, which costs more than
safepip's own modules together (the benchmark's import costs show it). The type checker sees contextlib's.

A generator that yields once: the code before the yield runs on entry, the rest on exit; an exception in the
block is raised at the yield, where the generator's `try/finally` and `except` see it as in contextlib.
"""

from __future__ import annotations

__all__ = ["contextmanager"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextlib import contextmanager
else:

    class GeneratorContext:
        def __init__(self, generator):
            self.generator = generator

        def __enter__(self):
            try:
                return next(self.generator)
            except StopIteration:
                raise RuntimeError("generator didn't yield") from None

        def __exit__(self, kind, value, traceback):
            if kind is None:
                try:
                    next(self.generator)
                except StopIteration:
                    return False
                raise RuntimeError("generator didn't stop")
            if value is None:
                value = kind()
            try:
                self.generator.throw(value)
            except StopIteration as stopped:
                return stopped is not value  # the generator caught the exception: it is suppressed
            except BaseException as raised:
                if isinstance(value, StopIteration) and raised.__cause__ is value:  # PEP 479's wrapping
                    raised = value
                if raised is value:
                    raised.__traceback__ = traceback
                    return False
                raise
            raise RuntimeError("generator didn't stop after throw()")

    def contextmanager(function):
        def make(*args, **kwargs):
            return GeneratorContext(function(*args, **kwargs))

        make.__name__, make.__qualname__, make.__doc__ = (
            function.__name__,
            function.__qualname__,
            function.__doc__,
        )
        make.__module__, make.__wrapped__ = function.__module__, function
        return make
