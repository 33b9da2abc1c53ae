"""The past adds up: replayed in the order things happened, no place but a source ever
holds fewer than zero copies, and nothing is dated into a closed month.

A balance's *moment* is the end of a point in time: its balance after every move dated
at that instant. A posting dated now (at or after the latest move of every balance it
takes from) changes only the present, which the conditional ``UPDATE`` of the balance
already guards. Only a posting dated before a balance's latest move
(``balances.last_moved_at``) looks into the past, and only at that balance's moves
dated after it: what it takes must not make any later moment negative. The balance's
row is locked (updated) before that look, so a second posting at the same place waits
and then sees the first one's moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from tracker.db import UTCDateTime, table_of, utcnow
from tracker.domain.errors import NotThereThen, PeriodClosed
from tracker.domain.periods import month_of
from tracker.domain.words import month_name, say
from tracker.models import Balance, ClosedMonth, Move, Section

Key = tuple[int, int, str]


def _changes_after_statement():
    """Net copies in (+) or out (-) of one balance at each moment after ``b_after``:
    built once (``CHANGES_AFTER``), read by the covering indexes on moves by balance."""
    after = bindparam("b_after", type_=UTCDateTime())
    out = select(Move.occurred_at.label("at"), (-Move.qty).label("delta")).where(
        Move.from_location_id == bindparam("b_location"),
        Move.edition_id == bindparam("b_edition"),
        Move.from_condition == bindparam("b_condition"),
        Move.occurred_at > after,
    )
    into = select(Move.occurred_at.label("at"), Move.qty.label("delta")).where(
        Move.to_location_id == bindparam("b_location"),
        Move.edition_id == bindparam("b_edition"),
        Move.to_condition == bindparam("b_condition"),
        Move.occurred_at > after,
    )
    both = union_all(out, into).subquery()
    return (
        select(
            both.c.at,
            func.sum(both.c.delta),
            func.sum(case((both.c.delta > 0, both.c.delta), else_=0)),
        )
        .group_by(both.c.at)
        .order_by(both.c.at)
    )


CHANGES_AFTER = _changes_after_statement()

_moves = table_of(Move)
# Copies that came into one balance after ``b_after``: if what is left now covers them,
# no later moment can be short (each held at least what is left now, less what came in
# after it), and nothing more need be read.
ARRIVED_AFTER = select(func.coalesce(func.sum(_moves.c.qty), 0)).where(
    _moves.c.to_location_id == bindparam("b_location"),
    _moves.c.edition_id == bindparam("b_edition"),
    _moves.c.to_condition == bindparam("b_condition"),
    _moves.c.occurred_at > bindparam("b_after", type_=UTCDateTime()),
)
_closed = table_of(ClosedMonth)
CLOSED = (
    select(_closed.c.section_id)
    .where(
        _closed.c.section_id.in_(bindparam("b_sections", expanding=True)),
        _closed.c.month == bindparam("b_month"),
    )
    .limit(1)
)


def check_taken(
    session: Session,
    key: Key,
    *,
    left: int,
    taken: int,
    when: datetime,
    location: str,
    edition: str,
) -> None:
    """After ``taken`` copies were taken from a balance at ``when`` (leaving ``left``
    now), refuse if some moment from ``when`` on would be short.

    The balance at a moment is what it holds now less what moved in after that moment.
    First the cheap sufficient test: what is left covers every copy that came in since
    (one sum over an index). Otherwise, walking the later moments from the newest back
    gives every one of them at the cost of reading this balance's later moves.
    """
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2], "b_after": when}
    if left >= (session.scalar(ARRIVED_AFTER, params) or 0):
        return
    rows = _later_moments(session, key, when)
    at_when, levels = _levels(rows, left)
    moments = [(when, at_when, 0)] + [
        (moment, levels[i], arrived) for i, (moment, _net, arrived) in enumerate(rows)
    ]
    short = [i for i, (_m, held, _a) in enumerate(moments) if held < 0]
    if not short:
        return
    first, last = short[0], short[-1]
    on, held, _ = moments[first]
    recovered = moments[last + 1] if last + 1 < len(moments) else None
    raise NotThereThen(
        location=location,
        edition=edition,
        condition=key[2],
        there=held + taken,
        on=on,
        arrived=recovered[2] if recovered else None,
        arrived_on=recovered[0] if recovered else None,
        edition_id=key[1],
    )


def check_taken_all(
    session: Session,
    key: Key,
    *,
    left: int,
    takes: list[tuple[datetime, int]],
    location: str,
    edition: str,
) -> None:
    """``check_taken`` for copies taken from one balance at several moments at once (a
    file of past sales): after they were taken (leaving ``left`` now), refuse if some
    moment from the earliest of them on would be short."""
    first = min(when for when, _qty in takes)
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2], "b_after": first}
    if left >= (session.scalar(ARRIVED_AFTER, params) or 0):
        return
    changes: dict[datetime, list[int]] = {}
    for moment, net, arrived in _later_moments(session, key, first):
        changes[moment] = [net, arrived, 0]
    for when, qty in takes:
        change = changes.setdefault(when, [0, 0, 0])
        change[0] -= qty
        change[2] += qty
    moments = sorted(changes)
    levels = []
    level = left
    for moment in reversed(moments):
        levels.append(level)
        level -= changes[moment][0]
    levels.reverse()
    short = [i for i, held in enumerate(levels) if held < 0]
    if not short:
        return
    on = moments[short[0]]
    recovered = short[-1] + 1
    raise NotThereThen(
        location=location,
        edition=edition,
        condition=key[2],
        there=max(levels[short[0]] + changes[on][2], 0),
        on=on,
        arrived=changes[moments[recovered]][1] if recovered < len(moments) else None,
        arrived_on=moments[recovered] if recovered < len(moments) else None,
    )


def enough_since(
    session: Session,
    key: Key,
    after: datetime,
    needed: int,
    *,
    until: datetime | None = None,
) -> tuple[datetime, int] | None:
    """From when (after ``after``, and before ``until`` if given: an event's close) a
    balance held ``needed`` copies for good, and how many came in at that moment: what
    a refusal tells people to date their document by. None if it never did."""
    rows = _later_moments(session, key, after)
    level = balance(session, *key)
    if until is not None:
        level -= sum(net for moment, net, _arrived in rows if moment >= until)
        rows = [row for row in rows if row[0] < until]
    _start, levels = _levels(rows, level)
    if not levels or levels[-1] < needed:
        return None
    first = len(levels) - 1
    while first > 0 and levels[first - 1] >= needed:
        first -= 1
    return rows[first][0], rows[first][2]


def _later_moments(session: Session, key: Key, after: datetime) -> list[tuple[datetime, int, int]]:
    """(moment, net change, copies that came in) of one balance at each moment after
    ``after``, oldest first."""
    params = {"b_location": key[0], "b_edition": key[1], "b_condition": key[2], "b_after": after}
    found: list[Any] = list(session.execute(CHANGES_AFTER, params))
    return [(row[0], int(row[1]), int(row[2] or 0)) for row in found]


def _levels(rows: list[tuple[datetime, int, int]], now: int) -> tuple[int, list[int]]:
    """What the balance held before the first of ``rows`` and at each of them, from
    what it holds ``now``: walked back from the newest."""
    levels = []
    level = now
    for _moment, net, _arrived in reversed(rows):
        levels.append(level)
        level -= net
    levels.reverse()
    return level, levels


def balance(session: Session, location_id: int, edition_id: int, condition: str) -> int:
    qty = session.scalar(
        select(Balance.qty).where(
            Balance.location_id == location_id,
            Balance.edition_id == edition_id,
            Balance.condition == condition,
        )
    )
    return qty or 0


def holdings_at(session: Session, location_id: int, at: datetime) -> dict[tuple[int, str], int]:
    """What a place held at a moment, by (edition, condition): its balances now, less
    what moved in since, plus what moved out since."""
    held = {
        (row.edition_id, row.condition): row.qty
        for row in session.execute(
            select(Balance.edition_id, Balance.condition, Balance.qty).where(
                Balance.location_id == location_id
            )
        )
    }
    moment = literal(at, UTCDateTime())
    for edition_id, condition, qty in session.execute(
        select(Move.edition_id, Move.to_condition, func.sum(Move.qty))
        .where(Move.to_location_id == location_id, Move.occurred_at > moment)
        .group_by(Move.edition_id, Move.to_condition)
    ):
        held[(edition_id, condition)] = held.get((edition_id, condition), 0) - int(qty)
    for edition_id, condition, qty in session.execute(
        select(Move.edition_id, Move.from_condition, func.sum(Move.qty))
        .where(Move.from_location_id == location_id, Move.occurred_at > moment)
        .group_by(Move.edition_id, Move.from_condition)
    ):
        held[(edition_id, condition)] = held.get((edition_id, condition), 0) + int(qty)
    return held


def refuse_closed(session: Session, section_ids: Iterable[int | None], when: datetime) -> None:
    """Refuse a document dated into a closed month of any section it touches. Only a
    month that is over can be closed, so a document dated this month never asks."""
    if month_of(when) >= month_of(utcnow()):
        return
    ids = {i for i in section_ids if i is not None}
    if not ids:
        return
    closed = session.scalar(CLOSED, {"b_sections": sorted(ids), "b_month": month_of(when)})
    if closed is not None:
        section = session.get_one(Section, closed)
        raise PeriodClosed(
            say(
                "The books of %(section)s for %(month)s are closed: nothing may be dated "
                "into that month. An admin can reopen it.",
                section=section.name,
                month=month_name(when),
            )
        )
