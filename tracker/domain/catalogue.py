"""What is sold, as the rules see it: the formats of an edition, the language it is
written in, and how many list prices in other currencies it may have."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

from tracker.domain.errors import DomainError
from tracker.domain.text import Words
from tracker.domain.words import one_of, say, say_mark


class EditionFormat(Words):
    PAPERBACK = "paperback"
    HARDBACK = "hardback"


# The labels of the Words enums here, for the catalogues (``Words.label`` says them).
_LABELS = (say_mark("paperback"), say_mark("hardback"))

# List prices an edition may have besides its main one, one per other currency.
MAX_OTHER_PRICES = 20


def check_language(code: str | None) -> str:
    """A language tag Babel knows (``en``, ``es``, ``ur``, ``pt_BR``; ``pt-BR`` is read
    as ``pt_BR``), or a DomainError."""
    text = (code or "").strip().replace("-", "_")
    try:
        if not text or len(text) > 16:
            raise ValueError(text)
        locale = Locale.parse(text)
    except (ValueError, UnknownLocaleError):
        shown = code if code is None or len(code) <= 20 else code[:20] + "..."
        raise DomainError(
            say("%(code)s is not a language code (such as en, es, ur, sv).", code=repr(shown))
        ) from None
    return str(locale)


def check_format(typed: str | None) -> str:
    """An edition's format (``paperback``...), or a DomainError naming those known."""
    try:
        return EditionFormat(typed or "").value
    except ValueError:
        known = one_of([f.value for f in EditionFormat])
        shown = typed if typed is None or len(typed) <= 20 else typed[:20] + "..."
        raise DomainError(
            say("%(format)s is not an edition format (%(known)s).", format=repr(shown), known=known)
        ) from None
