"""The JSON API, ``/api/v1``: what other programs (the publisher's web shop, a
section's website, a spreadsheet's script) read and write.

One blueprint, ``api``, one module per area (``stock``, ``sales``...), each view marked
``@api`` (errors are RFC 9457 problem details) and declared with ``@document``, which
validates the request with its pydantic models and puts the operation in the OpenAPI
3.1 document (``/api/v1/openapi.json``, generated from the views by SpecTree; read as a
page at ``/api/v1/docs``). What every view shares:

* who asks (``tracker.web.api.auth``): a personal access token (``Authorization:
  Bearer ...``) or the browser's session (with its CSRF token on writes); neither: 401;
* writes carry an ``Idempotency-Key`` (``tracker.web.api.idempotency``);
* lists are pages with a cursor (``tracker.web.api.paging``);
* money is a decimal string with its currency; moments are ISO 8601 with their offset
  (``tracker.web.api.schemas``).

The rules stay in the services and queries: a view reads the request into their
shapes, calls one of them, and writes the answer.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PREFIX = "/api/v1"
