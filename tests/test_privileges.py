"""The app's own database role (`tracker db grant`): on PostgreSQL the app works through
a role that owns nothing, and that role can neither change moves or the audit trail nor
get the triggers that guard them out of the way. SQLite has no roles: the command says
so (the hash chain is what shows a change there)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from config import TestConfig
from tests.factories import World, log_in, make_user
from tests.web.forms import send
from tracker import create_app
from tracker.db import make_engine
from tracker.domain.accounts import Role


@pytest.fixture
def app_role(database):
    """A new login role with a unique name (trust authentication, as the test server
    has), dropped with whatever it was granted at the end; None on SQLite."""
    if not database.is_postgresql:
        yield None, []
        return
    role = f"tracker_app_{uuid.uuid4().hex[:12]}"
    admin = make_engine(database._server_url)
    made: list[str] = []
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    try:
        yield role, made
    finally:
        for url in made:
            engine = make_engine(url)
            with engine.begin() as connection:
                connection.execute(text(f'DROP OWNED BY "{role}"'))
            engine.dispose()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


NO_ROLES = (
    "Error: SQLite has no roles: the app's rights cannot be limited there. The audit "
    "trail's hash chain (`tracker audit verify`) shows any change made to it."
)


def _refused_on_sqlite(url: str, role: str) -> None:
    app = create_app(TestConfig, {"DATABASE_URL": url})
    try:
        result = app.test_cli_runner().invoke(args=["db", "grant", role])
        assert result.exit_code == 1
        assert result.output.strip().splitlines() == [NO_ROLES]
    finally:
        app.extensions["tracker.db"].engine.dispose()


def _as(url: str, role: str) -> str:
    return make_url(url).set(username=role, password=None).render_as_string(False)


def test_the_app_runs_as_a_role_that_cannot_touch_the_trail(database, app_role):
    role, made = app_role
    url = database.fresh()
    if role is None:
        _refused_on_sqlite(url, "tracker_app")
        return
    made.append(url)
    owner = create_app(TestConfig, {"DATABASE_URL": url})
    app = None
    try:
        result = owner.test_cli_runner().invoke(args=["db", "grant", role])
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"Granted {role}: read and write on ")
        assert "read and add only on audit_chain, audit_log, audit_sections, moves" in (
            result.output
        )
        with Session(owner.extensions["tracker.db"].engine) as session:
            world = World.build(session).stocked(30)
            session.commit()
            treasurer = make_user(
                session, owner.extensions["tracker.hasher"], Role.TREASURER, "GB"
            ).email
            gb = world.loc("GB-STORE").section_id
            edition = world.edition.id

        # The app, as that role: log in (an audit row, a user updated) and sell.
        app = create_app(TestConfig, {"DATABASE_URL": _as(url, role)})
        client = app.test_client()
        log_in(client, treasurer)
        response = send(
            client,
            f"/sections/{gb}/sell",
            {"item": f"{edition}:unsigned", "qty": 2, "payment": "cash"},
            selector="form.sale-form",
        )
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        assert "Sold 2 ×" in response.get_data(as_text=True)
        verified = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and "chain intact" in verified.output

        engine = app.extensions["tracker.db"].engine
        with engine.connect() as connection:
            assert connection.execute(text("SELECT current_user")).scalar_one() == role
            sold = connection.execute(text("SELECT count(*) FROM moves WHERE kind = 'sale'"))
            assert sold.scalar_one() == 1
        refused = [
            "UPDATE moves SET qty = qty + 1",
            "DELETE FROM moves",
            "TRUNCATE moves",
            "UPDATE audit_log SET summary = 'nothing happened'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_sections",
            "UPDATE audit_chain SET hash = prev_hash",
            "DELETE FROM audit_chain",
            "ALTER TABLE moves DISABLE TRIGGER moves_no_update_or_delete",
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_log_no_update_or_delete ON audit_log",
            "DROP TRIGGER moves_no_update_or_delete ON moves",
            "CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
            "DROP TABLE audit_log",
            "CREATE TRIGGER sneaky BEFORE UPDATE ON balances "
            "FOR EACH ROW EXECUTE FUNCTION moves_are_immutable()",
        ]
        for statement in refused:
            with engine.connect() as connection, pytest.raises(DBAPIError) as error:
                connection.execute(text(statement))
            assert error.value.orig.sqlstate == "42501", (statement, error.value.orig)
    finally:
        for each in (owner, app):
            if each is not None:
                each.extensions["tracker.db"].engine.dispose()


def test_a_role_that_could_act_as_the_owner_is_refused(database, app_role):
    """Granting to the owner itself, or to a role that belongs to the owner, would give
    the app the owner's powers back: refused with a message saying why."""
    role, made = app_role
    url = database.fresh()
    if role is None:  # no roles at all: the owner's name is refused like any other
        _refused_on_sqlite(url, "postgres")
        return
    made.append(url)
    owner = create_app(TestConfig, {"DATABASE_URL": url})
    runner = owner.test_cli_runner()
    try:
        me = make_url(url).username
        result = runner.invoke(args=["db", "grant", me])
        assert result.exit_code == 1 and "is the role running this command" in result.output
        result = runner.invoke(args=["db", "grant", "no_such_role_here"])
        assert result.exit_code == 1
        assert "There is no role 'no_such_role_here'" in result.output
        with owner.extensions["tracker.db"].engine.begin() as connection:
            connection.execute(text(f'ALTER TABLE settings OWNER TO "{role}"'))
        result = runner.invoke(args=["db", "grant", role])
        assert result.exit_code == 1
        assert f"'{role}' owns (or acts as the owner of) settings: " in result.output
        assert "Traceback" not in result.output
    finally:
        owner.extensions["tracker.db"].engine.dispose()
