"""The web: everything that speaks HTTP, around the services and queries.

``init_app`` puts it on the app: the request log, the checks on what comes in, the
guards (login, CSRF, throttling, headers), error pages, template helpers, and one
blueprint per area, each named as its URL area. Views parse the request, call one
service or query, and render or redirect.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    from tracker.web import errors, i18n, inputs, requestlog, security, templating
    from tracker.web.api import auth as api_auth

    api_auth.init_app(app)  # before anything reads who is logged in: a token says it
    requestlog.init_app(app)  # before the guards: every request gets its id first
    inputs.init_app(app)  # before the blueprints: their routes take its converters
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    i18n.init_app(app)
    for blueprint in _blueprints():
        app.register_blueprint(blueprint)


def _blueprints() -> list:
    from tracker.web.admin import mail  # noqa: F401  (its route is on admin)
    from tracker.web.admin.views import bp as admin
    from tracker.web.api import audit as api_audit  # noqa: F401  (routes on api)
    from tracker.web.api import bp as api
    from tracker.web.api import dashboard as api_dashboard  # noqa: F401  (likewise)
    from tracker.web.api import events as api_events  # noqa: F401  (likewise)
    from tracker.web.api import movements as api_movements  # noqa: F401  (likewise)
    from tracker.web.api import places as api_places  # noqa: F401  (likewise)
    from tracker.web.api import sales as api_sales  # noqa: F401  (likewise)
    from tracker.web.api import shipment_writes as api_shipment_writes  # noqa: F401  (likewise)
    from tracker.web.api import shipments as api_shipments  # noqa: F401  (likewise)
    from tracker.web.api import statements as api_statements  # noqa: F401  (likewise)
    from tracker.web.api import stock as api_stock  # noqa: F401  (likewise)
    from tracker.web.api import views as api_views  # noqa: F401  (likewise)
    from tracker.web.audit.views import bp as audit
    from tracker.web.auth.views import bp as auth
    from tracker.web.dashboard.views import bp as dashboard
    from tracker.web.events import (
        sale_screen,  # noqa: F401  (its routes are on events)
        sync,  # noqa: F401  (likewise)
        tallies,  # noqa: F401  (likewise)
    )
    from tracker.web.events.views import bp as events
    from tracker.web.imports.views import bp as imports
    from tracker.web.money.views import bp as money
    from tracker.web.movements.views import bp as movements
    from tracker.web.shipments.views import bp as shipments
    from tracker.web.stock.views import bp as stock
    from tracker.web.system.views import bp as system

    return [
        system,
        auth,
        dashboard,
        stock,
        shipments,
        movements,
        events,
        money,
        imports,
        admin,
        audit,
        api,
    ]
