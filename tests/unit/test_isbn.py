"""ISBNs as people type them: thirteen digits, or ten (an X for ten) taken as the
ISBN-13 they became; hyphens, spaces and a leading "ISBN" allowed."""

from __future__ import annotations

import pytest

from tracker.domain.errors import DomainError
from tracker.domain.isbn import isbn10_check_digit, normalize_isbn, normalize_isbn13


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("9781913026868", "9781913026868"),
        ("978-1-913026-86-8", "9781913026868"),
        ("ISBN 978 1 913026 86 8", "9781913026868"),
        ("ISBN-13: 978-1-913026-86-8", "9781913026868"),
        ("0-14-044913-2", "9780140449136"),
        ("ISBN-10: 0-14-044913-2", "9780140449136"),
        ("080442957X", "9780804429573"),
        ("0 8044 2957 x", "9780804429573"),
    ],
)
def test_isbns_as_typed(typed, digits):
    assert normalize_isbn(typed) == digits


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "must have 13 digits, or 10 for an ISBN-10"),
        ("12345", "must have 13 digits, or 10 for an ISBN-10"),
        ("0-14-044913-3", "ISBN-10 '0-14-044913-3' has a wrong check digit: it ends in 3, the"),
        ("X140449132", "is not an ISBN-10: nine digits, then a digit or X"),
        ("١٤٠٤٤٩١٣٢٠", "is not an ISBN-10"),
        ("978-1-913026-86-1", "the first twelve digits give 8"),
        ("1234567890128", "must start with 978 or 979"),
        ("9" * 5000, "'" + "9" * 30 + "...'"),
    ],
)
def test_isbns_refused(typed, message):
    with pytest.raises(DomainError) as refused:
        normalize_isbn(typed)
    assert message in refused.value.message


def test_an_isbn_13_alone_is_still_asked_where_only_one_will_do():
    with pytest.raises(DomainError):
        normalize_isbn13("0-14-044913-2")
    assert isbn10_check_digit("080442957") == "X"
