"""The audit trail: every kind of write leaves a row, in the same transaction, and the
database refuses to change or delete it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tests.factories import World, csrf_token
from tracker import audit
from tracker.domain.accounts import Role
from tracker.models import AuditEntry, Move, Section, User
from tracker.services import accounts, places
from tracker.services import remittances as remittances_service
from tracker.services.stock import reverse_moves


def _entries(session, kind: str) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id))
    )


def test_catalogue_and_places_changes_are_recorded(world: World, session):
    for kind in (
        "title.created",
        "edition.created",
        "section.created",
        "location.created",
        "country.created",
        "author.created",
    ):
        assert _entries(session, kind), kind
    (edition,) = [
        e for e in _entries(session, "edition.created") if e.after["isbn"] == world.edition.isbn
    ]
    assert edition.after["list_price_minor"] == 2500 and edition.user_id is None
    store = world.loc("GB-STORE")
    audit.set_actor(session, None)
    store.name = "London book room"
    session.flush()
    (change,) = _entries(session, "location.updated")
    assert change.before == {"name": "Britain store"}
    assert change.after == {"name": "London book room"}
    assert [s.name for s in change.sections] == ["Britain"]


def test_postings_and_reversals_are_recorded_with_their_moves(world: World, session, make_user):
    user = make_user(Role.DISTRIBUTOR)
    audit.set_actor(session, user.id)
    world.stocked(10)
    document = world.post("transfer", 3, "GB-STORE", "GB-EV")
    (entry,) = [e for e in _entries(session, "stock.posted") if e.object_id == str(document.id)]

    assert entry.user_id == user.id
    assert entry.summary == f"Transfer #{document.id}: 3 copies in 1 move"
    (line,) = entry.after["moves"]
    assert (line["from"], line["to"], line["qty"]) == ("GB-STORE/unsigned", "GB-EV/unsigned", 3)
    assert [s.name for s in entry.sections] == ["Britain"]
    move_id = session.scalar(select(Move.id).where(Move.document_id == document.id))
    reverse_moves(session, [move_id], note="wrong table")
    (reversal,) = _entries(session, "stock.reversed")
    assert reversal.after["moves"][0]["reverses"] == move_id


def test_account_changes_are_recorded_without_secrets(app, session, world: World):
    hasher = app.extensions["tracker.hasher"]
    admin, _ = accounts.create_user(
        session, hasher, email="a@example.org", role="admin", password="a long admin passphrase"
    )
    audit.set_actor(session, admin.id)
    gb = session.scalar(select(Section).where(Section.name == "Britain"))
    user, _ = accounts.create_user(
        session, hasher, email="t@example.org", role="treasurer", section_id=gb.id
    )
    accounts.update_user(
        session,
        admin,
        user.id,
        email="t@example.org",
        name="T",
        role="coordinator",
        section_id=None,
    )
    accounts.set_active(session, admin, user.id, False)
    accounts.reset_password(session, hasher, user.id)
    (created,) = [e for e in _entries(session, "user.created") if e.object_id == str(user.id)]
    assert "password_hash" not in created.after and "alt_id" not in created.after
    assert created.user_id == admin.id and [s.name for s in created.sections] == ["Britain"]
    updates = [e for e in _entries(session, "user.updated") if e.object_id == str(user.id)]
    assert updates[0].before["role"] == "treasurer" and updates[0].after["role"] == "coordinator"
    assert updates[1].after == {"active": False}
    assert _entries(session, "user.password_reset")
    for entry in session.scalars(select(AuditEntry)):
        assert "argon2" not in str(entry.before) + str(entry.after)


def test_logins_logouts_and_password_changes_are_recorded(app, make_user, session):
    user = make_user(Role.COORDINATOR)
    client = app.test_client()
    from tests.factories import PASSWORD, log_in

    log_in(client, user.email)
    client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "new": "another long passphrase",
            "confirm": "another long passphrase",
            "csrf_token": csrf_token(client, "/"),
        },
    )
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for kind in ("user.login", "user.password_changed", "user.logout"):
        (entry,) = _entries(session, kind)
        assert entry.user_id == user.id and entry.object_id == str(user.id)


def test_a_refused_change_leaves_no_audit_row(world: World, session):
    world.stocked(1)
    before = len(session.scalars(select(AuditEntry)).all())
    from tracker.domain.errors import InsufficientStock

    with pytest.raises(InsufficientStock):
        world.post("sale", 5, "GB-STORE", "GB-CUSTOMERS")
    assert len(session.scalars(select(AuditEntry)).all()) == before


@pytest.mark.parametrize("table", ["audit_log", "audit_sections"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET {c} = {c}", "DELETE FROM {t}"])
def test_the_database_refuses_to_change_the_audit_trail(world: World, session, table, statement):
    places.create_location(
        session, kind="event_table", code="GB-EV2", name="x", section=world.loc("GB-STORE").section
    )
    session.flush()
    column = "kind" if table == "audit_log" else "section_id"
    count = session.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
    assert count > 0
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement.format(t=table, c=column)))
    assert session.scalar(text(f"SELECT count(*) FROM {table}")) == count  # noqa: S608


def _rows(client, **query) -> str:
    """The text of the audit table's rows (not of the filter form)."""
    from bs4 import BeautifulSoup

    response = client.get("/audit", query_string=query)
    assert response.status_code == 200
    table = BeautifulSoup(response.get_data(as_text=True), "html.parser").find("table", id="audit")
    return "" if table is None else table.tbody.get_text(" ", strip=True)


def test_the_audit_page_filters(app, login, world: World, session, make_user):
    admin = login(Role.ADMIN)
    someone = make_user(Role.DISTRIBUTOR)
    audit.set_actor(session, someone.id)
    world.stocked(5)
    session.commit()
    everything = _rows(admin)
    assert "stock.posted" in everything and "user.created" in everything
    by_user = _rows(admin, user=someone.id)
    assert someone.email in by_user and "stock.posted" in by_user
    assert "user.login" not in by_user and "section.created" not in by_user
    by_kind = _rows(admin, kind="user.login")
    assert "user.login" in by_kind and "stock.posted" not in by_kind
    se = session.scalar(select(Section).where(Section.name == "Sweden"))
    by_section = _rows(admin, section=se.id)
    assert "SE-STORE" in by_section and "GB-STORE" not in by_section
    next_year = (date.today() + timedelta(days=365)).isoformat()
    assert _rows(admin, since=next_year) == ""
    assert "user.login" in _rows(admin, since="2000-01-01", until=next_year)
    bad = admin.get("/audit", query_string={"since": "not a date"})
    assert bad.status_code == 200 and "Not a valid date value." in bad.get_data(as_text=True)


def test_the_audit_page_pages(app, login, world: World, session):
    import re

    admin = login(Role.ADMIN)
    for n in range(60):
        places.create_location(
            session,
            kind="event_table",
            code=f"GB-EV-{n}",
            name=f"e{n}",
            section=world.loc("GB-STORE").section,
        )
    session.commit()
    first = admin.get("/audit").get_data(as_text=True)
    assert first.count("<code>") == 50 and "Older entries" in first
    older = re.search(r'href="(/audit\?[^"]*before=\d+[^"]*)"', first).group(1)
    second = admin.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert 0 < second.count("<code>") <= 50
    assert set(re.findall(r"GB-EV-\d+", first)).isdisjoint(re.findall(r"GB-EV-\d+", second))


def test_created_by_is_the_acting_user(world: World, session, make_user):
    user = make_user(Role.TREASURER, "GB")
    world.stocked(5)
    from tracker.services.stock import post_document

    document = post_document(
        session, "sale", [world.line("sale", 1, "GB-STORE", "GB-CUSTOMERS")], created_by_id=user.id
    )
    move = session.scalar(select(Move).where(Move.document_id == document.id))
    assert document.created_by_id == user.id and move.created_by_id == user.id
    assert session.get(User, user.id).email == move.created_by.email


def test_status_changes_made_with_conditional_updates_are_recorded(world: World, session):
    """A shipment cancelled, an event closed and reopened, a remittance confirmed: the
    status moves on in one conditional UPDATE, and the audit trail says so."""
    from datetime import date

    from tracker.services import events, shipments

    world.stocked(20)
    gb = world.loc("GB-STORE").section_id
    draft = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 5, "10.00")],
    )
    shipments.cancel(session, None, draft.id)
    event = events.create_event(
        session, None, gb, events.EventDetails(name="Launch", kind="launch", starts_on=date.today())
    )
    events.close_event(session, None, event.id)
    events.reopen_event(session, None, event.id)
    remittance = remittances_service.record_remittance(
        session,
        None,
        section_id=gb,
        amount="10.00",
        currency="GBP",
        sent_on=date.today(),
        method="bank_transfer",
    )
    remittances_service.confirm_remittance(session, None, remittance.document_id)
    kinds = [
        (e.kind, e.after)
        for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        if e.kind.endswith((".cancelled", ".closed", ".reopened", ".confirmed"))
    ]
    assert [k for k, _ in kinds] == [
        "shipment.cancelled",
        "event.closed",
        "event.reopened",
        "remittance.confirmed",
    ]
    assert kinds[0][1]["status"] == "cancelled" and kinds[1][1]["status"] == "closed"
    assert kinds[3][1]["confirmed_at"]


def test_a_draft_shipments_note_changed_later_is_recorded(login, world: World, session):
    """A document is in its posting's entry when it is made; a note changed afterwards
    (a draft shipment edited) gets an entry of its own, with before and after, and the
    posting is still recorded once."""
    from tests.web.forms import send
    from tracker.services import shipments

    staff = login(Role.DISTRIBUTOR)
    world.printed(20)
    gb = world.loc("GB-STORE").section_id
    draft = shipments.create(
        session,
        None,
        direction="outbound",
        section_id=gb,
        lines=[shipments.LineInput(world.edition.id, 5, "10.00")],
        note="Leave at the back door",
    )
    session.commit()
    (created,) = [e for e in _entries(session, "shipment.created") if e.object_id == str(draft.id)]
    assert created.after["note"] == "Leave at the back door"
    assert not _entries(session, "document.created")

    response = send(staff, f"/shipments/{draft.id}/edit", {"note": "Ring the bell twice"})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (changed,) = [e for e in _entries(session, "document.updated") if e.object_id == str(draft.id)]
    assert changed.before == {"note": "Leave at the back door"}
    assert changed.after == {"note": "Ring the bell twice"}
    assert changed.user_id == staff.user.id
    assert [s.name for s in changed.sections] == ["Britain"]

    # Saved again unchanged: no entry; dispatched: one posting entry, no document entry.
    assert send(staff, f"/shipments/{draft.id}/edit").status_code == 302
    response = staff.post(
        f"/shipments/{draft.id}/dispatch", data={"csrf_token": csrf_token(staff, "/")}
    )
    assert response.status_code == 302
    assert len(_entries(session, "document.updated")) == 1
    posted = [e for e in _entries(session, "stock.posted") if e.object_id == str(draft.id)]
    assert len(posted) == 1 and posted[0].after["document"]["note"] == "Ring the bell twice"


def test_a_remittances_note_is_in_its_entry(login, world: World, session):
    from tests.web.forms import send

    treasurer = login(Role.TREASURER, "GB")
    response = send(
        treasurer,
        "/remittances/new",
        {
            "amount": "500",
            "currency": "GBP",
            "reference": "Transfer 1",
            "note": "Paid from the branch's own account, in two parts",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    (entry,) = _entries(session, "remittance.created")
    assert entry.after["note"] == "Paid from the branch's own account, in two parts"
    assert entry.after["reference"] == "Transfer 1" and entry.after["amount_minor"] == 50000
    assert entry.user_id == treasurer.user.id
