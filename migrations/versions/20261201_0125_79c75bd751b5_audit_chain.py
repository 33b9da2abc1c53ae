"""A hash chain over the audit trail: one link per audit row, holding the SHA-256 of the
row and of the link before it, so that a row changed, deleted or slipped in by someone
who got around the triggers (the tables' owner can drop them) shows at `tracker audit
verify`. The links are append-only too. The upgrade links the rows already written, in
the order of their ids.

Revision ID: 79c75bd751b5
Revises: a9ee397a5b41
Create Date: 2026-12-01 01:25:00+00:00
"""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision: str = "79c75bd751b5"
down_revision: str | Sequence[str] | None = "a9ee397a5b41"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = sa.table(
    "audit_log",
    sa.column("id", sa.BigInteger),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("user_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("summary", sa.Text),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)
_sections = sa.table(
    "audit_sections", sa.column("audit_id", sa.BigInteger), sa.column("section_id", sa.Integer)
)
_CHUNK = 1000


def _link_hash(row, sections, previous: str) -> str:
    """The hash of one link, as tracker.audit makes it (a copy: revisions do not import
    the app; the tests check that the chain this makes verifies)."""
    at = row.at if row.at.tzinfo else row.at.replace(tzinfo=UTC)
    content = {
        "id": row.id,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "user": row.user_id,
        "kind": row.kind,
        "object": [row.object_type, row.object_id],
        "summary": row.summary,
        "before": row.before,
        "after": row.after,
        "sections": sorted(sections),
        "previous": previous,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade() -> None:
    chain = op.create_table(
        "audit_chain",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("audit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["audit_id"], ["audit_log.id"], name=op.f("fk_audit_chain_audit_id_audit_log")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("audit_id", name=op.f("uq_audit_chain_audit_id")),
    )
    assert chain is not None
    connection = op.get_bind()
    seq, previous, last_id = 0, "0" * 64, None
    while True:
        query = sa.select(_log).order_by(_log.c.id).limit(_CHUNK)
        if last_id is not None:
            query = query.where(_log.c.id > last_id)
        rows = connection.execute(query).all()
        if not rows:
            break
        sections: dict[int, list[int]] = {}
        for audit_id, section_id in connection.execute(
            sa.select(_sections.c.audit_id, _sections.c.section_id).where(
                _sections.c.audit_id.in_([row.id for row in rows])
            )
        ):
            sections.setdefault(audit_id, []).append(section_id)
        links = []
        for row in rows:
            seq += 1
            digest = _link_hash(row, sections.get(row.id, []), previous)
            links.append({"seq": seq, "audit_id": row.id, "prev_hash": previous, "hash": digest})
            previous = digest
        connection.execute(chain.insert(), links)
        last_id = rows[-1].id
    _create_immutability_triggers("audit_chain")


def downgrade() -> None:
    _drop_immutability_triggers("audit_chain")
    op.drop_table("audit_chain")


def _create_immutability_triggers(table: str) -> None:
    message = f"{table} is append-only: nobody may change or delete its rows"
    if op.get_bind().dialect.name == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )
    else:
        op.execute(
            f"CREATE FUNCTION {table}_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{message}'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_update_or_delete BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_is_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_is_append_only()"
        )


def _drop_immutability_triggers(table: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update_or_delete ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {table}_is_append_only()")
