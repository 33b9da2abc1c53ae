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
from typing import Any, TypeVar

from flask import request, url_for

from tracker.domain.errors import BadRequest, about

T = TypeVar("T")


def read_cursor(cursor: str | None, shape: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key a cursor holds (values of the types in ``shape``), or None for the
    first page; a cursor that is not one of ours is refused, naming ``cursor``."""
    if cursor is None:
        return None
    with about("cursor"):
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        except (ValueError, UnicodeError, binascii.Error):
            values = None
        if (
            not isinstance(values, list)
            or len(values) != len(shape)
            or not all(
                isinstance(v, kind) and not isinstance(v, bool)
                for v, kind in zip(values, shape, strict=True)
            )
        ):
            raise BadRequest(
                "This cursor is not one the tracker gave: send the `next` of the page before, "
                "or none for the first page."
            )
    return tuple(values)


def write_cursor(key: tuple[Any, ...]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


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
