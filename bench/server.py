"""The tracker as gunicorn serves it, plus two do-nothing endpoints to measure against:

* ``POST /bench/noop``: signed in, CSRF-checked, does nothing: the same request as a
  sale up to the point where the sale begins;
* ``GET /bench/bare``: public, does nothing: what any request costs.

Only the sale benchmark serves this module (``gunicorn bench.server:app``).
"""

from __future__ import annotations

from tracker import create_app
from tracker.web.access import public, signed_in

app = create_app()


@signed_in
def noop():
    return {"ok": True}


@public
def bare():
    return ""


app.add_url_rule("/bench/noop", "bench_noop", noop, methods=["POST"])
app.add_url_rule("/bench/bare", "bench_bare", bare, methods=["GET"])
