"""The OpenAPI document, generated from the views: SpecTree reads each view's pydantic
models (query, body, answers) and writes them as an OpenAPI 3.1 document, whose
schemas are pydantic's JSON Schema 2020-12, the dialect OpenAPI 3.1 uses. The same
models check each request before the view runs.

Why SpecTree: it decorates plain Flask views on a plain blueprint (no other app class,
no other way of routing, so the access rules, CSRF and problem details of the rest of
the tracker apply unchanged), it uses pydantic 2 for both the checks and the schemas,
it writes OpenAPI 3.1, and it is small and kept up. Its own documentation pages load
scripts from CDNs, which the tracker's Content Security Policy forbids: they are not
registered; ``/api/v1/docs`` renders the document as a plain page instead.

``document(...)`` declares a view: its models, its answers, its tag. The problems
every operation may answer (401, 403, 404, 422, 429...) are added to each operation,
with their media type, ``application/problem+json``, when the document is written
(``openapi()``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Response, current_app, request
from pydantic import BaseModel, ValidationError
from spectree import Response as Answers
from spectree import SecurityScheme, SpecTree
from spectree.models import InType, SecureType, SecuritySchemeData

from tracker.web.api.schemas import Problem, ValidationProblem

F = TypeVar("F", bound=Callable[..., Any])

IDEMPOTENCY_KEY = "Idempotency-Key"
# What a key may be: 1 to 255 visible ASCII characters (a UUID is one).
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"


class InvalidRequest(Exception):
    """The request does not fit the operation's models: 422, naming each field."""

    def __init__(self, error: ValidationError, where: str):
        super().__init__(str(error))
        self.error = error
        self.where = where


def _refuse_invalid(_request: Any, _response: Any, error: Exception | None, *_: Any) -> None:
    """SpecTree's hook before the view: a request that failed its models is refused as a
    problem naming the fields (``tracker.web.api.errors``), not SpecTree's own answer."""
    if isinstance(error, ValidationError):
        raise InvalidRequest(error, "query" if _in_query(error) else "body")


def _in_query(error: ValidationError) -> bool:
    return getattr(error, "title", "").endswith("Query")


spec = SpecTree(
    "flask",
    mode="strict",
    annotations=False,
    title="Book tracker API",
    version="1",
    description=(
        "Stock, shipments, events, sales and statements of the book tracker. "
        "Authenticate with a personal access token (made on your account page) in "
        "`Authorization: Bearer ...`. Every write takes an `Idempotency-Key` header: the "
        "same key sent again gets the first answer. Lists are pages: follow `next` (or "
        "the `Link` header) until it is null. Money is a decimal string with its "
        "currency; moments are ISO 8601 with their offset. Errors are RFC 9457 problem "
        "details that name the field they are about."
    ),
    # SpecTree leaves out the routes under its own pages' path; they are never registered.
    path="api/v1/spectree",
    # Schemas named as their models (SpecTree adds a hash of the module by default).
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    page_templates={},
    before=_refuse_invalid,
    validation_error_status=422,
    security_schemes=[
        SecurityScheme(
            name="token",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="A personal access token."
            ),
        ),
        SecurityScheme(
            name="session",
            data=SecuritySchemeData(
                type=SecureType.API_KEY,
                field_in=InType.COOKIE,
                name="session",
                description="The browser's session (writes also need X-CSRFToken).",
            ),
        ),
    ],
    security=[{"token": []}, {"session": []}],
)

# The problems any operation may answer, besides its own.
_COMMON_PROBLEMS = {
    "400": "The request cannot be read: a control character in the address, a cursor "
    "that is not one the tracker gave, no Idempotency-Key on a write...",
    "401": "Neither a valid token nor a session.",
    "403": "The token or its owner may not do this.",
    "429": "Too many requests for this token: wait as Retry-After says.",
    "503": "The database cannot serve now: nothing was written; send it again later.",
}
_WRITE_PROBLEMS = {
    "409": "A rule refused it (not enough copies, a closed period, a key in use...).",
    "413": "The body is too large.",
    "415": "The body is not JSON.",
}


def document(
    *,
    tag: str,
    query: type[BaseModel] | None = None,
    body: type[BaseModel] | None = None,
    answers: dict[int, type[BaseModel] | None],
    problems: Iterable[int] = (),
) -> Callable[[F], F]:
    """Declare an API view: the models that check its query and body, its answers by
    status (None: no body), and the problems it answers besides the common ones (404,
    409...). Every POST is a write, and takes an ``Idempotency-Key``. The operation's id
    is the view's name (``create_shipment``)."""
    codes: dict[str, Any] = {f"HTTP_{status}": model for status, model in answers.items()}
    for status in {422, *problems}:
        codes.setdefault(f"HTTP_{status}", ValidationProblem if status == 422 else Problem)

    def declare(view: F) -> F:
        validate = spec.validate(
            query=query, json=body, resp=Answers(**codes), tags=[tag], operation_id=view.__name__
        )
        return validate(view)

    return declare


# What a client may do next with what an operation answered (OpenAPI links): the
# operation, the status of its answer, the path parameter the answer's ``id`` fills,
# and the operations that take it. Schemathesis follows them in its stateful tests.
LINKS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "create_shipment": (
        "201",
        "shipment",
        ("shipment", "dispatch_shipment", "cancel_shipment", "receive_shipment"),
    ),
    "dispatch_shipment": ("200", "shipment", ("shipment", "receive_shipment")),
    "receive_shipment": ("200", "shipment", ("shipment",)),
    "create_transfer": ("201", "transfer", ("get_transfer",)),
    "create_write_off": ("201", "write_off", ("get_write_off",)),
}


def _link(operations: dict[str, dict[str, Any]]) -> None:
    for source, (status, parameter, targets) in LINKS.items():
        response = operations[source]["responses"][status]
        response["links"] = {
            target: {"operationId": target, "parameters": {parameter: "$response.body#/id"}}
            for target in targets
        }


def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API as it runs: SpecTree's, with the common
    problems, the problems' media type and the Idempotency-Key header added."""
    document_ = copy.deepcopy(spec.spec)
    document_["servers"] = [{"url": "/"}]
    cookie = document_["components"]["securitySchemes"]["session"]
    cookie["name"] = current_app.config["SESSION_COOKIE_NAME"]
    for path_item in document_["paths"].values():
        for method, operation in path_item.items():
            responses = operation["responses"]
            extra = dict(_COMMON_PROBLEMS)
            if method in {"post", "put", "patch", "delete"}:
                extra |= _WRITE_PROBLEMS
            for status, description in extra.items():
                responses.setdefault(
                    status,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": _ref("Problem")}},
                    },
                )
            for status, response in responses.items():
                if status.startswith(("4", "5")) and "content" in response:
                    response["content"] = {
                        "application/problem+json": next(iter(response["content"].values()))
                    }
            if method == "post":
                operation.setdefault("parameters", []).append(_idempotency_parameter())
    _link(
        {
            operation["operationId"]: operation
            for path_item in document_["paths"].values()
            for operation in path_item.values()
        }
    )
    return document_


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _idempotency_parameter() -> dict[str, Any]:
    return {
        "name": IDEMPOTENCY_KEY,
        "in": "header",
        "required": True,
        "description": (
            "A key the client makes for this write (a UUID): the same key sent again "
            "with the same request gets the first answer; with another request, 422."
        ),
        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
    }


def sent_query() -> Any:
    """The request's query, as the operation's query model read it."""
    return request.context.query  # type: ignore[attr-defined]


def sent_body() -> Any:
    """The request's body, as the operation's body model read it."""
    return request.context.json  # type: ignore[attr-defined]


def answer(body: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer of ``body`` (a model of the operation's answers), its fields by
    their JSON names (``from``, where Python needs another)."""
    return current_app.response_class(
        body.model_dump_json(by_alias=True),
        status=status,
        mimetype="application/json",
        headers=headers,
    )
