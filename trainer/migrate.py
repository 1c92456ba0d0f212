"""Run Alembic migrations from the app's configured database."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def is_new_database(url: str) -> bool:
    """True if no migration has ever been applied to this database."""
    from sqlalchemy import create_engine, inspect
    engine = create_engine(url)
    try:
        return "alembic_version" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
