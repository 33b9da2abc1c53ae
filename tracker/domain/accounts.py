"""Who acts, as the rules see it: roles, and the fence around a treasurer's section.

Every service takes the acting person as an ``Actor`` (a logged-in ``User``, or None for
the system itself: the demo, a command). What an actor may see and do by role is
decided here, once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from tracker.domain.errors import DomainError, NotFound
from tracker.domain.words import say, say_mark


class Role(StrEnum):
    ADMIN = "admin"
    DISTRIBUTOR = "distributor"
    TREASURER = "treasurer"
    COORDINATOR = "coordinator"

    @property
    def label(self) -> str:
        return say(ROLE_LABELS[self])


# Each role's name in English; ``label`` says it in the reader's language.
ROLE_LABELS = {
    Role.ADMIN: say_mark("Admin"),
    Role.DISTRIBUTOR: say_mark("Distribution staff"),
    Role.TREASURER: say_mark("Section treasurer"),
    Role.COORDINATOR: say_mark("Coordinator"),
}


class Actor(Protocol):
    """Whoever acts: what the rules need to know of them."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...

    @property
    def section_id(self) -> int | None: ...


# Staff act for every section; the system itself (no actor) acts for all.
STAFF = frozenset({Role.ADMIN, Role.DISTRIBUTOR})
# Who runs a section's events, sales and money: its treasurer, or an admin.
SECTION_RUNNERS = frozenset({Role.ADMIN, Role.TREASURER})
# Who enters the exchange rates the sections' balances are converted at.
RATE_KEEPERS = frozenset({Role.ADMIN})
# Who makes and changes titles and editions; who reads the catalogue's pages (the
# publisher's side: treasurers meet editions on their own forms and reports).
CATALOGUE_KEEPERS = frozenset({Role.ADMIN})
CATALOGUE_READERS = frozenset({Role.ADMIN, Role.DISTRIBUTOR, Role.COORDINATOR})


def actor_id(actor: Actor | None) -> int | None:
    return None if actor is None else actor.id


def role_of(actor: Actor | None) -> str | None:
    return None if actor is None else actor.role


def is_staff(actor: Actor | None) -> bool:
    """Admins and distribution staff act for every section; so does the system itself
    (``actor`` None: the demo, a command)."""
    return actor is None or actor.role in STAFF


def section_fence(actor: Actor | None) -> int | None:
    """The one section a treasurer is limited to; None for everyone else."""
    if actor is not None and actor.role == Role.TREASURER:
        return actor.section_id
    return None


def may_see(actor: Actor | None, section_id: int | None) -> bool:
    """Whether the actor may see a record of ``section_id`` (None: the publisher's)."""
    fence = section_fence(actor)
    return fence is None or section_id == fence


def require_section(actor: Actor | None, section_id: int | None, missing: str) -> None:
    """NotFound, saying ``missing`` (what is said when there is no such record: "There
    is no sale 7."), when the record is another section's: to a treasurer, another
    section's records do not exist."""
    if not may_see(actor, section_id):
        raise NotFound(missing)


def require_role(actor: Actor | None, roles: frozenset[Role], message: str) -> None:
    """A DomainError with ``message`` unless the actor (or the system) has one of
    ``roles``."""
    if actor is not None and actor.role not in roles:
        raise DomainError(message)
