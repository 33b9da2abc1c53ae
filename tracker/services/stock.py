"""Documents that move stock, and the posting of their moves through the ledger.

Later areas (shipments, events, stocktakes) have documents of their own with more to
them; they all end here: a document row and its moves, posted in one step.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from tracker import ledger
from tracker.domain.text import clean
from tracker.domain.words import say
from tracker.ledger import MoveLine
from tracker.models import Document

REFERENCE_MAX = 120


def post_document(
    session: Session,
    kind: str,
    lines: Iterable[MoveLine],
    *,
    reference: str | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
    created_by_id: int | None = None,
) -> Document:
    """A new document of ``kind`` and its moves, all or none."""
    document = Document(
        kind=kind,
        reference=clean(reference, say("the reference"), REFERENCE_MAX),
        note=clean(note, say("the note"), multiline=True),
        created_by_id=created_by_id,
    )
    # The ledger writes the document and its moves together, or neither.
    ledger.post(session, document, lines, created_by_id=created_by_id, occurred_at=occurred_at)
    return document


def reverse_moves(
    session: Session,
    move_ids: list[int],
    *,
    note: str | None = None,
    created_by_id: int | None = None,
) -> Document:
    """A reversal document undoing ``move_ids`` with opposite moves."""
    document = Document(
        kind="reversal",
        note=clean(note, say("the note"), multiline=True),
        created_by_id=created_by_id,
    )
    ledger.reverse(session, move_ids, document, created_by_id=created_by_id, note=note)
    return document
