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
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker import audit, ledger, passwords
from tracker.domain.accounts import Role
from tracker.domain.errors import DomainError
from tracker.domain.stock import Condition, MoveKind
from tracker.ledger import MoveLine
from tracker.models import Document, Edition, Event, Location, Move, Section, Shipment, User
from tracker.services import accounts, catalogue, events, notifications, places, shipments
from tracker.services import prices as prices_service
from tracker.services import rates as rates_service
from tracker.services import receipts as receipts_service
from tracker.services import remittances as remittances_service
from tracker.services import sales as sales_service
from tracker.services import signings as signings_service
from tracker.services.movements import Copies, record_print_run, stocktake, transfer, write_off
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

# Each section's language (until each person chooses one) and time zone.
SPEECH = {
    "GB": ("en", "Europe/London"),
    "SE": ("sv", "Europe/Stockholm"),
    "MX": ("es", "America/Mexico_City"),
    "PK": ("ur", "Asia/Karachi"),
    "CA": ("en", "America/Toronto"),
    "IT": ("it", "Europe/Rome"),
    "IE": ("en", "Europe/Dublin"),
    "US": ("en", "America/New_York"),
    "DE": ("de", "Europe/Berlin"),
    "FR": ("fr", "Europe/Paris"),
    "PT": ("pt", "Europe/Lisbon"),
    "ES": ("es", "Europe/Madrid"),
    "AU": ("en", "Australia/Sydney"),
    "CH": ("de", "Europe/Zurich"),
}
# Editions' titles in their own language and script.
OWN_TITLES = {
    "idol-es": "En defensa de Lenin",
    "bolshevism-ur": "بالشویزم: انقلاب کا راستہ",
}

# List prices in other currencies than an edition's main one.
OTHER_LIST_PRICES = {
    "idol-en": {"USD": "30.00", "EUR": "28.00", "CAD": "40.00", "AUD": "45.00"},
    "idol-es": {"MXN": "500.00"},
}

PRINT_RUNS = [
    # edition, copies, to, day, reference
    ("idol-en", 5000, "WH", date(2024, 1, 8), "Print run 1 (invoice WB-2401)"),
    ("idol-es", 1000, "WH", date(2024, 1, 8), "Primera tirada (invoice WB-2402)"),
    ("bolshevism-ur", 1000, "PK-STORE", date(2024, 1, 10), "Urdu edition, printed in Lahore"),
    ("idol-en", 2000, "WH", date(2024, 4, 2), "Print run 2 (invoice WB-2415)"),
]

# The first wave: 4,000 copies dispatched within days of the launch.
# section, {edition: copies}, dispatched, days to arrive (None: still in transit), lost
# What each section pays the publisher per copy (its currency), and on what terms.
TERMS = {
    "GB": ("firm_sale", {"idol-en": "12.50"}),
    "US": ("sale_or_return", {"idol-en": "16.00"}),
    "CA": ("sale_or_return", {"idol-en": "20.00"}),
    "SE": ("sale_or_return", {"idol-en": "160.00"}),
    "IE": ("sale_or_return", {"idol-en": "14.00"}),
    "IT": ("sale_or_return", {"idol-en": "14.00"}),
    "DE": ("sale_or_return", {"idol-en": "14.00"}),
    "FR": ("sale_or_return", {"idol-en": "14.00"}),
    "PT": ("sale_or_return", {"idol-en": "14.00"}),
    "ES": ("sale_or_return", {"idol-en": "14.00", "idol-es": "15.00"}),
    "AU": ("sale_or_return", {"idol-en": "22.00"}),
    "CH": ("sale_or_return", {"idol-en": "15.00"}),
    "PK": ("firm_sale", {"idol-en": "1500.00"}),
    "MX": ("firm_sale", {"idol-es": "280.00"}),
}

# The first wave: 4,000 copies dispatched within days of the launch.
# section, {edition: copies}, dispatched, days to arrive (None: still in transit),
# copies damaged in transit, carrier
SHIPMENTS = [
    ("GB", {"idol-en": 1000}, date(2024, 1, 10), 2, 0, "Royal Mail"),
    ("US", {"idol-en": 450}, date(2024, 1, 10), 6, 0, "DHL"),
    ("CA", {"idol-en": 350}, date(2024, 1, 10), 7, 0, "DHL"),
    ("SE", {"idol-en": 200}, date(2024, 1, 11), 4, 0, "DHL"),
    ("IE", {"idol-en": 150}, date(2024, 1, 11), 3, 2, "An Post"),
    ("IT", {"idol-en": 150}, date(2024, 1, 11), 5, 0, "DHL"),
    ("DE", {"idol-en": 120}, date(2024, 1, 12), 4, 0, "DHL"),
    ("FR", {"idol-en": 80}, date(2024, 1, 12), 4, 0, "La Poste"),
    ("PT", {"idol-en": 60}, date(2024, 1, 12), 6, 0, "DHL"),
    ("ES", {"idol-en": 80, "idol-es": 150}, date(2024, 1, 12), 5, 0, "DHL"),
    ("AU", {"idol-en": 250}, date(2024, 1, 12), 12, 0, "Australia Post"),
    ("CH", {"idol-en": 60}, date(2024, 1, 13), 4, 0, "DHL"),
    ("PK", {"idol-en": 300}, date(2024, 1, 13), 6, 0, "TCS"),
    ("MX", {"idol-es": 600}, date(2024, 1, 13), 5, 0, "FedEx"),
    # Later waves, after the second print run.
    ("GB", {"idol-en": 400}, date(2024, 4, 15), 2, 0, "Royal Mail"),
    ("SE", {"idol-en": 100}, date(2024, 4, 3), 4, 0, "DHL"),
    ("US", {"idol-en": 200}, date(2024, 9, 2), 8, 0, "DHL"),
    ("AU", {"idol-en": 120}, date(2024, 12, 9), None, 0, "Australia Post"),
]

# Unsold sale-or-return copies sent back: section, {edition: copies}, dispatched, days.
RETURNS = [("DE", {"idol-en": 20}, date(2024, 10, 7), 5)]

# Postal addresses for parcels: the warehouse's and each section's store (organisations'
# post boxes and offices, invented; no private person's home).
ADDRESSES = {
    "WH": "PO Box 50525\nLondon E14 6WG\nUnited Kingdom",
    "GB": "Revolutionary Communist Party\nPO Box 50525\nLondon E14 6WG\nUnited Kingdom",
    "SE": "RKP\nBox 170 12\n104 62 Stockholm\nSweden",
    "MX": (
        "Organización Comunista Revolucionaria\nApartado Postal 12-345\n"
        "Col. Narvarte, Benito Juárez\n03020 Ciudad de México, CDMX\nMexico"
    ),
    "PK": "Lal Salaam Publications\nP.O. Box 2134, G.P.O.\nLahore 54000\nPakistan",
    "CA": (
        "Revolutionary Communist Party\nP.O. Box 40071, RPO Danforth\nToronto, ON M4J 0A7\nCanada"
    ),
    "IT": "Partito Comunista Rivoluzionario\nCasella Postale 1917\n20123 Milano MI\nItaly",
    "IE": "Revolutionary Communist Party\nPO Box 1917\nDublin 1\nIreland",
    "US": "Revolutionary Communists of America\nPO Box 1917\nNew York, NY 10163\nUnited States",
    "DE": "Revolutionäre Kommunistische Partei\nPostfach 19 17 01\n10123 Berlin\nGermany",
    "FR": "Parti Communiste Révolutionnaire\nBP 1917\n75011 Paris\nFrance",
    "PT": "Partido Comunista Revolucionário\nApartado 1917\n1000-001 Lisboa\nPortugal",
    "ES": "Organización Comunista Revolucionaria\nApartado de Correos 1917\n28080 Madrid\nSpain",
    "AU": "Revolutionary Communists of Australia\nPO Box 1917\nSydney NSW 2001\nAustralia",
    "CH": "Revolutionäre Kommunistische Partei\nPostfach 1917\n8021 Zürich\nSwitzerland",
}
# Each section's contact for parcels and money: its books desk (a made-up address in the
# example.org domain; Britain's number is in the range kept for fiction).
CONTACT_PHONES = {"GB": "+44 20 7946 0917"}


@dataclass
class DemoEvent:
    section: str
    name: str
    kind: str
    city: str
    venue: str | None
    start: datetime
    hours: int
    attendance: int
    brought: dict[str, int]
    sold: dict[tuple[str, Condition], int]
    # (edition, copies, authors)
    signings: list[tuple[str, int, tuple[str, ...]]] = field(default_factory=list)


def _at(y: int, m: int, d: int, h: int = 18, minute: int = 0) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=UTC)


WOODS, SEWELL = "Alan Woods", "Rob Sewell"

EVENTS = [
    DemoEvent(
        "SE",
        "Värmland communist school",
        "school",
        "Karlstad",
        None,
        _at(2024, 1, 20, 10),
        8,
        29,
        {"idol-en": 40},
        {("idol-en", U): 18},
    ),
    DemoEvent(
        "PK",
        "Bolshevism book launch",
        "launch",
        "Karachi",
        None,
        _at(2024, 1, 20, 12),
        4,
        110,
        {"bolshevism-ur": 200},
        {("bolshevism-ur", U): 112},
    ),
    DemoEvent(
        "GB",
        "#LeninLives: London launch of In Defence of Lenin",
        "launch",
        "London",
        "Central London",
        _at(2024, 1, 21, 14),
        8,
        150,
        {"idol-en": 300},
        {("idol-en", U): 84, ("idol-en", S): 61},
        [("idol-en", 72, (WOODS, SEWELL))],
    ),
    DemoEvent(
        "SE",
        "Lenin in Stockholm: walking tour",
        "other",
        "Stockholm",
        None,
        _at(2024, 1, 21, 11),
        3,
        35,
        {"idol-en": 20},
        {("idol-en", U): 7},
    ),
    DemoEvent(
        "IT",
        "Bologna regional meeting and live stream",
        "public_meeting",
        "Bologna",
        None,
        _at(2024, 1, 21, 13),
        6,
        98,
        {"idol-en": 60},
        {("idol-en", U): 34},
    ),
    DemoEvent(
        "IE",
        "Dublin watch party",
        "public_meeting",
        "Dublin",
        None,
        _at(2024, 1, 21, 14),
        6,
        25,
        {"idol-en": 30},
        {("idol-en", U): 14},
    ),
    DemoEvent(
        "MX",
        "100 years after his death: we return to Lenin!",
        "public_meeting",
        "Mexico City",
        None,
        _at(2024, 1, 21, 17),
        5,
        120,
        {"idol-es": 120},
        {("idol-es", U): 66},
    ),
    DemoEvent(
        "PK",
        "Who was Lenin? Open mic and Communist Bookstall",
        "bookstall",
        "Lahore",
        None,
        _at(2024, 1, 21, 11),
        6,
        80,
        {"idol-en": 40, "bolshevism-ur": 100},
        {("idol-en", U): 22, ("bolshevism-ur", U): 45},
    ),
    DemoEvent(
        "PK",
        "Bolshevism launch",
        "launch",
        "Hyderabad",
        "Hyderabad Press Club",
        _at(2024, 1, 22, 11),
        4,
        45,
        {"bolshevism-ur": 80},
        {("bolshevism-ur", U): 38},
    ),
    DemoEvent(
        "PK",
        "Lenin Festival",
        "festival",
        "Lahore",
        None,
        _at(2024, 2, 3, 10),
        9,
        400,
        {"idol-en": 120, "bolshevism-ur": 150},
        {("idol-en", U): 71, ("bolshevism-ur", U): 93},
    ),
    DemoEvent(
        "CA",
        "Montreal Winter School: In Defence of Lenin",
        "school",
        "Montreal",
        None,
        _at(2024, 2, 17, 14),
        30,
        260,
        {"idol-en": 150},
        {("idol-en", U): 96},
    ),
    DemoEvent(
        "AU",
        "Sydney summer school",
        "school",
        "Sydney",
        None,
        _at(2024, 2, 10, 10),
        8,
        60,
        {"idol-en": 60},
        {("idol-en", U): 31},
    ),
    DemoEvent(
        "US",
        "In Defence of Lenin reading circle",
        "reading_circle",
        "New York",
        None,
        _at(2024, 3, 9, 15),
        3,
        40,
        {"idol-en": 40},
        {("idol-en", U): 23},
    ),
    DemoEvent(
        "SE",
        "RKP founding congress",
        "public_meeting",
        "Stockholm",
        None,
        _at(2024, 4, 13, 9),
        30,
        300,
        {"idol-en": 120},
        {("idol-en", U): 74},
    ),
    DemoEvent(
        "GB",
        "RCP founding conference",
        "public_meeting",
        "London",
        None,
        _at(2024, 5, 25, 9),
        30,
        900,
        {"idol-en": 450},
        {("idol-en", U): 201, ("idol-en", S): 38},
        [("idol-en", 40, (WOODS,))],
    ),
]

# What readers pay in each section (its currency), where it is not the list price.
RETAIL = {
    "US": {"idol-en": "30.00"},
    "CA": {"idol-en": "40.00"},
    "SE": {"idol-en": "300.00"},
    "IE": {"idol-en": "28.00"},
    "IT": {"idol-en": "28.00"},
    "DE": {"idol-en": "28.00"},
    "FR": {"idol-en": "28.00"},
    "PT": {"idol-en": "28.00"},
    "ES": {"idol-en": "28.00"},
    "AU": {"idol-en": "45.00"},
    "CH": {"idol-en": "30.00"},
    "PK": {"idol-en": "3000.00"},
    "MX": {"idol-es": "500.00"},
}

# Money sent to the publisher: section, amount, sent on, confirmed?
REMITTANCES = [
    ("GB", "5000.00", date(2024, 3, 1), True),
    ("GB", "4000.00", date(2024, 7, 1), True),
    ("SE", "8000.00", date(2024, 5, 15), True),
    ("MX", "60000.00", date(2024, 4, 10), True),
    ("US", "1500.00", date(2024, 12, 2), False),
]

# Rates to the publisher's currency (GBP), as an admin entered them. None for CHF: its
# balance shows in francs only, and stays out of the total.
RATES = {
    "SEK": "0.0745",
    "MXN": "0.0465",
    "PKR": "0.00283",
    "CAD": "0.583",
    "EUR": "0.853",
    "USD": "0.789",
    "AUD": "0.521",
}

PAYMENTS = ("cash", "card", "cash", "card", "bank_transfer")
BUYERS = (None, None, None, "Sam", "Aisha", "Jonas", "María", "Bilal", "Chloé", "Tom")
DEDICATIONS = ["Ahmed", "Greta", "Linh", "Owen", "Priya", "Kwame", "Sofía", "Niamh", "Yusuf"]

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
    # A campaign long past: nobody is told of its shipments and receipts.
    with notifications.silenced(session):
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
        self.users: dict[str, User] = {}  # "distribution" or a section code -> user
        self.accounts: list[DemoAccount] = []
        self.shipments: dict[int, int] = {}  # index in SHIPMENTS -> shipment id
        self.authors: dict[str, int] = {}
        self.documents = 0

    # -- helpers ---------------------------------------------------------------------

    def loc(self, code: str) -> Location:
        if code not in self.codes:
            self.codes[code] = places.location_by_code(self.session, code)
        return self.codes[code]

    def by(self, who: str, *, count: bool = True) -> User | None:
        """The demo user who would do it: distribution staff, or the section's treasurer
        (sections without a demo treasurer act through nobody in particular, as if their
        figures had been imported)."""
        user = self.users.get(who)
        audit.set_actor(self.session, user.id if user else None)
        self.documents += count
        return user

    def post(
        self,
        kind: str,
        lines: list[MoveLine],
        at: datetime,
        note: str | None = None,
        who: str = "distribution",
    ) -> None:
        """Sales and signings: their own documents come with events and sales."""
        user = self.by(who)
        post_document(
            self.session,
            kind,
            lines,
            note=note,
            occurred_at=at,
            created_by_id=user.id if user else None,
        )

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

    def copies(self, wanted: dict[str, int], condition: Condition = U) -> list[Copies]:
        return [Copies(self.editions[e].id, qty, condition) for e, qty in wanted.items() if qty]

    # -- the campaign ----------------------------------------------------------------

    def run(self) -> Summary:
        self.catalogue()
        self.places()
        self.people()
        self.money()
        steps: list[tuple[datetime, int, str, object]] = []
        for order, run in enumerate(PRINT_RUNS):
            steps.append((_at(run[3].year, run[3].month, run[3].day, 9), order, "print", run))
        for order, shipment in enumerate(SHIPMENTS):
            day = shipment[2]
            steps.append((_at(day.year, day.month, day.day, 11), order, "dispatch", order))
            if shipment[3] is not None:
                arrival = _at(day.year, day.month, day.day, 15) + timedelta(days=shipment[3])
                steps.append((arrival, order, "receive", order))
        for order, event in enumerate(EVENTS):
            steps.append((event.start - timedelta(hours=3), order, "event", order))
        for order, remittance in enumerate(REMITTANCES):
            day = remittance[2]
            steps.append((_at(day.year, day.month, day.day, 12), order, "remit", remittance))
        for order, back in enumerate(RETURNS):
            steps.append((_at(back[2].year, back[2].month, back[2].day, 10), order, "return", back))
        steps.append((_at(2024, 2, 1, 10), 0, "write_off", None))
        steps.append((_at(2024, 12, 20, 16), 0, "stocktake", None))
        for week in range(51):
            steps.append((_at(2024, 1, 6) + timedelta(weeks=week), 0, "stall", week))
        for at, _order, action, item in sorted(steps, key=lambda s: (s[0], s[1], s[2])):
            getattr(self, f"do_{action}")(at, item)
        # The demo's documents were written when they happened, in 2024 (real ones are
        # dated when they are recorded).
        first_move = (
            select(func.min(Move.occurred_at))
            .where(Move.document_id == Document.id)
            .scalar_subquery()
        )
        self.session.execute(
            update(Document)
            .where(Document.id.in_(select(Move.document_id)))
            .values(created_at=first_move)
            .execution_options(synchronize_session=False)
        )
        audit.set_actor(self.session, None)
        return Summary(
            len(self.editions),
            len(self.sections),
            self.session.scalar(select(func.count()).select_from(Location)) or 0,
            self.documents,
            self.session.scalar(select(func.count()).select_from(Move)) or 0,
            self.accounts,
        )

    def catalogue(self) -> None:
        titles = {
            key: catalogue.create_title(self.session, name=name, authors=authors, subtitle=sub)
            for key, (name, authors, sub) in TITLES.items()
        }
        self.authors = {a.name: a.id for title in titles.values() for a in title.authors}
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
                own_title=OWN_TITLES.get(key),
                other_prices=[
                    catalogue.ListPrice(code, amount)
                    for code, amount in OTHER_LIST_PRICES.get(key, {}).items()
                ],
            )

    def places(self) -> None:
        warehouse = places.ensure_publisher_locations(
            self.session, warehouse_name="Wellred warehouse, London"
        )
        places.update_place(
            self.session,
            None,
            warehouse.id,
            code=warehouse.code,
            name=warehouse.name,
            address=ADDRESSES["WH"],
        )
        for code, name, country, currency, store in SECTIONS:
            language, zone = SPEECH[code]
            self.sections[code] = places.create_section(
                self.session,
                name=name,
                country_code=country,
                currency=currency,
                code=code,
                store_name=store,
                store_address=ADDRESSES[code],
                language=language,
                time_zone=zone,
                contact_name=f"{name}: books desk",
                contact_email=f"books.{code.lower()}@example.org",
                contact_phone=CONTACT_PHONES.get(code),
            )
        self.session.flush()

    def money(self) -> None:
        """Retail prices in each section, and the rates an admin entered."""
        for code, prices in RETAIL.items():
            for edition, price in prices.items():
                prices_service.set_price(
                    self.session,
                    self.by(code, count=False),
                    self.sections[code].id,
                    self.editions[edition].id,
                    price,
                )
        admin = self.by("admin", count=False)
        for currency, rate in RATES.items():
            rates_service.set_rate(
                self.session,
                admin,
                currency=currency,
                valid_on=date(2024, 1, 1),
                rate=rate,
                publisher_currency="GBP",
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
            self.users["distribution" if role == Role.DISTRIBUTOR else section or role] = user
            self.accounts.append(
                DemoAccount(email, role, self.sections[section].name if section else None, password)
            )

    def do_print(self, at: datetime, run: tuple) -> None:
        edition, copies, to, _day, reference = run
        if to == "WH":
            record_print_run(
                self.session,
                self.by("distribution"),
                edition_id=self.editions[edition].id,
                qty=copies,
                when=at,
                reference=reference,
            )
        else:  # printed in the country, straight into the section's store
            self.post(
                "print_run",
                [self.line(MoveKind.PRINT_RUN, edition, copies, "PRINTER", to)],
                at,
                note=reference,
            )

    def do_dispatch(self, at: datetime, index: int) -> None:
        section, wanted, _day, days, _lost, carrier = SHIPMENTS[index]
        terms, prices = TERMS[section]
        staff = self.by("distribution")
        shipment = shipments.create(
            self.session,
            staff,
            direction="outbound",
            section_id=self.sections[section].id,
            terms=terms,
            carrier=carrier,
            tracking_number=f"{carrier[:2].upper()}{at:%y%m%d}{index:03d}",
            expected_on=(at + timedelta(days=(days or 7) + 1)).date(),
            lines=[
                shipments.LineInput(self.editions[e].id, qty, prices[e])
                for e, qty in wanted.items()
            ],
        )
        shipments.dispatch(self.session, staff, shipment.id, when=at)
        self.shipments[index] = shipment.id

    def do_receive(self, at: datetime, index: int) -> None:
        section, _wanted, _day, _days, lost, _carrier = SHIPMENTS[index]
        shipment = self.session.get_one(Shipment, self.shipments[index])
        entries = [
            receipts_service.ReceiptInput(
                line.id,
                received=line.qty - lost,
                damaged=lost,
                reason="damaged_in_transit" if lost else None,
                note="Box crushed in transit" if lost else None,
            )
            for line in shipment.lines
        ]
        receipts_service.receive(self.session, self.by(section), shipment.id, entries, when=at)

    def do_return(self, at: datetime, back: tuple) -> None:
        section, wanted, _day, days = back
        _terms, prices = TERMS[section]
        treasurer = self.by(section)
        shipment = shipments.create(
            self.session,
            treasurer,
            direction="return",
            section_id=self.sections[section].id,
            carrier="DHL",
            expected_on=(at + timedelta(days=days + 2)).date(),
            lines=[
                shipments.LineInput(self.editions[e].id, qty, prices[e])
                for e, qty in wanted.items()
            ],
            note="Unsold copies after the summer",
        )
        shipments.dispatch(self.session, treasurer, shipment.id, when=at)
        shipment = self.session.get_one(Shipment, shipment.id)
        receipts_service.receive(
            self.session,
            self.by("distribution"),
            shipment.id,
            [receipts_service.ReceiptInput(line.id, received=line.qty) for line in shipment.lines],
            when=at + timedelta(days=days),
        )

    def do_write_off(self, at: datetime, _item: None) -> None:
        write_off(
            self.session,
            self.by("GB"),
            location_id=self.loc("GB-STORE").id,
            reason="review_copy",
            lines=self.copies({"idol-en": 3}),
            note="Review copies for the press",
            when=at,
        )

    def do_stocktake(self, at: datetime, _item: None) -> None:
        """The year-end count of the London store finds two copies fewer."""
        counts = [
            Copies(
                self.editions[e].id,
                self.on_hand("GB-STORE", e, c) - (2 if (e, c) == ("idol-en", U) else 0),
                c,
            )
            for e in sorted(self.editions)
            for c in (U, S)
            if self.on_hand("GB-STORE", e, c)
        ]
        stocktake(
            self.session,
            self.by("GB"),
            location_id=self.loc("GB-STORE").id,
            counts=counts,
            reason="Two copies unaccounted for: lent and never returned",
            when=at,
        )

    def do_event(self, at: datetime, index: int) -> None:
        spec = EVENTS[index]
        treasurer = self.by(spec.section, count=False)
        event = events.create_event(
            self.session,
            treasurer,
            self.sections[spec.section].id,
            events.EventDetails(
                name=spec.name,
                kind=spec.kind,
                city=spec.city,
                venue=spec.venue,
                starts_on=spec.start.date(),
                ends_on=(spec.start + timedelta(hours=spec.hours)).date(),
                expected_attendance=spec.attendance,
                actual_attendance=spec.attendance,
            ),
        )
        store = self.loc(f"{spec.section}-STORE")
        brought = {e: min(qty, self.on_hand(store.code, e)) for e, qty in spec.brought.items()}
        self.by(spec.section)
        transfer(
            self.session,
            treasurer,
            from_location_id=store.id,
            to_location_id=event.location_id,
            lines=self.copies(brought),
            note=f"Copies for {spec.name}",
            when=at,
        )
        self.sign_at(event, spec, treasurer)
        self.sell_at(event, spec, treasurer)
        # The table closes: the leftovers go back to the store in one step.
        self.by(spec.section)
        events.close_event(
            self.session,
            treasurer,
            event.id,
            when=spec.start + timedelta(hours=spec.hours, minutes=30),
        )

    def sign_at(self, event: Event, spec: DemoEvent, treasurer: User | None) -> None:
        for edition, qty, names in spec.signings:
            self.by(spec.section)
            signings_service.sign(
                self.session,
                treasurer,
                event_id=event.id,
                edition_id=self.editions[edition].id,
                qty=qty,
                author_ids=[self.authors[n] for n in names],
                dedications=self.rng.sample(DEDICATIONS, 3),
                # As the doors open: the signed copies are on the table before they sell.
                when=spec.start,
            )

    def sell_at(self, event: Event, spec: DemoEvent, treasurer: User | None) -> None:
        """Sales: one to three copies a time, through the event."""
        queue = [key for key, qty in spec.sold.items() for _ in range(qty)]
        self.rng.shuffle(queue)
        minutes = spec.hours * 60
        i = 0
        while i < len(queue):
            size = min(self.rng.choice((1, 1, 1, 1, 2, 2, 3)), len(queue) - i)
            basket = queue[i : i + size]
            i += size
            counted: dict[tuple[str, Condition], int] = {}
            for key in basket:
                counted[key] = counted.get(key, 0) + 1
            self.by(spec.section)
            sales_service.sell(
                self.session,
                treasurer,
                location_id=event.location_id,
                items=[
                    sales_service.SaleItem(self.editions[e].id, qty, cond)
                    for (e, cond), qty in sorted(counted.items())
                ],
                payment_method=self.rng.choice(PAYMENTS),
                buyer_name=self.rng.choice(BUYERS),
                when=spec.start + timedelta(minutes=1 + int((minutes - 2) * i / len(queue))),
            )

    def do_remit(self, at: datetime, remittance: tuple) -> None:
        section, amount, day, confirmed = remittance
        treasurer = self.by(section)
        record = remittances_service.record_remittance(
            self.session,
            treasurer,
            section_id=self.sections[section].id,
            amount=amount,
            currency=self.sections[section].currency,
            sent_on=day,
            method="bank_transfer",
            reference=f"{section}-{day:%Y%m%d}",
        )
        record.document.created_at = at
        if confirmed:
            remittances_service.confirm_remittance(
                self.session, self.by("distribution", count=False), record.id
            )
            record.confirmed_at = at + timedelta(days=3)

    def do_stall(self, at: datetime, week: int) -> None:
        """Weekly bookstalls and reading circles: a few copies sold from each store, booked
        by its treasurer as one sale a week."""
        for code in sorted(self.sections):
            items = []
            for edition in sorted(self.editions):
                have = self.on_hand(f"{code}-STORE", edition)
                if have <= 0:
                    continue
                choices = (0, 0, 1, 2, 3, 4, 6) if week < 20 else (0, 0, 0, 1, 1, 2, 3)
                qty = min(have, self.rng.choice(choices))
                if qty:
                    items.append(sales_service.SaleItem(self.editions[edition].id, qty))
            if items:
                when = at + timedelta(days=self.rng.randrange(7), hours=self.rng.randrange(8))
                sales_service.sell(
                    self.session,
                    self.by(code),
                    location_id=self.loc(f"{code}-STORE").id,
                    items=items,
                    payment_method=self.rng.choice(PAYMENTS),
                    when=when,
                )
