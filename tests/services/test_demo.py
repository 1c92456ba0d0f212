"""The demo bureau (trainer.demo.services): seed and clear. The session database has no demo data; every
test seeds inside its own rolled-back transaction."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from trainer.auth.models import Unit, User
from trainer.auth.services import authenticate
from trainer.demo import data
from trainer.demo.services import clear, seed
from trainer.study.models import Module, ModuleProgress
from trainer.study.services import mark_studied

DEMO_UNITS = {name for name, _, _ in data.UNITS}


def demo_users(dbs) -> list[User]:
    logins = [p[0] for p in data.staff_people()] + [s[0] for s in data.SUPERVISORS] + [data.ADMIN[0]]
    return list(dbs.scalars(select(User).where(User.login.in_(logins))))


def units_named(dbs, names) -> dict[str, Unit]:
    return {u.name: u for u in dbs.scalars(select(Unit).where(Unit.name.in_(names)))}


@pytest.fixture()
def seeded(dbs):
    assert demo_users(dbs) == [], "the session database should hold no demo data"
    counts = seed(dbs)
    dbs.expire_all()
    return counts


def test_seed_creates_the_bureau(dbs, seeded):
    """seed creates 180 staff, 3 supervisors and 1 admin in the demo units."""
    assert seeded == {"units": dbs.scalar(select(func.count()).select_from(Unit)), "users_created": 184}
    users = demo_users(dbs)
    by_role = {}
    for u in users:
        by_role[u.role] = by_role.get(u.role, 0) + 1
    assert by_role == {"staff": 180, "supervisor": 3, "admin": 1}
    units = units_named(dbs, DEMO_UNITS)
    assert set(units) == DEMO_UNITS
    for name in ("法制股", "市容环卫股", "综合执法一中队", "综合执法二中队", "综合执法三中队", "环卫所"):
        assert name in units
    assert all(u.active and not u.must_change_password for u in users)


def test_seed_unit_tree_and_staff_per_unit(dbs, seeded):
    """Demo units hang under the bureau as listed, with the configured number of staff in each."""
    units = units_named(dbs, DEMO_UNITS)
    for name, kind, parent in data.UNITS:
        assert units[name].kind == kind
        assert units[name].parent_id == (units[parent].id if parent else None)
    staff_counts = dict(dbs.execute(
        select(Unit.name, func.count()).join(User, User.unit_id == Unit.id)
        .where(User.role == "staff", Unit.name.in_(DEMO_UNITS)).group_by(Unit.name)).all())
    assert staff_counts == data.STAFF_PER_UNIT
    assert sum(staff_counts.values()) == 180


def test_supervisors_have_their_units(dbs, seeded):
    """Each demo supervisor supervises exactly the configured units."""
    for login, name, unit, scope in data.SUPERVISORS:
        sup = dbs.scalar(select(User).where(User.login == login))
        assert (sup.name, sup.role, sup.unit.name) == (name, "supervisor", unit)
        assert sorted(u.name for u in sup.supervised_units) == sorted(scope)
    admin = dbs.scalar(select(User).where(User.login == data.ADMIN[0]))
    assert (admin.role, admin.unit.name) == ("admin", data.ADMIN[2])


def test_demo_names_unique_and_password_works(dbs, seeded):
    """Demo names are unique and the demo password logs a demo account in."""
    names = [u.name for u in demo_users(dbs)]
    assert len(names) == len(set(names)) == 184
    result = authenticate(dbs, data.DEMO_STAFF_LOGIN, data.DEMO_PASSWORD, now=datetime(2026, 3, 2))
    assert result.error is None and result.user.role == "staff"
    assert result.user.password_hash.startswith("scrypt:")


def test_seed_twice_creates_nothing_new(dbs, seeded):
    """A second seed creates no user and no unit."""
    units_before = dbs.scalar(select(func.count()).select_from(Unit))
    users_before = dbs.scalar(select(func.count()).select_from(User))
    again = seed(dbs)
    assert again == {"units": units_before, "users_created": 0}
    assert dbs.scalar(select(func.count()).select_from(Unit)) == units_before
    assert dbs.scalar(select(func.count()).select_from(User)) == users_before


def test_clear_removes_demo_people_units_and_progress(dbs, seeded):
    """clear removes the demo people (with their progress) and the demo units."""
    staff = dbs.scalar(select(User).where(User.login == data.DEMO_STAFF_LOGIN))
    module = dbs.scalar(select(Module).order_by(Module.id).limit(1))
    mark_studied(dbs, staff, module)
    staff_id = staff.id
    assert clear(dbs) == {"users_removed": 184, "units_removed": 11}
    dbs.expire_all()
    assert demo_users(dbs) == []
    assert units_named(dbs, DEMO_UNITS) == {}
    assert dbs.scalar(select(func.count()).select_from(ModuleProgress)
                      .where(ModuleProgress.user_id == staff_id)) == 0
    assert clear(dbs) == {"users_removed": 0, "units_removed": 0}


def test_clear_keeps_units_holding_other_people(dbs, seeded, make_user):
    """A demo unit that also holds a non-demo person (and its ancestors) is kept by clear."""
    units = units_named(dbs, DEMO_UNITS)
    real = make_user(login="real-001", unit=units["环卫所"])
    clear(dbs)
    dbs.expire_all()
    assert set(units_named(dbs, DEMO_UNITS)) == {"环卫所", data.BUREAU}
    assert dbs.get(User, real.id) is not None


def test_clear_keeps_preexisting_account_with_demo_login(dbs, make_user):
    """demo clear must not delete a real account that existed before seeding under a demo 工号 (e.g. 'admin')."""
    real_admin = make_user(role="admin", login=data.ADMIN[0], name="真实管理员")
    real_id = real_admin.id
    seed(dbs)
    clear(dbs)
    dbs.expire_all()
    assert dbs.get(User, real_id) is not None
