"""Project names as PEP 503 compares them, and regular expressions compiled when first used: `re` is not
imported on an install's way to pip (the benchmark's import costs show what it adds)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import re
    from typing import Any, AnyStr


def normalize(name: str) -> str:
    """`re.sub(r"[-_.]+", "-", name).lower()`, PEP 503's form of a project name."""
    text = name.lower().replace("_", "-").replace(".", "-")
    while "--" in text:
        text = text.replace("--", "-")
    return text


NAME_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


def requirement_name(text: str) -> str | None:
    """The project name a requirement starts with (PEP 508: `[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?`),
    None when it starts with none; read without `re`, whose import would cost more than the rest."""
    end = 0
    while end < len(text) and text[end] in NAME_CHARS:
        end += 1
    name = text[:end].rstrip("._-")
    return name if name and name[0] not in "._-" else None


class LazyPattern:
    """`re.compile(text, flags)`, done when the pattern is first used."""

    def __init__(self, text: str | bytes, flags: int = 0) -> None:
        self.text = text
        self.flags = flags
        self.compiled: Any = None

    def __getattr__(self, name: str) -> Any:
        if self.compiled is None:
            import re

            self.compiled = re.compile(self.text, self.flags)
        return getattr(self.compiled, name)


def pattern(text: AnyStr, flags: int = 0) -> re.Pattern[AnyStr]:
    """A module's regular expression, compiled on first use (as `re.compile` for the type checker)."""
    return LazyPattern(text, flags)  # type: ignore[return-value]
