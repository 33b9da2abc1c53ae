"""What is sold, as the rules see it: the formats of an edition."""

from __future__ import annotations

from enum import StrEnum


class EditionFormat(StrEnum):
    PAPERBACK = "paperback"
    HARDBACK = "hardback"
