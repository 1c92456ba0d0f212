"""Database wiring: declarative base with a naming convention, engine and scoped session per app."""
from __future__ import annotations

import os
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
_lock_files: dict[tuple[int, str], int] = {}


def _process_lock_fd(sess: Session) -> int | None:
    """A lock file next to the SQLite database. Writers of all server processes queue on it in the kernel
    (flock) instead of polling SQLite's lock with its busy handler, which sleeps up to 100 ms between tries
    and gives up after the busy timeout. None on Windows (one waitress process there) and for memory
    databases. Keyed by pid: a descriptor inherited over fork shares its lock with the parent."""
    try:
        import fcntl  # noqa: F401  (POSIX only)
    except ImportError:
        return None
    database = sess.get_bind().engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    key = (os.getpid(), database)
    fd = _lock_files.get(key)
    if fd is None:
        fd = _lock_files[key] = os.open(database + "-writelock", os.O_RDWR | os.O_CREAT, 0o600)
    return fd


@contextmanager
def write_transaction(sess: Session):
    """A short write transaction for anything that writes while others may (answer saves, logins, progress).

    It first ends the request's read transaction (loaded objects stay usable: expire_on_commit=False; re-read
    what you update). On SQLite, threads queue on a process lock and processes on a file lock, and the
    transaction begins IMMEDIATE, so it never has to upgrade a stale read snapshot (which fails at once with
    "database is locked" when another process committed meanwhile) and never spins on the database lock.
    Commits on success, rolls back on error. Nested use joins the outer transaction."""
    if _write_intent.get():
        yield
        return
    sess.commit()
    if sess.get_bind().dialect.name != "sqlite":
        token = _write_intent.set(True)  # only marks nesting: PostgreSQL needs no lock of ours
        try:
            yield
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            _write_intent.reset(token)
        return
    with _sqlite_write_lock:
        fd = _process_lock_fd(sess)
        if fd is not None:
            import fcntl
            fcntl.flock(fd, fcntl.LOCK_EX)
        token = _write_intent.set(True)
        try:
            yield
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            _write_intent.reset(token)
            if fd is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)


def own_transactions(view):
    """Mark a view that runs its writes in write_transaction itself, with slow read-only work (password
    hashing, drawing a paper, parsing an upload) outside: serialize_views leaves it alone."""
    view.own_transactions = True
    return view


def serialize_views(app) -> None:
    """Every view's POSTs run in one write transaction (see serialized), except views marked
    own_transactions. Call after registering the blueprints."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint != "static" and not getattr(view, "own_transactions", False):
            app.view_functions[endpoint] = serialized(view)


def serialized(view):
    """Run a view's POSTs inside write_transaction: for pages that read, check and then write (admin forms,
    invigilator actions). The view may commit or roll back inside; its next statement begins IMMEDIATE again.
    GET and HEAD run as they are."""
    import functools

    from flask import request

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return view(*args, **kwargs)
        with write_transaction(session):
            return view(*args, **kwargs)
    return wrapper


def init_app(app) -> None:
    engine = make_engine(app.config["DATABASE_URL"], app.config["SQLITE_BUSY_TIMEOUT_MS"])
    app.extensions["trainer.engine"] = engine
    app.extensions["trainer.sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _remove_session(exc):
        if exc is not None:
            session.rollback()
        session.remove()
