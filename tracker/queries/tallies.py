"""What a paper tally made: its sales or signings, and every move they and it posted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from tracker.models import Edition, Move, Sale, SaleLine, Signing, Tally
from tracker.queries.stock import moves_of_documents


@dataclass
class TallyContents:
    tally: Tally
    sales: list[Sale]
    signings: list[Signing]
    # The tally's own moves (a closed event's leftovers put straight), its sales' and
    # signings', and their voids', in the order they happened.
    moves: list[Move]

    @property
    def standing(self) -> list[Sale]:
        """Its sales not voided."""
        return [sale for sale in self.sales if sale.voided_at is None]

    @property
    def copies(self) -> int:
        return sum(sale.copies for sale in self.standing) + sum(s.qty for s in self.signings)

    @property
    def total_minor(self) -> int:
        return sum(sale.total_minor for sale in self.standing)


def contents(session: Session, tally: Tally) -> TallyContents:
    sales = list(
        session.scalars(
            select(Sale)
            .where(Sale.tally_id == tally.document_id)
            .options(
                selectinload(Sale.lines).joinedload(SaleLine.edition).joinedload(Edition.title)
            )
            .order_by(Sale.document_id)
        )
    )
    signings = list(
        session.scalars(
            select(Signing)
            .where(Signing.tally_id == tally.document_id)
            .options(joinedload(Signing.edition).joinedload(Edition.title))
            .order_by(Signing.document_id)
        )
    )
    documents = {tally.document_id}
    documents |= {sale.document_id for sale in sales}
    documents |= {sale.void_document_id for sale in sales if sale.void_document_id}
    documents |= {signing.document_id for signing in signings}
    moves = moves_of_documents(session, documents, by_time=True)
    return TallyContents(tally, sales, signings, moves)
