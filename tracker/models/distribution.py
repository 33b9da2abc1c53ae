"""The publisher's documents: shipments and their receipts, transfers, write-offs and
stocktakes. Each is one row of ``documents`` (who, when, note, submission key) plus a
row here that points at it; the moves it makes point at the same document."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, MinorUnits, UTCDateTime, sql_in
from tracker.domain.distribution import (
    IN_TRANSIT,
    Direction,
    DiscrepancyReason,
    ShipmentStatus,
    WriteOffReason,
    days_in_transit,
    is_overdue,
)
from tracker.domain.money import LineSums
from tracker.domain.stock import Condition
from tracker.domain.terms import Terms
from tracker.models.catalogue import Edition
from tracker.models.places import Location, Section
from tracker.models.stock import Document


class Shipment(LineSums, Base):
    """Copies sent from one store to another through transit, with what they cost."""

    __tablename__ = "shipments"
    __table_args__ = (
        CheckConstraint(f"status IN {sql_in(ShipmentStatus)}", "status_known"),
        CheckConstraint(f"direction IN {sql_in(Direction)}", "direction_known"),
        CheckConstraint(f"terms IN {sql_in(Terms)}", "terms_known"),
        CheckConstraint("length(currency) = 3", "currency_length"),
        CheckConstraint("from_location_id <> to_location_id", "goes_somewhere"),
    )

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    direction: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The section it goes to (outbound) or comes from (a return).
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id"), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    transit_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    terms: Mapped[str] = mapped_column(String(16))
    # Prices are in the section's currency, fixed when the shipment is made.
    currency: Mapped[str] = mapped_column(String(3))
    carrier: Mapped[str | None] = mapped_column(String(100))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    expected_on: Mapped[date | None] = mapped_column(Date)
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    dispatched_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    document: Mapped[Document] = relationship()
    section: Mapped[Section] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])
    transit_location: Mapped[Location] = relationship(foreign_keys=[transit_location_id])
    lines: Mapped[list[ShipmentLine]] = relationship(
        back_populates="shipment", order_by="ShipmentLine.id", cascade="all, delete-orphan"
    )
    receipts: Mapped[list[Receipt]] = relationship(
        back_populates="shipment", order_by="Receipt.document_id"
    )

    @property
    def id(self) -> int:
        return self.document_id

    @property
    def status_enum(self) -> ShipmentStatus:
        return ShipmentStatus(self.status)

    @property
    def is_return(self) -> bool:
        return self.direction == Direction.RETURN

    @property
    def terms_label(self) -> str:
        return Terms(self.terms).label

    @property
    def outstanding(self) -> int:
        """Copies not yet accounted for by a receipt."""
        return sum(line.outstanding for line in self.lines)

    @property
    def in_transit(self) -> bool:
        """Whether copies of it are on their way: dispatched and not all accounted for.
        A draft or a cancelled shipment never left; a received one has arrived."""
        return self.status in IN_TRANSIT

    def days_in_transit(self, today: date) -> int | None:
        return days_in_transit(self, today)

    def is_overdue(self, today: date) -> bool:
        return is_overdue(self, today)

    @property
    def copies_in_transit(self) -> int:
        return self.outstanding if self.in_transit else 0

    def __repr__(self) -> str:
        return f"<Shipment {self.document_id} {self.status}>"


class ShipmentLine(Base):
    __tablename__ = "shipment_lines"
    __table_args__ = (
        UniqueConstraint("shipment_id", "edition_id"),
        CheckConstraint("qty > 0", "qty_positive"),
        CheckConstraint("unit_price_minor >= 0", "price_not_negative"),
        CheckConstraint(
            "received_qty >= 0 AND damaged_qty >= 0 AND missing_qty >= 0", "counts_not_negative"
        ),
        CheckConstraint("received_qty + damaged_qty + missing_qty <= qty", "not_over_received"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.document_id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    qty: Mapped[int] = mapped_column(Integer)
    # What the section owes the publisher for one copy, in the shipment's currency.
    unit_price_minor: Mapped[int] = mapped_column(MinorUnits)
    # Kept by receipts: how many arrived, arrived damaged, never arrived.
    received_qty: Mapped[int] = mapped_column(Integer, default=0)
    damaged_qty: Mapped[int] = mapped_column(Integer, default=0)
    missing_qty: Mapped[int] = mapped_column(Integer, default=0)

    shipment: Mapped[Shipment] = relationship(back_populates="lines")
    edition: Mapped[Edition] = relationship()

    @property
    def outstanding(self) -> int:
        return self.qty - self.received_qty - self.damaged_qty - self.missing_qty

    @property
    def copies_in_transit(self) -> int:
        return self.outstanding if self.shipment.in_transit else 0

    @property
    def total_minor(self) -> int:
        return self.qty * self.unit_price_minor


class Receipt(Base):
    """What arrived of a shipment, what arrived damaged, what never came."""

    __tablename__ = "receipts"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.document_id"), index=True)
    # When the copies arrived: firm-sale copies are owed from then.
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)

    document: Mapped[Document] = relationship()
    shipment: Mapped[Shipment] = relationship(back_populates="receipts")

    lines: Mapped[list[ReceiptLine]] = relationship(
        back_populates="receipt", order_by="ReceiptLine.id", cascade="all, delete-orphan"
    )


class ReceiptLine(Base):
    __tablename__ = "receipt_lines"
    __table_args__ = (
        CheckConstraint("received >= 0 AND damaged >= 0 AND missing >= 0", "not_negative"),
        CheckConstraint("received + damaged + missing > 0", "something"),
        CheckConstraint(
            "(damaged = 0 AND missing = 0) OR reason IS NOT NULL", "discrepancy_has_reason"
        ),
        CheckConstraint(f"reason IS NULL OR reason IN {sql_in(DiscrepancyReason)}", "reason_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("receipts.document_id"), index=True)
    shipment_line_id: Mapped[int] = mapped_column(ForeignKey("shipment_lines.id"), index=True)
    received: Mapped[int] = mapped_column(Integer)
    damaged: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    receipt: Mapped[Receipt] = relationship(back_populates="lines")
    shipment_line: Mapped[ShipmentLine] = relationship()

    @property
    def reason_label(self) -> str:
        return DiscrepancyReason(self.reason).label if self.reason else ""


class Transfer(Base):
    """Copies moved at once from one place to another: a store to an event table and
    back, or (by distribution staff) one section's store to another's."""

    __tablename__ = "transfers"
    __table_args__ = (CheckConstraint("from_location_id <> to_location_id", "goes_somewhere"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)

    document: Mapped[Document] = relationship()
    from_location: Mapped[Location] = relationship(foreign_keys=[from_location_id])
    to_location: Mapped[Location] = relationship(foreign_keys=[to_location_id])


class WriteOff(Base):
    __tablename__ = "write_offs"
    __table_args__ = (CheckConstraint(f"reason IN {sql_in(WriteOffReason)}", "reason_known"),)

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    reason: Mapped[str] = mapped_column(String(16))

    document: Mapped[Document] = relationship()
    location: Mapped[Location] = relationship()

    @property
    def reason_label(self) -> str:
        return WriteOffReason(self.reason).label


class Stocktake(Base):
    """A count of one location; differences from the ledger are booked against
    stocktake differences."""

    __tablename__ = "stocktakes"

    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # The counter did not see what the ledger expected.
    blind: Mapped[bool] = mapped_column(Boolean, server_default=false())
    reason: Mapped[str | None] = mapped_column(Text)

    document: Mapped[Document] = relationship()
    location: Mapped[Location] = relationship()
    lines: Mapped[list[StocktakeLine]] = relationship(
        back_populates="stocktake", order_by="StocktakeLine.id", cascade="all, delete-orphan"
    )

    @property
    def difference(self) -> int:
        return sum(line.difference for line in self.lines)


class StocktakeLine(Base):
    __tablename__ = "stocktake_lines"
    __table_args__ = (
        UniqueConstraint("stocktake_id", "edition_id", "condition"),
        CheckConstraint("counted >= 0", "counted_not_negative"),
        CheckConstraint(f"condition IN {sql_in(Condition)}", "condition_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktakes.document_id"), index=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id"))
    condition: Mapped[str] = mapped_column(String(8))
    # What the ledger held when the count was booked, and what was counted.
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)

    stocktake: Mapped[Stocktake] = relationship(back_populates="lines")
    edition: Mapped[Edition] = relationship()

    @property
    def difference(self) -> int:
        return self.counted - self.expected
