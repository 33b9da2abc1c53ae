"""What comes in over HTTP, read by the domain's rules (``tracker.domain.values``):

* ids in paths: ``<int:...>`` is this module's converter, so an id that is not one
  matches no route (404) rather than reaching the database with a number it cannot
  hold; in a query string, ``query_id`` refuses it with a message naming the argument
  (400);
* a path or query string holding a control character (NUL...) is refused (400) before
  any view reads it.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from tracker.domain.errors import BadRequest
from tracker.domain.text import control_character
from tracker.domain.values import MAX_ID, id_problem, parse_id
from tracker.domain.words import say


def query_id(name: str, *, big: bool = False) -> int | None:
    """The id in the query string's ``name`` (None when absent or empty); a 400 that
    names the argument when it is not an id."""
    raw = request.args.get(name)
    if raw is None or raw.strip() == "":
        return None
    number = parse_id(raw, big=big)
    if number is None:
        raise BadRequest(say("In the address, %(problem)s", problem=id_problem(name, raw)))
    return number


class IdConverter(IntegerConverter):
    """``<int:...>`` in a route: ASCII digits from 1 to the largest 32-bit id. Anything
    else matches no route, so the address answers 404 rather than reaching the
    database with a number it cannot hold."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int = 1, max: int = MAX_ID) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max)


def _refuse_control_characters() -> None:
    places: list[tuple[str | None, str]] = [(None, request.path)]
    for name, values in request.args.lists():
        named = None if control_character(name) else name
        places += [(named, text) for text in [name, *values]]
    for index, (key, value) in enumerate(places):
        # Tabs and line breaks are harmless in an address (and come in pasted links).
        bad = control_character(value, multiline=index > 0)
        if not bad:
            continue
        if index == 0:
            problem = say(
                "The address holds a control character (%(bad)s) in its path: check the link "
                "or what was typed into it.",
                bad=bad,
            )
        elif key is None:
            problem = say(
                "The address holds a control character (%(bad)s) in its query: check the "
                "link or what was typed into it.",
                bad=bad,
            )
        else:
            problem = say(
                "The address holds a control character (%(bad)s) in its %(key)s= argument: "
                "check the link or what was typed into it.",
                bad=bad,
                key=key,
            )
        raise BadRequest(problem)


def init_app(app: Flask) -> None:
    # Before any route is added: the rules take the converter when they are made.
    app.url_map.converters["int"] = IdConverter
    app.before_request(_refuse_control_characters)
