"""Account services (trainer.auth.services) and access scope (trainer.security), against a real database."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from trainer.audit import AuditLog
from trainer.auth.models import Unit, User
from trainer.auth.roster import RosterRow
from trainer.auth.services import (
    AccountError,
    apply_roster,
    authenticate,
    change_own_password,
    create_user,
    delete_unit,
    password_matches,
    record_login,
    reset_password,
    save_unit,
    unit_tree,
    update_user,
)
from trainer.security import can_see_user, password_problem, unit_subtree_ids, visible_unit_ids

PASSWORD = "Passw0rd!"  # the make_user factory's password (tests/conftest.py)
T0 = datetime(2026, 3, 2, 8, 0, 0)
GENERIC = "工号或密码错误。"


def user_count(dbs) -> int:
    return dbs.scalar(select(func.count()).select_from(User))


def audit_rows(dbs, action: str, target_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    return list(dbs.scalars(stmt))


def reload(dbs, user: User) -> User:
    """The user as stored in the database (not the session's in-memory copy)."""
    dbs.expire_all()
    return dbs.get(User, user.id)


# ---- authenticate ------------------------------------------------------------------------------------

def test_authenticate_success_resets_failures_and_sets_last_login(dbs, make_user):
    """A correct password logs in, clears earlier failures and records last_login_at = now."""
    user = make_user(login="zf1001")
    user.failed_logins = 3
    dbs.flush()
    result = authenticate(dbs, "zf1001", PASSWORD, now=T0)
    assert result.error is None and result.user.id == user.id
    stored = reload(dbs, user)
    assert stored.failed_logins == 0
    assert stored.locked_until is None
    assert stored.last_login_at == T0


def test_password_check_is_read_only_and_record_login_applies_it(dbs, make_user):
    """A login is split so that the slow scrypt check writes nothing and the short write re-reads the
    account: a failure counted by another request meanwhile is not overwritten."""
    user = make_user(login="zf1010")
    assert password_matches(dbs, " zf1010 ", PASSWORD) is True
    assert password_matches(dbs, "zf1010", "Wrong0000") is False
    assert password_matches(dbs, "nobody-here", PASSWORD) is False
    assert not dbs.dirty and not dbs.new and reload(dbs, user).failed_logins == 0
    dbs.execute(User.__table__.update().where(User.id == user.id).values(failed_logins=3))  # another request
    result = record_login(dbs, "zf1010", False, now=T0)
    assert result.user is None and result.error == GENERIC
    assert reload(dbs, user).failed_logins == 4
    result = record_login(dbs, "zf1010", True, now=T0)
    stored = reload(dbs, user)
    assert result.user is stored and stored.failed_logins == 0 and stored.last_login_at == T0
    assert record_login(dbs, "nobody-here", True, now=T0).error == GENERIC


def test_authenticate_strips_login_whitespace(dbs, make_user):
    """Spaces around the 工号 typed at login are ignored."""
    user = make_user(login="zf1002")
    assert authenticate(dbs, "  zf1002 ", PASSWORD, now=T0).user.id == user.id


def test_authenticate_wrong_password_generic_message(dbs, make_user):
    """A wrong password gives the generic message and counts one failure."""
    user = make_user(login="zf1003")
    result = authenticate(dbs, "zf1003", "Wrong0000", now=T0)
    assert result.user is None
    assert result.error == GENERIC
    assert reload(dbs, user).failed_logins == 1


def test_authenticate_unknown_login_same_message(dbs):
    """An unknown 工号 gets exactly the same message as a wrong password (no account enumeration)."""
    result = authenticate(dbs, "nobody-here", PASSWORD, now=T0)
    assert result.user is None
    assert result.error == GENERIC


def test_five_failures_lock_account_for_fifteen_minutes(dbs, make_user):
    """The 5th wrong password locks the account for 15 minutes; the right password is refused until the lock ends."""
    user = make_user(login="zf1004")
    for i in range(4):
        r = authenticate(dbs, "zf1004", "Wrong0000", now=T0 + timedelta(seconds=i))
        assert r.error == GENERIC
    assert reload(dbs, user).locked_until is None and reload(dbs, user).failed_logins == 4
    r = authenticate(dbs, "zf1004", "Wrong0000", now=T0 + timedelta(seconds=4))
    assert r.user is None
    assert "锁定" in r.error and "15" in r.error
    lock_end = T0 + timedelta(seconds=4, minutes=15)

    stored = reload(dbs, user)  # the lock lives in the database, not in process memory
    assert stored.locked_until == lock_end
    assert stored.failed_logins == 0

    during = authenticate(dbs, "zf1004", PASSWORD, now=lock_end - timedelta(minutes=14, seconds=30))
    assert during.user is None and "锁定" in during.error and "15 分钟" in during.error
    last_second = authenticate(dbs, "zf1004", PASSWORD, now=lock_end - timedelta(seconds=1))
    assert last_second.user is None and "1 分钟" in last_second.error

    after = authenticate(dbs, "zf1004", PASSWORD, now=lock_end + timedelta(seconds=1))
    assert after.error is None and after.user.id == user.id
    stored = reload(dbs, user)
    assert stored.locked_until is None and stored.failed_logins == 0


def test_lock_message_minutes_rounds_up_exactly(dbs, make_user):
    """The lock message states the remaining minutes rounded up: exactly 15:00 left reads 15 分钟, 10:00 reads 10."""
    make_user(login="zf1008")
    for _ in range(5):
        authenticate(dbs, "zf1008", "Wrong0000", now=T0)
    assert "请 15 分钟后再试" in authenticate(dbs, "zf1008", PASSWORD, now=T0).error
    assert "请 10 分钟后再试" in authenticate(dbs, "zf1008", PASSWORD, now=T0 + timedelta(minutes=5)).error


def test_wrong_passwords_while_locked_do_not_extend_lock(dbs, make_user):
    """Attempts during a lock are refused without touching the stored lock or failure counter."""
    user = make_user(login="zf1005")
    for i in range(5):
        authenticate(dbs, "zf1005", "Wrong0000", now=T0)
    lock_end = reload(dbs, user).locked_until
    for _ in range(3):
        assert authenticate(dbs, "zf1005", "Wrong0000", now=T0 + timedelta(minutes=5)).user is None
    stored = reload(dbs, user)
    assert stored.locked_until == lock_end and stored.failed_logins == 0


def test_inactive_user_refused_with_its_message(dbs, make_user):
    """A deactivated account with the right password is refused with the 已停用 message."""
    make_user(login="zf1006", active=False)
    result = authenticate(dbs, "zf1006", PASSWORD, now=T0)
    assert result.user is None
    assert result.error == "该账号已停用，请联系管理员。"


def test_inactive_user_wrong_password_gets_generic_message(dbs, make_user):
    """A deactivated account with a wrong password gets the generic message (the state is not revealed)."""
    make_user(login="zf1007", active=False)
    assert authenticate(dbs, "zf1007", "Wrong0000", now=T0).error == GENERIC


# ---- create_user -------------------------------------------------------------------------------------

def test_create_user_hashes_with_scrypt_and_audits(dbs, make_user, make_unit):
    """create_user stores a scrypt hash (never the password) and writes a user.create audit row."""
    admin = make_user(role="admin")
    unit = make_unit("创建测试中队")
    user = create_user(dbs, admin, login=" zf2001 ", name=" 李四 ", unit_id=unit.id, password="Abcd1234",
                       phone="13800138000")
    stored = reload(dbs, user)
    assert (stored.login, stored.name, stored.role, stored.unit_id) == ("zf2001", "李四", "staff", unit.id)
    assert stored.password_hash.startswith("scrypt:")
    assert "Abcd1234" not in stored.password_hash
    assert stored.must_change_password is True
    assert authenticate(dbs, "zf2001", "Abcd1234", now=T0).user.id == user.id
    rows = audit_rows(dbs, "user.create", user.id)
    assert len(rows) == 1
    assert rows[0].actor_id == admin.id and rows[0].target_type == "user"
    assert rows[0].detail_dict == {"login": "zf2001", "role": "staff"}


def test_create_supervisor_with_scope(dbs, make_unit):
    """A supervisor created with supervised units gets exactly those units."""
    a, b = make_unit("督导甲"), make_unit("督导乙")
    user = create_user(dbs, None, login="zg2002", name="王主管", role="supervisor", unit_id=a.id,
                       password="Abcd1234", supervised_unit_ids=[a.id, b.id])
    assert sorted(u.id for u in reload(dbs, user).supervised_units) == sorted([a.id, b.id])
    assert audit_rows(dbs, "user.create", user.id)[0].actor_id is None


@pytest.mark.parametrize("kwargs, message", [
    ({"login": "dup01"}, "工号 dup01 已存在。"),
    ({"login": "张三"}, "工号只能由"),
    ({"login": "a"}, "工号只能由"),
    ({"login": "has space"}, "工号只能由"),
    ({"login": "x" * 33}, "工号只能由"),
    ({"name": "  "}, "姓名不能为空"),
    ({"role": "root"}, "角色无效。"),
    ({"unit_id": 987654321}, "所选单位不存在。"),
    ({"password": "Ab1"}, "密码至少需要 8 位。"),
    ({"password": "abcdefgh"}, "密码需同时包含字母和数字。"),
    ({"password": "12345678"}, "密码需同时包含字母和数字。"),
    ({"login": "abc12345", "password": "abc12345"}, "密码不能与工号相同。"),
])
def test_create_user_rejects_bad_input_and_adds_nothing(dbs, make_user, kwargs, message):
    """Duplicate 工号, bad 工号 format, empty name, bad role, unknown unit and weak passwords raise AccountError."""
    make_user(login="dup01")
    before = user_count(dbs)
    audits_before = len(audit_rows(dbs, "user.create"))
    data = {"login": "zf2003", "name": "赵六", "role": "staff", "unit_id": None, "password": "Abcd1234"}
    data.update(kwargs)
    with pytest.raises(AccountError) as err:
        create_user(dbs, None, **data)
    assert message in str(err.value)
    assert user_count(dbs) == before
    assert len(audit_rows(dbs, "user.create")) == audits_before


def test_weak_password_message_comes_from_password_problem(dbs):
    """create_user reports exactly security.password_problem's message for a weak password."""
    with pytest.raises(AccountError) as err:
        create_user(dbs, None, login="zf2004", name="钱七", password="short1")
    assert str(err.value) == password_problem("short1", "zf2004")


# ---- update_user -------------------------------------------------------------------------------------

def _update(dbs, actor, user, **changes):
    data = {"name": user.name, "role": user.role, "unit_id": user.unit_id, "phone": user.phone,
            "active": user.active, "supervised_unit_ids": [u.id for u in user.supervised_units]}
    data.update(changes)
    return update_user(dbs, actor, user, **data)


def test_role_change_is_audited_with_old_and_new_role(dbs, make_user, make_unit):
    """Promoting staff to supervisor writes a user.role audit row with old/new role and scope."""
    admin = make_user(role="admin")
    scope = make_unit("晋升范围")
    user = make_user(role="staff")
    _update(dbs, admin, user, role="supervisor", supervised_unit_ids=[scope.id])
    stored = reload(dbs, user)
    assert stored.role == "supervisor" and [u.id for u in stored.supervised_units] == [scope.id]
    rows = audit_rows(dbs, "user.role", user.id)
    assert len(rows) == 1 and rows[0].actor_id == admin.id
    detail = rows[0].detail_dict
    assert detail["old_role"] == "staff" and detail["new_role"] == "supervisor"
    assert detail["old_units"] == [] and detail["new_units"] == [scope.id]


def test_demotion_clears_supervised_units(dbs, make_user, make_unit):
    """A supervisor turned back into staff loses the supervised units."""
    admin = make_user(role="admin")
    unit = make_unit()
    sup = make_user(role="supervisor", supervises=[unit])
    _update(dbs, admin, sup, role="staff")
    assert reload(dbs, sup).supervised_units == []


def test_name_change_only_is_not_a_role_audit(dbs, make_user):
    """Editing only the name writes no user.role audit row."""
    admin = make_user(role="admin")
    user = make_user()
    _update(dbs, admin, user, name="新名字")
    assert reload(dbs, user).name == "新名字"
    assert audit_rows(dbs, "user.role", user.id) == []


def test_cannot_change_own_role_or_deactivate_self(dbs, make_user):
    """An admin cannot change their own role nor deactivate their own account."""
    admin = make_user(role="admin")
    make_user(role="admin")  # another active admin, so only the self rule applies
    with pytest.raises(AccountError, match="不能修改自己的角色"):
        _update(dbs, admin, admin, role="staff")
    with pytest.raises(AccountError, match="不能停用自己的账号"):
        _update(dbs, admin, admin, active=False)
    assert reload(dbs, admin).role == "admin" and reload(dbs, admin).active is True


def test_cannot_deactivate_or_demote_last_active_admin(dbs, make_user):
    """The last active admin can be neither deactivated nor demoted (inactive admins do not count)."""
    last = make_user(role="admin")
    actor = make_user(role="admin", active=False)
    with pytest.raises(AccountError, match="至少需要保留一名启用的管理员"):
        _update(dbs, actor, last, active=False)
    with pytest.raises(AccountError, match="至少需要保留一名启用的管理员"):
        _update(dbs, actor, last, role="supervisor")
    stored = reload(dbs, last)
    assert stored.role == "admin" and stored.active is True


def test_admin_can_deactivate_another_admin_when_one_remains(dbs, make_user):
    """With two active admins, one may deactivate the other; the change is audited."""
    a, b = make_user(role="admin"), make_user(role="admin")
    _update(dbs, a, b, active=False)
    assert reload(dbs, b).active is False
    assert [r.actor_id for r in audit_rows(dbs, "user.deactivate", b.id)] == [a.id]


# ---- passwords ---------------------------------------------------------------------------------------

def test_reset_password_forces_change_clears_lock_and_audits(dbs, make_user):
    """reset_password sets must_change_password, clears the lock and failures, and is audited."""
    admin = make_user(role="admin")
    user = make_user(login="zf3001")
    for _ in range(5):
        authenticate(dbs, "zf3001", "Wrong0000", now=T0)
    assert reload(dbs, user).locked_until is not None
    reset_password(dbs, admin, user, "Newpass99")
    stored = reload(dbs, user)
    assert stored.must_change_password is True
    assert stored.locked_until is None and stored.failed_logins == 0
    assert authenticate(dbs, "zf3001", "Newpass99", now=T0 + timedelta(minutes=1)).user.id == user.id
    rows = audit_rows(dbs, "user.reset_password", user.id)
    assert len(rows) == 1 and rows[0].actor_id == admin.id


def test_reset_password_rejects_weak_password(dbs, make_user):
    """reset_password refuses a weak password and keeps the old one."""
    admin, user = make_user(role="admin"), make_user(login="zf3002")
    with pytest.raises(AccountError):
        reset_password(dbs, admin, user, "123")
    assert authenticate(dbs, "zf3002", PASSWORD, now=T0).user is not None
    assert audit_rows(dbs, "user.reset_password", user.id) == []


def test_change_own_password_wrong_current_refused(dbs, make_user):
    """change_own_password refuses a wrong current password and keeps the hash."""
    user = make_user(must_change_password=True)
    old_hash = user.password_hash
    with pytest.raises(AccountError, match="当前密码不正确"):
        change_own_password(dbs, user, "Wrong0000", "Another123")
    stored = reload(dbs, user)
    assert stored.password_hash == old_hash and stored.must_change_password is True


def test_change_own_password_rules_and_success(dbs, make_user):
    """The new password must be strong and different; success clears must_change_password."""
    user = make_user(login="zf3003", must_change_password=True)
    with pytest.raises(AccountError, match="不能与当前密码相同"):
        change_own_password(dbs, user, PASSWORD, PASSWORD)
    with pytest.raises(AccountError, match="至少需要"):
        change_own_password(dbs, user, PASSWORD, "a1")
    change_own_password(dbs, user, PASSWORD, "Another123")
    stored = reload(dbs, user)
    assert stored.must_change_password is False
    assert authenticate(dbs, "zf3003", "Another123", now=T0).user is not None
    assert authenticate(dbs, "zf3003", PASSWORD, now=T0).user is None


# ---- units -------------------------------------------------------------------------------------------

def test_save_unit_creates_and_audits(dbs, make_user):
    """save_unit creates a unit under a parent and writes a unit.create audit row."""
    admin = make_user(role="admin")
    root = save_unit(dbs, admin, name="测试局", kind="局", parent_id=None)
    child = save_unit(dbs, admin, name=" 测试中队 ", kind="中队", parent_id=root.id)
    dbs.expire_all()
    assert dbs.get(Unit, child.id).name == "测试中队" and dbs.get(Unit, child.id).parent_id == root.id
    assert len(audit_rows(dbs, "unit.create", child.id)) == 1


def test_save_unit_duplicate_name_refused(dbs, make_user, make_unit):
    """Two units cannot share a name (creating or renaming)."""
    admin = make_user(role="admin")
    make_unit("重名中队")
    other = make_unit("另一中队")
    with pytest.raises(AccountError, match="已存在"):
        save_unit(dbs, admin, name="重名中队", kind="中队", parent_id=None)
    with pytest.raises(AccountError, match="已存在"):
        save_unit(dbs, admin, name="重名中队", kind="中队", parent_id=None, unit=other)
    assert dbs.scalar(select(func.count()).select_from(Unit).where(Unit.name == "重名中队")) == 1
    # Saving a unit under its own name is not a clash.
    save_unit(dbs, admin, name="另一中队", kind="股室", parent_id=None, unit=other)
    assert other.kind == "股室"


def test_save_unit_rejects_bad_kind_and_missing_parent(dbs, make_user):
    """An unknown unit kind or a missing parent is refused."""
    admin = make_user(role="admin")
    with pytest.raises(AccountError, match="单位类型无效"):
        save_unit(dbs, admin, name="某单位", kind="科", parent_id=None)
    with pytest.raises(AccountError, match="上级单位不存在"):
        save_unit(dbs, admin, name="某单位", kind="中队", parent_id=987654321)


def test_unit_cannot_move_under_itself_or_descendant(dbs, make_user, make_unit):
    """A unit cannot become its own parent nor the child of one of its descendants."""
    admin = make_user(role="admin")
    top = make_unit("循环顶", kind="大队")
    mid = make_unit("循环中", parent=top)
    leaf = make_unit("循环底", parent=mid)
    for new_parent in (top, mid, leaf):
        with pytest.raises(AccountError, match="上级单位不能是本单位或其下级单位"):
            save_unit(dbs, admin, name=top.name, kind=top.kind, parent_id=new_parent.id, unit=top)
    dbs.expire_all()
    assert dbs.get(Unit, top.id).parent_id is None


def test_delete_unit_with_members_or_children_refused(dbs, make_user, make_unit):
    """A unit with people or sub-units cannot be deleted; an empty one can, with an audit row."""
    admin = make_user(role="admin")
    parent = make_unit("删除父")
    child = make_unit("删除子", parent=parent)
    with pytest.raises(AccountError, match="下级单位"):
        delete_unit(dbs, admin, parent)
    make_user(unit=child, active=False)  # even an inactive member blocks deletion
    with pytest.raises(AccountError, match="还有人员"):
        delete_unit(dbs, admin, child)
    empty = make_unit("删除空")
    empty_id = empty.id
    delete_unit(dbs, admin, empty)
    assert dbs.get(Unit, empty_id) is None
    assert len(audit_rows(dbs, "unit.delete", empty_id)) == 1
    assert dbs.get(Unit, parent.id) is not None and dbs.get(Unit, child.id) is not None


def test_unit_tree_order_and_depth(dbs, make_unit):
    """unit_tree lists each unit after its parent, depth-first, with its depth."""
    root = make_unit("树根", kind="局")
    a = make_unit("树甲", kind="大队", parent=root)
    b = make_unit("树乙", kind="股室", parent=root)
    a1 = make_unit("树甲一", parent=a)
    a2 = make_unit("树甲二", parent=a)
    mine = {root.id, a.id, b.id, a1.id, a2.id}
    tree = [(u.name, depth) for u, depth in unit_tree(dbs) if u.id in mine]
    assert tree == [("树根", 0), ("树甲", 1), ("树甲一", 2), ("树甲二", 2), ("树乙", 1)]


# ---- roster ------------------------------------------------------------------------------------------

def test_apply_roster_creates_and_updates(dbs, make_user, make_unit):
    """apply_roster creates new 工号 with the default password and updates changed ones (role change audited)."""
    admin = make_user(role="admin")
    u1, u2 = make_unit("花名册一中队"), make_unit("花名册二中队")
    existing = make_user(login="r0001", name="旧名", unit=u1, role="staff")
    same = make_user(login="r0002", name="不变", unit=u2, role="staff")
    rows = [
        RosterRow(row=2, login="r0001", name="新名", unit="花名册二中队", role="supervisor"),
        RosterRow(row=3, login="r0002", name="不变", unit="花名册二中队", role="staff"),
        RosterRow(row=4, login="r0003", name="新人", unit="花名册一中队", role="staff", phone="13800138000"),
    ]
    counts = apply_roster(dbs, admin, rows, "Start1234")
    assert counts == {"created": 1, "updated": 1, "unchanged": 1}
    stored = reload(dbs, existing)
    assert (stored.name, stored.unit_id, stored.role) == ("新名", u2.id, "supervisor")
    assert reload(dbs, same).name == "不变"
    new = dbs.scalar(select(User).where(User.login == "r0003"))
    assert (new.name, new.unit_id, new.phone, new.must_change_password) == ("新人", u1.id, "13800138000", True)
    assert authenticate(dbs, "r0003", "Start1234", now=T0).user.id == new.id
    role_rows = audit_rows(dbs, "user.role", existing.id)
    assert len(role_rows) == 1 and role_rows[0].detail_dict["new_role"] == "supervisor"
    assert len(audit_rows(dbs, "user.create", new.id)) == 1


def test_apply_roster_unknown_unit_raises(dbs, make_unit):
    """A roster row naming a unit that does not exist raises AccountError with its row number."""
    make_unit("花名册已有")
    rows = [RosterRow(row=7, login="r0100", name="某人", unit="不存在的中队", role="staff")]
    with pytest.raises(AccountError, match="第7行：单位“不存在的中队”不存在"):
        apply_roster(dbs, None, rows, "Start1234")
    assert dbs.scalar(select(User).where(User.login == "r0100")) is None


def test_apply_roster_cannot_demote_last_active_admin(dbs, make_user, make_unit):
    """A roster import may not demote the last active admin (the rule update_user enforces)."""
    unit = make_unit("花名册管理")
    admin = make_user(role="admin", login="r0200", name="唯一管理员", unit=unit)
    rows = [RosterRow(row=2, login="r0200", name="唯一管理员", unit="花名册管理", role="staff")]
    with pytest.raises(AccountError):
        apply_roster(dbs, admin, rows, "Start1234")
    assert reload(dbs, admin).role == "admin"


# ---- security: scope ---------------------------------------------------------------------------------

def test_visible_unit_ids_by_role(dbs, make_user, make_unit):
    """Admins see everything (None); supervisors their units' subtrees; staff nobody else's unit."""
    dadui = make_unit("范围大队", kind="大队")
    zhong1 = make_unit("范围一中队", parent=dadui)
    zhong2 = make_unit("范围二中队", parent=dadui)
    squad = make_unit("范围一中队小组", kind="中队", parent=zhong1)
    other = make_unit("范围外股室", kind="股室")

    assert visible_unit_ids(dbs, make_user(role="admin")) is None
    assert visible_unit_ids(dbs, make_user(role="staff", unit=zhong1)) == set()

    sup_top = make_user(role="supervisor", unit=dadui, supervises=[dadui])
    assert visible_unit_ids(dbs, sup_top) == {dadui.id, zhong1.id, zhong2.id, squad.id}
    sup_one = make_user(role="supervisor", unit=zhong1, supervises=[zhong1, other])
    assert visible_unit_ids(dbs, sup_one) == {zhong1.id, squad.id, other.id}
    assert visible_unit_ids(dbs, make_user(role="supervisor")) == set()
    assert unit_subtree_ids(dbs, [zhong2.id]) == {zhong2.id}


def test_can_see_user(dbs, make_user, make_unit):
    """A supervisor sees people in the supervised subtree only; staff see only themselves; admins see all."""
    dadui = make_unit("可见大队", kind="大队")
    child = make_unit("可见中队", parent=dadui)
    other = make_unit("不可见中队")
    sup = make_user(role="supervisor", unit=dadui, supervises=[dadui])
    inside = make_user(unit=child)
    outside = make_user(unit=other)
    staff = make_user(unit=child)
    admin = make_user(role="admin", unit=other)

    assert can_see_user(dbs, sup, inside)
    assert not can_see_user(dbs, sup, outside)
    assert can_see_user(dbs, sup, sup)
    assert can_see_user(dbs, staff, staff)
    assert not can_see_user(dbs, staff, inside)
    assert can_see_user(dbs, admin, inside) and can_see_user(dbs, admin, outside)


def test_roster_hashes_prepared_outside_are_used(dbs, make_user, make_unit):
    """A web import hashes the initial password before its write transaction: only new 工号 get a hash, each
    with its own salt, and apply_roster stores those hashes (the password still works)."""
    from werkzeug.security import check_password_hash

    from trainer.auth.services import roster_password_hashes
    unit = make_unit("预哈希中队")
    old = make_user(login="ph-0001", unit=unit)
    rows = [RosterRow(2, "ph-0001", "老人", unit.name, "staff", None),
            RosterRow(3, "ph-0002", "新人甲", unit.name, "staff", None),
            RosterRow(4, "ph-0003", "新人乙", unit.name, "staff", None)]
    hashes = roster_password_hashes(dbs, rows, "Start1234")
    assert sorted(hashes) == ["ph-0002", "ph-0003"] and hashes["ph-0002"] != hashes["ph-0003"]
    assert apply_roster(dbs, None, rows, "Start1234", password_hashes=hashes)["created"] == 2
    stored = dict(dbs.execute(select(User.login, User.password_hash).where(User.login.like("ph-%"))).all())
    assert stored["ph-0002"] == hashes["ph-0002"] and stored["ph-0001"] == old.password_hash
    assert check_password_hash(stored["ph-0003"], "Start1234")
