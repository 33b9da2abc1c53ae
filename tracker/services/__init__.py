"""Domain operations, one module per area.

Each function takes the session first and the acting user (None: the system, such as
the demo or a command), checks the business rules, writes through the models and the
ledger, flushes, and never commits: the caller (a request, a CLI command) owns the
transaction. A function that writes runs in a savepoint of its own (``@atomic``), so
that a rule failing half-way leaves nothing of it behind. Rules that fail raise
``tracker.domain.errors.DomainError`` with a message meant for people.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.orm import Session

P = ParamSpec("P")
R = TypeVar("R")


def atomic(function: Callable[P, R]) -> Callable[P, R]:
    """Run a service function (its first argument is the session) in a savepoint."""

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        assert isinstance(session, Session)
        with session.begin_nested():
            return function(*args, **kwargs)

    return wrapper


def actor_id(actor: Any) -> int | None:
    return getattr(actor, "id", None)


def role_of(actor: Any) -> str | None:
    return getattr(actor, "role", None)


def is_staff(actor: Any) -> bool:
    """Admins and distribution staff act for every section; so does the system itself
    (``actor`` None: the demo, a command)."""
    from tracker.domain.accounts import Role

    return actor is None or role_of(actor) in (Role.ADMIN, Role.DISTRIBUTOR)


def fenced_section(actor: Any) -> int | None:
    """The one section a treasurer is limited to; None for everyone else."""
    from tracker.domain.accounts import Role

    return actor.section_id if role_of(actor) == Role.TREASURER else None
