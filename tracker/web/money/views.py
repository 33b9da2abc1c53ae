"""Money: section statements, prices, remittances, balances in one currency, rates."""

from __future__ import annotations

from datetime import date, datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from tracker.db import db
from tracker.domain.accounts import RATE_KEEPERS, SECTION_RUNNERS, Role
from tracker.domain.errors import DomainError
from tracker.domain.money import from_minor, plain
from tracker.domain.words import day
from tracker.models import ExchangeRate, Remittance, Section
from tracker.queries import statements
from tracker.queries.catalogue import list_editions
from tracker.queries.prices import (
    list_prices_in,
    list_rates,
    list_remittances,
    section_prices,
)
from tracker.services import prices as prices_service
from tracker.services import rates as rates_service
from tracker.services import remittances as remittances_service
from tracker.web.access import READERS, allow, has_role, section_scope, signed_in
from tracker.web.exports import Heading, column, export, requested_format, worded
from tracker.web.forms import choices, payment_word
from tracker.web.helpers import actor, form_status, scoped_sections, section_or_404, submit
from tracker.web.money.forms import PricesForm, RateForm, RemittanceForm

bp = Blueprint("money", __name__)

PUBLISHER_SIDE = (Role.ADMIN, Role.DISTRIBUTOR, Role.COORDINATOR)
SECTION_SIDE = SECTION_RUNNERS


@bp.get("/money")
@signed_in
def index():
    """A treasurer's money is their section's statement; everyone else starts with the
    balances of every section."""
    if section_scope() is not None:
        return redirect(url_for("money.statement", section_id=section_scope()))
    return redirect(url_for("money.balances"))


@bp.get("/sections/<int:section_id>/statement")
@signed_in
def statement(section_id: int):
    section = section_or_404(section_id)
    data = statements.section_statement(db.session, section.id)
    if requested_format():
        return export(
            f"statement-{section.name}",
            [column("part"), column("item"), column("value"), column("currency")],
            _statement_rows(data),
        )
    return render_template(
        "money/statement.html", statement=data, section=section, ages=statements.AGES
    )


# The figures of each edition in a statement's export, by their attribute: each one's
# word, in CSV as it always was, in XLSX in the reader's language.
_STATEMENT_FIGURES = {
    "received": column("received"),
    "received_firm": column("received firm"),
    "received_sor": column("received sor"),
    "returned": column("returned"),
    "sold_unsigned": column("sold unsigned"),
    "sold_signed": column("sold signed"),
    "on_hand_unsigned": column("on hand unsigned"),
    "on_hand_signed": column("on hand signed"),
    "signed": column("signed"),
    "written_off": column("written off"),
}


def _figure_of(label: str, figure: Heading) -> Heading:
    """An edition's figure: "<label>: received firm" in CSV, as it always was; in XLSX
    one pattern of the reader's language."""
    return worded(
        f"{label}: {figure}",
        lambda: _("%(edition)s: %(figure)s", edition=label, figure=figure.said()),
    )


def _paid_by(method: str) -> Heading:
    """How takings were paid: ``bank transfer`` in CSV, the reader's word in XLSX."""
    return worded(method.replace("_", " "), lambda: payment_word(method))


def _statement_rows(data: statements.Statement) -> list[list]:
    """The statement as the export's rows. Its words (the parts, the figures, how
    takings were paid, the ages) are the same keys for everyone in CSV, the reader's
    words in XLSX."""
    cur = data.currency
    rows: list[list] = []
    copies = column("copies")
    for e in data.editions:
        label = e.edition.label
        for name, figure in _STATEMENT_FIGURES.items():
            rows.append([copies, _figure_of(label, figure), getattr(e, name), ""])
    takings = column("takings")
    rows += [[takings, _paid_by(m), from_minor(v, cur), cur] for m, v in data.takings.items()]
    owed = column("owed")
    rows += [[owed, d.what, from_minor(d.amount_minor, cur), cur] for d in data.debts]
    for part, remittances in (
        (column("remitted"), data.confirmed),
        (column("awaiting confirmation"), data.pending),
    ):
        rows += [
            [part, f"{r.sent_on} {r.reference or ''}".strip(), from_minor(r.amount_minor, cur), cur]
            for r in remittances
        ]
    outstanding = column("outstanding")
    rows += [[outstanding, column("total"), from_minor(data.outstanding_minor, cur), cur]]
    # The ages are the domain's words (AGES), which the statement's page says too.
    rows += [[outstanding, column(age), from_minor(v, cur), cur] for age, v in data.aging.items()]
    return rows


@bp.route("/sections/<int:section_id>/prices", methods=["GET", "POST"])
@allow(*SECTION_SIDE)
def prices(section_id: int):
    section = section_or_404(section_id)
    editions = list_editions(db.session)
    form = PricesForm()
    if not form.is_submitted():
        own = section_prices(db.session, section.id)
        for edition in list_editions(db.session, choosable=True):
            price = own.get(edition.id)
            form.lines.append_entry(
                {
                    "edition_id": str(edition.id),
                    "price": plain(price, section.currency) if price is not None else "",
                }
            )

    def save() -> Section:
        for entry in form.lines:
            prices_service.set_price(
                db.session, actor(), section.id, entry.edition_id.data, entry.price.data
            )
        return section

    response = submit(form, save, lambda s: _saved(s))
    return response or (
        render_template(
            "money/prices.html",
            form=form,
            section=section,
            editions={str(e.id): e for e in editions},
            list_prices=list_prices_in(db.session, section.currency, editions),
        ),
        form_status(form),
    )


def _saved(section: Section):
    flash(_("Prices of %(section)s saved.", section=section.name), "success")
    return redirect(url_for("money.prices", section_id=section.id))


@bp.get("/remittances")
@signed_in
def remittances():
    rows = list_remittances(db.session, section_scope())
    if requested_format():
        return export(
            "remittances",
            [
                column("remittance"),
                column("section"),
                column("sent on"),
                column("amount"),
                column("currency"),
                column("method"),
                column("reference"),
                column("confirmed"),
            ],
            (
                [
                    r.id,
                    r.section.name,
                    r.sent_on,
                    from_minor(r.amount_minor, r.currency),
                    r.currency,
                    r.method_label,
                    r.reference,
                    r.confirmed_at,
                ]
                for r in rows
            ),
        )
    return render_template("money/remittances.html", remittances=rows)


@bp.route("/remittances/new", methods=["GET", "POST"])
@allow(*SECTION_SIDE)
def new_remittance():
    form = RemittanceForm()
    sections = scoped_sections()

    form.section_id.choices = choices(
        [("", _("Choose the section"))] + [(s.id, f"{s.name} ({s.currency})") for s in sections]
    )
    if not form.is_submitted() and len(sections) == 1:
        form.section_id.data, form.currency.data = sections[0].id, sections[0].currency
    response = submit(
        form,
        lambda: remittances_service.record_remittance(
            db.session,
            actor(),
            section_id=form.section_id.data,
            amount=form.amount.data,
            currency=form.currency.data,
            # The day itself: a remittance keeps the day the money was sent; its
            # document is dated by that day in the reader's zone.
            sent_on=form.sent_on.data,
            when=when if isinstance(when := form.sent_on.when, datetime) else None,
            method=form.method.data,
            reference=form.reference.data,
            note=form.note.data,
            key=form.submission_key.data,
        ),
        lambda r: _remitted(r),
    )
    return response or (render_template("money/remittance_form.html", form=form), form_status(form))


def _remitted(remittance: Remittance):
    flash(
        _("Remittance recorded: distribution staff confirm it when the money arrives."), "success"
    )
    return redirect(url_for("money.remittances"))


@bp.post("/remittances/<int:remittance_id>/confirm")
@allow(Role.ADMIN, Role.DISTRIBUTOR)
def confirm(remittance_id: int):
    try:
        remittances_service.confirm_remittance(db.session, actor(), remittance_id)
    except DomainError as error:
        db.rollback()
        if error.status_code == 404:
            abort(404)
        flash(error.message, "error")
    else:
        flash(_("Remittance confirmed: the money arrived."), "success")
    return redirect(url_for("money.remittances"))


@bp.get("/balances")
@allow(*PUBLISHER_SIDE)
def balances():
    currency = current_app.config["PUBLISHER_CURRENCY"]
    data = statements.balances(db.session, currency)
    if requested_format():
        return export(
            "balances",
            [
                column("section"),
                column("currency"),
                column("outstanding"),
                column("awaiting confirmation"),
                column("rate"),
                column("rate from"),
                column("outstanding in %(currency)s", currency=currency),
            ],
            (
                [
                    r.section.name,
                    r.section.currency,
                    from_minor(r.outstanding_minor, r.section.currency),
                    from_minor(r.pending_minor, r.section.currency),
                    r.rate or "",
                    r.rate_on or "",
                    from_minor(r.converted_minor, currency)
                    if r.converted_minor is not None
                    else "",
                ]
                for r in data.rows
            ),
        )
    return render_template("money/balances.html", balances=data)


@bp.route("/exchange-rates", methods=["GET", "POST"])
@allow(*READERS)
def rates():
    currency = current_app.config["PUBLISHER_CURRENCY"]
    form = RateForm()
    response = None
    if form.is_submitted() and not has_role(*RATE_KEEPERS):
        abort(403)
    response = submit(
        form,
        lambda: rates_service.set_rate(
            db.session,
            actor(),
            currency=form.currency.data,
            valid_on=form.valid_on.data,
            rate=form.rate.data,
            publisher_currency=currency,
        ),
        lambda r: _rate_saved(r),
    )
    rows = list_rates(db.session)
    return response or (
        render_template(
            "money/rates.html",
            form=form,
            rates=rows,
            publisher_currency=currency,
            today=date.today(),
        ),
        form_status(form),
    )


def _rate_saved(rate: ExchangeRate):
    flash(
        _(
            "Rate saved: 1 %(currency)s = %(rate)s from %(day)s.",
            currency=rate.currency,
            rate=rate.rate,
            day=day(rate.valid_on),
        ),
        "success",
    )
    return redirect(url_for("money.rates"))
