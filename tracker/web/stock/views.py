"""Where the stock is: by country and location, one location, one document."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from tracker.db import db
from tracker.queries.catalogue import list_editions
from tracker.queries.places import get_document, location_with_code
from tracker.queries.stock import (
    document_moves,
    document_section_ids,
    location_balances,
    location_moves,
    stock_overview,
)
from tracker.web.access import require_section, section_scope, signed_in
from tracker.web.helpers import keyset_page
from tracker.web.inputs import query_id

bp = Blueprint("stock", __name__)


@bp.get("/")
@signed_in
def home():
    editions = list_editions(db.session)
    edition_id = query_id("edition")
    edition = next((e for e in editions if e.id == edition_id), None)
    if edition_id is not None and edition is None:
        abort(404)
    overview = stock_overview(
        db.session, edition.id if edition else None, section_id=section_scope()
    )
    return render_template("stock/home.html", overview=overview, editions=editions, edition=edition)


@bp.get("/locations/<code>")
@signed_in
def location(code: str):
    place = location_with_code(db.session, code)
    if place is None:
        abort(404)
    require_section(place.section_id)
    before = query_id("before", big=True)
    limit = current_app.config["MOVES_PER_PAGE"]
    page = keyset_page(
        location_moves(db.session, place.id, before_id=before, limit=limit + 1),
        limit,
        lambda move: move.id,
    )
    return render_template(
        "stock/location.html",
        location=place,
        balances=location_balances(db.session, place.id),
        moves=page.rows,
        older=page.older,
    )


@bp.get("/documents/<int:document_id>")
@signed_in
def document(document_id: int):
    doc = get_document(db.session, document_id)
    if doc is None:
        abort(404)
    scope = section_scope()
    if scope is not None and scope not in document_section_ids(db.session, doc.id):
        abort(404)
    return render_template(
        "stock/document.html", document=doc, moves=document_moves(db.session, doc.id)
    )
