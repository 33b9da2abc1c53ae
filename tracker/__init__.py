"""The tracker: follows every copy of a book from the warehouse to its readers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

import config as config_module
from config import Config

__all__ = ["create_app"]


def create_app(
    config_class: type[Config] | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build the app: configuration, database, blueprints, error pages, commands."""
    config_class = config_class or config_module.selected()
    overrides = overrides or {}
    app = Flask(
        __name__,
        template_folder=str(config_class.TEMPLATES_FOLDER),
        instance_path=str(overrides.get("INSTANCE_PATH", config_class.INSTANCE_PATH)),
        instance_relative_config=False,
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    _secret_key(app)

    from tracker.db import db

    db.init_app(app)

    from tracker import inputs, requestlog, security, web

    requestlog.init_app(app)
    inputs.init_app(app)
    security.init_app(app)
    web.init_app(app)

    from tracker.admin.views import bp as admin_bp
    from tracker.auditlog.views import bp as audit_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.events.views import bp as events_bp
    from tracker.finance.views import bp as money_bp
    from tracker.movements.views import bp as movements_bp
    from tracker.overview.views import bp as dashboard_bp
    from tracker.shipments.views import bp as shipments_bp
    from tracker.stock.views import bp as stock_bp
    from tracker.system.views import bp as system_bp

    blueprints = (
        system_bp,
        auth_bp,
        dashboard_bp,
        stock_bp,
        shipments_bp,
        movements_bp,
        events_bp,
        money_bp,
        admin_bp,
        audit_bp,
    )

    for blueprint in blueprints:
        app.register_blueprint(blueprint)

    from tracker import cli

    cli.init_app(app)
    return app


def _secret_key(app: Flask) -> None:
    """Production refuses a missing, public or weak key; elsewhere one is made and kept."""
    from tracker import secret_key

    key = app.config.get("SECRET_KEY")
    if app.config["NAME"] == "production":
        problem = secret_key.weakness(key)
        if problem:
            raise RuntimeError(problem)
        return
    if key:
        return
    app.config["SECRET_KEY"] = secret_key.load_or_make(Path(app.instance_path) / "secret_key")
