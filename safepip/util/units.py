"""Sizes as people write and read them: `500M`, `2G`, `1.5 GiB`."""

from __future__ import annotations

UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
MAX_SIZE = 1 << 60  # an exabyte: anything above is a typo, not a disk


def parse_size(text: str) -> int:
    """`1073741824`, `1G`, `500M`, `64k`, `1.5GiB`: binary units, as df -h shows them. ValueError for
    anything else, a negative, non-finite or absurd size included."""
    import math  # only for --min-tmp-space

    number = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = number[-1:] if number[-1:] in UNITS and number[-1:] else ""
    value = float(number[: len(number) - len(unit)])  # ValueError for "", "abc"
    if not math.isfinite(value) or value < 0 or value * UNITS[unit] > MAX_SIZE:
        raise ValueError(text)
    return int(value * UNITS[unit])


def format_bytes(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
