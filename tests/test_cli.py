"""The ``tracker`` command line: migrations, the demo, the ledger, and bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tracker.db import db
from tracker.models import Document, Edition, Move


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _one_line_error(result, expected: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines == [f"Error: {expected}"], result.output
    assert "Traceback" not in result.output


def test_the_console_script_needs_no_flask_app(tmp_path):
    script = Path(sys.executable).with_name("tracker")
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_APP", "DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.sqlite'}"
    result = subprocess.run(
        [str(script), "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    for command in ("run", "db", "demo", "ledger"):
        assert f"  {command}" in result.stdout


def test_db_upgrade_and_current(database, tmp_path):
    from config import TestConfig
    from tracker import create_app

    app = create_app(TestConfig, {"DATABASE_URL": database.fresh(migrated=False)})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0 and "base (no migrations applied)" in result.output
    result = runner.invoke(args=["ledger", "check"])
    _one_line_error(result, result.output.strip().removeprefix("Error: "))
    assert "run `tracker db upgrade` first" in result.output
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0 and "(newest)" in result.output
    # The thresholds of the alerts are a row of settings, made by a migration.
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 1 and "table settings (1 row)" in result.output
    result = runner.invoke(args=["db", "downgrade", "base", "--force"])
    assert result.exit_code == 0 and "Database at base." in result.output
    app.extensions["tracker.db"].engine.dispose()


def _fingerprint(app) -> list:
    with app.app_context():
        rows = db.session.execute(
            text(
                "SELECT m.kind, e.isbn, m.qty, f.code, t.code, m.from_condition, m.to_condition,"
                " m.occurred_at FROM moves m JOIN editions e ON e.id = m.edition_id"
                " JOIN locations f ON f.id = m.from_location_id"
                " JOIN locations t ON t.id = m.to_location_id ORDER BY m.id"
            )
        ).all()
    return [tuple(str(v) for v in row) for row in rows]


@pytest.mark.slow
def test_demo_loads_once_the_same_every_time_and_passes_the_check(app, demo_app):
    """Loaded into the empty test database (rolled back afterwards), the demo is move for
    move the one loaded before into another database; it prints accounts that log in; a
    second load is refused."""
    import re

    from tests.factories import log_in
    from tracker.demo import ACCOUNTS

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Demo campaign loaded: 3 editions, 14 sections" in result.output
    assert "Ledger check: clean." in result.output
    moves = _count(app, Move)
    assert moves > 1000
    assert _fingerprint(app) == _fingerprint(demo_app)

    printed = dict(re.findall(r"^  (\S+@example\.org)\s+(\S+)\s", result.output, re.M))
    assert set(printed) == {a[0] for a in ACCOUNTS}
    assert "Section treasurer, Britain (RCP)" in result.output
    for email in ("admin@example.org", "treasurer.se@example.org"):
        log_in(app.test_client(), email, printed[email])

    again = runner.invoke(args=["demo"])
    _one_line_error(again, again.output.strip().removeprefix("Error: "))
    assert "already holds data" in again.output
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert skipped.exit_code == 0 and "not loaded" in skipped.output
    assert _count(app, Move) == moves

    check = runner.invoke(args=["ledger", "check"])
    assert check.exit_code == 0
    assert check.output.strip() == (
        f"Ledger check: {moves:,} moves, {_balances(app):,} balances, no differences."
    )


def _balances(app) -> int:
    from tracker.models import Balance

    return _count(app, Balance)


def test_ledger_check_lists_differences_and_fails(demo_app):
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        db.session.execute(
            text(
                "UPDATE balances SET qty = qty + 5 WHERE location_id = "
                "(SELECT id FROM locations WHERE code = 'GB-STORE') AND condition = 'unsigned'"
            )
        )
        db.session.commit()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    (line,) = [li for li in result.output.splitlines() if li.startswith("DIFFERENCE")]
    assert "London store (GB-STORE)" in line and "balances say" in line


def test_ledger_check_names_the_first_moment_the_past_fails(demo_app):
    """Five copies sold from the London store in 2023, written around the ledger (as a
    faulty import would), balances and all: the figures agree, the past does not."""
    runner = demo_app.test_cli_runner()
    with demo_app.app_context():
        db.session.execute(
            text(
                "INSERT INTO documents (kind, occurred_at, created_at) VALUES "
                "('import', '2023-12-01 10:00:00+00:00', '2023-12-01 10:00:00+00:00')"
            )
        )
        db.session.execute(
            text(
                "INSERT INTO moves (document_id, edition_id, qty, from_location_id, "
                "from_condition, to_location_id, to_condition, kind, occurred_at, created_at) "
                "SELECT (SELECT max(id) FROM documents), e.id, 5, s.id, 'unsigned', c.id, "
                "'unsigned', 'sale', '2023-12-01 10:00:00+00:00', '2023-12-01 10:00:00+00:00' "
                "FROM editions e, locations s, locations c WHERE e.isbn = '9781913026868' "
                "AND s.code = 'GB-STORE' AND c.code = 'GB-CUSTOMERS'"
            )
        )
        for code, delta in (("GB-STORE", -5), ("GB-CUSTOMERS", 5)):
            db.session.execute(
                text(
                    "UPDATE balances SET qty = qty + :delta WHERE condition = 'unsigned' "
                    "AND location_id = (SELECT id FROM locations WHERE code = :code) "
                    "AND edition_id = (SELECT id FROM editions WHERE isbn = '9781913026868')"
                ),
                {"code": code, "delta": delta},
            )
        db.session.commit()
    result = runner.invoke(args=["ledger", "check"])
    assert result.exit_code == 1
    (line,) = [li for li in result.output.splitlines() if li.startswith("PAST")]
    assert line == (
        "PAST Replayed in the order things happened, London store (GB-STORE), In Defence of "
        "Lenin (English paperback), ISBN 9781913026868, unsigned, held -5 copies on 01 Dec "
        "2023 10:00:00: the first moment the past does not add up."
    )


@pytest.fixture
def stocked(runner, committed_app):
    commands = [
        [
            "catalogue",
            "add-edition",
            "--title",
            "In Defence of Lenin",
            "--author",
            "Alan Woods",
            "--author",
            "Rob Sewell",
            "--isbn",
            "978-1-913026-86-8",
            "--language",
            "en",
            "--price",
            "25.00",
            "--currency",
            "GBP",
        ],
        ["places", "add-section", "--name", "Britain", "--country", "GB", "--currency", "GBP"],
        [
            "ledger",
            "post",
            "--kind",
            "print_run",
            "--edition",
            "9781913026868",
            "--qty",
            "100",
            "--from",
            "PRINTER",
            "--to",
            "WH",
            "--reference",
            "Run 1",
            "--at",
            "2024-01-05T09:00",
        ],
    ]
    for args in commands:
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    return runner


def test_posting_from_the_command_line(stocked, committed_app):
    result = stocked.invoke(
        args=[
            "ledger",
            "post",
            "--kind",
            "dispatch",
            "--edition",
            "9781913026868",
            "--qty",
            "40",
            "--from",
            "wh",
            "--to",
            "gb-transit",
            "--at",
            "2024-01-10T11:00",
        ]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "Posted document #2: 40 x In Defence of Lenin (English paperback) from WH to GB-TRANSIT."
    )
    with committed_app.app_context():
        move = db.session.scalar(select(Move).where(Move.kind == "dispatch"))
        assert move.occurred_at.isoformat() == "2024-01-10T11:00:00+00:00"


def test_a_posting_dated_before_the_copies_arrived_is_refused(stocked, committed_app):
    result = stocked.invoke(
        args=[
            "ledger",
            "post",
            "--kind",
            "dispatch",
            "--edition",
            "9781913026868",
            "--qty",
            "40",
            "--from",
            "WH",
            "--to",
            "GB-TRANSIT",
            "--at",
            "2024-01-04T11:00",
        ]
    )
    assert result.exit_code == 1
    assert (
        "Only 0 unsigned copies of In Defence of Lenin (English paperback), ISBN 9781913026868 "
        "were at Warehouse (WH) on 04 Jan 2024; 100 arrived there on 05 Jan 2024."
    ) in result.output
    with committed_app.app_context():
        assert db.session.scalar(select(Move).where(Move.kind == "dispatch")) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--qty", "0"], "the quantity must be at least 1, not 0."),
        (["--qty", "-5"], "the quantity must be at least 1, not -5."),
        (["--qty", "ten"], "--qty must be a whole number of copies, not 'ten'."),
        (["--qty", "2.5"], "--qty must be a whole number of copies, not '2.5'."),
        (
            ["--edition", "9781913026869"],
            "ISBN '9781913026869' has a wrong check digit: it ends "
            "in 9, the first twelve digits give 8.",
        ),
        (["--edition", "9781913026875"], "There is no edition with ISBN 9781913026875."),
        (["--from", "NOWHERE"], "There is no location with the code 'NOWHERE'."),
        (["--to", "WH"], "copies cannot move from Warehouse (WH) to itself."),
        (
            ["--qty", "500"],
            "Not enough stock at Warehouse (WH): In Defence of Lenin (English "
            "paperback), ISBN 9781913026868, unsigned: 100 copies there, 500 asked.",
        ),
        (
            ["--from", "GB-CUSTOMERS"],
            "a dispatch cannot take copies from Sold by Britain "
            "(GB-CUSTOMERS), a customers location; it takes them from section store or warehouse.",
        ),
        (["--kind", "gift"], "'gift' is not a kind of move."),
        (
            ["--at", "yesterday"],
            "--at 'yesterday' is not a date and time such as 2024-01-21T19:30.",
        ),
        (["--qty", "١٠"], "--qty must be a whole number of copies, not '١٠'."),
        (["--qty", "１２"], "--qty must be a whole number of copies, not '１２'."),
        (["--qty", "1_0"], "--qty must be a whole number of copies, not '1_0'."),
        (
            ["--at", "0001-01-01T00:00"],
            "--at (0001-01-01) is too long ago: give a date from 1900 on.",
        ),
        (
            ["--note", "a\x00b"],
            "The note holds a control character (U+0000): only tabs and line breaks may be typed.",
        ),
        (
            ["--reference", "run\x0b1"],
            "The reference holds a control character (U+000B): type plain text.",
        ),
        (["--from", "W\x00H"], "There is no location with the code 'W\\x00H'."),
    ],
)
def test_bad_input_gets_one_line_and_writes_nothing(stocked, committed_app, args, message):
    base = {
        "--kind": "dispatch",
        "--edition": "9781913026868",
        "--qty": "10",
        "--from": "WH",
        "--to": "GB-TRANSIT",
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    moves, documents = _count(committed_app, Move), _count(committed_app, Document)
    result = stocked.invoke(args=["ledger", "post", *[x for kv in base.items() for x in kv]])
    _one_line_error(result, message)
    assert (_count(committed_app, Move), _count(committed_app, Document)) == (moves, documents)


def test_adding_an_edition_with_a_wrong_check_digit(runner, committed_app):
    result = runner.invoke(
        args=[
            "catalogue",
            "add-edition",
            "--title",
            "T",
            "--author",
            "A",
            "--isbn",
            "978-1-913026-86-1",
            "--language",
            "en",
            "--price",
            "10",
            "--currency",
            "GBP",
        ]
    )
    _one_line_error(
        result,
        "ISBN '978-1-913026-86-1' has a wrong check digit: it ends in 1, "
        "the first twelve digits give 8.",
    )
    assert _count(committed_app, Edition) == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--language", "xx-nonsense"], "'xx-nonsense' is not a language code"),
        (["--currency", "GBX"], "'GBX' is not an ISO 4217 currency code"),
        (["--price", "12.345"], "12.345 GBP has more decimals than GBP allows (2)."),
        (["--price", "-1"], "The list price cannot be negative"),
        (["--format", "scroll"], "'scroll' is not an edition format (paperback, hardback)."),
        (["--price", "1e999999999"], "1e999999999 GBP is too large"),
        (["--price", "10000000.01"], "a list price can be at most 10,000,000.00 GBP."),
        (["--price", "1e-999999999"], "1e-999999999 GBP has more decimals than GBP allows (2)."),
        (["--price", "sNaN"], "'sNaN' is not an amount of money."),
        (["--title", "T\x00"], "The title holds a control character (U+0000)"),
        (["--author", "A\x1b"], "The author's name holds a control character (U+001B)"),
    ],
)
def test_edition_fields_are_checked(runner, committed_app, args, message):
    base = {
        "--title": "T",
        "--author": "A",
        "--isbn": "9781913026868",
        "--language": "en",
        "--price": "10",
        "--currency": "GBP",
    }
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = runner.invoke(
        args=["catalogue", "add-edition", *[x for kv in base.items() for x in kv]]
    )
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert _count(committed_app, Edition) == 0


def test_sections_need_real_country_and_currency_codes(runner, committed_app):
    result = runner.invoke(
        args=["places", "add-section", "--name", "X", "--country", "XX", "--currency", "GBP"]
    )
    _one_line_error(result, "'XX' is not an ISO 3166-1 alpha-2 country code (such as GB, SE).")
    result = runner.invoke(
        args=["places", "add-section", "--name", "X", "--country", "SE", "--currency", "KRONA"]
    )
    _one_line_error(result, "'KRONA' is not an ISO 4217 currency code (such as GBP, EUR, SEK).")


def test_the_first_admin_comes_from_the_command_line(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--role", "admin", "First@Example.org"],
        input="a long first admin passphrase\na long first admin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "Created admin first@example.org." in result.output
    assert "a long first admin passphrase" not in result.output
    from tests.factories import log_in

    log_in(app.test_client(), "first@example.org", "a long first admin passphrase")


def test_users_create_never_takes_the_password_from_the_command_line(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--role", "admin", "x@example.org", "--password", "secret"]
    )
    assert result.exit_code == 2 and "No such option '--password'" in result.output


@pytest.mark.parametrize(
    ("args", "typed", "message"),
    [
        (
            ["--role", "admin", "a@example.org"],
            "short\nshort\n",
            "The password must have at least 12 characters (5 given).",
        ),
        (
            ["--role", "admin", "a@example.org"],
            "password1234\npassword1234\n",
            "This password is one of the most common ones: choose another.",
        ),
        (
            ["--role", "treasurer", "a@example.org"],
            "a long enough passphrase\n" * 2,
            "A treasurer belongs to one section: choose which.",
        ),
        (
            ["--role", "treasurer", "--section", "Atlantis", "a@example.org"],
            "a long enough passphrase\n" * 2,
            "There is no section called 'Atlantis'.",
        ),
        (
            ["--role", "admin", "not-an-email"],
            "a long enough passphrase\n" * 2,
            "'not-an-email' is not an email address.",
        ),
    ],
)
def test_users_create_refuses_bad_input(app, args, typed, message):
    from tracker.models import User

    result = app.test_cli_runner().invoke(args=["users", "create", *args], input=typed)
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.output
    assert _count(app, User) == 0


@pytest.mark.parametrize("move_id", ["99999999999999999999", "١", "abc", "0"])
def test_reversing_a_move_that_cannot_exist(stocked, committed_app, move_id):
    moves = _count(committed_app, Move)
    result = stocked.invoke(args=["ledger", "reverse", move_id])
    assert result.exit_code == 2, result.output
    assert f"{move_id!r} is not a move id (a whole number from 1)." in result.output
    assert "Traceback" not in result.output
    assert _count(committed_app, Move) == moves


def test_a_section_name_with_a_control_character(runner, committed_app):
    result = runner.invoke(
        args=[
            *("places", "add-location", "--kind", "section_store", "--code", "X-STORE"),
            *("--name", "X", "--section", "Brit\x00ain"),
        ]
    )
    _one_line_error(
        result, "The section's name holds a control character (U+0000): type plain text."
    )


def test_set_password_from_the_command_line(app, make_user):
    from tests.factories import log_in
    from tracker.domain.accounts import Role

    user = make_user(Role.COORDINATOR)
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", user.email], input="the recovered passphrase\n" * 2
    )
    assert result.exit_code == 0 and f"Password of {user.email} set." in result.output
    log_in(app.test_client(), user.email, "the recovered passphrase")
    listing = app.test_cli_runner().invoke(args=["users", "list"])
    assert user.email in listing.output and "Coordinator, active" in listing.output


def test_sections_and_stores_with_their_addresses(runner, committed_app):
    from tracker.models import Location, Section

    result = runner.invoke(
        args=[
            *("places", "add-section", "--name", "Sweden", "--country", "SE"),
            *("--currency", "SEK", "--time-zone", "Europe/Stockholm", "--language", "sv"),
            *("--address", "RKP\\nBox 170 12\\n104 62 Stockholm"),
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            *("places", "add-location", "--kind", "section_store", "--code", "SE-GBG"),
            *("--name", "Gothenburg", "--section", "Sweden", "--address", "Göteborg"),
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["places", "set-address", "wh", "--address", "PO Box 1\\nLondon"])
    assert result.exit_code == 0, result.output
    with committed_app.app_context():
        section = db.session.scalar(select(Section).where(Section.name == "Sweden"))
        assert (section.time_zone, section.language) == ("Europe/Stockholm", "sv")
        addresses = dict(db.session.execute(select(Location.code, Location.address)).all())
    assert addresses["SE-STORE"] == "RKP\nBox 170 12\n104 62 Stockholm"
    assert addresses["SE-GBG"] == "Göteborg"
    assert addresses["WH"] == "PO Box 1\nLondon"
    result = runner.invoke(
        args=[
            *("places", "add-section", "--name", "X", "--country", "SE", "--currency", "SEK"),
            *("--code", "SE2", "--time-zone", "Mars/Olympus"),
        ]
    )
    _one_line_error(
        result, "'Mars/Olympus' is not a time zone (such as Europe/London, Asia/Karachi)."
    )
