"""Builders for test data, through the same services the app uses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.accounts import Role
from tracker.domain.places import LocationKind
from tracker.domain.stock import Condition
from tracker.ledger import MoveLine
from tracker.models import Balance, Document, Edition, Location, Move, Section, User
from tracker.services import accounts, catalogue, places
from tracker.services.stock import post_document

ISBN_EN = "9781913026868"
ISBN_ES = "9781913026875"
PASSWORD = "a long enough test password"
_count = {"n": 0}
# When ``World.stocked`` puts its copies in place: before anything a test dates.
STOCKED_AT = datetime(2020, 1, 6, 9, tzinfo=UTC)


def make_user(
    session: Session,
    hasher,
    role: Role | str,
    section_code: str | None = None,
    *,
    email: str | None = None,
    password: str = PASSWORD,
) -> User:
    """An account (committed to the test's savepoint, so requests see it)."""
    section_id = None
    if section_code is not None:
        section = session.scalar(
            select(Section)
            .join(Location, Location.section_id == Section.id)
            .where(Location.code == f"{section_code}-STORE")
        )
        section_id = section.id
    _count["n"] += 1
    email = email or f"{Role(role).value}{_count['n']}@example.org"
    user, _ = accounts.create_user(
        session, hasher, email=email, role=Role(role), section_id=section_id, password=password
    )
    session.commit()
    return user


def csrf_token(client, url: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page like a browser would."""
    html = client.get(url).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {url}: {html[:3000]}"
    return match.group(1)


def log_in(client, email: str, password: str = PASSWORD) -> None:
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def post_form(client, url: str, data: dict | None = None, *, page: str = "/"):
    """POST a form with the session's CSRF token, as the page's form would."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client, page)})


@dataclass
class World:
    """Two editions, the publisher's places, two sections (GB, SE) and a GB event table."""

    session: Session
    edition: Edition
    edition_es: Edition

    @classmethod
    def build(cls, session: Session) -> World:
        title = catalogue.create_title(
            session, name="In Defence of Lenin", authors=["Alan Woods", "Rob Sewell"]
        )
        en = catalogue.create_edition(
            session,
            title=title,
            isbn=ISBN_EN,
            language="en",
            format="paperback",
            list_price="25.00",
            currency="GBP",
        )
        es = catalogue.create_edition(
            session,
            title=title,
            isbn=ISBN_ES,
            language="es",
            format="paperback",
            list_price="28.00",
            currency="EUR",
        )
        places.ensure_publisher_locations(session)
        gb = places.create_section(session, name="Britain", country_code="GB", currency="GBP")
        places.create_section(session, name="Sweden", country_code="SE", currency="SEK")
        places.create_location(
            session, kind=LocationKind.EVENT_TABLE, code="GB-EV", name="London launch", section=gb
        )
        session.flush()
        return cls(session, en, es)

    def loc(self, code: str) -> Location:
        return places.location_by_code(self.session, code)

    def line(
        self,
        kind: str,
        qty: int,
        src: str,
        dst: str,
        *,
        edition: Edition | None = None,
        condition: str = "unsigned",
        to_condition: str | None = None,
    ) -> MoveLine:
        return MoveLine(
            kind=kind,
            edition_id=(edition or self.edition).id,
            qty=qty,
            from_location_id=self.loc(src).id,
            to_location_id=self.loc(dst).id,
            from_condition=condition,
            to_condition=to_condition,
        )

    def post(
        self, kind: str, qty: int, src: str, dst: str, at: datetime | None = None, **kw: object
    ) -> Document:
        return post_document(
            self.session, kind, [self.line(kind, qty, src, dst, **kw)], occurred_at=at
        )

    def stock(
        self, code: str, *, edition: Edition | None = None, condition: str = Condition.UNSIGNED
    ) -> int:
        return ledger.balance(
            self.session, self.loc(code).id, (edition or self.edition).id, condition
        )

    def printed(self, copies: int, **kw: object) -> Document:
        """A print run of ``copies`` delivered to the warehouse long ago (``STOCKED_AT``)."""
        return self.post("print_run", copies, "PRINTER", "WH", at=STOCKED_AT, **kw)

    def stocked(
        self, copies: int = 100, store: str = "GB-STORE", at: datetime | None = STOCKED_AT
    ) -> World:
        """Print ``copies`` into the warehouse and put them in ``store`` (via transit),
        long ago (``at``): whatever a test dates in the past finds them there."""
        section = store.split("-")[0]
        self.post("print_run", copies, "PRINTER", "WH", at=at)
        self.post("dispatch", copies, "WH", f"{section}-TRANSIT", at=at)
        self.post("receipt", copies, f"{section}-TRANSIT", store, at=at)
        return self

    def launch(self, copies: dict[Edition, int], *, at: datetime, name: str = "London launch"):
        """A launch of Britain's, starting today, with ``copies`` brought from its store
        to its table at ``at``: the event (``Event``)."""
        from datetime import date

        from tracker.services import events
        from tracker.services.events import EventDetails
        from tracker.services.movements import Copies, transfer

        store = self.loc("GB-STORE")
        event = events.create_event(
            self.session,
            None,
            store.section_id,
            EventDetails(name=name, kind="launch", starts_on=date.today()),
        )
        transfer(
            self.session,
            None,
            from_location_id=store.id,
            to_location_id=event.location_id,
            lines=[Copies(edition.id, qty) for edition, qty in copies.items()],
            when=at,
        )
        return event


def snapshot(session: Session) -> tuple[dict, int, int]:
    """Every balance, the number of moves and of documents: to show nothing changed."""
    balances = {
        (b.location_id, b.edition_id, b.condition): b.qty
        for b in session.execute(
            select(Balance.location_id, Balance.edition_id, Balance.condition, Balance.qty)
        )
    }
    moves = session.scalar(select(func.count()).select_from(Move))
    documents = session.scalar(select(func.count()).select_from(Document))
    return balances, moves, documents
