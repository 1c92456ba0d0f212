from sqlalchemy import func, select

from trainer.laws.models import Article


def test_default_library_loaded(dbs):
    """The suite's database has the default law library loaded."""
    assert dbs.scalar(select(func.count()).select_from(Article)) > 800
