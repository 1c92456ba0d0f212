"""Shared fixtures. The whole suite runs on SQLite by default and on a real PostgreSQL server, started
here in a temporary directory, with `pytest --db postgresql`."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent))

from trainer import create_app, db  # noqa: E402
from trainer.migrate import upgrade  # noqa: E402

SHARED_LAWS = Path(__file__).resolve().parents[2] / "shared" / "laws"
from support import PASSWORD  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("TRAINER_TEST_DB", "sqlite"),
                     choices=("sqlite", "postgresql"), help="database backend for the suite")


def pytest_report_header(config):
    return f"database backend: {config.getoption('--db')}"


@pytest.fixture(scope="session")
def backend(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def pg_server(backend):
    if backend != "postgresql":
        yield None
        return
    from pg import PostgresServer
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def make_database(pg_server, tmp_path_factory):
    """Factory: a fresh, migrated database URL of the session's backend."""
    def factory(name: str, *, with_laws: bool = True) -> str:
        if pg_server is not None:
            url = pg_server.create_database(name)
        else:
            url = "sqlite:///" + str(tmp_path_factory.mktemp(name) / "trainer.db")
        upgrade(url)
        if with_laws:
            app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url})
            with app.app_context():
                from trainer.laws.services import import_default
                from trainer.study.services import sync_courses
                import_default(db.session)
                sync_courses(db.session)
                db.session.commit()
            app.extensions["trainer.engine"].dispose()
        return url
    return factory


@pytest.fixture(scope="session")
def database_url(make_database) -> str:
    """The suite's shared database: migrated, with the default law library and courses loaded."""
    return make_database("trainer_test")


@pytest.fixture(scope="session")
def base_app(database_url):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": database_url,
                      "WTF_CSRF_ENABLED": False, "SERVER_NAME": None})
    app.instance_path = tempfile.mkdtemp(prefix="trainer-instance-")
    return app


@pytest.fixture()
def connection(base_app):
    """One connection per test holding an outer transaction that is rolled back afterwards."""
    engine = base_app.extensions["trainer.engine"]
    conn = engine.connect()
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture()
def app(base_app, connection):
    """The app with its sessions bound to the test's connection (commits become savepoint releases)."""
    from sqlalchemy.orm import sessionmaker
    original = base_app.extensions["trainer.sessionmaker"]
    base_app.extensions["trainer.sessionmaker"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    yield base_app
    base_app.extensions["trainer.sessionmaker"] = original


@pytest.fixture()
def dbs(app) -> Session:
    """A session on the test's connection: what services are called with. Views use their own session
    per request on the same connection, so both see the same (rolled-back-at-the-end) data."""
    session = app.extensions["trainer.sessionmaker"]()
    yield session
    session.close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


# ---- factories --------------------------------------------------------------------------------------

@pytest.fixture()
def make_unit(dbs):
    from trainer.auth.models import Unit
    counter = iter(range(1, 10_000))

    def factory(name: str | None = None, kind: str = "中队", parent=None) -> Unit:
        unit = Unit(name=name or f"测试单位{next(counter)}", kind=kind, parent_id=parent.id if parent else None)
        dbs.add(unit)
        dbs.flush()
        return unit
    return factory


@pytest.fixture()
def make_user(dbs, make_unit):
    from trainer.auth.models import User
    from trainer.auth.services import hash_password
    counter = iter(range(1, 10_000))
    pw_hash = hash_password(PASSWORD)

    def factory(role: str = "staff", unit=None, login: str | None = None, name: str | None = None,
                supervises=(), must_change_password: bool = False, active: bool = True) -> User:
        n = next(counter)
        user = User(login=login or f"u{n:04d}", name=name or f"测试{n}", role=role,
                    unit_id=(unit or make_unit()).id, password_hash=pw_hash,
                    must_change_password=must_change_password, active=active)
        dbs.add(user)
        dbs.flush()
        if supervises:
            user.supervised_units = list(supervises)
            dbs.flush()
        return user
    return factory


@pytest.fixture()
def admin(make_user):
    return make_user(role="admin")


@pytest.fixture()
def client_for(app):
    """A test client logged in as the given user through the login form (one client per user, so several
    people can act in one test)."""
    def make(user, password: str = PASSWORD):
        c = app.test_client()
        resp = c.post("/login", data={"login": user.login, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
        return c
    return make


@pytest.fixture()
def login(client):
    """Log a user in through the real login form."""
    def do(user, password: str = PASSWORD):
        resp = client.post("/login", data={"login": user.login, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp
    return do


@pytest.fixture(scope="session")
def shared_laws() -> Path:
    if not SHARED_LAWS.is_dir():
        pytest.skip("../shared/laws is not available")
    return SHARED_LAWS
