"""What is sold, as the rules see it: the formats of an edition."""

from __future__ import annotations

from tracker.domain.text import Words
from tracker.domain.words import say_mark


class EditionFormat(Words):
    PAPERBACK = "paperback"
    HARDBACK = "hardback"


# The formats as people read them (``EditionFormat.label``), for the catalogues.
_LABELS = (
    say_mark("paperback"),
    say_mark("hardback"),
)
