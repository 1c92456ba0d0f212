from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from trainer.models import Base


def _include(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name and name.startswith("article_fts"))


def test_models_and_migrations_agree(database_url):
    """Autogenerate finds no difference between the models and the migrated schema."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _include})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []


def test_schema_uses_naming_convention(database_url):
    """Constraints carry names from the naming convention (needed for batch migrations on SQLite)."""
    engine = create_engine(database_url)
    insp = inspect(engine)
    fks = insp.get_foreign_keys("users")
    uniques = insp.get_unique_constraints("users")
    engine.dispose()
    assert any(fk["name"] == "fk_users_unit_id_units" for fk in fks)
    assert any(u["name"] == "uq_users_login" for u in uniques)


def test_sqlite_fts_index_exists_only_on_sqlite(database_url):
    """SQLite gets the FTS5 trigram index over articles; PostgreSQL does not need it."""
    engine = create_engine(database_url)
    names = inspect(engine).get_table_names()
    engine.dispose()
    assert ("article_fts" in names) == database_url.startswith("sqlite")
