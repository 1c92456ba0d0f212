"""The write path (trainer.db.write_transaction, serialize_views) against real databases on disk: a request that
read before it writes must not fail because another connection or process committed meanwhile, writers of
several server processes queue instead of failing, and when SQLite does give up the user gets a clear message
and nothing is written."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from trainer import create_app
from trainer.auth.models import Unit, User
from trainer.auth.services import hash_password
from trainer.db import make_engine, write_transaction

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Passw0rd!"


@pytest.fixture()
def fresh_url(make_database, request):
    return make_database("wp_" + request.node.name[:40].lower(), with_laws=False)


@pytest.fixture()
def engine(fresh_url):
    engine = make_engine(fresh_url, busy_timeout_ms=200)
    yield engine
    engine.dispose()


def _two_units(engine) -> tuple[int, int]:
    with Session(engine) as s:
        a, b = Unit(name="甲中队", kind="中队"), Unit(name="乙中队", kind="中队")
        s.add_all([a, b])
        s.commit()
        return a.id, b.id


def test_a_request_that_read_first_still_writes_inside_write_transaction(engine, backend):
    """A session reads (its snapshot begins), another connection commits, then the first writes. On SQLite a
    plain write then fails at once (a stale snapshot cannot be upgraded); write_transaction ends the read
    first and begins the write IMMEDIATE, so it succeeds. On PostgreSQL both succeed."""
    a_id, b_id = _two_units(engine)
    with Session(engine, expire_on_commit=False) as first, Session(engine) as other:
        first.get(Unit, a_id)                           # the request's read transaction
        other.get(Unit, b_id).name = "乙中队（改）"
        other.commit()                                  # someone else writes meanwhile
        first.get(Unit, a_id).name = "甲中队（直接写）"
        if backend == "sqlite":
            with pytest.raises(OperationalError, match="database is locked"):
                first.commit()
        else:
            first.commit()
        first.rollback()
        first.get(Unit, a_id)
        other.get(Unit, b_id).name = "乙中队（再改）"
        other.commit()
        with write_transaction(first):
            first.get(Unit, a_id, populate_existing=True).name = "甲中队（写事务）"
    with Session(engine) as check:
        assert check.get(Unit, a_id).name == "甲中队（写事务）"
        assert check.get(Unit, b_id).name == "乙中队（再改）"


def test_nested_write_transaction_joins_the_outer_one(engine):
    """Nested use neither commits early nor deadlocks; an error rolls back both levels."""
    a_id, _ = _two_units(engine)
    with Session(engine, expire_on_commit=False) as s:
        with pytest.raises(RuntimeError):
            with write_transaction(s):
                s.get(Unit, a_id).name = "外层"
                with write_transaction(s):
                    s.get(Unit, a_id).name = "内层"
                raise RuntimeError("after the inner block")
    with Session(engine) as check:
        assert check.get(Unit, a_id).name == "甲中队"


WRITER = textwrap.dedent("""
    import sys, time
    from sqlalchemy.orm import Session
    from trainer.auth.models import User
    from trainer.db import make_engine, write_transaction
    url, user_id, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    engine = make_engine(url, busy_timeout_ms=50)  # short: a writer left to SQLite's busy handler would fail
    for _ in range(rounds):
        with Session(engine, expire_on_commit=False) as s:
            s.get(User, user_id)  # a read first, as a request does
            with write_transaction(s):
                user = s.get(User, user_id, populate_existing=True)
                user.failed_logins = (user.failed_logins or 0) + 1  # read-modify-write
                s.flush()
                time.sleep(0.003)  # hold the lock a little, so the processes really collide
    print("ok")
""")


def test_writers_in_several_processes_queue_instead_of_failing(engine, fresh_url, backend):
    """Three processes (as gunicorn's workers) each increment one counter 40 times by read-modify-write inside
    write_transaction: on SQLite the file lock serialises them, so no write fails and none is lost."""
    if backend != "sqlite":
        pytest.skip("the cross-process lock is for SQLite; PostgreSQL writers rely on row locks")
    with Session(engine) as s:
        user = User(login="counter", name="计数", role="staff", password_hash="x")
        s.add(user)
        s.commit()
        user_id = user.id
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, fresh_url, str(user_id), "40"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err[-800:] for _, err in outputs]
    assert all(out.strip() == "ok" for out, _ in outputs)
    with Session(engine) as s:
        assert s.get(User, user_id).failed_logins == 120


def test_when_sqlite_gives_up_the_user_sees_busy_and_nothing_is_written(fresh_url, backend):
    """Another program holds SQLite's write lock longer than the busy timeout: a form post answers 503 with
    a Chinese message and writes nothing; once the lock is gone the same post works."""
    if backend != "sqlite":
        pytest.skip("SQLite's busy timeout")
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": fresh_url, "WTF_CSRF_ENABLED": False,
                      "SQLITE_BUSY_TIMEOUT_MS": 100})
    engine = app.extensions["trainer.engine"]
    with Session(engine) as s:
        unit = Unit(name="丙中队", kind="中队")
        s.add(unit)
        s.flush()
        s.add(User(login="admin-wp", name="管理员", role="admin", unit_id=unit.id,
                   password_hash=hash_password(PASSWORD), must_change_password=False))
        s.commit()
        unit_id = unit.id
    client = app.test_client()
    assert client.post("/login", data={"login": "admin-wp", "password": PASSWORD}).status_code == 302
    data = {"login": "new-5001", "name": "孙六", "unit_id": str(unit_id), "role": "staff", "password": "Start1234"}
    blocker = sqlite3.connect(make_engine(fresh_url).url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        resp = client.post("/admin/users/new", data=data)
        waited = time.monotonic() - started
    finally:
        blocker.rollback()
        blocker.close()
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "3"
    assert "系统繁忙，本次操作没有保存" in resp.get_data(as_text=True)
    assert waited < 5
    with Session(engine) as s:
        assert s.scalar(select(User).where(User.login == "new-5001")) is None
    assert client.post("/admin/users/new", data=data).status_code == 302
    with Session(engine) as s:
        assert s.scalar(select(User.name).where(User.login == "new-5001")) == "孙六"
    engine.dispose()
