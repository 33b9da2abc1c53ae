"""Accounts: creating and changing them, passwords, logging in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import audit, passwords
from tracker.db import utcnow
from tracker.domain.accounts import Actor, Role
from tracker.domain.errors import DomainError, NotFound
from tracker.domain.text import clean
from tracker.domain.words import one_of, say
from tracker.models import Section, User
from tracker.models.accounts import new_alt_id

# Anything but "@", spaces and control characters.
_EMAIL_PART = r"[^@\s\x00-\x1f\x7f-\x9f]+"
_EMAIL = re.compile(rf"^{_EMAIL_PART}@{_EMAIL_PART}\.{_EMAIL_PART}$")


class WrongPassword(DomainError):
    """The password given to confirm who one is (the current one) is not right."""


class PasswordRejected(DomainError):
    """The new password breaks a rule; ``problems`` says which."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


def normalize_email(email: str | None) -> str:
    text = (email or "").strip().lower()
    if len(text) > 254 or not _EMAIL.match(text):
        raise DomainError(say("%(email)s is not an email address.", email=repr(email)))
    return text


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        known = one_of([r.value for r in Role])
        raise DomainError(
            say("%(role)s is not a role (%(known)s).", role=repr(role), known=known)
        ) from None


def _section_for(
    session: Session, role: Role, section_id: int | None, *, keeping: int | None = None
) -> int | None:
    """The section of an account of ``role``: one for a treasurer (an open one, unless
    it is the section the account already has: ``keeping``), none for the others."""
    if role != Role.TREASURER:
        if section_id is not None:
            raise DomainError(
                say(
                    "Only a treasurer belongs to a section: leave the section empty for "
                    "the role %(role)s.",
                    role=role.label,
                )
            )
        return None
    if section_id is None:
        raise DomainError(say("A treasurer belongs to one section: choose which."))
    section = session.get(Section, section_id)
    if section is None:
        raise DomainError(say("There is no section %(id)s.", id=section_id))
    if section.archived and section.id != keeping:
        raise DomainError(
            say(
                "Section %(section)s is archived: an admin brings it back first.",
                section=section.name,
            )
        )
    return section_id


def _name(name: str | None, email: str) -> str:
    return clean(name, say("the name"), 200) or email.split("@")[0]


def check_new_password(password: str, confirm: str | None = None, *, email: str) -> None:
    found = passwords.problems(password, email=email)
    if confirm is not None and password != confirm:
        found.append(say("The two passwords differ."))
    if found:
        raise PasswordRejected(found)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(say("There is no account %(id)s.", id=user_id))
    return user


def create_user(
    session: Session,
    hasher: PasswordHasher,
    *,
    email: str,
    role: str,
    name: str | None = None,
    section_id: int | None = None,
    password: str | None = None,
) -> tuple[User, str | None]:
    """A new account. Without ``password``, a random one is made and returned (once):
    its owner must change it at first login."""
    email = normalize_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DomainError(say("There is already an account for %(email)s.", email=email))
    role_enum = _role(role)
    generated = None
    if password is None:
        password = generated = passwords.generate()
    else:
        check_new_password(password, email=email)
    user = User(
        email=email,
        name=_name(name, email),
        role=role_enum.value,
        section_id=_section_for(session, role_enum, section_id),
        password_hash=passwords.hash_password(hasher, password),
        alt_id=new_alt_id(),
        active=True,
        must_change_password=generated is not None,
    )
    session.add(user)
    session.flush()
    return user, generated


def update_user(
    session: Session,
    actor: Actor | None,
    user_id: int,
    *,
    email: str | None,
    name: str | None,
    role: str,
    section_id: int | None,
) -> User:
    user = get_user(session, user_id)
    email = normalize_email(email)
    other = session.scalar(select(User.id).where(User.email == email, User.id != user.id))
    if other is not None:
        raise DomainError(say("There is already an account for %(email)s.", email=email))
    role_enum = _role(role)
    if actor is not None and user.id == actor.id and role_enum != Role.ADMIN:
        raise DomainError(say("You cannot take the admin role from yourself."))
    if user.role == Role.ADMIN and role_enum != Role.ADMIN:
        _keep_an_admin(session, user)
    # The section is looked up before anything is set: the lookup may flush, and the
    # database must never see a treasurer without a section or a section without one.
    section = _section_for(session, role_enum, section_id, keeping=user.section_id)
    user.email = email
    user.name = _name(name, email)
    user.role = role_enum.value
    user.section_id = section
    session.flush()
    return user


def _keep_an_admin(session: Session, leaving: User) -> None:
    """Refuse to take away (by a new role, or by deactivation) the last active admin.
    The other active admins' rows are locked (PostgreSQL; SQLite's writers take turns):
    two admins demoting each other at once cannot leave none."""
    others = session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True), User.id != leaving.id)
        .with_for_update()
    ).all()
    if not others:
        raise DomainError(
            say("%(email)s is the last active admin; make another one first.", email=leaving.email)
        )


def set_active(session: Session, actor: Actor | None, user_id: int, active: bool) -> User:
    user = get_user(session, user_id)
    if not active:
        if actor is not None and user.id == actor.id:
            raise DomainError(say("You cannot deactivate your own account."))
        if user.role == Role.ADMIN:
            _keep_an_admin(session, user)
        user.alt_id = new_alt_id()  # its sessions end now
    user.active = active
    session.flush()
    return user


def reset_password(session: Session, hasher: PasswordHasher, user_id: int) -> tuple[User, str]:
    """A new random password for the account, to be changed at its next login."""
    user = get_user(session, user_id)
    password = passwords.generate()
    _new_password(
        session, hasher, user, password, "reset", f"Password of {user.email} reset by an admin"
    )
    return user, password


def _new_password(
    session: Session, hasher: PasswordHasher, user: User, password: str, how: str, summary: str
) -> None:
    """Give the account a new password (to be changed at its next login when an admin
    reset it); every session of the account ends; the audit trail says how."""
    user.password_hash = passwords.hash_password(hasher, password)
    user.must_change_password = how == "reset"
    user.alt_id = new_alt_id()
    session.flush()
    audit.record(
        session,
        kind=f"user.password_{how}",
        object_type="user",
        object_id=user.id,
        summary=summary,
        section_ids=[user.section_id],
    )


def change_password(
    session: Session, hasher: PasswordHasher, user: User, *, current: str, new: str, confirm: str
) -> User:
    """The user's own change; every other session of the account ends."""
    if not passwords.verify(hasher, user.password_hash, current):
        raise WrongPassword(say("The current password is not right."))
    check_new_password(new, confirm, email=user.email)
    if new == current:
        raise PasswordRejected([say("The new password must differ from the current one.")])
    _new_password(session, hasher, user, new, "changed", f"{user.email} changed their password")
    return user


def recover_password(
    session: Session, hasher: PasswordHasher, user: User, *, new: str, confirm: str
) -> User:
    """A password chosen by the account's owner through a link sent to its email (they
    had forgotten theirs): the rules of any new password; every session of the account
    ends, and an admin's "change it at your next login" is forgotten."""
    check_new_password(new, confirm, email=user.email)
    _new_password(
        session,
        hasher,
        user,
        new,
        "reset_by_link",
        f"{user.email} chose a new password through a link sent by mail",
    )
    return user


def set_password(session: Session, hasher: PasswordHasher, email: str, password: str) -> User:
    """From the command line: a password chosen by someone with access to the server."""
    email = normalize_email(email)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise NotFound(say("There is no account for %(email)s.", email=email))
    check_new_password(password, email=email)
    _new_password(
        session,
        hasher,
        user,
        password,
        "set",
        f"Password of {user.email} set from the command line",
    )
    return user


@dataclass
class Login:
    user: User | None

    @property
    def ok(self) -> bool:
        return self.user is not None


def authenticate(session: Session, hasher: PasswordHasher, email: str, password: str) -> Login:
    """The active account with this email and password, or none; the answer does not
    say which was wrong, and takes as long either way."""
    address = (email or "").strip().lower()
    user = session.scalar(select(User).where(User.email == address)) if address else None
    if user is None:
        passwords.waste_time(hasher, password)
        return Login(None)
    if not passwords.verify(hasher, user.password_hash, password) or not user.active:
        return Login(None)
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(hasher, password)
    logged_in(session, user)
    return Login(user)


def logged_in(session: Session, user: User, how: str = "") -> None:
    """Note a login of ``user`` (who acts from now on) in the account and the audit
    trail; ``how`` says how, when it was not with the password."""
    user.last_login_at = utcnow()
    session.flush()
    audit.set_actor(session, user.id)
    audit.record(
        session,
        kind="user.login",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} logged in{how}",
        section_ids=[user.section_id],
    )


def logout(session: Session, user: User) -> None:
    """End every session of the account: the cookie's id no longer matches."""
    user.alt_id = new_alt_id()
    session.flush()
    audit.record(
        session,
        kind="user.logout",
        object_type="user",
        object_id=user.id,
        summary=f"{user.email} logged out",
        section_ids=[user.section_id],
    )


def login_failed(
    session: Session, *, email: str, address: str, throttled_by: str | None = None
) -> None:
    """Record a login that failed, or that was refused for too many failures.

    The email is kept as it was typed (an admin needs to see what was tried, above all
    when no account has it), never the password. The account it names, if any, is the
    entry's object; nobody is its actor, since nobody logged in. Known and unknown
    emails cost the same: one lookup, one row.
    """
    tried = (email or "").strip()[:254]
    account = session.execute(
        select(User.id, User.section_id).where(User.email == tried.lower())
    ).first()
    audit.set_actor(session, None)
    shown = tried or "(no email)"
    if throttled_by is None:
        kind, summary = "user.login_failed", f"Failed login as {shown} from {address}"
        after = {"email": tried, "address": address}
    else:
        kind = "user.login_throttled"
        summary = f"Login as {shown} from {address} refused: too many failures {throttled_by}"
        after = {"email": tried, "address": address, "limit": throttled_by}
    audit.record(
        session,
        kind=kind,
        object_type="user",
        object_id=account.id if account else None,
        summary=summary,
        after=after,
        section_ids=[account.section_id] if account else [],
    )


def password_check_failed(
    session: Session, actor_id: int, *, address: str, throttled: bool = False
) -> None:
    """Record a wrong current password given to change one's own password, or an attempt
    refused for too many of them: someone holding a session may be guessing."""
    user = get_user(session, actor_id)
    audit.set_actor(session, user.id)
    if throttled:
        kind = "user.password_check_throttled"
        summary = f"{user.email}: password change refused from {address}, too many wrong ones"
    else:
        kind = "user.password_check_failed"
        summary = f"{user.email} gave a wrong current password from {address}"
    audit.record(
        session,
        kind=kind,
        object_type="user",
        object_id=user.id,
        summary=summary,
        after={"address": address},
        section_ids=[user.section_id],
    )
