"""Staff accounts, their roles, and the audit trail of every change."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, sql_in, utcnow
from tracker.domain.accounts import Role
from tracker.models.places import Section

BigIntId = BigInteger().with_variant(Integer(), "sqlite")


def new_alt_id() -> str:
    """The session identifier of an account: changing it ends every session."""
    return secrets.token_urlsafe(32)


class User(Base):
    """A member of staff who logs in. A treasurer belongs to exactly one section."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {sql_in(Role)}", "role_known"),
        CheckConstraint(
            f"(role = '{Role.TREASURER}') = (section_id IS NOT NULL)", "treasurers_have_a_section"
        ),
    )
    __audit_exclude__ = frozenset({"password_hash", "alt_id", "last_login_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased: one account per address, however it is typed.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    section_id: Mapped[int | None] = mapped_column(ForeignKey("sections.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # What the session cookie holds (Flask-Login's id): replaced at logout, password
    # change and deactivation, which ends every session of the account.
    alt_id: Mapped[str] = mapped_column(String(64), unique=True, default=new_alt_id)
    active: Mapped[bool] = mapped_column(Boolean, server_default=true())
    # Set when an admin made or reset the password: the user must choose their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # The language the person chose (None: not chosen: the browser's, then the section's).
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    section: Mapped[Section | None] = relationship()

    # Flask-Login's protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.alt_id

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


audit_sections = Table(
    "audit_sections",
    Base.metadata,
    Column("audit_id", BigIntId, ForeignKey("audit_log.id"), primary_key=True),
    Column("section_id", ForeignKey("sections.id"), primary_key=True, index=True),
)


class AuditEntry(Base):
    """One change: who, when, what, before and after. The database refuses to alter it."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # What changed: 'user.created', 'stock.posted', 'location.updated'...
    kind: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()
    sections: Mapped[list[Section]] = relationship(secondary=audit_sections, viewonly=True)

    @property
    def happened_at(self) -> datetime | None:
        """When what it records happened, where that may differ from when it was
        recorded (``at``): a posting dated in the past says so in ``after``."""
        value = (self.after or {}).get("occurred_at")
        if not isinstance(value, str):
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.kind}>"


class AuditLink(Base):
    """A link of the audit trail's hash chain: one per audit row, in the order the rows
    were committed (``seq`` counts 1, 2, 3... without gaps).

    ``hash`` is SHA-256 over the row's content (id, at, user, kind, object, summary,
    before, after, sections) and ``prev_hash``, the hash of the link before it: a row
    changed, removed or slipped in afterwards no longer matches (``tracker audit
    verify``). Written by ``tracker.audit`` when the transaction commits; append-only
    like the rows (triggers).
    """

    __tablename__ = "audit_chain"
    __audit__ = False

    seq: Mapped[int] = mapped_column(BigIntId, primary_key=True, autoincrement=False)
    audit_id: Mapped[int] = mapped_column(BigIntId, ForeignKey("audit_log.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<AuditLink {self.seq} {self.audit_id}>"
