"""What the forms of every area share."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def optional_int(value: object) -> int | None:
    """Coerce a select's value: '' (no choice) is None, anything not a number too."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(str(value), label) for value, label in pairs]
