"""What a rule yields: a finding, located by its path in the catalogue, and the message helpers rules share."""

from __future__ import annotations

from collections.abc import Iterable

Finding = tuple[tuple[str | int, ...], str]


def choices(known: Iterable[str]) -> str:
    """' (known: a, b, ...)' naming up to twelve of the names a reference could have meant; '' when none."""
    names = sorted(known)
    if not names:
        return ""
    shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
    return f" (known: {shown})"
