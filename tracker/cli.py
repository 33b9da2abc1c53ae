"""The ``tracker`` command: Flask's command line for this app, and the tracker's own.

``tracker run`` serves the app, ``tracker db upgrade`` migrates, ``tracker demo`` loads the
demo campaign, ``tracker ledger check`` checks the ledger against itself, ``tracker backup``
and ``tracker restore`` write the whole database to a file and load it back. Errors the user
can fix are printed on one line, without a traceback, with a non-zero exit status.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, OperationalError, ProgrammingError

from tracker.db import db
from tracker.domain.errors import DomainError
from tracker.domain.text import clean
from tracker.domain.values import check_day, parse_id, parse_whole
from tracker.domain.words import say


class MoveId(click.ParamType):
    """A move's id: ASCII digits, from 1 to the largest the database keeps."""

    name = "move_id"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        number = parse_id(value, big=True)
        if number is None:
            self.fail(f"{value!r} is not a move id (a whole number from 1).", param, ctx)
        return number


def _create_app() -> Flask:
    from tracker import create_app

    # A command is no web request that a worker timeout cuts short: a long check or
    # import may take its time, and waits for locks instead of giving up.
    return create_app(overrides={"DATABASE_STATEMENT_TIMEOUT": 0, "DATABASE_LOCK_TIMEOUT": 0})


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """The book tracker: where every copy is, from the warehouse to the reader."""


def transactional(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run a command in one transaction: commit at the end, roll back on any error.

    The command returns what it has to say, which is printed once the transaction is
    committed (never a message about work that did not land). Domain errors become one
    line on stderr and exit status 1. So does a database that is unreachable or not
    migrated yet, with the command that fixes it.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            said = command(*args, **kwargs)
            db.commit()
        except DomainError as error:
            db.rollback()
            raise click.ClickException(error.message) from None
        except (OperationalError, ProgrammingError) as error:
            db.rollback()
            raise click.ClickException(_database_problem(error)) from None
        except DataError as error:
            # A value the database cannot hold that slipped past the checks.
            db.rollback()
            raise click.ClickException(
                "The database refused a value it cannot hold: "
                + str(getattr(error, "orig", error)).strip().splitlines()[0]
            ) from None
        if said:
            click.echo(said)

    return wrapper


def _database_problem(error: Exception) -> str:
    text = str(getattr(error, "orig", error)).strip().splitlines()[0]
    if "no such table" in text or ("does not exist" in text and "relation" in text):
        return f"The database has no tables yet ({text}): run `tracker db upgrade` first."
    return f"The database refused: {text}"


def hasher():
    from tracker.web.security import hasher as app_hasher

    return app_hasher()


def init_app(app: Flask) -> None:
    app.cli.add_command(users_group)
    app.cli.add_command(db_group)
    app.cli.add_command(ledger_group)
    app.cli.add_command(catalogue_group)
    app.cli.add_command(places_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(audit_group)
    app.cli.add_command(mail_group)
    app.cli.add_command(notify_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(import_group)
    app.cli.add_command(restore_command)


# -- tracker db ------------------------------------------------------------------------


@click.group("db", cls=AppGroup)
def db_group() -> None:
    """Migrate the database (Alembic, migrations/)."""


def _url() -> str:
    from flask import current_app

    return current_app.config["DATABASE_URL"]


def _migrating(action: Callable[[], None]) -> None:
    """Run a migration; a refusal or a revision Alembic does not know is one line."""
    from alembic.util import CommandError
    from sqlalchemy.exc import DBAPIError

    from tracker import migrate

    try:
        action()
    except (migrate.MigrationRefused, CommandError) as error:
        raise click.ClickException(str(error)) from None
    except DBAPIError as error:
        text = str(error.orig).strip().splitlines()[0]
        raise click.ClickException(
            f"The migration failed and was rolled back, nothing was changed: {text}"
        ) from None
    click.echo(f"Database at {', '.join(_current()) or 'base'}.")


@db_group.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the newest)."""
    from tracker import migrate

    _migrating(lambda: migrate.upgrade(_url(), revision))


# "-1" is a revision here, not an option.
@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@click.option(
    "--force",
    is_flag=True,
    help="Downgrade even if that drops tables or columns that hold data.",
)
def db_downgrade(revision: str, force: bool) -> None:
    """Downgrade the database to REVISION ('-1' for one step, 'base' for empty).

    Refused, with nothing changed, when the revisions undone would drop tables or
    columns that hold data, unless --force: the message names them and their rows.
    """
    from tracker import migrate

    _migrating(lambda: migrate.downgrade(_url(), revision, force=force))


@db_group.command("current")
def db_current() -> None:
    """Show the revision the database is at, and whether that is the newest."""
    from tracker import migrate

    current = _current()
    heads = migrate.script_heads()
    state = "newest" if sorted(current) == sorted(heads) else f"newest is {', '.join(heads)}"
    click.echo(f"{', '.join(current) or 'base (no migrations applied)'} ({state})")


@db_group.command("grant")
@click.argument("role")
@transactional
def db_grant(role: str) -> str:
    """Give ROLE, the role the app runs as, only the rights it needs (PostgreSQL).

    Run by the role that migrated (the tables' owner), after every upgrade: ROLE may
    read and write ordinary tables, only read and add to moves and the audit trail, and
    owns nothing, so it can neither drop nor disable their triggers.
    """
    from tracker import privileges

    grants = privileges.grant(db.session.connection(), role)
    return (
        f"Granted {grants.role}: read and write on {len(grants.read_write)} tables; "
        f"read and add only on {', '.join(grants.append_only)}; read only on "
        f"{', '.join(grants.read_only)}; the sequences of new rows."
    )


def _current() -> tuple[str, ...]:
    from tracker import migrate

    with db.engine.connect() as connection:
        return migrate.current_heads(connection)


# -- tracker audit ---------------------------------------------------------------------


@click.group("audit", cls=AppGroup)
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("verify")
@transactional
def audit_verify() -> None:
    """Walk the audit trail's hash chain and recompute every link.

    Prints the number of rows and the newest hash when the chain is intact; otherwise
    the first row whose content or link does not match, with exit status 1.
    """
    from tracker import audit

    verdict = audit.verify(db.session)
    if verdict.problem is not None:
        click.echo(
            f"Audit chain broken after {verdict.rows:,} intact rows: {verdict.problem}", err=True
        )
        raise click.exceptions.Exit(1)
    newest = f"; newest hash {verdict.head}" if verdict.head else ""
    click.echo(f"{verdict.rows:,} rows, chain intact{newest}.")


# -- tracker mail ----------------------------------------------------------------------


@click.group("mail", cls=AppGroup)
def mail_group() -> None:
    """The mail queue: send it, or check the settings with a test mail."""


def _mail_log() -> None:
    """What the sender logs (each mail, without a mail server) goes to stderr at INFO,
    unless the process configured its logging already."""
    import logging

    from flask import current_app

    from tracker import mailer

    current_app.logger  # noqa: B018 - Flask gives the "tracker" logger its handler
    if not mailer.log.isEnabledFor(logging.INFO):
        mailer.log.setLevel(logging.INFO)


def _send_queue() -> str:
    from flask import current_app

    from tracker import mailer

    _mail_log()
    settings = mailer.Settings.of(current_app.config)
    report = mailer.send_due(db.session_factory, settings)
    if report.unavailable:
        raise click.ClickException(f"Mail through {settings.server}: {report}.")
    return f"Mail through {settings.server}: {report}."


@mail_group.command("send")
@click.option("--loop", is_flag=True, help="Keep sending, as a service, until stopped.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1, max=3600),
    default=30,
    show_default=True,
    help="With --loop: seconds between rounds.",
)
def mail_send(loop: bool, interval: float) -> None:
    """Send the mails that are due, oldest first.

    Run it from cron every minute, or once with --loop as a service (SIGTERM or Ctrl-C
    stops it after the mail under way). A server that is down loses nothing: the mails
    wait for the next run. Exits with status 1 when the server could not be used.
    """
    if not loop:
        click.echo(_send_queue())
        return
    import signal
    import threading

    from flask import current_app

    from tracker import mailer

    settings = mailer.Settings.of(current_app.config)
    _mail_log()
    stop = threading.Event()

    def stopping(_signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, stopping) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Sending mail through {settings.server} every {interval:g} s until stopped.")
    try:
        mailer.run(db.session_factory, settings, interval=interval, stop=stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Stopped.")


@mail_group.command("test")
@click.argument("address")
@click.option("--language", default=None, help="Write it in this language: sv, es, ur...")
def mail_test(address: str, language: str | None) -> None:
    """Queue a test mail to ADDRESS and send the queue now: checks the mail settings."""
    _queue_test(address, language)
    click.echo(_send_queue())


@transactional
def _queue_test(address: str, language: str | None) -> str:
    from flask import current_app

    from tracker import mailer
    from tracker.services import mail

    queued = mail.enqueue(
        db.session,
        to=address,
        kind="test",
        template="test",
        language=language,
        context={
            "server": mailer.Settings.of(current_app.config).server,
            "queued_at": datetime.now(UTC),
        },
    )
    if queued is None:
        raise DomainError("Notifications are off (NOTIFICATIONS=off): no mail was queued.")
    return f"Queued a test mail to {queued.to_address}."


# -- tracker backup / restore -------------------------------------------------------------


def _progress():
    """A progress bar on stderr when it is a terminal; None (nothing shown) otherwise."""
    import sys

    if not sys.stderr.isatty():
        return None

    def bar(total: int, label: str):
        return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True)

    return bar


def _backup_step(action: Callable[[], Any]) -> Any:
    from tracker.backup import BackupRefused

    try:
        return action()
    except BackupRefused as error:
        raise click.ClickException(error.message) from None
    except (OperationalError, ProgrammingError) as error:
        raise click.ClickException(_database_problem(error)) from None


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@with_appcontext
def backup_command(file: Path, force: bool) -> None:
    """Write every table of the database, the audit trail and its chain included, to
    FILE: a zip of a manifest (schema revision, rows, SHA-256 of each member) and one
    tab-separated file per table.

    Reads one snapshot of the database; the app may go on working meanwhile. FILE is
    written under a temporary name and renamed when complete.
    """
    from tracker import backup

    summary = _backup_step(
        lambda: backup.backup(db.engine, file, overwrite=force, progress=_progress())
    )
    click.echo(
        f"Backed up {summary.rows:,} rows of {summary.tables} tables to {file} "
        f"(schema revision {summary.manifest.revision})."
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Load a backup made by `tracker backup` into an empty database, SQLite or
    PostgreSQL, migrated first with `tracker db upgrade`.

    Checks every member's checksum before anything is written, then loads all the
    rows in one transaction: on any error (a damaged file, a backup of another schema
    revision, a database that holds data) nothing is written.
    """
    from tracker import backup

    summary = _backup_step(lambda: backup.restore(db.engine, file, progress=_progress()))
    made = summary.manifest
    click.echo(
        f"Restored {summary.rows:,} rows into {summary.tables} tables from {file} "
        f"(made on {made.engine} at {made.created_at}, schema revision {made.revision}). "
        "Check it with `tracker ledger check` and `tracker audit verify`."
    )


# -- tracker demo ----------------------------------------------------------------------


@click.command("demo")
@with_appcontext
@click.option(
    "--if-empty",
    is_flag=True,
    help="Do nothing (and succeed) when the database already holds data.",
)
@transactional
def demo_command(if_empty: bool) -> str:
    """Fill an empty database with the demo campaign of 2024."""
    from tracker import demo, ledger

    if if_empty and not demo.is_empty(db.session):
        return "The database already holds data; the demo was not loaded."
    summary = demo.load(db.session, hasher())
    problems = ledger.check(db.session)
    if problems:  # pragma: no cover - the demo posts through the ledger only
        raise DomainError(f"The demo left the ledger inconsistent: {problems[0]}")
    lines = [
        f"Demo campaign loaded: {summary.editions} editions, {summary.sections} sections, "
        f"{summary.locations} locations, {summary.documents:,} documents, "
        f"{summary.moves:,} moves. Ledger check: clean.",
        "",
        "Demo accounts (the passwords are shown this once):",
    ]
    for account in summary.accounts:
        who = account.role.label + (f", {account.section}" if account.section else "")
        lines.append(f"  {account.email:<28} {account.password:<28} {who}")
    return "\n".join(lines)


# -- tracker ledger --------------------------------------------------------------------


@click.group("ledger", cls=AppGroup)
def ledger_group() -> None:
    """Post, reverse and check moves."""


@ledger_group.command("check")
@transactional
def ledger_check() -> None:
    """Recompute every balance from the moves and list each difference; replay the
    moves in the order they happened and name the first place and moment that held
    fewer than zero copies.

    Exits with status 1 when there is any. Only reads: it takes no lock that the app's
    writers would wait for, and sees the data as it was when it began.
    """
    from tracker import ledger
    from tracker.models import Balance, Move

    db.snapshot()
    moves = db.session.scalar(select(func.count()).select_from(Move)) or 0
    balances = db.session.scalar(select(func.count()).select_from(Balance)) or 0
    problems = ledger.check(db.session)
    if not problems:
        click.echo(f"Ledger check: {moves:,} moves, {balances:,} balances, no differences.")
        return
    for problem in problems:
        label = "PAST" if isinstance(problem, ledger.PastProblem) else "DIFFERENCE"
        click.echo(f"{label} {problem}", err=True)
    raise click.exceptions.Exit(1)


def _parse_when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(
            f"--at {value!r} is not a date and time such as 2024-01-21T19:30."
        ) from None
    check_day(when, "--at")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@ledger_group.command("post")
@click.option("--kind", required=True, help="Kind of move: print_run, transfer, sale...")
@click.option("--edition", "isbn", required=True, help="The edition's ISBN (or its ISBN-10).")
@click.option("--qty", required=True, help="How many copies.")
@click.option("--from", "source", required=True, help="Location code to take copies from.")
@click.option("--to", "target", required=True, help="Location code to put them in.")
@click.option("--condition", default="unsigned", show_default=True)
@click.option("--to-condition", default=None, help="Only for a signing: signed.")
@click.option("--reference", default=None, help="Print run or invoice number...")
@click.option("--note", default=None)
@click.option("--at", "at", default=None, help="When it happened (default: now), ISO 8601.")
@transactional
def ledger_post(
    kind: str,
    isbn: str,
    qty: str,
    source: str,
    target: str,
    condition: str,
    to_condition: str | None,
    reference: str | None,
    note: str | None,
    at: str | None,
) -> str:
    """Post one move, as a document of its own."""
    from tracker.ledger import MoveLine
    from tracker.services import catalogue, places
    from tracker.services.stock import post_document

    copies = parse_whole(qty)
    if copies is None:
        raise DomainError(f"--qty must be a whole number of copies, not {qty!r}.")
    edition = catalogue.edition_by_isbn(db.session, isbn)
    line = MoveLine(
        kind=kind,
        edition_id=edition.id,
        qty=copies,
        from_location_id=places.location_by_code(db.session, source).id,
        to_location_id=places.location_by_code(db.session, target).id,
        from_condition=condition,
        to_condition=to_condition,
        note=note,
    )
    document = post_document(
        db.session, kind, [line], reference=reference, note=note, occurred_at=_parse_when(at)
    )
    return (
        f"Posted document #{document.id}: {copies:,} x {edition.label} "
        f"from {source.upper()} to {target.upper()}."
    )


@ledger_group.command("reverse")
@click.argument("move_ids", nargs=-1, required=True, type=MoveId())
@click.option("--note", default=None, help="Why.")
@transactional
def ledger_reverse(move_ids: tuple[int, ...], note: str | None) -> str:
    """Reverse moves with opposite moves linked to them."""
    from tracker.services.stock import reverse_moves

    document = reverse_moves(db.session, list(move_ids), note=note)
    return f"Reversed move {', '.join(map(str, move_ids))} in document #{document.id}."


# -- tracker catalogue / places ----------------------------------------------------------


@click.group("catalogue", cls=AppGroup)
def catalogue_group() -> None:
    """Titles and editions."""


@catalogue_group.command("add-edition")
@click.option("--title", required=True, help="The title; created if new.")
@click.option("--author", "authors", multiple=True, help="Repeat for each author (new titles).")
@click.option("--subtitle", default=None, help="The subtitle (new titles).")
@click.option("--publisher", default=None, help="The publisher (new titles; Wellred Books).")
@click.option("--isbn", required=True, help="ISBN-13, or an ISBN-10 (taken as its ISBN-13).")
@click.option("--language", required=True, help="Language code: en, es, ur...")
@click.option("--format", "fmt", default="paperback", show_default=True)
@click.option("--price", required=True, help="List price, such as 25.00.")
@click.option("--currency", required=True, help="ISO 4217 code, such as GBP.")
@click.option(
    "--other-price",
    "other_prices",
    multiple=True,
    help="A list price in another currency, such as SEK=299.00; repeat for each.",
)
@click.option("--own-title", default=None, help="The title in the edition's own language.")
@click.option("--published", default=None, help="Publication date, such as 2024-01-08.")
@transactional
def catalogue_add_edition(
    title: str,
    authors: tuple[str, ...],
    subtitle: str | None,
    publisher: str | None,
    isbn: str,
    language: str,
    fmt: str,
    price: str,
    currency: str,
    other_prices: tuple[str, ...],
    own_title: str | None,
    published: str | None,
) -> str:
    """Add an edition (and its title, when new), by the rules of the catalogue's pages."""
    from tracker.models import Title
    from tracker.services import catalogue

    title = clean(title, say("the title"), 300, required=True)
    existing = db.session.scalar(select(Title).where(Title.name == title).limit(1))
    if existing is None:
        existing = catalogue.create_title(
            db.session,
            None,
            name=title,
            authors=list(authors),
            subtitle=subtitle,
            publisher=publisher or catalogue.DEFAULT_PUBLISHER,
        )
    edition = catalogue.create_edition(
        db.session,
        None,
        title=existing,
        isbn=isbn,
        language=language,
        format=fmt,
        list_price=price,
        currency=currency,
        published_on=_parse_day(published, "--published"),
        own_title=own_title,
        other_prices=[_other_price(text) for text in other_prices],
    )
    return f"Added {edition.label}, ISBN {edition.isbn}."


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise DomainError(f"{option} {value!r} is not a date such as 2024-01-08.") from None
    check_day(day, option)
    return day


def _other_price(text: str):
    from tracker.services.catalogue import ListPrice

    currency, equals, amount = text.partition("=")
    if not equals:
        raise DomainError(f"--other-price {text!r} is not a currency and a price, such as SEK=299.")
    return ListPrice(currency, amount)


@catalogue_group.command("archive")
@click.argument("isbn")
@transactional
def catalogue_archive(isbn: str) -> str:
    """Archive an edition: no longer offered on forms; its history and reports stay."""
    return _set_active(isbn, False)


@catalogue_group.command("unarchive")
@click.argument("isbn")
@transactional
def catalogue_unarchive(isbn: str) -> str:
    """Offer an archived edition on forms again."""
    return _set_active(isbn, True)


def _set_active(isbn: str, active: bool) -> str:
    from tracker.services import catalogue

    edition = catalogue.edition_by_isbn(db.session, isbn)
    edition, changed = catalogue.set_edition_active(db.session, None, edition.id, active)
    if not changed:
        return f"{edition.label} was already {'active' if active else 'archived'}."
    return f"{edition.label} is {'active again' if active else 'archived'}."


@click.group("places", cls=AppGroup)
def places_group() -> None:
    """Sections and locations."""


@places_group.command("add-section")
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code, such as SE.")
@click.option("--currency", required=True, help="ISO 4217 code, such as SEK.")
@click.option("--code", default=None, help="Prefix of its location codes (default: country).")
@click.option(
    "--time-zone", default="UTC", show_default=True, help="IANA, such as Europe/Stockholm."
)
@click.option("--language", default="en", show_default=True, help="en, es, sv, ur, it, fr, de, pt.")
@click.option("--address", default=None, help="Its store's postal address (\\n between lines).")
@transactional
def places_add_section(
    name: str,
    country: str,
    currency: str,
    code: str | None,
    time_zone: str,
    language: str,
    address: str | None,
) -> str:
    """Add a section, with its store and its virtual locations."""
    from tracker.services import places

    places.ensure_publisher_locations(db.session)
    section = places.create_section(
        db.session,
        name=name,
        country_code=country,
        currency=currency,
        code=code,
        time_zone=time_zone,
        language=language,
        store_address=_lines(address),
    )
    codes = ", ".join(loc.code for loc in section.locations)
    return f"Added section {section.name}: {codes}."


def _lines(address: str | None) -> str | None:
    """An address typed on one line, its lines set apart by a literal backslash-n."""
    return None if address is None else address.replace("\\n", "\n")


@places_group.command("add-location")
@click.option("--kind", required=True, help="section_store or event_table.")
@click.option("--code", required=True)
@click.option("--name", required=True)
@click.option("--section", "section_name", required=True, help="The section's name.")
@click.option("--address", default=None, help="A store's postal address (\\n between lines).")
@transactional
def places_add_location(
    kind: str, code: str, name: str, section_name: str, address: str | None
) -> str:
    """Add a store or an event table to a section."""
    from tracker.domain.errors import NotFound
    from tracker.models import Section
    from tracker.services import places

    section = db.session.scalar(
        select(Section).where(Section.name == clean(section_name, say("the section's name"), 200))
    )
    if section is None:
        raise NotFound(f"There is no section called {section_name!r}.")
    location = places.create_location(
        db.session, kind=kind, code=code, name=name, section=section, address=_lines(address)
    )
    return f"Added {location.kind_label} {location.name} ({location.code})."


@places_group.command("set-address")
@click.argument("code")
@click.option("--address", required=True, help="The postal address (\\n between lines).")
@transactional
def places_set_address(code: str, address: str) -> str:
    """Set the postal address of the warehouse or a store (by its code)."""
    from tracker.services import places

    place = places.location_by_code(db.session, code)
    places.update_place(
        db.session, None, place.id, code=place.code, name=place.name, address=_lines(address)
    )
    return f"Address of {place.name} ({place.code}) set."


# -- tracker users ----------------------------------------------------------------------


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Staff accounts."""


def _password_prompt() -> str:
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_group.command("create")
@click.argument("email")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "distributor", "treasurer", "coordinator"])
)
@click.option("--name", default=None)
@click.option("--section", "section_name", default=None, help="Treasurers: the section's name.")
@transactional
def users_create(email: str, role: str, name: str | None, section_name: str | None) -> str:
    """Create an account; the password is asked for at a prompt."""
    from tracker.domain.errors import NotFound
    from tracker.models import Section
    from tracker.services import accounts

    section_id = None
    if section_name:
        section = db.session.scalar(
            select(Section).where(
                Section.name == clean(section_name, say("the section's name"), 200)
            )
        )
        if section is None:
            raise NotFound(f"There is no section called {section_name!r}.")
        section_id = section.id
    password = _password_prompt()
    user, _ = accounts.create_user(
        db.session,
        hasher(),
        email=email,
        role=role,
        name=name,
        section_id=section_id,
        password=password,
    )
    return f"Created {user.role_label.lower()} {user.email}."


@users_group.command("set-password")
@click.argument("email")
@transactional
def users_set_password(email: str) -> str:
    """Set an account's password (asked for at a prompt); its sessions end."""
    from tracker.services import accounts

    user = accounts.set_password(db.session, hasher(), email, _password_prompt())
    return f"Password of {user.email} set."


@users_group.command("list")
@transactional
def users_list() -> None:
    """List the accounts."""
    from tracker.models import User

    for user in db.session.scalars(select(User).order_by(User.role, User.email)):
        state = "active" if user.active else "deactivated"
        section = f" ({user.section.name})" if user.section else ""
        click.echo(f"{user.email:<32} {user.role_label}{section}, {state}")


# -- tracker notify ----------------------------------------------------------------------


@click.group("notify", cls=AppGroup)
def notify_group() -> None:
    """Mail what needs people: run from cron (README, "Notifications")."""


def _sent(what: str, sent: Any) -> str:
    line = f"{what}: {sent.queued} queued"
    if sent.already:
        line += f", {sent.already} sent before and left out"
    if sent.failed:
        line += f", {sent.failed} could not be queued (see the log)"
    return line + "."


@notify_group.command("weekly")
@transactional
def notify_weekly() -> str:
    """Queue the weekly digest for each coordinator: the last whole week (UTC) before
    today. Run again in the same week, it sends nothing more."""
    from flask import current_app

    from tracker.services import mail, notifications

    if not mail.enabled():
        return "Notifications are off (NOTIFICATIONS): nothing queued."
    sent = notifications.send_weekly(db.session, current_app.config["PUBLISHER_CURRENCY"])
    return _sent("Weekly digests", sent)


@notify_group.command("overdue")
@transactional
def notify_overdue() -> str:
    """Queue a notice to the treasurers of each shipment to their section that is past
    its expected day; each shipment is told of once."""
    from tracker.services import mail, notifications

    if not mail.enabled():
        return "Notifications are off (NOTIFICATIONS): nothing queued."
    return _sent("Overdue notices", notifications.send_overdue(db.session))


# -- tracker import ----------------------------------------------------------------------


@click.group("import", cls=AppGroup)
def import_group() -> None:
    """Import a CSV or XLSX file (no size limit here): all of it or nothing. Write the
    templates with `tracker import templates DIR`."""


def _acting(email: str | None) -> Any:
    """The account a command acts as (``--as``): None is the system."""
    if email is None:
        return None
    from tracker import audit
    from tracker.models import User

    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        raise DomainError(say("There is no active account %(email)s.", email=email))
    audit.set_actor(db.session, user.id)
    return user


def _problems_text(outcome: Any) -> str:
    lines = [say("Nothing was imported. Problems:")]
    for problem in outcome.problems:
        where = []
        if problem.row is not None:
            where.append(say("row %(row)s", row=problem.row))
        if problem.column:
            where.append(say("column %(column)s", column=problem.column))
        lines.append(f"  {', '.join(where) or say('the file')}: {problem.message}")
    return "\n".join(lines)


def _import_command(kind: str) -> click.Command:
    @click.command(kind, help=f"Import a file of {kind} (CSV or XLSX).")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--as", "email", default=None, help="Act as this account (its email).")
    @click.option("--preview", is_flag=True, help="Check everything, write nothing.")
    @with_appcontext
    @transactional
    def command(file: Path, email: str | None, preview: bool) -> str:
        from tracker.services import imports

        bars: list[Any] = []
        show = _progress()

        def progress(total: int) -> Callable[[int], None]:
            if show is None or total < 1000:
                return lambda n: None
            bar = show(total, say("Importing"))
            bar.__enter__()
            bars.append(bar)
            return bar.update

        try:
            outcome = imports.run(
                db.session,
                _acting(email),
                kind,
                file.read_bytes(),
                filename=file.name,
                write=not preview,
                progress=progress,
            )
        finally:
            for bar in bars:
                bar.__exit__(None, None, None)
        if outcome.problems:
            raise DomainError(_problems_text(outcome))
        made = ", ".join(f"{key}: {value}" for key, value in outcome.made.items())
        if preview:
            return say(
                "No problems: %(rows)s rows would make %(made)s.", rows=outcome.rows, made=made
            )
        return say("Imported %(rows)s rows: %(made)s.", rows=outcome.rows, made=made)

    return command


def _add_import_commands() -> None:
    from tracker.domain.imports import ImportKind

    for kind in ImportKind:
        import_group.add_command(_import_command(kind.value))


_add_import_commands()


@import_group.command("templates")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def import_templates(directory: Path) -> None:
    """Write a template of each kind, CSV and XLSX, with example rows, into DIRECTORY."""
    from tracker.domain.imports import ImportKind
    from tracker.services.imports.templates import template_csv, template_xlsx

    directory.mkdir(parents=True, exist_ok=True)
    for kind in ImportKind:
        (directory / f"{kind.value}.csv").write_bytes(template_csv(kind.value))
        (directory / f"{kind.value}.xlsx").write_bytes(template_xlsx(kind.value))
    click.echo(say("Templates written to %(directory)s.", directory=str(directory)))
