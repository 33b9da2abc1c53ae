"""The tracker: follows every copy of a book from the warehouse to its readers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from config import Config

__all__ = ["create_app"]


def create_app(
    config_class: type[Config] | None = None, overrides: dict[str, Any] | None = None
) -> Flask:
    """Build the app: configuration, database, the web, commands. Everything is
    imported here, not when ``tracker`` is: the domain and the ledger load without
    Flask or the configuration."""
    from flask import Flask

    import config as config_module

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
    _mail_settings(app)

    from tracker import web
    from tracker.db import db

    db.init_app(app)
    web.init_app(app)

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


def _mail_settings(app: Flask) -> None:
    """Mail settings that cannot work are refused at start, not at the first mail;
    production with notifications on refuses to start without a way to send them."""
    from tracker import mailer

    problem = mailer.settings_problem(app.config)
    if problem:
        raise RuntimeError(problem)
