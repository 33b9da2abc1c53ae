"""Editions, sections and shipments from a spreadsheet: each row (each shipment's
rows) made by the service the forms call, with its rules, in a savepoint of its own,
so that every row's problems are found; any problem and the import writes nothing."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit
from tracker.domain.accounts import Actor
from tracker.domain.errors import DomainError
from tracker.domain.imports import ImportKind
from tracker.domain.words import say
from tracker.models import Title
from tracker.services import catalogue, places, shipments
from tracker.services.imports import Column, Kind, Problems, Progress
from tracker.services.imports.files import Row, Sheet
from tracker.services.imports.lookups import Editions, Sections, day_of, edition_column, whole


def _optional_day(row: Row, key: str):
    return day_of(row[key]) if row[key] else None


class EditionsKind(Kind):
    kind = ImportKind.EDITIONS
    FIELDS = {
        "name": "title",
        "authors": "authors",
        "subtitle": "subtitle",
        "publisher": "publisher",
        "isbn": "isbn",
        "language": "language",
        "format": "format",
        "currency": "currency",
        "list_price": "list_price",
        "published_on": "published_on",
        "own_title": "own_title",
    }

    def columns(self) -> list[Column]:
        return [
            Column("title", True, say("The title; made if new."), "In Defence of Lenin"),
            Column(
                "authors",
                False,
                say("A new title's authors, separated by semicolons."),
                "Alan Woods; Rob Sewell",
            ),
            Column("subtitle", False, say("A new title's subtitle."), "A political biography"),
            Column("isbn", True, say("ISBN-13, or an ISBN-10."), "9781913026868"),
            Column("language", True, say("Language code: en, es, ur..."), "en"),
            Column("format", False, say("paperback (the default), hardback..."), "paperback"),
            Column("list_price", True, say("The list price, such as 25.00."), "25.00"),
            Column("currency", True, say("Its currency (ISO 4217), such as GBP."), "GBP"),
            Column("published_on", False, say("Publication day (2024-01-08)."), "2024-01-08"),
            Column("own_title", False, say("The title in the edition's own language."), ""),
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
        titles = {title.name.casefold(): title for title in session.scalars(select(Title))}
        made = 0
        for row in sheet.rows:
            with problems.at(row.number, None, self.FIELDS):
                name = row["title"]
                title = titles.get(name.casefold())
                if title is None:
                    title = catalogue.create_title(
                        session,
                        actor,
                        name=name,
                        authors=[a.strip() for a in row["authors"].split(";") if a.strip()],
                        subtitle=row["subtitle"] or None,
                    )
                    titles[title.name.casefold()] = title
                with problems.at(row.number, "published_on"):
                    published = _optional_day(row, "published_on")
                catalogue.create_edition(
                    session,
                    actor,
                    title=title,
                    isbn=row["isbn"],
                    language=row["language"],
                    format=row["format"] or "paperback",
                    list_price=row["list_price"],
                    currency=row["currency"],
                    published_on=published,
                    own_title=row["own_title"] or None,
                )
                made += 1
        progress(len(sheet.rows))
        return {"editions": made}


class SectionsKind(Kind):
    kind = ImportKind.SECTIONS
    FIELDS = {
        "name": "name",
        "country_code": "country",
        "currency": "currency",
        "code": "code",
        "language": "language",
        "time_zone": "time_zone",
        "contact_name": "contact_name",
        "contact_email": "contact_email",
        "contact_phone": "contact_phone",
    }

    def columns(self) -> list[Column]:
        return [
            Column("name", True, say("The section's name."), "Britain (RCP)"),
            Column("country", True, say("ISO 3166-1 code, such as GB."), "GB"),
            Column("currency", True, say("ISO 4217 code, such as GBP."), "GBP"),
            Column("code", False, say("Prefix of its places' codes (default: the country)."), "GB"),
            Column("store_name", False, say("Its store's name."), "London store"),
            Column("store_address", False, say("Its store's postal address."), ""),
            Column("language", False, say("en, es, sv, ur, it, fr, de, pt."), "en"),
            Column(
                "time_zone", False, say("IANA time zone, such as Europe/London."), "Europe/London"
            ),
            Column("contact_name", False, say("A contact's name."), ""),
            Column("contact_email", False, say("A contact's email."), ""),
            Column("contact_phone", False, say("A contact's phone."), ""),
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
        made = 0
        for row in sheet.rows:
            with problems.at(row.number, None, self.FIELDS):
                places.create_section(
                    session,
                    actor,
                    name=row["name"],
                    country_code=row["country"],
                    currency=row["currency"],
                    code=row["code"] or None,
                    store_name=row["store_name"] or None,
                    store_address=row["store_address"] or None,
                    language=row["language"] or "en",
                    time_zone=row["time_zone"] or "UTC",
                    contact_name=row["contact_name"] or None,
                    contact_email=row["contact_email"] or None,
                    contact_phone=row["contact_phone"] or None,
                )
                made += 1
        progress(len(sheet.rows))
        return {"sections": made}


class ShipmentsKind(Kind):
    """Draft shipments to sections, a row per line: rows with the same ``shipment``
    are one shipment; ``dispatched_on`` dispatches it then."""

    kind = ImportKind.SHIPMENTS
    HEAD = (
        "section",
        "terms",
        "store",
        "carrier",
        "tracking_number",
        "expected_on",
        "dispatched_on",
    )

    def columns(self) -> list[Column]:
        return [
            Column("shipment", True, say("Rows with the same value are one shipment."), "1"),
            Column(
                "section", True, say("The section it goes to: its name or id."), "Britain (RCP)"
            ),
            edition_column(),
            Column("copies", True, say("How many copies."), "500"),
            Column(
                "price",
                False,
                say("What the section owes per copy (empty: the list price)."),
                "12.50",
            ),
            Column("terms", False, say("firm_sale (the default) or sale_or_return."), "firm_sale"),
            Column("store", False, say("The store it goes to (default: the section's)."), ""),
            Column("carrier", False, say("The carrier."), "Royal Mail"),
            Column("tracking_number", False, say("The tracking number."), ""),
            Column("expected_on", False, say("Expected arrival (2024-01-20)."), "2024-01-20"),
            Column(
                "dispatched_on",
                False,
                say("The day it was dispatched (empty: it stays a draft)."),
                "2024-01-12",
            ),
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
        sections = Sections(session, actor)
        editions = Editions(session)
        groups: dict[str, list[Row]] = defaultdict(list)
        for row in sheet.rows:
            if self.required(row, "shipment", problems):
                groups[row["shipment"]].append(row)
        made = {"shipments": 0, "dispatched": 0}
        for rows in groups.values():
            self._agree(rows, problems)
            lines = [self._line(row, editions, problems) for row in rows]
            with problems.at(rows[0].number, "section"):
                section = sections.find(self.required(rows[0], "section", problems) or "")
                if all(lines):
                    self._make(session, actor, rows[0], section, lines, problems, source, made)
        progress(len(sheet.rows))
        return made

    def _agree(self, rows: list[Row], problems: Problems) -> None:
        first = rows[0]
        for row in rows[1:]:
            for key in self.HEAD:
                if row[key] and row[key] != first[key]:
                    problems.add(
                        row.number,
                        key,
                        say(
                            "Rows of one shipment must agree: row %(row)s says %(value)s.",
                            row=first.number,
                            value=repr(first[key]),
                        ),
                    )

    def _line(self, row: Row, editions: Editions, problems: Problems) -> shipments.LineInput | None:
        edition = qty = None
        with problems.at(row.number, "edition"):
            edition = editions.find(self.required(row, "edition", problems) or "")
        with problems.at(row.number, "copies"):
            qty = whole(self.required(row, "copies", problems) or "")
        if edition is None or qty is None:
            return None
        return shipments.LineInput(edition.id, qty, row["price"] or None)

    def _make(
        self,
        session: Session,
        actor: Actor | None,
        first: Row,
        section: Any,
        lines: list[Any],
        problems: Problems,
        source: str,
        made: dict[str, int],
    ) -> None:
        with problems.at(first.number, None, {"lines": "edition", "terms": "terms"}):
            with problems.at(first.number, "expected_on"):
                expected = _optional_day(first, "expected_on")
            with problems.at(first.number, "store"):
                store = _store(section, first["store"])
            shipment = shipments.create(
                session,
                actor,
                direction="outbound",
                section_id=section.id,
                lines=lines,
                terms=first["terms"] or "firm_sale",
                store_id=store,
                carrier=first["carrier"] or None,
                tracking_number=first["tracking_number"] or None,
                expected_on=expected,
                note=say("Imported from %(file)s", file=source) if source else None,
            )
            made["shipments"] += 1
            if first["dispatched_on"]:
                with problems.at(first.number, "dispatched_on"):
                    shipments.dispatch(
                        session, actor, shipment.id, when=day_of(first["dispatched_on"])
                    )
                    made["dispatched"] += 1


def _store(section: Any, text: str) -> int:
    """The section's store named (name, code or id), or its own."""
    if not text:
        return places.store_of(section).id
    for place in section.locations:
        if place.kind == "section_store" and text.casefold() in (
            place.name.casefold(),
            place.code.casefold(),
            str(place.id),
        ):
            return place.id
    raise DomainError(
        say("%(section)s has no store %(store)s.", section=section.name, store=repr(text))
    )
