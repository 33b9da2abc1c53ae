"""The catalogue's pages, on the admin blueprint (``/admin/catalogue``): titles with their
editions (searchable by title, author or ISBN), a title made or changed, an edition made
or changed with its list prices, archived, brought back, or deleted while its copies
never moved. Admins change it; the publisher's other staff and coordinators read it
(``CATALOGUE_READERS``). The rules are the services' (``services.catalogue``), which the
``tracker catalogue`` command shares."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tracker.db import db
from tracker.domain.accounts import CATALOGUE_KEEPERS, CATALOGUE_READERS
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.languages import LANGUAGES
from tracker.domain.money import plain
from tracker.models import Edition, Title
from tracker.queries import catalogue as queries
from tracker.queries.places import list_sections
from tracker.services import catalogue as service
from tracker.web.access import allow
from tracker.web.admin.catalogue_forms import CatalogueSearch, EditionForm, TitleForm
from tracker.web.admin.views import bp
from tracker.web.helpers import actor, form_status, submit


def _title_or_404(title_id: int) -> Title:
    try:
        return service.get_title(db.session, title_id)
    except NotFound:
        abort(404)


def _edition_or_404(edition_id: int) -> Edition:
    try:
        return service.get_edition(db.session, edition_id)
    except NotFound:
        abort(404)


@bp.get("/catalogue")
@allow(*CATALOGUE_READERS)
def catalogue():
    search = CatalogueSearch(request.args)
    valid = search.validate()
    titles = queries.catalogue(db.session, search.q.data if valid else None)
    editions = [e.id for t in titles for e in t.editions]
    return render_template(
        "admin/catalogue.html",
        search=search,
        titles=titles,
        moved=queries.editions_moved(db.session, editions),
    ), (200 if valid else 400)


# -- titles ------------------------------------------------------------------------------------


@bp.route("/catalogue/titles/new", methods=["GET", "POST"])
@allow(*CATALOGUE_KEEPERS)
def new_title():
    form = TitleForm()
    response = submit(
        form,
        lambda: service.create_title(
            db.session,
            actor(),
            name=form.name.data,
            authors=form.author_names(),
            subtitle=form.subtitle.data,
            publisher=form.publisher.data,
        ),
        _title_made,
        on_fields=True,
    )
    return response or (
        render_template("admin/title_form.html", form=form, title=None),
        form_status(form),
    )


def _title_made(title: Title):
    flash(_("%(title)s saved: now add its first edition.", title=title.name), "success")
    return redirect(url_for("admin.new_edition", title_id=title.id))


@bp.route("/catalogue/titles/<int:title_id>/edit", methods=["GET", "POST"])
@allow(*CATALOGUE_KEEPERS)
def edit_title(title_id: int):
    title = _title_or_404(title_id)
    form = TitleForm(
        data={
            "name": title.name,
            "subtitle": title.subtitle,
            "authors": "\n".join(a.name for a in title.authors),
            "publisher": title.publisher,
        }
    )
    response = submit(
        form,
        lambda: service.update_title(
            db.session,
            actor(),
            title.id,
            service.TitleDetails(
                name=form.name.data,
                authors=form.author_names(),
                subtitle=form.subtitle.data,
                publisher=form.publisher.data,
            ),
        ),
        lambda saved: _back_to_catalogue(_("%(title)s saved.", title=saved.name)),
        on_fields=True,
    )
    return response or (
        render_template("admin/title_form.html", form=form, title=title),
        form_status(form),
    )


def _back_to_catalogue(message: str):
    flash(message, "success")
    return redirect(url_for("admin.catalogue"))


# -- editions ----------------------------------------------------------------------------------


def _edition_page(form: EditionForm, title: Title, edition: Edition | None):
    moved = edition is not None and queries.has_moved(db.session, edition.id)
    if moved:
        # The ledger knows its copies by it: shown, not to be changed (the service says
        # so too, to whoever sends another).
        form.isbn.render_kw = {**(form.isbn.render_kw or {}), "readonly": True}
        form.isbn.description = _("Copies of this edition have moved: its ISBN cannot change.")
    return render_template(
        "admin/edition_form.html",
        form=form,
        title=title,
        edition=edition,
        moved=moved,
        languages=sorted(LANGUAGES),
        currencies=sorted({s.currency for s in list_sections(db.session)}),
    ), form_status(form)


@bp.route("/catalogue/titles/<int:title_id>/editions/new", methods=["GET", "POST"])
@allow(*CATALOGUE_KEEPERS)
def new_edition(title_id: int):
    title = _title_or_404(title_id)
    form = EditionForm()
    if not form.is_submitted():
        form.show_prices([])
    response = submit(
        form,
        lambda: service.create_edition(
            db.session,
            actor(),
            title=title,
            isbn=form.isbn.data,
            language=form.language.data,
            format=form.format.data,
            list_price=form.list_price.data,
            currency=form.currency.data,
            published_on=form.published_on.data,
            own_title=form.own_title.data,
            other_prices=form.prices(),
        ),
        lambda made: _back_to_catalogue(
            _("%(edition)s added, ISBN %(isbn)s.", edition=made.label, isbn=made.isbn_display)
        ),
        on_fields=True,
    )
    return response or _edition_page(form, title, None)


@bp.route("/catalogue/editions/<int:edition_id>/edit", methods=["GET", "POST"])
@allow(*CATALOGUE_KEEPERS)
def edit_edition(edition_id: int):
    edition = _edition_or_404(edition_id)
    # What a field not sent keeps (and what the form shows first).
    form = EditionForm(
        data={
            "isbn": edition.isbn_display,
            "language": edition.language,
            "format": edition.format,
            "own_title": edition.own_title,
            "published_on": edition.published_on,
            "list_price": plain(edition.list_price_minor, edition.currency),
            "currency": edition.currency,
        }
    )
    if not form.is_submitted():
        form.show_prices(
            [(p.currency, plain(p.price_minor, p.currency)) for p in edition.other_prices]
        )
    response = submit(
        form,
        lambda: service.update_edition(
            db.session,
            actor(),
            edition.id,
            service.EditionDetails(
                isbn=form.isbn.data,
                language=form.language.data,
                format=form.format.data,
                list_price=form.list_price.data,
                currency=form.currency.data,
                published_on=form.published_on.data,
                own_title=form.own_title.data,
                other_prices=form.prices(),
            ),
        ),
        lambda saved: _back_to_catalogue(_("%(edition)s saved.", edition=saved.label)),
        on_fields=True,
    )
    return response or _edition_page(form, edition.title, edition)


def _act_on_edition(edition_id: int, act, said):
    """Do ``act`` to an edition; back to the catalogue with what ``said`` says of it, or
    with the rule's message."""
    _edition_or_404(edition_id)
    try:
        result = act(db.session, actor(), edition_id)
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.edit_edition", edition_id=edition_id))
    flash(said(result), "success")
    return redirect(url_for("admin.catalogue"))


@bp.post("/catalogue/editions/<int:edition_id>/archive")
@allow(*CATALOGUE_KEEPERS)
def archive_edition(edition_id: int):
    return _act_on_edition(
        edition_id,
        lambda session, who, edition_id: service.set_edition_active(
            session, who, edition_id, False
        ),
        lambda done: (
            _(
                "%(edition)s is archived: forms no longer offer it; its history and reports stay.",
                edition=done[0].label,
            )
            if done[1]
            else _("%(edition)s was already archived.", edition=done[0].label)
        ),
    )


@bp.post("/catalogue/editions/<int:edition_id>/unarchive")
@allow(*CATALOGUE_KEEPERS)
def unarchive_edition(edition_id: int):
    return _act_on_edition(
        edition_id,
        lambda session, who, edition_id: service.set_edition_active(session, who, edition_id, True),
        lambda done: (
            _("%(edition)s is offered on forms again.", edition=done[0].label)
            if done[1]
            else _("%(edition)s was not archived.", edition=done[0].label)
        ),
    )


@bp.post("/catalogue/editions/<int:edition_id>/delete")
@allow(*CATALOGUE_KEEPERS)
def delete_edition(edition_id: int):
    if db.session.get(Edition, edition_id) is None:
        # Sent twice: the first deleted it.
        flash(_("That edition is no longer in the catalogue."), "message")
        return redirect(url_for("admin.catalogue"))
    return _act_on_edition(
        edition_id,
        service.delete_edition,
        lambda label: _("%(edition)s deleted.", edition=label),
    )
