"""The ledger of moves: the only code that writes moves and balances (``posting``), and
the check of the ledger against itself (``check``), and what the past allows
(``past``: balances at a moment, closed months). The rules a move must follow are
the domain's (``tracker.domain.stock``); nothing here commits or knows about HTTP."""

from tracker.ledger.check import (
    Discrepancy,
    PastProblem,
    Problem,
    check,
    weekly_flows_from_moves,
)
from tracker.ledger.past import balance
from tracker.ledger.posting import (
    MoveLine,
    PostApart,
    Posting,
    Written,
    edition_label,
    post,
    post_together,
    reverse,
)

__all__ = [
    "Discrepancy",
    "MoveLine",
    "PastProblem",
    "PostApart",
    "Posting",
    "Problem",
    "Written",
    "balance",
    "check",
    "edition_label",
    "post",
    "post_together",
    "reverse",
    "weekly_flows_from_moves",
]
