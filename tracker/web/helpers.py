"""What the views share: who is asking, a form sent through a service, where a document
is shown best, keyset pages, and whether the client wants JSON."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import flash, redirect, request, url_for
from flask_login import current_user

from tracker.db import db
from tracker.domain.accounts import Actor
from tracker.domain.errors import DomainError

T = TypeVar("T")


def actor() -> Actor:
    """The logged-in person, as the services take them."""
    return current_user._get_current_object()


def section_or_404(section_id: int):
    """A section the current user may see, with its places (its store is the one a
    page sells from), or 404: to a treasurer, another section does not exist."""
    from flask import abort

    from tracker.queries.places import section_with_places
    from tracker.web.access import require_section

    section = section_with_places(db.session, section_id)
    if section is None:
        abort(404)
    require_section(section.id)
    return section


def scoped_sections(*, open_only: bool = False) -> list:
    """The sections the current user may choose from: every one, or a treasurer's own;
    without the archived ones when ``open_only`` (a form that makes something new)."""
    from tracker.queries.places import list_sections
    from tracker.web.access import section_scope

    return list_sections(db.session, section_scope(), open_only=open_only)


def wants_json() -> bool:
    """Whether the client asked for JSON rather than a page (the sale screen's script,
    a monitor): it prefers application/json to text/html."""
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


@dataclass
class Page:
    """One page of a list, newest first, and the address arguments of the next."""

    rows: list
    older: dict | None


def keyset_page(rows: Sequence[T], limit: int, key: Callable[[T], object], **args: object) -> Page:
    """A page of ``limit`` rows from ``limit + 1`` read: the extra row only says there
    are older ones; ``older`` holds the address arguments (``before``: the last row's
    key, and ``args``) that show them."""
    if len(rows) <= limit:
        return Page(list(rows), None)
    return Page(list(rows[:limit]), {**args, "before": key(rows[limit - 1])})


def other_args(*drop: str) -> dict[str, str]:
    """The address's arguments but ``drop`` (a pager's ``before``, an export's
    ``format``)."""
    return {k: v for k, v in request.args.items() if k not in drop}


def document_url(document_id: int) -> str:
    """The page that shows a document best: a shipment's own page for a shipment or
    its receipts, a stocktake's report, a paper tally's page, else the document's moves."""
    from tracker.queries.stock import where_shown

    kind, shown_id = where_shown(db.session, document_id)
    if kind == "shipment":
        return url_for("shipments.detail", shipment_id=shown_id)
    if kind == "stocktake":
        return url_for("movements.stocktake", document_id=shown_id)
    if kind == "tally":
        return url_for("events.tally", tally_id=shown_id)
    return url_for("stock.document", document_id=shown_id)


def submit(form: Any, action: Any, done: Any, *, on_fields: bool = False) -> Any:
    """Validate a posted form and run ``action()``; answer ``done(result)``.

    A form sent before lands on what it made. A rule that refuses rolls everything back
    and shows its message on the form (``on_fields``: on the field it is about, when the
    service named one of the form's fields: ``DomainError.field``): the caller then
    renders the form again (with status 422 when it was submitted). Returns None in that
    case.
    """
    from tracker.services.documents import AlreadySubmitted

    if not form.validate_on_submit():
        return None
    try:
        result = action()
    except AlreadySubmitted as earlier:
        db.rollback()
        flash("This form was already sent: here is what it recorded.", "message")
        if earlier.kind == "event":
            return redirect(url_for("events.detail", event_id=earlier.document_id))
        return redirect(document_url(earlier.document_id))
    except DomainError as error:
        db.rollback()
        field = field_named(form, error.field) if on_fields else None
        (form.form_errors if field is None else field.errors).append(error.message)
        return None
    return done(result)


def field_named(form: Any, path: str | None) -> Any:
    """The field of ``form`` a service's name for a value points at (``isbn``,
    ``other_prices[1].currency``: a line's field), or None."""
    if not path:
        return None
    field: Any = form
    for part in path.split("."):
        name, _bracket, index = part.partition("[")
        field = _subfield(field, name)
        if field is not None and index:
            entries = getattr(field, "entries", [])
            number = index.rstrip("]")
            field = (
                entries[int(number)] if number.isdigit() and int(number) < len(entries) else None
            )
        if field is None:
            return None
    # A field of its own (a list of lines shows no message of its own).
    alone = isinstance(getattr(field, "errors", None), list) and not hasattr(field, "entries")
    return field if alone else None


def _subfield(container: Any, name: str) -> Any:
    fields = getattr(container, "form", container)  # a line (FormField) holds a form
    try:
        return fields[name]
    except (KeyError, TypeError):
        return None


def form_status(form: Any) -> int:
    """422 for a form sent back with errors, 200 for a form shown."""
    return 422 if form.is_submitted() else 200
