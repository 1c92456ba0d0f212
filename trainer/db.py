"""Database wiring: declarative base with a naming convention, engine and scoped session per app."""
from __future__ import annotations

import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from flask import current_app
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Timezone-aware now in UTC (stored naive-as-UTC portable across SQLite and PostgreSQL)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _app_session() -> Session:
    return current_app.extensions["trainer.sessionmaker"]()


# The request/CLI session: one per thread, made by the current app's sessionmaker (so several apps, e.g. a
# test app and a live server in another thread, can coexist in one process).
session = scoped_session(_app_session)


def make_engine(url: str, busy_timeout_ms: int = 5000) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            # Let SQLAlchemy issue BEGIN itself so writes can start IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)
_sqlite_write_lock = threading.Lock()


@contextmanager
def write_transaction(sess: Session):
    """A short write transaction for contended writes (answer saves). On SQLite, threads of one process queue
    on a lock instead of spinning on the database lock, and the transaction begins IMMEDIATE so it never has
    to upgrade a read snapshot (which fails at once when another process committed meanwhile). Commits on
    success, rolls back on error."""
    sess.commit()  # end the request's read transaction (objects stay loaded: expire_on_commit=False)
    if sess.get_bind().dialect.name != "sqlite":
        try:
            yield
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        return
    with _sqlite_write_lock:
        token = _write_intent.set(True)
        try:
            yield
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            _write_intent.reset(token)


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions["trainer.engine"] = engine
    app.extensions["trainer.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _remove_session(exc):
        if exc is not None:
            session.rollback()
        session.remove()
