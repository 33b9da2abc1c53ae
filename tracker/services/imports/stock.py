"""Opening stock: what each place (the warehouse, a section's store) held on a day,
booked as a count is (``movements.stocktake``): each difference from what the ledger
held there then goes from or to stocktake differences, so the ledger stays whole and
never below zero at any date."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from tracker import audit
from tracker.domain.accounts import Actor
from tracker.domain.errors import DomainError
from tracker.domain.imports import ImportKind
from tracker.domain.places import LocationKind
from tracker.domain.stock import check_quantity
from tracker.domain.words import say
from tracker.services import movements
from tracker.services.imports import Column, Kind, Problems, Progress
from tracker.services.imports.files import Row, Sheet
from tracker.services.imports.lookups import (
    Editions,
    Places,
    condition_column,
    condition_of,
    edition_column,
    moment_of,
    whole,
)

STOCK_PLACES = (LocationKind.WAREHOUSE, LocationKind.SECTION_STORE)


class OpeningStockKind(Kind):
    kind = ImportKind.OPENING_STOCK

    def columns(self) -> list[Column]:
        return [
            Column(
                "place",
                True,
                say("The warehouse or a section's store: its name, code or id."),
                "London store",
            ),
            edition_column(),
            condition_column("unsigned"),
            Column("copies", True, say("How many copies were there."), "120"),
            Column("date", True, say("The day they were counted (2024-01-15)."), "2024-01-15"),
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
        places = Places(session, actor, STOCK_PLACES)
        editions = Editions(session)
        counts: dict[tuple[int, date | datetime], list[tuple[Row, movements.Copies]]]
        counts = defaultdict(list)
        seen: dict[tuple[int, date | datetime, int, str], int] = {}
        for row in sheet.rows:
            found = len(problems.found)
            values = {key: self.required(row, key, problems) for key in self._required()}
            place = edition = when = qty = None
            with problems.at(row.number, "place"):
                place = values["place"] and places.find(values["place"])
            with problems.at(row.number, "edition"):
                edition = values["edition"] and editions.find(values["edition"])
            with problems.at(row.number, "date"):
                when = values["date"] and moment_of(values["date"])
            with problems.at(row.number, "copies"):
                if values["copies"]:
                    qty = check_quantity(whole(values["copies"]), zero=True, what=say("the count"))
            with problems.at(row.number, "condition"):
                condition = condition_of(row["condition"])
            if len(problems.found) > found or not (place and edition and when) or qty is None:
                continue
            key = (place.id, when, edition.id, condition)
            if key in seen:
                problems.add(
                    row.number,
                    "edition",
                    say(
                        "Row %(row)s counts the same place, day, edition and condition.",
                        row=seen[key],
                    ),
                )
                continue
            seen[key] = row.number
            counts[(place.id, when)].append((row, movements.Copies(edition.id, qty, condition)))
        progress(len(sheet.rows))
        if problems:
            return {}
        reason = say("Opening stock")
        note = say("Imported from %(file)s", file=source) if source else say("Imported")
        copies = 0
        for (place_id, when), rows in sorted(counts.items(), key=lambda item: str(item[0][1])):
            try:
                movements.stocktake(
                    session,
                    actor,
                    location_id=place_id,
                    counts=[count for _row, count in rows],
                    reason=reason,
                    note=note,
                    when=when,
                )
            except DomainError as error:
                problems.add(rows[0][0].number, None, error.message)
            copies += sum(count.qty for _row, count in rows)
        return {"counts": len(counts), "copies": copies}

    def _required(self) -> list[str]:
        return [column.key for column in self.columns() if column.required]
