"""The admin's Dates page sent spoiled: each bad value is a 4xx that names the field,
and nothing is written."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories import World, post_form
from tracker.domain.accounts import Role
from tracker.models import ClosedMonth, Settings


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("abc", "&#39;abc&#39; is not a whole number."),
        ("0", "Number must be between 1 and 10000."),
        ("-1", "Number must be between 1 and 10000."),
        ("99999", "Number must be between 1 and 10000."),
        ("1\x00", "is not a whole number."),
        ("9" * 5000, "is not a whole number."),
    ],
)
def test_a_spoiled_limit_is_refused(login, session, days, message):
    admin = login(Role.ADMIN)
    response = post_form(admin, "/admin/dating", {"limit-days": days}, page="/admin/dating")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert session.scalar(select(Settings.backdate_days).where(Settings.id == 1)) is None


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2024-13", "is not a month such as 2024-02"),
        ("February", "is not a month such as 2024-02"),
        ("", "Give the month, such as 2024-02."),
        ("2024-02\x00", "control character"),
        ("x" * 5000, "is not a month such as 2024-02"),
        ("1850-01", "1900"),
        (date.today().strftime("%Y-%m"), "is not over yet"),
    ],
)
def test_a_spoiled_month_closes_nothing(login, session, world: World, month, message):
    admin = login(Role.ADMIN)
    gb = world.loc("GB-STORE").section_id
    session.commit()
    response = post_form(
        admin,
        "/admin/dating/close",
        {"close-section_id": str(gb), "close-month": month},
        page="/admin/dating",
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(ClosedMonth)) == 0


def test_an_unknown_section_or_month_in_the_address(login, session, world: World):
    admin = login(Role.ADMIN)
    page = "/admin/dating"
    assert post_form(admin, "/admin/dating/999999/2024-02/reopen", page=page).status_code == 302
    assert post_form(admin, "/admin/dating/1/2024-13/reopen", page=page).status_code == 404
    assert post_form(admin, "/admin/dating/1/%00/reopen", page=page).status_code == 400
