"""Paper tallies typed in after the fact: an event's or a store's sales, an event's
signings; a tally's page and its void."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from tracker.db import db
from tracker.domain.accounts import SECTION_RUNNERS
from tracker.domain.errors import BadRequest, DomainError
from tracker.domain.values import parse_whole
from tracker.models import Event, Location, Section, Tally
from tracker.queries import events as event_queries
from tracker.queries import tallies as tally_queries
from tracker.queries.catalogue import list_editions
from tracker.services import tallies
from tracker.services.places import store_of
from tracker.web.access import allow
from tracker.web.events.tally_forms import SalesTallyForm, SigningTallyForm, VoidTallyForm
from tracker.web.events.views import bp, event_or_404
from tracker.web.forms import choices, edition_choice
from tracker.web.helpers import actor, form_status, section_or_404, submit
from tracker.web.inputs import query_id

# Empty lines a new sales tally shows (the address's ``lines`` asks for more).
LINES_SHOWN = 12


@bp.route("/events/<int:event_id>/tally", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def event_tally(event_id: int):
    event = event_or_404(event_id)
    return _sales_tally(event.location, event.section, event)


@bp.route("/sections/<int:section_id>/tally", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def store_tally(section_id: int):
    section = section_or_404(section_id)
    return _sales_tally(store_of(section, query_id("store")), section, None)


def _lines_asked() -> int:
    """How many empty lines to show: the address's ``lines``, 1 to the most a tally takes."""
    raw = request.args.get("lines")
    if raw is None or raw.strip() == "":
        return LINES_SHOWN
    number = parse_whole(raw)
    if number is None or not 1 <= number <= tallies.MAX_TALLY_LINES:
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise BadRequest(
            _(
                "In the address, lines=%(shown)s is not a number of lines from 1 to %(most)s.",
                shown=repr(shown),
                most=tallies.MAX_TALLY_LINES,
            )
        )
    return number


def _sales_tally(place: Location, section: Section, event: Event | None):
    form = SalesTallyForm()
    shown = len(form.lines.entries)
    if not form.is_submitted():
        shown = _lines_asked()
        for _line in range(shown):
            form.lines.append_entry()
    editions = choices(
        [("", _("Choose"))]
        + [(e.id, edition_choice(e, isbn=False)) for e in list_editions(db.session, choosable=True)]
    )
    for entry in form.lines:
        entry.edition_id.choices = editions
    response = submit(
        form,
        lambda: tallies.record_sales_tally(
            db.session,
            actor(),
            location_id=place.id,
            lines=[
                tallies.TallyLine(
                    line.edition_id.data,
                    line.qty.data,
                    line.payment.data,
                    line.condition.data,
                    line.price.data or None,
                )
                for line in (entry.form for entry in form.lines)
                if line.used
            ],
            when=form.when(),
            key=form.submission_key.data,
            note=form.note.data,
        ),
        _recorded,
    )
    return response or (
        render_template(
            "events/tally_form.html",
            form=form,
            place=place,
            section=section,
            event=event,
            more=min(shown + LINES_SHOWN, tallies.MAX_TALLY_LINES),
        ),
        form_status(form),
    )


def _recorded(tally: Tally):
    made = tally_queries.contents(db.session, tally)
    number = f"{made.copies:,}"
    if tally.kind == "signings":
        message = ngettext(
            "Paper tally #%(id)s recorded: %(copies)s copy signed.",
            "Paper tally #%(id)s recorded: %(copies)s copies signed.",
            made.copies,
            id=tally.id,
            copies=number,
        )
    else:
        message = ngettext(
            "Paper tally #%(id)s recorded: %(sales)s sales, %(copies)s copy.",
            "Paper tally #%(id)s recorded: %(sales)s sales, %(copies)s copies.",
            made.copies,
            id=tally.id,
            sales=len(made.sales),
            copies=number,
        )
    flash(message, "success")
    if tally.event_id is not None:
        return redirect(url_for("events.report", event_id=tally.event_id))
    return redirect(url_for("events.tally", tally_id=tally.id))


@bp.route("/events/<int:event_id>/signing-tally", methods=["GET", "POST"])
@allow(*SECTION_RUNNERS)
def signing_tally(event_id: int):
    event = event_or_404(event_id)
    form = SigningTallyForm()
    form.authors.choices = choices((a.id, a.name) for a in event_queries.list_authors(db.session))
    editions = {str(e.id): e for e in list_editions(db.session)}
    if not form.is_submitted():
        for edition in list_editions(db.session, choosable=True):
            form.lines.append_entry({"edition_id": str(edition.id)})
    response = submit(
        form,
        lambda: tallies.record_signing_tally(
            db.session,
            actor(),
            event_id=event.id,
            lines=[
                tallies.SignedCopies(entry.edition_id.data, entry.qty.data)
                for entry in (e.form for e in form.lines)
                if entry.qty.data is not None
            ],
            when=form.when(),
            author_ids=form.authors.data,
            key=form.submission_key.data,
            note=form.note.data,
        ),
        _recorded,
    )
    return response or (
        render_template(
            "events/signing_tally_form.html", form=form, event=event, editions=editions
        ),
        form_status(form),
    )


def _tally_or_404(tally_id: int) -> Tally:
    try:
        return tallies.get_tally(db.session, actor(), tally_id)
    except DomainError:
        abort(404)


@bp.get("/tallies/<int:tally_id>")
@allow(*SECTION_RUNNERS)
def tally(tally_id: int):
    return _tally_page(_tally_or_404(tally_id), VoidTallyForm(formdata=None))


def _tally_page(record: Tally, form: VoidTallyForm, status: int = 200):
    return render_template(
        "events/tally.html",
        tally=record,
        made=tally_queries.contents(db.session, record),
        form=form,
    ), status


@bp.post("/tallies/<int:tally_id>/void")
@allow(*SECTION_RUNNERS)
def void_tally(tally_id: int):
    record = _tally_or_404(tally_id)
    form = VoidTallyForm()
    response = submit(
        form,
        lambda: tallies.void_tally(db.session, actor(), record.id, form.reason.data),
        _voided,
    )
    return response or _tally_page(record, form, 422)


def _voided(record: Tally):
    flash(_("Paper tally #%(id)s voided: its copies are back.", id=record.id), "success")
    return redirect(url_for("events.tally", tally_id=record.id))
