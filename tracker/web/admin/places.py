"""For admins: sections (list, new, edit, archive and bring back) and places (the
warehouse and the sections' stores, with their postal addresses: new, edit, archive).
The same services make sections and stores from the command line."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from tracker.db import db
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.places import LocationKind
from tracker.domain.regions import country_name
from tracker.models import Location, Section
from tracker.queries.places import (
    get_section,
    list_sections,
    section_accounts,
    sections_overview,
    warehouses,
)
from tracker.services import places
from tracker.web.access import allow
from tracker.web.admin.place_forms import NewSectionForm, NewStoreForm, PlaceForm, SectionForm
from tracker.web.admin.views import bp
from tracker.web.forms import reader_locale
from tracker.web.helpers import actor, form_status, submit
from tracker.web.inputs import query_id


def _countries(sections: list[Section]) -> dict[str, str]:
    """The sections' countries' names in the reader's language."""
    locale = reader_locale()
    return {
        s.country_code: country_name(s.country_code, locale) or s.country_code for s in sections
    }


def _section_or_404(section_id: int) -> Section:
    section = get_section(db.session, section_id)
    if section is None:
        abort(404)
    return section


# -- sections ------------------------------------------------------------------------------------


@bp.get("/sections")
@allow(Role.ADMIN)
def sections():
    rows = sections_overview(db.session)
    return render_template(
        "admin/sections.html", rows=rows, countries=_countries([r.section for r in rows])
    )


def _details(form: SectionForm) -> places.SectionDetails:
    return places.SectionDetails(
        name=form.name.data,
        country_code=form.country_code.data,
        currency=form.currency.data,
        language=form.language.data,
        time_zone=form.time_zone.data,
        contact_name=form.contact_name.data,
        contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data,
    )


@bp.route("/sections/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_section():
    form = NewSectionForm()
    form.set_choices()

    def made(section: Section):
        flash(
            _("Section %(section)s made, with its store and its places.", section=section.name),
            "success",
        )
        return redirect(url_for("admin.edit_section", section_id=section.id))

    details = _details(form)
    response = submit(
        form,
        lambda: places.create_section(
            db.session,
            actor(),
            name=details.name or "",
            country_code=details.country_code or "",
            currency=details.currency or "",
            code=form.code.data or None,
            store_name=form.store_name.data or None,
            store_address=form.store_address.data,
            language=details.language,
            time_zone=details.time_zone,
            contact_name=details.contact_name,
            contact_email=details.contact_email,
            contact_phone=details.contact_phone,
        ),
        made,
    )
    return response or (
        render_template("admin/section_form.html", form=form, section=None),
        form_status(form),
    )


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_section(section_id: int):
    section = _section_or_404(section_id)
    form = SectionForm(obj=section)
    form.set_choices(section.currency, section.time_zone)

    def saved(changed: Section):
        flash(_("Section %(section)s saved.", section=changed.name), "success")
        return redirect(url_for("admin.sections"))

    response = submit(
        form, lambda: places.update_section(db.session, actor(), section.id, _details(form)), saved
    )
    if response:
        return response
    return (
        render_template(
            "admin/section_form.html",
            form=form,
            section=section,
            accounts=section_accounts(db.session, section.id),
            stores=[loc for loc in section.locations if loc.kind == LocationKind.SECTION_STORE],
            currency_fixed=places.money_recorded(db.session, section.id),
        ),
        form_status(form),
    )


def _archive(section_id: int, archived: bool):
    try:
        section = places.set_archived(db.session, actor(), section_id, archived)
    except NotFound:
        raise
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
    else:
        if archived:
            flash(
                _(
                    "Section %(section)s archived: it is offered nowhere new; its history "
                    "and reports stay.",
                    section=section.name,
                ),
                "success",
            )
        else:
            flash(_("Section %(section)s is back in use.", section=section.name), "success")
    return redirect(url_for("admin.sections"))


@bp.post("/sections/<int:section_id>/archive")
@allow(Role.ADMIN)
def archive_section(section_id: int):
    return _archive(section_id, True)


@bp.post("/sections/<int:section_id>/unarchive")
@allow(Role.ADMIN)
def unarchive_section(section_id: int):
    return _archive(section_id, False)


# -- places --------------------------------------------------------------------------------------


@bp.get("/places")
@allow(Role.ADMIN)
def places_list():
    rows = sections_overview(db.session)
    return render_template(
        "admin/places.html",
        warehouses=warehouses(db.session),
        rows=rows,
        countries=_countries([r.section for r in rows]),
    )


def _place_saved(place: Location, message: str):
    flash(message, "success")
    return redirect(url_for("admin.places_list", _anchor=f"place-{place.id}"))


@bp.route("/places/new", methods=["GET", "POST"])
@allow(Role.ADMIN)
def new_store():
    form = NewStoreForm()
    form.set_sections(list_sections(db.session, open_only=True))
    if not form.is_submitted():
        form.section_id.data = query_id("section")
    response = submit(
        form,
        lambda: places.create_store(
            db.session,
            actor(),
            section_id=form.section_id.data,
            code=form.code.data or "",
            name=form.name.data or "",
            address=form.address.data,
        ),
        lambda store: _place_saved(store, _("Store %(place)s made.", place=store.label)),
    )
    return response or (
        render_template("admin/place_form.html", form=form, place=None),
        form_status(form),
    )


@bp.route("/places/<int:location_id>/edit", methods=["GET", "POST"])
@allow(Role.ADMIN)
def edit_place(location_id: int):
    place = places.edited_place(db.session, location_id)
    form = PlaceForm(obj=place)
    response = submit(
        form,
        lambda: places.update_place(
            db.session,
            actor(),
            place.id,
            code=form.code.data or "",
            name=form.name.data or "",
            address=form.address.data,
        ),
        lambda saved: _place_saved(saved, _("%(place)s saved.", place=saved.label)),
    )
    return response or (
        render_template("admin/place_form.html", form=form, place=place),
        form_status(form),
    )


def _set_place_active(location_id: int, active: bool):
    try:
        place = places.set_place_active(db.session, actor(), location_id, active)
    except NotFound:
        raise
    except DomainError as error:
        db.rollback()
        flash(error.message, "error")
        return redirect(url_for("admin.places_list"))
    if active:
        message = _("%(place)s is open again.", place=place.label)
    else:
        message = _("%(place)s archived: shipments no longer go there.", place=place.label)
    return _place_saved(place, message)


@bp.post("/places/<int:location_id>/archive")
@allow(Role.ADMIN)
def archive_place(location_id: int):
    return _set_place_active(location_id, False)


@bp.post("/places/<int:location_id>/reopen")
@allow(Role.ADMIN)
def reopen_place(location_id: int):
    return _set_place_active(location_id, True)
