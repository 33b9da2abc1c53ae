"""The catalogue's rules as the command line meets them: the same services as the
pages, so an ISBN-10, other list prices, archiving and every refusal behave alike."""

from __future__ import annotations

from sqlalchemy import func, select

from tracker.db import db
from tracker.models import AuditEntry, Edition, EditionListPrice

ADD = [
    "catalogue",
    "add-edition",
    "--title",
    "Reason in Revolt",
    "--author",
    "Alan Woods",
    "--author",
    "Ted Grant",
    "--subtitle",
    "Marxist Philosophy and Modern Science",
    "--isbn",
    "0-14-044913-2",
    "--language",
    "en",
    "--price",
    "20.00",
    "--currency",
    "GBP",
    "--other-price",
    "EUR=24.00",
    "--other-price",
    "sek=249",
    "--own-title",
    "Reason in Revolt",
    "--published",
    "2024-01-08",
]


def _edition(app) -> tuple:
    with app.app_context():
        edition = db.session.scalar(select(Edition))
        prices = [(p.currency, p.price_minor) for p in edition.other_prices]
        return edition.isbn, edition.title.subtitle, edition.active, prices


def test_the_command_adds_an_edition_from_an_isbn_10_with_other_list_prices(runner, committed_app):
    result = runner.invoke(args=ADD)
    assert result.exit_code == 0, result.output
    assert "Added Reason in Revolt (English paperback), ISBN 9780140449136." in result.output
    assert _edition(committed_app) == (
        "9780140449136",
        "Marxist Philosophy and Modern Science",
        True,
        [("EUR", 2400), ("SEK", 24900)],
    )
    # Archived and back, each once, in the audit trail.
    for command, said in (
        ("archive", "is archived"),
        ("archive", "was already archived"),
        ("unarchive", "is active again"),
    ):
        result = runner.invoke(args=["catalogue", command, "014044913-2"])
        assert result.exit_code == 0 and said in result.output, result.output
    with committed_app.app_context():
        kinds = db.session.scalars(
            select(AuditEntry.kind).where(AuditEntry.kind.like("edition.%archived"))
        ).all()
    assert kinds == ["edition.archived", "edition.unarchived"]
    # The same ISBN again, as its ISBN-13: refused on one line.
    again = runner.invoke(args=[*ADD[:10], "--isbn", "9780140449136", *ADD[12:]])
    assert again.exit_code == 1
    assert "ISBN 9780140449136 is already the edition Reason in Revolt" in again.output


def test_the_commands_refusals_write_nothing(runner, committed_app):
    for change, message in (
        (("--other-price", "EUR"), "--other-price 'EUR' is not a currency and a price"),
        (("--other-price", "GBP=10"), "GBP is the edition's main currency"),
        (("--other-price", "XYZ=10"), "'XYZ' is not an ISO 4217 currency code"),
        (("--other-price", "EUR=-1"), "The list price cannot be negative"),
        (("--published", "2024-02-30"), "--published '2024-02-30' is not a date"),
        (("--isbn", "0-14-044913-3"), "ISBN-10 '0-14-044913-3' has a wrong check digit"),
    ):
        args = list(ADD)
        at = args.index(change[0])
        args[at + 1] = change[1]
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and message in result.output, (change, result.output)
        assert "Traceback" not in result.output
    with committed_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Edition)) == 0
        assert db.session.scalar(select(func.count()).select_from(EditionListPrice)) == 0
