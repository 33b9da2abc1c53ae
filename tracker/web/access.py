"""Who may use which route: every view declares it, and what is not declared is denied.

    @bp.get("/things")
    @allow(Role.ADMIN, Role.COORDINATOR)
    def things(): ...

``@public`` marks the few routes anyone may use (the login page, health probes).
``@signed_in`` admits every role. A route with no declaration answers 403 to everyone
(and the route x role test fails until it gets one). A treasurer is further fenced to
their own section: ``section_scope()`` gives the section every query must be limited
to, and another section's record answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from tracker.domain.accounts import Role
from tracker.web.problems import is_api, problem, unauthenticated

F = TypeVar("F", bound=Callable[..., Any])

ATTRIBUTE = "tracker_access"


@dataclass(frozen=True)
class Access:
    public: bool = False
    roles: frozenset[Role] = frozenset()


def public(view: F) -> F:
    setattr(view, ATTRIBUTE, Access(public=True))
    return view


def allow(*roles: Role) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, ATTRIBUTE, Access(roles=frozenset(roles)))
        return view

    return decorate


signed_in = allow(*Role)

READERS = (Role.ADMIN, Role.COORDINATOR)

# Views a user who must change their password may still reach.
_PASSWORD_CHANGE_ALLOWED = {"auth.password", "auth.logout", "static"}


def declared(endpoint: str) -> Access | None:
    view = current_app.view_functions.get(endpoint)
    return getattr(view, ATTRIBUTE, None)


def check():
    """Before every request: deny what is not declared, ask strangers to log in."""
    endpoint = request.endpoint
    if endpoint is None or endpoint == "static":
        return None  # no route matched: 404 or 405 follows
    rule = declared(endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule: denied", endpoint)
        abort(403)
    if rule.public:
        return None
    if not current_user.is_authenticated:
        # A program is told, not sent to the login page.
        return unauthenticated() if is_api() else current_app.login_manager.unauthorized()
    if current_user.must_change_password and endpoint not in _PASSWORD_CHANGE_ALLOWED:
        if is_api():
            return problem(
                403,
                "Password to change",
                "Choose a password of your own on the tracker's pages before you go on.",
                problem_type="password-change",
            )
        flash("Choose a password of your own before you go on.", "message")
        return redirect(url_for("auth.password"))
    if current_user.role not in rule.roles:
        abort(403)
    return None


def section_scope() -> int | None:
    """The one section the current user is limited to, or None for every section."""
    if current_user.is_authenticated and current_user.role == Role.TREASURER:
        return current_user.section_id
    return None


def can_see_section(section_id: int | None) -> bool:
    scope = section_scope()
    return scope is None or section_id == scope


def require_section(section_id: int | None) -> None:
    """404 unless the current user may see records of ``section_id``."""
    if not can_see_section(section_id):
        abort(404)


def has_role(*roles: Role) -> bool:
    return current_user.is_authenticated and current_user.role in roles
