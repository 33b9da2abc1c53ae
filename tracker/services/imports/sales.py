"""Past sales, from a section's old spreadsheet: a row per sale (one edition, in one
condition, so many copies, paid one way) at a store or an event's table.

Every row is checked by the rules of any sale (``sales.new_sale``: the place, the
payment, the copies, the price, the section's price when none is given), dated by the
rules of any date (``documents.dater``: not in the future, not beyond the backdating
limit), and the sales of each place are written at one go (``sales.record_sales``,
``at_once``: a statement per table, a balance update per edition and condition, the
past checked for every moment they touch; a closed month refuses them). The audit
trail records them as one entry per place (``import.sales``), not one per sale."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from tracker import audit
from tracker.domain.accounts import Actor
from tracker.domain.errors import DomainError, InsufficientStock, NotThereThen
from tracker.domain.imports import ImportKind
from tracker.domain.money import from_minor
from tracker.domain.words import say
from tracker.ledger import edition_label
from tracker.services import documents, sales
from tracker.services.imports import Column, Kind, Problems, Progress
from tracker.services.imports.files import Row, Sheet
from tracker.services.imports.lookups import (
    SELLING_PLACES,
    Editions,
    Places,
    condition_column,
    condition_of,
    edition_column,
    moment_of,
    whole,
)

# A sale's values as ``sales.new_sale`` names them -> the file's columns.
FIELDS = {
    "made_at": "date",
    "payment": "payment",
    "buyer": "buyer",
    "tendered": "price",
    "lines": "edition",
    "lines[0].edition": "edition",
    "lines[0].qty": "copies",
    "lines[0].condition": "condition",
    "lines[0].price": "price",
}


class SalesKind(Kind):
    kind = ImportKind.SALES

    def columns(self) -> list[Column]:
        return [
            Column("date", True, say("When it was sold: a day (2024-01-20)."), "2024-01-20"),
            Column("time", False, say("The time of day (19:30), if known."), "19:30"),
            Column(
                "place",
                True,
                say("The store or event table it was sold at: its name, code or id."),
                "London store",
            ),
            edition_column(),
            condition_column("signed"),
            Column("copies", True, say("How many copies."), "2"),
            Column(
                "price",
                False,
                say("What the reader paid for one copy (empty: the section's price)."),
                "20.00",
            ),
            Column("payment", True, say("cash, card, bank_transfer or other."), "cash"),
            Column("buyer", False, say("The buyer's name, if noted."), ""),
        ]

    def load(
        self,
        session: Session,
        actor: Actor | None,
        sheet: Sheet,
        problems: Problems,
        progress: Progress,
        source: str,
        entries: list[audit.Entry],
    ) -> dict[str, Any]:
        sales.may_run(actor)
        places = Places(session, actor, SELLING_PLACES)
        editions = Editions(session)
        dated = documents.dater(session)
        tills: dict[int, sales.Till | DomainError] = {}
        ready: dict[int, list[tuple[Row, sales.NewSale]]] = defaultdict(list)
        note = say("Imported from %(file)s", file=source) if source else say("Imported")
        for index, row in enumerate(sheet.rows):
            checked = self._sale(
                session, actor, row, problems, places, editions, dated, tills, note
            )
            if checked is not None:
                till, sale = checked
                ready[till.place.id].append((row, sale))
            if index % 1000 == 999:
                progress(1000)
        progress(len(sheet.rows) % 1000)
        if problems:
            return {}
        copies = 0
        for place_id, rows in ready.items():
            place = tills[place_id]
            assert isinstance(place, sales.Till)
            rows.sort(key=lambda pair: pair[1].at)
            try:
                with session.begin_nested():
                    sold = sales.record_sales(
                        session,
                        actor,
                        place,
                        [sale for _row, sale in rows],
                        at_once=True,
                        audited=False,
                    )
            except DomainError as error:
                _blame(error, rows, problems)
            else:
                entries.append(_entry(place, sold, source))
            copies += sum(sale.lines[0].qty for _row, sale in rows)
        return {"sales": len(sheet.rows), "copies": copies, "places": len(ready)}

    def _sale(
        self,
        session: Session,
        actor: Actor | None,
        row: Row,
        problems: Problems,
        places: Places,
        editions: Editions,
        dated: Any,
        tills: dict[int, sales.Till | DomainError],
        note: str,
    ) -> tuple[sales.Till, sales.NewSale] | None:
        found = len(problems.found)
        values: dict[str, Any] = {}
        for key in ("date", "place", "edition", "copies", "payment"):
            values[key] = self.required(row, key, problems)
        with problems.at(row.number, "date"):
            if values["date"] is not None:
                values["at"] = dated(moment_of(values["date"], row["time"]))
        with problems.at(row.number, "place"):
            if values["place"] is not None:
                place = places.find(values["place"])
                values["till"] = _till(session, actor, place.id, tills)
        with problems.at(row.number, "edition"):
            if values["edition"] is not None:
                values["edition_id"] = editions.find(values["edition"]).id
        with problems.at(row.number, "copies"):
            if values["copies"] is not None:
                values["qty"] = whole(values["copies"])
        with problems.at(row.number, "condition"):
            values["condition"] = condition_of(row["condition"])
        if len(problems.found) > found:
            return None
        till = values["till"]
        with problems.at(row.number, None, FIELDS):
            sale = sales.new_sale(
                session,
                till,
                at=values["at"],
                items=[
                    sales.SaleItem(
                        values["edition_id"],
                        values["qty"],
                        values["condition"],
                        row["price"] or None,
                    )
                ],
                payment_method=_method(values["payment"]),
                buyer_name=row["buyer"] or None,
                note=note,
            )
            return till, sale
        return None


def _entry(till: sales.Till, sold: list[sales.SoldSale], source: str) -> audit.Entry:
    """The audit entry of a file's sales at one place, in place of one per sale: the
    documents made (their ids run from first to last), when the sales were made, what
    they came to in each currency, and the copies of each edition in each condition.
    The sales themselves keep who recorded them and when (their documents)."""
    ids = [sale.id for sale in sold]
    totals: dict[str, int] = defaultdict(int)
    copies: dict[tuple[int, str, str], int] = defaultdict(int)
    for sale in sold:
        totals[sale.currency] += sale.total_minor
        for line in sale.lines:
            copies[(line.edition.id, line.edition.isbn, line.condition)] += line.qty
    place = till.place
    count = len(sold)
    return audit.Entry(
        kind="import.sales",
        object_type="import",
        object_id=None,  # the import's record, named once it is written
        summary=(
            f"Imported {count:,} {'sale' if count == 1 else 'sales'} at {place.name}"
            + (f" from {source}" if source else "")
        ),
        after={
            "place": {"id": place.id, "code": place.code},
            "documents": {"first": min(ids), "last": max(ids), "count": count},
            "sold": {
                "first": min(sale.sold_at for sale in sold),
                "last": max(sale.sold_at for sale in sold),
            },
            "total": {
                currency: str(from_minor(amount, currency))
                for currency, amount in sorted(totals.items())
            },
            "copies": [
                {"edition": edition, "isbn": isbn, "condition": condition, "copies": n}
                for (edition, isbn, condition), n in sorted(copies.items())
            ],
        },
        section_ids=[till.section.id],
    )


def _till(
    session: Session,
    actor: Actor | None,
    place_id: int,
    tills: dict[int, sales.Till | DomainError],
) -> sales.Till:
    """The place to sell at, read once (and its refusal, once)."""
    if place_id not in tills:
        try:
            tills[place_id] = sales.till(session, actor, place_id)
        except DomainError as error:
            tills[place_id] = error
    found = tills[place_id]
    if isinstance(found, DomainError):
        raise DomainError(found.message)
    return found


def _method(text: str) -> str:
    """A payment method as a spreadsheet may write it: ``Bank transfer``, ``CASH``."""
    return "_".join(text.strip().lower().split())


def _blame(error: DomainError, rows: list[tuple[Row, sales.NewSale]], problems: Problems) -> None:
    """The row a refusal of the ledger is about: for copies not there at a moment, the
    first sale of that edition and condition then; for copies short now, the last one."""
    if isinstance(error, NotThereThen | InsufficientStock):
        about = [
            (row, sale)
            for row, sale in rows
            if edition_label(sale.lines[0].edition) == error.edition
            and sale.lines[0].condition == error.condition
        ]
        if isinstance(error, NotThereThen):
            at = [row for row, sale in about if sale.at == error.on]
            if at:
                problems.add(at[0].number, "copies", error.message)
                return
        if about:
            problems.add(about[-1][0].number, "copies", error.message)
            return
    problems.add(rows[0][0].number, None, error.message)
