"""Alembic, driven from the app: the migrations live in ``migrations/`` at the top."""

from __future__ import annotations

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from config import Config


def alembic_config(url: str | None = None) -> AlembicConfig:
    """Alembic's configuration for ``url`` (default: the configured DATABASE_URL)."""
    cfg = AlembicConfig(str(Config.MIGRATIONS_DIR / "alembic.ini"))
    cfg.set_main_option("script_location", str(Config.MIGRATIONS_DIR))
    if url is not None:
        # Passed as an attribute, not an option: option values are %-interpolated.
        cfg.attributes["url"] = url
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def script_heads() -> tuple[str, ...]:
    return ScriptDirectory.from_config(alembic_config()).get_heads()


def current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()
