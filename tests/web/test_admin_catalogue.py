"""The catalogue's pages: titles and editions made, changed, archived and deleted by an
admin, with every field checked, every change audited, and archived editions kept out
of forms but not out of the reports."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.factories import ISBN_EN, ISBN_ES, World, csrf_token
from tracker.domain.accounts import Role
from tracker.models import (
    AuditEntry,
    Author,
    Edition,
    EditionListPrice,
    Section,
    SectionPrice,
    Title,
)
from tracker.queries.prices import price_for, prices_for

NEW_ISBN = "9781900000017"
# The Penguin Odyssey's ISBN-10, and the ISBN-13 it became.
ISBN10 = "0-14-044913-2"
ISBN10_AS_13 = "9780140449136"


def _post(client, url: str, **data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/account/password")})


def _html(response) -> str:
    return response.get_data(as_text=True)


def _text(response) -> str:
    """What a person reads: the page's words, without markup or direction marks."""
    from bs4 import BeautifulSoup

    words = BeautifulSoup(_html(response), "html.parser").get_text(" ")
    return " ".join(re.sub("[\u2066-\u2069]", "", words).split())


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def _written(session) -> tuple[int, ...]:
    """What a refused form must leave as it was."""
    return tuple(
        _count(session, model) for model in (Title, Author, Edition, EditionListPrice, AuditEntry)
    )


def _edition_form(**changes: str) -> dict[str, str]:
    data = {
        "isbn": NEW_ISBN,
        "language": "sv",
        "format": "paperback",
        "own_title": "Till försvar av Lenin",
        "published_on": "2024-03-01",
        "list_price": "299",
        "currency": "SEK",
        "other_prices-0-currency": "",
        "other_prices-0-price": "",
        "other_prices-1-currency": "",
        "other_prices-1-price": "",
    }
    data.update(changes)
    return data


def _error_on(html: str, field_id: str) -> str | None:
    """The error shown on a field (its input marked invalid, the message under it)."""
    match = re.search(
        rf'<(?:input|select|textarea)\b[^>]*\bid="{re.escape(field_id)}"[^>]*>(.*?)</small>',
        html,
        re.S,
    )
    if match is None or 'aria-invalid="true"' not in match.group(0).split(">", 1)[0]:
        return None
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def _title(session, name: str = "In Defence of Lenin") -> Title:
    session.expire_all()
    return session.scalar(select(Title).where(Title.name == name))


def _audit(session, kind: str) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(AuditEntry.kind == kind)))


# -- the list --------------------------------------------------------------------------------


def test_the_catalogue_lists_titles_with_their_editions_and_searches_them(
    login, world: World, session
):
    admin = login(Role.ADMIN)
    page = admin.get("/admin/catalogue")
    assert page.status_code == 200
    html = _html(page)
    assert "In Defence of Lenin" in html and "Alan Woods, Rob Sewell" in html
    assert "978-1913026868" in html and "978-1913026875" in html
    assert 'href="/admin/catalogue/titles/new"' in html
    assert 'href="/admin/catalogue"' in html  # the navigation's link
    for search in ("lenin", "SEWELL", "978-1913026875", "1913026868", "026875"):
        found = _html(admin.get("/admin/catalogue", query_string={"q": search}))
        assert "In Defence of Lenin" in found, search
    missing = _html(admin.get("/admin/catalogue", query_string={"q": "Trotsky"}))
    assert "In Defence of Lenin" not in missing and "No title, author or ISBN holds" in missing
    # Wildcards are letters like any other.
    assert "In Defence of Lenin" not in _html(admin.get("/admin/catalogue?q=%25"))
    assert admin.get("/admin/catalogue", query_string={"q": "x" * 101}).status_code == 400


def test_distribution_staff_read_the_catalogue_but_change_nothing(login, world: World):
    staff = login(Role.DISTRIBUTOR)
    html = _html(staff.get("/admin/catalogue"))
    assert "In Defence of Lenin" in html and "New title" not in html and "Edit title" not in html
    assert staff.get("/admin/catalogue/titles/new").status_code == 403
    assert login(Role.TREASURER, "GB").get("/admin/catalogue").status_code == 403


# -- titles ----------------------------------------------------------------------------------


def test_a_new_title_leads_to_its_first_edition(login, world: World, session):
    admin = login(Role.ADMIN)
    assert admin.get("/admin/catalogue/titles/new").status_code == 200
    response = _post(
        admin,
        "/admin/catalogue/titles/new",
        name="  Reason in Revolt ",
        subtitle="Marxist Philosophy and Modern Science",
        authors="Alan Woods\nTed Grant\n\n",
        publisher="Wellred Books",
    )
    assert response.status_code == 302
    title = _title(session, "Reason in Revolt")
    assert response.headers["Location"].endswith(f"/admin/catalogue/titles/{title.id}/editions/new")
    assert [a.name for a in title.authors] == ["Alan Woods", "Ted Grant"]
    # Alan Woods is the same author as on the other title.
    assert _count(session, Author) == 3
    (created,) = [e for e in _audit(session, "title.created") if e.object_id == str(title.id)]
    assert created.after["name"] == "Reason in Revolt"
    (authors,) = [e for e in _audit(session, "title.authors") if e.object_id == str(title.id)]
    assert authors.before is None and authors.after == {"authors": ["Alan Woods", "Ted Grant"]}
    # Sent again (a double click): refused, one title.
    again = _post(
        admin,
        "/admin/catalogue/titles/new",
        name="Reason in Revolt",
        authors="Alan Woods",
        publisher="Wellred Books",
    )
    assert again.status_code == 422
    assert "There is already a title &#39;Reason in Revolt&#39; from Wellred Books." in _html(again)
    assert session.scalar(select(func.count()).where(Title.name == "Reason in Revolt")) == 1


def test_editing_a_title_reorders_its_authors_with_before_and_after(login, world: World, session):
    admin = login(Role.ADMIN)
    title = _title(session)
    url = f"/admin/catalogue/titles/{title.id}/edit"
    form = _html(admin.get(url))
    assert "Alan Woods\nRob Sewell</textarea>" in form
    response = _post(
        admin,
        url,
        name="In Defence of Lenin",
        subtitle="Volume One",
        authors="Rob Sewell\nAlan Woods",
        publisher="Wellred Books",
    )
    assert response.status_code == 302
    session.expire_all()
    assert [a.name for a in _title(session).authors] == ["Rob Sewell", "Alan Woods"]
    (changed,) = _audit(session, "title.updated")
    assert changed.before == {"subtitle": None} and changed.after == {"subtitle": "Volume One"}
    (authors,) = [e for e in _audit(session, "title.authors") if e.before]
    assert authors.before == {"authors": ["Alan Woods", "Rob Sewell"]}
    assert authors.after == {"authors": ["Rob Sewell", "Alan Woods"]}


TITLE = {"name": "Reason in Revolt", "authors": "Alan Woods", "publisher": "Wellred Books"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Give the title."),
        ("name", "   ", "Give the title."),
        ("name", "x" * 301, "Field cannot be longer than 300 characters."),
        ("name", "Rea\x00son", "control character (U+0000)"),
        ("name", "In Defence of Lenin", "There is already a title &#39;In Defence of Lenin&#39;"),
        ("subtitle", "x" * 5000, "Field cannot be longer than 300 characters."),
        ("subtitle", "a\x0bb", "control character (U+000B)"),
        ("authors", "", "Give at least one author."),
        ("authors", "\n \n", "Give at least one author."),
        ("authors", "Alan Woods\nAlan Woods", "is named twice among the authors"),
        ("authors", "Alan\x00Woods", "control character (U+0000)"),
        ("authors", "Alan\tWoods", "The author&#39;s name holds a control character (U+0009)"),
        ("authors", "x" * 201, "The author&#39;s name is longer than 200 characters."),
        ("authors", "\n".join(f"A{i}" for i in range(21)), "at most 20 authors"),
        ("publisher", "", "Give the publisher."),
        ("publisher", "x" * 5000, "Field cannot be longer than 200 characters."),
    ],
)
def test_a_spoiled_title_field_is_named_and_nothing_is_written(
    login, world: World, session, field, value, message
):
    admin = login(Role.ADMIN)
    before = _written(session)
    response = _post(admin, "/admin/catalogue/titles/new", **{**TITLE, field: value})
    assert response.status_code == 422
    html = _html(response)
    # The message sits on the field that is wrong.
    assert message in (_error_on(html, field) or ""), html
    assert _written(session) == before


def test_an_unknown_title_is_404(login, world: World):
    admin = login(Role.ADMIN)
    assert admin.get("/admin/catalogue/titles/999999/edit").status_code == 404
    assert admin.get("/admin/catalogue/titles/999999/editions/new").status_code == 404


# -- editions --------------------------------------------------------------------------------


def test_an_edition_is_added_with_its_list_prices(login, world: World, session):
    admin = login(Role.ADMIN)
    _post(admin, "/language", language="sv", next="/")
    title = _title(session)
    url = f"/admin/catalogue/titles/{title.id}/editions/new"
    assert admin.get(url).status_code == 200
    response = _post(
        admin,
        url,
        **_edition_form(
            isbn=" 978-1-900000-01-7 ",
            list_price="299,50",  # as a Swedish reader writes it
            **{"other_prices-0-currency": "eur", "other_prices-0-price": "27,00"},
        ),
    )
    assert response.status_code == 302, _html(response)
    edition = session.scalar(select(Edition).where(Edition.isbn == NEW_ISBN))
    assert (edition.language, edition.format, edition.currency) == ("sv", "paperback", "SEK")
    assert edition.list_price_minor == 29950 and edition.own_title == "Till försvar av Lenin"
    assert edition.active and str(edition.published_on) == "2024-03-01"
    assert [(p.currency, p.price_minor) for p in edition.other_prices] == [("EUR", 2700)]
    (created,) = [e for e in _audit(session, "edition.created") if e.after["isbn"] == NEW_ISBN]
    assert created.after["list_price_minor"] == 29950
    (price,) = _audit(session, "editionlistprice.created")
    assert price.after == {"edition_id": edition.id, "currency": "EUR", "price_minor": 2700}
    # Listed, with both prices in the reader's way.
    html = _html(admin.get("/admin/catalogue"))
    assert "978-1900000017" in html and "Till försvar av Lenin" in html
    assert "299,50" in html and "27,00" in html


def test_an_isbn_10_is_taken_as_its_isbn_13(login, world: World, session):
    admin = login(Role.ADMIN)
    title = _title(session)
    response = _post(
        admin, f"/admin/catalogue/titles/{title.id}/editions/new", **_edition_form(isbn=ISBN10)
    )
    assert response.status_code == 302
    assert session.scalar(select(Edition.isbn).where(Edition.language == "sv")) == ISBN10_AS_13
    # The ISBN-10 with an X, lower case and spaced, is one too.
    response = _post(
        admin,
        f"/admin/catalogue/titles/{title.id}/editions/new",
        **_edition_form(isbn="0 8044 2957 x", language="fr"),
    )
    assert response.status_code == 302
    assert session.scalar(select(Edition.isbn).where(Edition.language == "fr")) == "9780804429573"


def test_an_edition_sent_twice_is_made_once(login, world: World, session):
    admin = login(Role.ADMIN)
    url = f"/admin/catalogue/titles/{_title(session).id}/editions/new"
    assert _post(admin, url, **_edition_form()).status_code == 302
    again = _post(admin, url, **_edition_form())
    assert again.status_code == 422
    assert "ISBN 9781900000017 is already the edition In Defence of Lenin (Swedish" in _html(again)
    assert session.scalar(select(func.count()).where(Edition.isbn == NEW_ISBN)) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("isbn", "", "Give the ISBN."),
        ("isbn", "x" * 5000, "Field cannot be longer than 40 characters."),
        ("isbn", "97819000\x000017", "control character (U+0000)"),
        ("isbn", "978-1-900000-01", "must have 13 digits, or 10 for an ISBN-10"),
        ("isbn", "978-1-900000-01-8", "has a wrong check digit: it ends in 8, the first twelve"),
        ("isbn", "0-14-044913-3", "ISBN-10 &#39;0-14-044913-3&#39; has a wrong check digit"),
        ("isbn", "1234567890123", "must start with 978 or 979"),
        ("isbn", "١٢٣٤٥٦٧٨٩٠١٢٣", "must have 13 digits"),
        ("isbn", ISBN_ES, "is already the edition In Defence of Lenin (Spanish paperback)"),
        ("language", "", "Give the language&#39;s code."),
        ("language", "xx", "&#39;xx&#39; is not a language code"),
        ("language", "en\x00", "control character (U+0000)"),
        ("language", "x" * 5000, "Field cannot be longer than 16 characters."),
        ("format", "scroll", "Not a valid choice"),
        ("own_title", "x" * 301, "Field cannot be longer than 300 characters."),
        ("own_title", "a\x00b", "control character (U+0000)"),
        ("published_on", "2024-02-30", "Not a valid date value"),
        ("published_on", "0001-01-01", "1900"),
        ("list_price", "", "Give the list price."),
        ("list_price", "-1", "A list price cannot be negative."),
        ("list_price", "1e999999999", "is too large"),
        ("list_price", "10000001", "can be at most 10,000,000.00 SEK"),
        ("list_price", "1.001", "has more decimals than SEK allows (2)"),
        ("list_price", "sNaN", "is not an amount of money"),
        ("list_price", "x" * 5000, "Field cannot be longer than 40 characters."),
        ("currency", "", "Give the currency."),
        ("currency", "XYZ", "&#39;XYZ&#39; is not an ISO 4217 currency code"),
        ("currency", "x" * 5000, "Field cannot be longer than 3 characters."),
        ("other_prices-0-currency", "XYZ", "&#39;XYZ&#39; is not an ISO 4217 currency code"),
        ("other_prices-0-currency", "SEK", "SEK is the edition&#39;s main currency"),
        ("other_prices-0-price", "12", "Give the currency of this list price."),
        ("other_prices-0-price", "-5", "A list price cannot be negative."),
        ("other_prices-0-price", "1e999999999", "is too large"),
    ],
)
def test_a_spoiled_edition_field_is_named_and_nothing_is_written(
    login, world: World, session, field, value, message
):
    admin = login(Role.ADMIN)
    url = f"/admin/catalogue/titles/{_title(session).id}/editions/new"
    data = _edition_form(**{field: value})
    if field == "other_prices-0-currency":
        data["other_prices-0-price"] = "27.00"
    if field == "other_prices-0-price" and value != "12":
        data["other_prices-0-currency"] = "EUR"
    before = _written(session)
    response = _post(admin, url, **data)
    assert response.status_code == 422, field
    on = "other_prices-0-currency" if message.startswith("Give the currency of") else field
    assert message in (_error_on(_html(response), on) or ""), field
    assert _written(session) == before


def test_two_prices_in_one_other_currency_are_refused_on_the_second_line(
    login, world: World, session
):
    admin = login(Role.ADMIN)
    url = f"/admin/catalogue/titles/{_title(session).id}/editions/new"
    lines = {
        "other_prices-0-currency": "EUR",
        "other_prices-0-price": "27",
        "other_prices-1-currency": "eur",
        "other_prices-1-price": "28",
    }
    before = _written(session)
    response = _post(admin, url, **_edition_form(**lines))
    assert response.status_code == 422
    assert _error_on(_html(response), "other_prices-1-currency") == (
        "EUR has two list prices: keep one."
    )
    assert _written(session) == before
    many = {f"other_prices-{i}-currency": "EUR" for i in range(21)}
    assert _post(admin, url, **_edition_form(**many)).status_code == 400


def test_editing_an_edition_is_audited_and_its_isbn_is_kept_once_copies_moved(
    login, world: World, session
):
    admin = login(Role.ADMIN)
    edition = world.edition
    url = f"/admin/catalogue/editions/{edition.id}/edit"
    form = _html(admin.get(url))
    assert 'value="978-1913026868"' in form and "it may still be deleted" in form
    changed = _edition_form(
        isbn=NEW_ISBN,
        language="en",
        currency="GBP",
        list_price="26.50",
        own_title="",
        **{"other_prices-0-currency": "USD", "other_prices-0-price": "32"},
    )
    assert _post(admin, url, **changed).status_code == 302
    session.expire_all()
    assert (edition.isbn, edition.list_price_minor) == (NEW_ISBN, 2650)
    (entry,) = _audit(session, "edition.updated")
    assert entry.before == {
        "isbn": ISBN_EN,
        "list_price_minor": 2500,
        "published_on": None,
    } and entry.after == {"isbn": NEW_ISBN, "list_price_minor": 2650, "published_on": "2024-03-01"}
    # Dropping the other price deletes it, with its before.
    dropped = {**changed, "other_prices-0-currency": "", "other_prices-0-price": ""}
    assert _post(admin, url, **dropped).status_code == 302
    (gone,) = _audit(session, "editionlistprice.deleted")
    assert gone.before["currency"] == "USD" and gone.before["price_minor"] == 3200
    # Once copies moved, the ISBN stays: said on the field, nothing written.
    world.printed(5)
    session.commit()
    form = _html(admin.get(url))
    assert "readonly" in form and "its ISBN cannot change" in form
    before = _written(session)
    response = _post(admin, url, **{**dropped, "isbn": ISBN_EN})
    assert response.status_code == 422
    assert "The ISBN of In Defence of Lenin (English paperback) cannot change" in _html(response)
    assert _written(session) == before
    # Anything else may still change.
    assert _post(admin, url, **{**dropped, "list_price": "27"}).status_code == 302


def test_an_unknown_edition_is_404(login, world: World):
    admin = login(Role.ADMIN)
    assert admin.get("/admin/catalogue/editions/999999/edit").status_code == 404
    assert _post(admin, "/admin/catalogue/editions/999999/archive").status_code == 404


# -- archiving -------------------------------------------------------------------------------


def _offered_editions(html: str) -> set[str]:
    return set(re.findall(r'name="lines-\d+-edition_id" type="hidden" value="(\d+)"', html))


def test_an_archived_edition_leaves_the_forms_but_not_the_stock_pages(login, world: World, session):
    world.stocked(20)
    session.commit()
    admin = login(Role.ADMIN)
    edition = world.edition
    assert str(edition.id) in _offered_editions(_html(admin.get("/shipments/new")))
    response = _post(admin, f"/admin/catalogue/editions/{edition.id}/archive")
    assert response.status_code == 302
    session.expire_all()
    assert not edition.active
    (entry,) = _audit(session, "edition.archived")
    assert entry.before == {"active": True} and entry.after == {"active": False}
    assert "archived" in _html(admin.get("/admin/catalogue"))
    # Gone from the choices...
    offered = _offered_editions(_html(admin.get("/shipments/new")))
    assert str(edition.id) not in offered and str(world.edition_es.id) in offered
    gb = world.loc("GB-STORE").section_id
    assert str(edition.id) not in _offered_editions(_html(admin.get(f"/sections/{gb}/prices")))
    assert "In Defence of Lenin (English" not in _text(admin.get("/print-runs/new"))
    transfer = _html(admin.get(f"/transfers/new?from={world.loc('GB-STORE').id}"))
    assert str(edition.id) not in _offered_editions(transfer)
    # ... not from the stock pages, nor from a count of the place that holds it.
    stock = _text(admin.get(f"/?edition={edition.id}"))
    assert "In Defence of Lenin (English paperback)" in stock and "20" in stock
    store = _text(admin.get("/locations/GB-STORE"))
    assert "In Defence of Lenin (English paperback)" in store
    count = _html(admin.get(f"/stocktakes/new?location_id={world.loc('GB-STORE').id}"))
    assert str(edition.id) in _offered_editions(count)
    # Archived twice: said, nothing more written.
    again = _post(admin, f"/admin/catalogue/editions/{edition.id}/archive")
    assert again.status_code == 302 and len(_audit(session, "edition.archived")) == 1
    # Brought back.
    assert _post(admin, f"/admin/catalogue/editions/{edition.id}/unarchive").status_code == 302
    session.expire_all()
    assert edition.active and len(_audit(session, "edition.unarchived")) == 1
    assert str(edition.id) in _offered_editions(_html(admin.get("/shipments/new")))


def test_an_archived_edition_leaves_the_sale_screen(login, world: World, session):
    world.stocked(20)
    session.commit()
    admin = login(Role.ADMIN)
    gb = world.loc("GB-STORE").section_id
    tile = f'value="{world.edition.id}:unsigned"'
    assert tile in _html(admin.get(f"/sections/{gb}/sell"))
    _post(admin, f"/admin/catalogue/editions/{world.edition.id}/archive")
    assert tile not in _html(admin.get(f"/sections/{gb}/sell"))


# -- deleting --------------------------------------------------------------------------------


def test_only_an_edition_whose_copies_never_moved_is_deleted(login, world: World, session):
    admin = login(Role.ADMIN)
    world.printed(5)  # the English edition's copies moved; the Spanish one's never did
    session.commit()
    before = _written(session)
    refused = _post(admin, f"/admin/catalogue/editions/{world.edition.id}/delete")
    assert refused.status_code == 302
    assert "copies of it have moved. Archive it instead." in _html(admin.get("/admin/catalogue"))
    assert _written(session) == before
    spanish = world.edition_es.id
    session.add(EditionListPrice(edition_id=spanish, currency="MXN", price_minor=50000))
    session.commit()
    assert _post(admin, f"/admin/catalogue/editions/{spanish}/delete").status_code == 302
    session.expire_all()
    assert session.get(Edition, spanish) is None
    (entry,) = _audit(session, "edition.deleted")
    assert entry.before["isbn"] == ISBN_ES
    assert _audit(session, "editionlistprice.deleted")[0].before["currency"] == "MXN"
    # Sent again: it is gone, and the page says so.
    again = _post(admin, f"/admin/catalogue/editions/{spanish}/delete")
    assert again.status_code == 302
    assert "no longer in the catalogue" in _html(admin.get("/admin/catalogue"))


def test_an_edition_named_by_a_section_price_is_archived_rather_than_deleted(
    login, world: World, session
):
    admin = login(Role.ADMIN)
    se = session.scalar(select(Section).where(Section.name == "Sweden"))
    session.add(SectionPrice(section_id=se.id, edition_id=world.edition_es.id, price_minor=100))
    session.commit()
    _post(admin, f"/admin/catalogue/editions/{world.edition_es.id}/delete")
    assert "other records name it" in _html(admin.get("/admin/catalogue"))
    assert session.get(Edition, world.edition_es.id) is not None


# -- prices ----------------------------------------------------------------------------------


def test_a_section_charges_a_list_price_in_its_own_currency(login, world: World, session):
    """Its own price, else the main list price in its currency, else another list price
    in its currency, else none."""
    se = session.scalar(select(Section).where(Section.name == "Sweden"))
    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    english, spanish = world.edition, world.edition_es  # GBP, EUR
    assert price_for(session, se, english) is None
    assert price_for(session, gb, english) == 2500
    admin = login(Role.ADMIN)
    url = f"/admin/catalogue/editions/{english.id}/edit"
    form = _edition_form(
        isbn=ISBN_EN,
        language="en",
        list_price="25",
        currency="GBP",
        **{"other_prices-0-currency": "SEK", "other_prices-0-price": "299"},
    )
    assert _post(admin, url, **form).status_code == 302
    session.expire_all()
    assert price_for(session, se, english) == 29900
    assert price_for(session, gb, english) == 2500  # the main list price still
    assert prices_for(session, se, [english, spanish]) == {english.id: 29900, spanish.id: None}
    # The section's prices page names the list price it falls back on.
    page = _html(admin.get(f"/sections/{se.id}/prices"))
    assert 'list price <span class="nowrap">SEK299.00</span>' in page
    # Its own price comes first.
    session.add(SectionPrice(section_id=se.id, edition_id=english.id, price_minor=25000))
    session.commit()
    assert price_for(session, se, english) == 25000
    assert prices_for(session, se, [english])[english.id] == 25000
