"""The demo campaign: *In Defence of Lenin* around the world in 2024.

Built from the #LeninLives launch article: the London launch on 21 January 2024 (150
people, the authors signing late into the evening), Bologna, Dublin, the Värmland school,
Mexico's refoundation meeting, Lahore, Karachi and Hyderabad, the Montreal Winter School
on 17-18 February; 4,000 copies dispatched all over the world within days. The figures
beyond the article (prices, how many copies each section took and sold) are invented,
but plausible and the same on every run: everything goes through the same services and
ledger postings as real use, in a fixed order with a seeded random generator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker import audit, ledger, passwords
from tracker.errors import DomainError
from tracker.ledger import MoveLine
from tracker.models import (
    Condition,
    Edition,
    Location,
    LocationKind,
    Move,
    MoveKind,
    Role,
    Section,
)
from tracker.services import accounts, catalogue, places
from tracker.services.stock import post_document

SEED = 1917

U = Condition.UNSIGNED
S = Condition.SIGNED

# key: (title, authors, subtitle, isbn, language, format, price, currency, published)
TITLES = {
    "idol": (
        "In Defence of Lenin",
        ["Alan Woods", "Rob Sewell"],
        "A political biography",
    ),
    "bolshevism": (
        "Bolshevism: The Road to Revolution",
        ["Alan Woods"],
        None,
    ),
}
EDITIONS = {
    "idol-en": ("idol", "9781913026868", "en", "paperback", "25.00", "GBP", date(2024, 1, 8)),
    "idol-es": ("idol", "9781913026875", "es", "paperback", "28.00", "EUR", date(2024, 1, 8)),
    "bolshevism-ur": (
        "bolshevism",
        "9789697700011",
        "ur",
        "paperback",
        "1500.00",
        "PKR",
        date(2024, 1, 10),
    ),
}

# code, section name, country, currency, store
SECTIONS = [
    ("GB", "Britain (RCP)", "GB", "GBP", "London store"),
    ("SE", "Sweden (RKP)", "SE", "SEK", "Stockholm store"),
    ("MX", "Mexico (RCO)", "MX", "MXN", "Mexico City store"),
    ("PK", "Pakistan (Lal Salaam)", "PK", "PKR", "Lahore store"),
    ("CA", "Canada", "CA", "CAD", "Toronto store"),
    ("IT", "Italy", "IT", "EUR", "Milan store"),
    ("IE", "Ireland", "IE", "EUR", "Dublin store"),
    ("US", "United States", "US", "USD", "New York store"),
    ("DE", "Germany", "DE", "EUR", "Berlin store"),
    ("FR", "France", "FR", "EUR", "Paris store"),
    ("PT", "Portugal", "PT", "EUR", "Lisbon store"),
    ("ES", "Spain", "ES", "EUR", "Madrid store"),
    ("AU", "Australia", "AU", "AUD", "Sydney store"),
    ("CH", "Switzerland", "CH", "CHF", "Zurich store"),
]

PRINT_RUNS = [
    # edition, copies, to, day, reference
    ("idol-en", 5000, "WH", date(2024, 1, 8), "Print run 1 (invoice WB-2401)"),
    ("idol-es", 1000, "WH", date(2024, 1, 8), "Primera tirada (invoice WB-2402)"),
    ("bolshevism-ur", 1000, "PK-STORE", date(2024, 1, 10), "Urdu edition, printed in Lahore"),
    ("idol-en", 2000, "WH", date(2024, 4, 2), "Print run 2 (invoice WB-2415)"),
]

# The first wave: 4,000 copies dispatched within days of the launch.
# section, {edition: copies}, dispatched, days to arrive (None: still in transit), lost
SHIPMENTS = [
    ("GB", {"idol-en": 1000}, date(2024, 1, 10), 2, 0),
    ("US", {"idol-en": 450}, date(2024, 1, 10), 6, 0),
    ("CA", {"idol-en": 350}, date(2024, 1, 10), 7, 0),
    ("SE", {"idol-en": 200}, date(2024, 1, 11), 4, 0),
    ("IE", {"idol-en": 150}, date(2024, 1, 11), 3, 2),
    ("IT", {"idol-en": 150}, date(2024, 1, 11), 5, 0),
    ("DE", {"idol-en": 120}, date(2024, 1, 12), 4, 0),
    ("FR", {"idol-en": 80}, date(2024, 1, 12), 4, 0),
    ("PT", {"idol-en": 60}, date(2024, 1, 12), 6, 0),
    ("ES", {"idol-en": 80, "idol-es": 150}, date(2024, 1, 12), 5, 0),
    ("AU", {"idol-en": 250}, date(2024, 1, 12), 12, 0),
    ("CH", {"idol-en": 60}, date(2024, 1, 13), 4, 0),
    ("PK", {"idol-en": 300}, date(2024, 1, 13), 6, 0),
    ("MX", {"idol-es": 600}, date(2024, 1, 13), 5, 0),
    # Later waves, after the second print run.
    ("GB", {"idol-en": 400}, date(2024, 4, 15), 2, 0),
    ("SE", {"idol-en": 100}, date(2024, 4, 3), 4, 0),
    ("US", {"idol-en": 200}, date(2024, 9, 2), 8, 0),
    ("AU", {"idol-en": 120}, date(2024, 12, 9), None, 0),
]


@dataclass
class Event:
    section: str
    slug: str
    name: str
    start: datetime
    hours: int
    attendance: int
    brought: dict[str, int]
    sold: dict[tuple[str, Condition], int]
    signings: list[tuple[str, int, str]] = field(default_factory=list)
    source: str = "STORE"  # where the copies come from


def _at(y: int, m: int, d: int, h: int = 18, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=UTC)


EVENTS = [
    Event(
        "SE",
        "VARMLAND-SCHOOL",
        "Värmland communist school, Karlstad",
        _at(2024, 1, 20, 10),
        8,
        29,
        {"idol-en": 40},
        {("idol-en", U): 18},
    ),
    Event(
        "PK",
        "KARACHI-LAUNCH",
        "Bolshevism book launch, Karachi",
        _at(2024, 1, 20, 12),
        4,
        110,
        {"bolshevism-ur": 200},
        {("bolshevism-ur", U): 112},
    ),
    Event(
        "GB",
        "LONDON-LAUNCH",
        "#LeninLives: London launch of In Defence of Lenin",
        _at(2024, 1, 21, 14),
        8,
        150,
        {"idol-en": 300},
        {("idol-en", U): 84, ("idol-en", S): 61},
        [("idol-en", 72, "Alan Woods and Rob Sewell")],
    ),
    Event(
        "SE",
        "STOCKHOLM-WALK",
        "Lenin in Stockholm: walking tour",
        _at(2024, 1, 21, 11),
        3,
        35,
        {"idol-en": 20},
        {("idol-en", U): 7},
    ),
    Event(
        "IT",
        "BOLOGNA-MEETING",
        "Bologna regional meeting and live stream",
        _at(2024, 1, 21, 13),
        6,
        98,
        {"idol-en": 60},
        {("idol-en", U): 34},
    ),
    Event(
        "IE",
        "DUBLIN-WATCH",
        "Dublin watch party",
        _at(2024, 1, 21, 14),
        6,
        25,
        {"idol-en": 30},
        {("idol-en", U): 14},
    ),
    Event(
        "MX",
        "REFOUNDATION",
        "100 years after his death: we return to Lenin! (Mexico City)",
        _at(2024, 1, 21, 17),
        5,
        120,
        {"idol-es": 120},
        {("idol-es", U): 66},
    ),
    Event(
        "PK",
        "LAHORE-OPEN-MIC",
        "Who was Lenin? Open mic and Communist Bookstall, Lahore",
        _at(2024, 1, 21, 11),
        6,
        80,
        {"idol-en": 40, "bolshevism-ur": 100},
        {("idol-en", U): 22, ("bolshevism-ur", U): 45},
    ),
    Event(
        "PK",
        "HYDERABAD-PRESS-CLUB",
        "Bolshevism launch at Hyderabad Press Club",
        _at(2024, 1, 22, 11),
        4,
        45,
        {"bolshevism-ur": 80},
        {("bolshevism-ur", U): 38},
    ),
    Event(
        "PK",
        "LAHORE-FESTIVAL",
        "Lenin Festival, Lahore",
        _at(2024, 2, 3, 10),
        9,
        400,
        {"idol-en": 120, "bolshevism-ur": 150},
        {("idol-en", U): 71, ("bolshevism-ur", U): 93},
    ),
    Event(
        "CA",
        "MONTREAL-WINTER-SCHOOL",
        "Montreal Winter School: In Defence of Lenin",
        _at(2024, 2, 17, 14),
        30,
        260,
        {"idol-en": 150},
        {("idol-en", U): 96},
    ),
    Event(
        "SE",
        "RKP-CONGRESS",
        "RKP founding congress, Stockholm",
        _at(2024, 4, 13, 9),
        30,
        300,
        {"idol-en": 120},
        {("idol-en", U): 74},
    ),
    Event(
        "GB",
        "RCP-CONFERENCE",
        "RCP founding conference, London",
        _at(2024, 5, 25, 9),
        30,
        900,
        {"idol-en": 450},
        {("idol-en", U): 201, ("idol-en", S): 38},
        [("idol-en", 40, "Alan Woods")],
    ),
    Event(
        "US",
        "NEW-YORK-CIRCLE",
        "In Defence of Lenin reading circle, New York",
        _at(2024, 3, 9, 15),
        3,
        40,
        {"idol-en": 40},
        {("idol-en", U): 23},
    ),
    Event(
        "AU",
        "SYDNEY-SCHOOL",
        "Sydney summer school",
        _at(2024, 2, 10, 10),
        8,
        60,
        {"idol-en": 60},
        {("idol-en", U): 31},
    ),
]

PAYMENT_NOTES = ("cash", "card", "cash", "card", "bank transfer")

# One account per role, and treasurers for several sections: (email, name, role, section).
ACCOUNTS = [
    ("admin@example.org", "Demo admin", Role.ADMIN, None),
    ("distribution@example.org", "Demo distribution staff", Role.DISTRIBUTOR, None),
    ("coordinator@example.org", "Demo coordinator", Role.COORDINATOR, None),
    ("treasurer.gb@example.org", "Demo treasurer, Britain", Role.TREASURER, "GB"),
    ("treasurer.se@example.org", "Demo treasurer, Sweden", Role.TREASURER, "SE"),
    ("treasurer.pk@example.org", "Demo treasurer, Pakistan", Role.TREASURER, "PK"),
    ("treasurer.mx@example.org", "Demo treasurer, Mexico", Role.TREASURER, "MX"),
]


def is_empty(session: Session) -> bool:
    """True when the database holds no catalogue, places or moves yet."""
    for model in (Edition, Section, Location, Move):
        if session.scalar(select(func.count()).select_from(model)):
            return False
    return True


@dataclass
class DemoAccount:
    email: str
    role: Role
    section: str | None
    password: str


@dataclass
class Summary:
    editions: int
    sections: int
    locations: int
    documents: int
    moves: int
    accounts: list[DemoAccount]


def load(
    session: Session, hasher: PasswordHasher, passwords_by_email: dict[str, str] | None = None
) -> Summary:
    """Fill an empty database with the demo campaign. Does not commit.

    The demo accounts get random passwords (returned in the summary, to be shown once),
    unless ``passwords_by_email`` gives them.
    """
    if not is_empty(session):
        raise DomainError(
            "The database already holds data; the demo only fills an empty one. "
            "Point DATABASE_URL at a new database, or remove the SQLite file, and run it again."
        )
    return _Demo(session, hasher, passwords_by_email or {}).run()


class _Demo:
    def __init__(self, session: Session, hasher: PasswordHasher, chosen: dict[str, str]):
        self.session = session
        self.hasher = hasher
        self.chosen = chosen
        self.rng = random.Random(SEED)
        self.editions: dict[str, Edition] = {}
        self.sections: dict[str, Section] = {}
        self.codes: dict[str, Location] = {}
        self.users: dict[str, int] = {}  # "distribution" or a section code -> user id
        self.accounts: list[DemoAccount] = []
        self.documents = 0

    # -- helpers ---------------------------------------------------------------------

    def loc(self, code: str) -> Location:
        if code not in self.codes:
            self.codes[code] = places.location_by_code(self.session, code)
        return self.codes[code]

    def post(
        self,
        kind: str,
        lines: list[MoveLine],
        at: datetime,
        reference: str | None = None,
        note: str | None = None,
        by: str = "distribution",
    ) -> None:
        """Post as the demo user who would: distribution staff, or the section's treasurer
        (the sections without a demo treasurer have their postings made by nobody in
        particular, as if imported)."""
        user_id = self.users.get(by)

        audit.set_actor(self.session, user_id)
        post_document(
            self.session,
            kind,
            lines,
            reference=reference,
            note=note,
            occurred_at=at,
            created_by_id=user_id,
        )
        self.documents += 1

    def line(
        self,
        kind: MoveKind,
        edition: str,
        qty: int,
        src: str,
        dst: str,
        condition: Condition = U,
        to_condition: Condition | None = None,
    ) -> MoveLine:
        return MoveLine(
            kind=kind,
            edition_id=self.editions[edition].id,
            qty=qty,
            from_location_id=self.loc(src).id,
            to_location_id=self.loc(dst).id,
            from_condition=condition,
            to_condition=to_condition,
        )

    def on_hand(self, code: str, edition: str, condition: Condition = U) -> int:
        return ledger.balance(self.session, self.loc(code).id, self.editions[edition].id, condition)

    # -- the campaign ----------------------------------------------------------------

    def run(self) -> Summary:
        self.catalogue()
        self.places()
        self.people()
        steps: list[tuple[datetime, int, object]] = []
        for order, run in enumerate(PRINT_RUNS):
            steps.append(
                (
                    datetime.combine(run[3], datetime.min.time(), UTC) + timedelta(hours=9),
                    order,
                    ("print", run),
                )
            )
        for order, shipment in enumerate(SHIPMENTS):
            dispatched = datetime.combine(shipment[2], datetime.min.time(), UTC)
            steps.append((dispatched + timedelta(hours=11), order, ("dispatch", shipment)))
            if shipment[3] is not None:
                steps.append(
                    (
                        dispatched + timedelta(days=shipment[3], hours=15),
                        order,
                        ("receive", shipment),
                    )
                )
        for order, event in enumerate(EVENTS):
            steps.append((event.start - timedelta(hours=3), order, ("event", event)))
        steps.append((_at(2024, 2, 1, 10), 0, ("write_off", None)))
        for week in range(51):
            steps.append((_at(2024, 1, 6) + timedelta(weeks=week), 0, ("stall", week)))
        for at, _order, (action, item) in sorted(steps, key=lambda s: (s[0], s[1], s[2][0])):
            getattr(self, f"do_{action}")(at, item)
        counts = {
            "locations": self.session.scalar(select(func.count()).select_from(Location)),
            "moves": self.session.scalar(select(func.count()).select_from(Move)),
        }
        audit.set_actor(self.session, None)
        return Summary(
            len(self.editions),
            len(self.sections),
            counts["locations"] or 0,
            self.documents,
            counts["moves"] or 0,
            self.accounts,
        )

    def people(self) -> None:
        for email, name, role, section in ACCOUNTS:
            password = self.chosen.get(email) or passwords.generate()
            user, _ = accounts.create_user(
                self.session,
                self.hasher,
                email=email,
                name=name,
                role=role,
                section_id=self.sections[section].id if section else None,
                password=password,
            )
            if role == Role.DISTRIBUTOR:
                self.users["distribution"] = user.id
            elif section:
                self.users[section] = user.id
            self.accounts.append(
                DemoAccount(email, role, self.sections[section].name if section else None, password)
            )

    def catalogue(self) -> None:
        titles = {
            key: catalogue.create_title(self.session, name=name, authors=authors, subtitle=sub)
            for key, (name, authors, sub) in TITLES.items()
        }
        for key, (title, isbn, language, fmt, price, currency, published) in EDITIONS.items():
            self.editions[key] = catalogue.create_edition(
                self.session,
                title=titles[title],
                isbn=isbn,
                language=language,
                format=fmt,
                list_price=price,
                currency=currency,
                published_on=published,
            )

    def places(self) -> None:
        places.ensure_publisher_locations(self.session, warehouse_name="Wellred warehouse, London")
        for code, name, country, currency, store in SECTIONS:
            self.sections[code] = places.create_section(
                self.session,
                name=name,
                country_code=country,
                currency=currency,
                code=code,
                store_name=store,
            )
        for event in EVENTS:
            places.create_location(
                self.session,
                kind=LocationKind.EVENT_TABLE,
                code=f"{event.section}-EV-{event.slug}",
                name=event.name,
                section=self.sections[event.section],
            )

    def do_print(self, at: datetime, run: tuple) -> None:
        edition, copies, to, _day, reference = run
        self.post(
            "print_run",
            [self.line(MoveKind.PRINT_RUN, edition, copies, "PRINTER", to)],
            at,
            reference=reference,
        )

    def do_dispatch(self, at: datetime, shipment: tuple) -> None:
        section, lines, *_ = shipment
        self.post(
            "shipment",
            [
                self.line(MoveKind.DISPATCH, edition, qty, "WH", f"{section}-TRANSIT")
                for edition, qty in lines.items()
            ],
            at,
            reference=f"Shipment to {self.sections[section].name}, {at:%d %b %Y}",
        )

    def do_receive(self, at: datetime, shipment: tuple) -> None:
        section, lines, _dispatched, _days, lost = shipment
        moves = []
        for edition, qty in lines.items():
            moves.append(
                self.line(
                    MoveKind.RECEIPT, edition, qty - lost, f"{section}-TRANSIT", f"{section}-STORE"
                )
            )
            if lost:
                moves.append(
                    self.line(
                        MoveKind.TRANSIT_LOSS,
                        edition,
                        lost,
                        f"{section}-TRANSIT",
                        f"{section}-WRITTEN-OFF",
                    )
                )
        note = f"{lost} copies damaged in transit" if lost else None
        self.post("receipt", moves, at, note=note, by=section)

    def do_write_off(self, at: datetime, _item: None) -> None:
        self.post(
            "write_off",
            [self.line(MoveKind.WRITE_OFF, "idol-en", 3, "GB-STORE", "GB-WRITTEN-OFF")],
            at,
            note="Review copies for the press",
            by="GB",
        )

    def do_event(self, at: datetime, event: Event) -> None:
        table = f"{event.section}-EV-{event.slug}"
        store = f"{event.section}-{event.source}"
        self.post(
            "transfer",
            [
                self.line(
                    MoveKind.TRANSFER, edition, min(qty, self.on_hand(store, edition)), store, table
                )
                for edition, qty in event.brought.items()
            ],
            at,
            note=f"Copies for {event.name}",
            by=event.section,
        )
        for edition, qty, authors in event.signings:
            self.post(
                "signing",
                [self.line(MoveKind.SIGNING, edition, qty, table, table, U, S)],
                event.start + timedelta(hours=event.hours - 1),
                note=f"Signed by {authors}",
                by=event.section,
            )
        # Sales: one to three copies a time, through the event.
        queue = [key for key, qty in event.sold.items() for _ in range(qty)]
        self.rng.shuffle(queue)
        minutes = event.hours * 60
        i = 0
        while i < len(queue):
            size = min(self.rng.choice((1, 1, 1, 1, 2, 2, 3)), len(queue) - i)
            basket = queue[i : i + size]
            i += size
            when = event.start + timedelta(minutes=int(minutes * i / len(queue)) - 1)
            counted: dict[tuple[str, Condition], int] = {}
            for key in basket:
                counted[key] = counted.get(key, 0) + 1
            self.post(
                "sale",
                [
                    self.line(
                        MoveKind.SALE, edition, qty, table, f"{event.section}-CUSTOMERS", cond
                    )
                    for (edition, cond), qty in sorted(counted.items())
                ],
                when,
                note=self.rng.choice(PAYMENT_NOTES),
                by=event.section,
            )
        # Leftovers back to the store, and the table closes.
        back = []
        for edition in event.brought:
            for condition in (U, S):
                left = self.on_hand(table, edition, condition)
                if left:
                    back.append(
                        self.line(MoveKind.TRANSFER, edition, left, table, store, condition)
                    )
        if back:
            self.post(
                "transfer",
                back,
                event.start + timedelta(hours=event.hours, minutes=30),
                note=f"Leftovers from {event.name}",
                by=event.section,
            )
        self.loc(table).active = False

    def do_stall(self, at: datetime, week: int) -> None:
        """Weekly bookstalls and reading circles: a few copies sold from each store, booked
        by its treasurer as one sale a week."""
        for code in sorted(self.sections):
            lines = []
            for edition in sorted(self.editions):
                have = self.on_hand(f"{code}-STORE", edition)
                if have <= 0:
                    continue
                choices = (0, 0, 1, 2, 3, 4, 6) if week < 20 else (0, 0, 0, 1, 1, 2, 3)
                qty = min(have, self.rng.choice(choices))
                if qty:
                    lines.append(
                        self.line(MoveKind.SALE, edition, qty, f"{code}-STORE", f"{code}-CUSTOMERS")
                    )
            if lines:
                when = at + timedelta(days=self.rng.randrange(7), hours=self.rng.randrange(8))
                self.post("sale", lines, when, note="Bookstall", by=code)
