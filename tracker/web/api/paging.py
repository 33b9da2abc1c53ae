"""Pages of a list, with a cursor: the client asks for ``limit`` items, gets them and
``next``, an opaque string to send as ``cursor`` for the items after them (null: no
more). The cursor holds the sort key of the page's last item, so a page is found by an
index (keyset pagination): as fast at the millionth item as at the first, and rows
added meanwhile are neither skipped nor shown twice. The ``Link`` header says the same
(RFC 8288, ``rel="next"``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from flask import request, url_for

from tracker.domain.errors import BadRequest, about

T = TypeVar("T")


def read_cursor(cursor: str | None, shape: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key a cursor holds (values of the types in ``shape``: ``int``, ``str``,
    ``date`` or ``datetime``, the last two written in ISO 8601), or None for the first
    page; a cursor that is not one of ours is refused, naming ``cursor``."""
    if cursor is None:
        return None
    with about("cursor"):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error):
            values = None
        key = (
            _key(values, shape) if isinstance(values, list) and len(values) == len(shape) else None
        )
        if key is None:
            raise BadRequest(
                "This cursor is not one the tracker gave: send the `next` of the page before, "
                "or none for the first page."
            )
    return key


def _key(values: list[Any], shape: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The values of a cursor as the types of ``shape``, or None if they are not."""
    key: list[Any] = []
    for value, kind in zip(values, shape, strict=True):
        if kind in (date, datetime):
            if not isinstance(value, str):
                return None
            try:
                read: date = (
                    datetime.fromisoformat(value) if kind is datetime else date.fromisoformat(value)
                )
            except ValueError:
                return None
            if isinstance(read, datetime) and read.tzinfo is None:
                return None  # ours always carry their offset
            key.append(read)
        elif isinstance(value, kind) and not isinstance(value, bool):
            key.append(value)
        else:
            return None
    return tuple(key)


def write_cursor(key: tuple[Any, ...]) -> str:
    values = [v.isoformat() if isinstance(v, date) else v for v in key]
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def page(
    rows: Sequence[T], limit: int, key: Callable[[T], tuple[Any, ...]]
) -> tuple[list[T], str | None]:
    """Of ``limit + 1`` rows read, the page's ``limit`` and the cursor of the rest (None:
    the extra row was not there, nothing follows)."""
    if len(rows) <= limit:
        return list(rows), None
    return list(rows[:limit]), write_cursor(key(rows[limit - 1]))


def link_header(next_cursor: str | None) -> dict[str, str]:
    """The ``Link`` header of a page with more after it."""
    if next_cursor is None or request.endpoint is None:
        return {}
    args = {**(request.view_args or {}), **request.args.to_dict(), "cursor": next_cursor}
    return {"Link": f'<{url_for(request.endpoint, **args)}>; rel="next"'}
