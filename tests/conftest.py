"""Fixtures: the app, its client and CLI runner, and a database per engine.

Every test that asks for ``database`` (directly or through ``app``, ``session``,
``client``...) runs once on SQLite and once on PostgreSQL. PostgreSQL needs a server URL
in ``TEST_POSTGRESQL_URL`` (for example ``postgresql://postgres@127.0.0.1:5432/test``);
without it those runs are skipped, except under CI (``CI=true``), where a missing URL is
an error. The tests create their own databases (a file for SQLite, ``CREATE DATABASE``
for PostgreSQL), migrated with Alembic, and drop them at the end.

Isolation: a test's app binds its sessions to one connection inside a transaction that
is rolled back when the test ends (SQLAlchemy's "join a session into an external
transaction" recipe, with savepoints); ``commit()`` in the app releases a savepoint.
Tests that need real commits seen by other connections (races, the CLI, a live server)
use ``database.fresh()``: a new database of their own.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from config import TestConfig
from tracker import create_app, migrate
from tracker.db import make_engine, normalize_url

PG_ENV = "TEST_POSTGRESQL_URL"
IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """Run in parallel by default (``-n auto``), as README's test command does, but only
    where pytest-xdist is loaded: ``-p no:xdist`` then works, which ``-n auto`` in
    setup.cfg's addopts forbade (an unknown option without the plugin). ``-n N`` (``-n 0``:
    one process), ``--tx`` or ``--pdb`` given on the command line or in PYTEST_ADDOPTS
    win. Runs before xdist's own hook, which reads the option (a conftest's hook of the
    same priority comes before an installed plugin's); not in xdist's workers."""
    option = config.option
    if (
        config.pluginmanager.hasplugin("xdist")
        and not hasattr(config, "workerinput")
        and getattr(option, "numprocesses", None) is None
        and not getattr(option, "tx", None)
        and not option.usepdb
    ):
        option.numprocesses = "auto"


def _engine_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("database") if callspec else None


def _slow_first(items: list[pytest.Item]) -> list[pytest.Item]:
    def fast(item: pytest.Item) -> tuple[bool, bool]:
        return (item.get_closest_marker("slow") is None, item.get_closest_marker("browser") is None)

    return sorted(items, key=fast)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Long tests (the crawler, the wheel, Chromium) first within each engine's run of
    tests, so that the parallel workers start them early rather than one worker ending
    the run alone with them. Runs after pytest grouped the tests by engine, whose order
    it keeps (each engine's databases are made once per worker)."""
    runs: list[list[pytest.Item]] = []
    engine: str | None = None
    for item in items:
        item_engine = _engine_of(item)
        if not runs or (item_engine is not None and item_engine != engine):
            runs.append([])
            engine = item_engine if item_engine is not None else engine
        runs[-1].append(item)
    items[:] = [item for run in runs for item in _slow_first(run)]


@dataclass
class TestDatabase:
    """A migrated database of one engine, and a way to make more like it."""

    engine_name: str
    url: str
    _workdir: Path
    _server_url: str | None = None
    _template: str | None = None
    _made: list[str] = field(default_factory=list)

    @property
    def is_postgresql(self) -> bool:
        return self.engine_name == "postgresql"

    def fresh(self, *, migrated: bool = True) -> str:
        """The URL of a new database of this engine, migrated to head unless asked not."""
        name = f"tracker_test_{uuid.uuid4().hex[:12]}"
        if self.is_postgresql:
            template = f' TEMPLATE "{self._template}"' if migrated else ""
            with _pg_admin(self._server_url) as admin:
                admin.execute(text(f'CREATE DATABASE "{name}"{template}'))
            self._made.append(name)
            return str(make_url(self._server_url).set(database=name).render_as_string(False))
        path = self._workdir / f"{name}.sqlite"
        if migrated:
            shutil.copyfile(self._workdir / "template.sqlite", path)
        return f"sqlite:///{path}"

    def clone(self, url: str) -> str:
        """A new database holding a copy of the one at ``url`` (of this engine)."""
        name = f"tracker_test_{uuid.uuid4().hex[:12]}"
        if self.is_postgresql:
            source = make_url(url).database
            with _pg_admin(self._server_url) as admin:
                admin.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
            self._made.append(name)
            return str(make_url(self._server_url).set(database=name).render_as_string(False))
        path = self._workdir / f"{name}.sqlite"
        shutil.copyfile(make_url(url).database, path)
        return f"sqlite:///{path}"

    def drop_all(self) -> None:
        if self.is_postgresql:
            with _pg_admin(self._server_url) as admin:
                for name in [*self._made, self._template]:
                    admin.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        shutil.rmtree(self._workdir, ignore_errors=True)


class _pg_admin:
    """An autocommit connection to the server's maintenance database."""

    def __init__(self, server_url: str | None):
        assert server_url
        self.engine = make_engine(server_url)

    def __enter__(self):
        self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()
        self.engine.dispose()


def _pg_server_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url:
        if IN_CI:
            pytest.fail(f"CI=true but {PG_ENV} is not set: the PostgreSQL runs cannot be skipped")
        pytest.skip(f"set {PG_ENV} to run the PostgreSQL half of the suite")
    return normalize_url(url).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp(f"db-{request.param}")
    if request.param == "postgresql":
        server = _pg_server_url()
        db = TestDatabase("postgresql", "", workdir, _server_url=server)
        db._template = f"tracker_template_{uuid.uuid4().hex[:12]}"
        with _pg_admin(server) as admin:
            admin.execute(text(f'CREATE DATABASE "{db._template}"'))
        template_url = make_url(server).set(database=db._template).render_as_string(False)
        migrate.upgrade(template_url)
    else:
        db = TestDatabase("sqlite", "", workdir)
        migrate.upgrade(f"sqlite:///{workdir / 'template.sqlite'}")
    try:
        db.url = db.fresh()
        yield db
    finally:
        db.drop_all()


def _bind_to_rolled_back_connection(app) -> Callable[[], None]:
    """Bind the app's sessions to one connection whose transaction never commits."""
    state = app.extensions["tracker.db"]
    engine: Engine = state.engine
    connection = engine.connect()
    transaction = connection.begin()
    for factory in (
        state.session_factory,
        state.read_session_factory,
        state.snapshot_session_factory,
    ):
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")

    def undo() -> None:
        transaction.rollback()
        connection.close()
        engine.dispose()

    return undo


@pytest.fixture
def app(database: TestDatabase):
    app = create_app(TestConfig, {"DATABASE_URL": database.url})
    undo = _bind_to_rolled_back_connection(app)
    try:
        yield app
    finally:
        undo()


@pytest.fixture
def session(app) -> Iterator[Session]:
    """A session on the test's connection, as the app's requests use it.

    No app context stays pushed: requests made by the test client then get their own,
    as they do in production (a pushed context would be shared by every request).
    """
    session = app.extensions["tracker.db"].session_factory()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def committed_app(database: TestDatabase):
    """An app on a database of its own, whose commits are real (for the CLI, races...)."""
    app = create_app(TestConfig, {"DATABASE_URL": database.fresh()})
    yield app
    app.extensions["tracker.db"].engine.dispose()


@pytest.fixture
def mail_server():
    """A real SMTP server on a free local port (``tests.mail_server.MailServer``): its
    ``config()`` points an app at it, ``messages`` are the mails it accepted."""
    from tests.mail_server import MailServer

    server = MailServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def runner(committed_app):
    return committed_app.test_cli_runner()


@pytest.fixture(scope="session")
def demo_url(database: TestDatabase) -> str:
    """A database of its own holding the demo campaign, loaded once per engine."""
    from tests.factories import PASSWORD
    from tracker import demo
    from tracker.passwords import make_hasher

    url = database.fresh()
    engine = make_engine(url)
    hasher = make_hasher(
        TestConfig.ARGON2_TIME_COST, TestConfig.ARGON2_MEMORY_COST, TestConfig.ARGON2_PARALLELISM
    )
    try:
        with Session(engine) as session:
            demo.load(session, hasher, {a[0]: PASSWORD for a in demo.ACCOUNTS})
            session.commit()
    finally:
        engine.dispose()
    return url


# The generated ledger's year ends on this day (a fixed day: the tests never depend on
# when they run, except where they say so).
GENERATED_END = date(2026, 11, 29)


@pytest.fixture(scope="session")
def generated_url(database: TestDatabase) -> str:
    """A database of its own holding a generated year of campaign (four countries,
    about 3,000 moves, posted through the tracker's paths), made once per engine."""
    from bench.generate import generate

    url = database.fresh()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            generate(session, moves=3_000, countries=4, end=GENERATED_END, seed=7)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def generated_app(generated_url: str):
    app = create_app(TestConfig, {"DATABASE_URL": generated_url})
    undo = _bind_to_rolled_back_connection(app)
    try:
        yield app
    finally:
        undo()


@pytest.fixture
def demo_app(demo_url: str):
    """An app on the demo campaign; whatever a test writes is rolled back."""
    app = create_app(TestConfig, {"DATABASE_URL": demo_url})
    undo = _bind_to_rolled_back_connection(app)
    try:
        yield app
    finally:
        undo()


@pytest.fixture
def demo_login(demo_app):
    """``demo_login(email)``: a client logged in as one of the demo accounts."""
    from tests.factories import log_in

    def as_account(email: str = "coordinator@example.org"):
        client = demo_app.test_client()
        log_in(client, email)
        return client

    return as_account


@pytest.fixture
def world(session: Session):
    """A small world to post in: see ``tests.factories.World``."""
    from tests.factories import World

    return World.build(session)


@pytest.fixture
def make_user(app, session: Session):
    """``make_user(role, section_code=None)``: an account whose password is PASSWORD."""
    from tests.factories import make_user as make

    def factory(role, section_code: str | None = None, **kwargs):
        return make(session, app.extensions["tracker.hasher"], role, section_code, **kwargs)

    return factory


@pytest.fixture
def login(app, make_user):
    """``login(role, section_code=None)``: a test client logged in as a new account of
    that role; ``client.user`` is the account."""
    from tests.factories import log_in

    def as_role(role, section_code: str | None = None, **kwargs):
        user = make_user(role, section_code, **kwargs)
        client = app.test_client()
        log_in(client, user.email)
        client.user = user
        return client

    return as_role
