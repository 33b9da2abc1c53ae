"""The application's own database role on PostgreSQL: it owns nothing and may do only
what the app needs.

The role that migrates owns the tables; only an owner (or a superuser) may disable or
drop a trigger, replace a trigger's function, or alter a table. The app therefore runs
as another role, which ``grant`` gives: SELECT, INSERT, UPDATE and DELETE on ordinary
tables, only SELECT and INSERT on the append-only ones (moves and the audit trail), only
SELECT on Alembic's version table, and USAGE on the sequences that number new rows.
Whatever it was granted before is revoked first, so running it again after an upgrade
leaves exactly this. SQLite has no roles.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from tracker.db import Base
from tracker.domain.errors import DomainError
from tracker.migrate import VERSION_TABLE
from tracker.models import APPEND_ONLY_TABLES


@dataclass(frozen=True)
class Grants:
    role: str
    read_write: list[str]
    append_only: list[str]
    read_only: list[str]


def plan() -> tuple[list[str], list[str], list[str]]:
    """The app's tables by what the app may do to them."""
    tables = sorted(Base.metadata.tables)
    append_only = [t for t in tables if t in APPEND_ONLY_TABLES]
    return [t for t in tables if t not in APPEND_ONLY_TABLES], append_only, [VERSION_TABLE]


def grant(connection: Connection, role: str) -> Grants:
    """Give ``role`` the app's rights (and only those) on the tables of the connection's
    current schema. Run by the owner of the tables, after every upgrade."""
    if connection.dialect.name != "postgresql":
        raise DomainError(
            "SQLite has no roles: the app's rights cannot be limited there. The audit "
            "trail's hash chain (`tracker audit verify`) shows any change made to it."
        )
    _check_role(connection, role)
    _check_owns_nothing(connection, role)
    read_write, append_only, read_only = plan()
    who = connection.dialect.identifier_preparer.quote(role)
    schema = connection.dialect.identifier_preparer.quote(
        connection.execute(text("SELECT current_schema()")).scalar_one()
    )

    def tables(names: list[str]) -> str:
        return ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)

    for statement in (
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables(read_write)} TO {who}",
        f"GRANT SELECT, INSERT ON {tables(append_only)} TO {who}",
        f"GRANT SELECT ON {tables(read_only)} TO {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
    ):
        connection.execute(text(statement))
    return Grants(role, read_write, append_only, read_only)


def _check_role(connection: Connection, role: str) -> None:
    """The role exists, is not this one (the owner), a superuser, or the owner's."""
    found = connection.execute(
        text(
            "SELECT rolsuper, pg_has_role(:role, current_user, 'MEMBER') AS owner_member "
            "FROM pg_roles WHERE rolname = :role"
        ),
        {"role": role},
    ).first()
    if found is None:
        raise DomainError(
            f"There is no role {role!r}: create it first (CREATE ROLE ... LOGIN PASSWORD ...)."
        )
    me: str = connection.execute(text("SELECT current_user")).scalar_one()
    if role == me:
        raise DomainError(
            f"{role!r} is the role running this command, which owns the tables: the app "
            "must run as another role."
        )
    if found.rolsuper:
        raise DomainError(f"{role!r} is a superuser: it could do anything. Use a plain role.")
    if found.owner_member:
        raise DomainError(
            f"{role!r} is a member of {me!r}, which owns the tables: it would act as their "
            "owner. Use a role that belongs to no owner."
        )


def _check_owns_nothing(connection: Connection, role: str) -> None:
    """Tables, views, sequences and functions (a trigger's function can be replaced by
    its owner) that the role owns or may act as the owner of: none."""
    owned: list[str] = list(
        connection.execute(
            text(
                "SELECT relname FROM pg_class "
                "WHERE relnamespace = current_schema()::regnamespace "
                "AND relkind IN ('r', 'p', 'v', 'm', 'S', 'f') "
                "AND pg_has_role(:role, relowner, 'USAGE') "
                "UNION ALL SELECT proname || '()' FROM pg_proc "
                "WHERE pronamespace = current_schema()::regnamespace "
                "AND pg_has_role(:role, proowner, 'USAGE') "
                "ORDER BY 1 LIMIT 5"
            ),
            {"role": role},
        ).scalars()
    )
    if owned:
        raise DomainError(
            f"{role!r} owns (or acts as the owner of) {', '.join(owned)}: an owner can "
            "drop the triggers that keep moves and the audit trail unchanged. Use a role "
            "that owns nothing."
        )
