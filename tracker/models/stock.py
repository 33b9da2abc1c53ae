"""The ledger's tables: business documents, the moves they make, and balances.

Moves are immutable (the database refuses UPDATE and DELETE on them: see
``tracker.models.triggers``); a correction is a new move that reverses an earlier one.
Balances are written only by ``tracker.ledger`` in the same transaction as the moves.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, UTCDateTime, sql_in, utcnow
from tracker.domain.stock import Condition, FlowMetric, MoveKind
from tracker.models.accounts import User
from tracker.models.catalogue import Edition
from tracker.models.places import Location

# SQLite gives autoincrementing keys only to INTEGER PRIMARY KEY columns.
BigIntId = BigInteger().with_variant(Integer(), "sqlite")


class Document(Base):
    """A business document (print run, shipment, transfer, sale...) that makes moves."""

    __tablename__ = "documents"
    # Made, a document is in its posting's audit entry (with its moves) or in that of
    # the record made with it (a shipment's draft, a remittance); later changes, such as
    # a draft's note, are recorded here.
    __audit__ = frozenset({"updated", "deleted"})

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    reference: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    # When it happened (typed, or now): its moves carry the same moment. Recorded is
    # ``created_at``.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The one-time key of the form that made it: a form sent twice makes one document.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What was sent with the key (a SHA-256 of it, where the sender is a program): the
    # same key sent again with something else is refused, not taken for the first.
    submission_digest: Mapped[str | None] = mapped_column(String(64))

    moves: Mapped[list[Move]] = relationship(
        back_populates="document", order_by="Move.id", viewonly=True
    )
    created_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return document_kind_label(self.kind)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.kind}>"


def document_kind_label(kind: str) -> str:
    """A kind of document as a summary names it: ``stocktake_loss`` -> stocktake loss."""
    return kind.replace("_", " ")


class Move(Base):
    """``qty`` copies of one edition from (location, condition) to (location, condition)."""

    __tablename__ = "moves"
    __table_args__ = (
        CheckConstraint("qty > 0", "qty_positive"),
        CheckConstraint(f"from_condition IN {sql_in(Condition)}", "from_condition_known"),
        CheckConstraint(f"to_condition IN {sql_in(Condition)}", "to_condition_known"),
        CheckConstraint(
            "from_location_id <> to_location_id OR from_condition <> to_condition",
            "goes_somewhere",
        ),
        Index("ix_moves_kind_occurred_at", "kind", "occurred_at"),
        # A location's moves, newest first (its page), from either side.
        Index("ix_moves_from_location_id_occurred_at", "from_location_id", "occurred_at", "id"),
        Index("ix_moves_to_location_id_occurred_at", "to_location_id", "occurred_at", "id"),
        # One balance's moves after a moment, from either side, without reading the
        # table (covering): what a posting dated in the past reads to keep it whole.
        Index(
            "ix_moves_from_balance_occurred_at",
            "from_location_id",
            "edition_id",
            "from_condition",
            "occurred_at",
            "qty",
        ),
        Index(
            "ix_moves_to_balance_occurred_at",
            "to_location_id",
            "edition_id",
            "to_condition",
            "occurred_at",
            "qty",
        ),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), index=True)
    qty: Mapped[int] = mapped_column(Integer)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    from_condition: Mapped[str] = mapped_column(String(8))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_condition: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(32))
    # When it happened (a sale at an event, a delivery): what reports go by.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When it was written into the ledger.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    # The move this one reverses; a move is reversed at most once.
    reverses_id: Mapped[int | None] = mapped_column(BigIntId, ForeignKey("moves.id"), unique=True)

    document: Mapped[Document] = relationship(back_populates="moves")
    edition: Mapped[Edition] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])
    created_by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return MoveKind(self.kind).label

    def __repr__(self) -> str:
        return (
            f"<Move {self.id}: {self.qty} x {self.edition_id} "
            f"{self.from_location_id}/{self.from_condition} -> "
            f"{self.to_location_id}/{self.to_condition}>"
        )


class WeeklyFlow(Base):
    """Copies per week, place, edition and metric, kept with every posting (like the
    balances), so that reports over a period never sum the whole ledger."""

    __tablename__ = "weekly_flows"
    __audit__ = False
    __table_args__ = (
        CheckConstraint(f"metric IN {sql_in(FlowMetric)}", "metric_known"),
        # The dashboard asks for some metrics over a range of weeks: this index answers
        # on its own (covering), without reading the table.
        Index("ix_weekly_flows_metric_week", "metric", "week", "location_id", "edition_id", "qty"),
    )

    # The Monday (UTC) that starts the week.
    week: Mapped[date] = mapped_column(Date, primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(String(16), primary_key=True)
    qty: Mapped[int] = mapped_column(Integer)


class Balance(Base):
    """Copies of one edition in one condition at one location, kept with every posting."""

    __tablename__ = "balances"
    __table_args__ = (
        CheckConstraint(f"condition IN {sql_in(Condition)}", "condition_known"),
        # Only sources (the printer, stocktake differences) may go below zero.
        CheckConstraint("is_source OR qty >= 0", "not_negative"),
    )

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"), primary_key=True, index=True)
    condition: Mapped[str] = mapped_column(String(8), primary_key=True)
    qty: Mapped[int] = mapped_column(Integer)
    is_source: Mapped[bool] = mapped_column(Boolean)
    # When the latest move in or out of it happened. A posting dated at or after it
    # changes only the present; one dated before it must also keep the past whole.
    last_moved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship()
    edition: Mapped[Edition] = relationship()

    def __repr__(self) -> str:
        return f"<Balance {self.location_id}/{self.edition_id}/{self.condition}: {self.qty}>"
