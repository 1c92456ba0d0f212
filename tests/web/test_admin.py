"""Administrator pages: users, units, roster import/export and law import."""
from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from support import PASSWORD
from trainer.audit import AuditLog
from trainer.auth.models import Unit, User
from trainer.laws.models import Article, Law
from trainer.study.models import Course

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["工号", "姓名", "单位", "角色", "手机号"]
CITY_LAW = "城市市容和环境卫生管理条例(2017-03-01).md"


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _path(resp) -> str:
    return urlsplit(resp.headers["Location"]).path


def _count(dbs, model, *where) -> int:
    return dbs.scalar(select(func.count()).select_from(model).where(*where))


def _xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _upload(client, url: str, data: bytes, filename: str, **extra):
    return client.post(url, data={"file": (io.BytesIO(data), filename), **extra},
                       content_type="multipart/form-data")


def _token(html: str) -> str:
    match = re.search(r'<input[^>]*name="token"[^>]*value="([^"]*)"', html)
    assert match, "no token input in the preview"
    return match.group(1)


@pytest.fixture()
def admin(make_user, login):
    user = make_user(role="admin", login="admin-web", name="管理员甲")
    login(user)
    return user


# ---- users ---------------------------------------------------------------------------------------------

def test_user_list_and_search(client, admin, make_user, make_unit):
    """The user list shows everyone; q matches part of a name or of a 工号."""
    unit = make_unit("搜索中队")
    zhang = make_user(unit=unit, login="zs-1001", name="张三丰")
    li = make_user(unit=unit, login="ls-2002", name="李四光")
    html = _html(client.get("/admin/users"))
    assert zhang.login in html and li.login in html and "搜索中队" in html
    html = _html(client.get("/admin/users", query_string={"q": "三丰"}))
    assert zhang.login in html and li.login not in html
    html = _html(client.get("/admin/users", query_string={"q": "2002"}))
    assert li.login in html and zhang.login not in html
    html = _html(client.get("/admin/users", query_string={"q": "没有这个人"}))
    assert "共 0 人" in html


def test_user_list_filters_by_role_and_unit(client, admin, make_user, make_unit):
    """The role and unit filters narrow the list."""
    unit_a, unit_b = make_unit("筛选甲队"), make_unit("筛选乙队")
    staff = make_user(unit=unit_a, login="flt-staff")
    sup = make_user(unit=unit_b, role="supervisor", login="flt-sup")
    html = _html(client.get("/admin/users", query_string={"role": "supervisor"}))
    assert sup.login in html and staff.login not in html
    html = _html(client.get("/admin/users", query_string={"unit": unit_a.id}))
    assert staff.login in html and sup.login not in html


def test_create_user(client, admin, make_unit, dbs):
    """An admin creates an account; it can log in and must change its password first."""
    unit = make_unit("新建中队")
    resp = client.post("/admin/users/new", data={
        "login": "new-3001", "name": "王五", "unit_id": str(unit.id), "role": "staff",
        "phone": "13800138000", "password": "Start1234"})
    assert resp.status_code == 302 and _path(resp) == "/admin/users"
    html = _html(client.get("/admin/users"))
    assert "已创建账号 new-3001（王五）" in html
    user = dbs.scalar(select(User).where(User.login == "new-3001"))
    assert user is not None
    assert (user.name, user.unit_id, user.role, user.phone) == ("王五", unit.id, "staff", "13800138000")
    assert user.must_change_password is True
    assert _count(dbs, AuditLog, AuditLog.action == "user.create", AuditLog.target_id == user.id) == 1

    other = client.application.test_client()
    resp = other.post("/login", data={"login": "new-3001", "password": "Start1234"})
    assert resp.status_code == 302 and _path(resp) == "/account/password"


def test_create_supervisor_with_units(client, admin, make_unit, dbs):
    """Creating a supervisor stores the units he oversees."""
    unit_a, unit_b = make_unit("主管甲队"), make_unit("主管乙队")
    resp = client.post("/admin/users/new", data={
        "login": "sup-4001", "name": "赵主管", "unit_id": str(unit_a.id), "role": "supervisor",
        "supervised": [str(unit_a.id), str(unit_b.id)], "password": "Start1234"})
    assert resp.status_code == 302
    user = dbs.scalar(select(User).where(User.login == "sup-4001"))
    assert sorted(u.id for u in user.supervised_units) == sorted([unit_a.id, unit_b.id])


@pytest.mark.parametrize("fields, message", [
    ({"login": "admin-web"}, "工号 admin-web 已存在。"),
    ({"password": "short1"}, "密码至少需要 8 位。"),
    ({"password": "abcdefghij"}, "密码需同时包含字母和数字。"),
    ({"password": ""}, "密码至少需要 8 位。"),
    ({"login": "bad login!"}, "工号只能由 2–32 位字母、数字、下划线或连字符组成。"),
    ({"name": ""}, "请输入姓名。"),
    ({"phone": "12345"}, "手机号应为 11 位数字。"),
])
def test_create_user_validation(client, admin, make_unit, dbs, fields, message):
    """Invalid input re-renders the form with a Chinese message and creates nothing."""
    unit = make_unit()
    users_before = _count(dbs, User)
    data = {"login": "val-5001", "name": "校验人", "unit_id": str(unit.id), "role": "staff",
            "password": "Start1234", **fields}
    resp = client.post("/admin/users/new", data=data)
    assert resp.status_code == 200
    assert message in _html(resp)
    assert _count(dbs, User) == users_before
    assert _count(dbs, User, User.name == "校验人") == 0


def _edit_data(user, **changes):
    data = {"login": user.login, "name": user.name, "unit_id": str(user.unit_id or 0), "role": user.role,
            "phone": user.phone or "", "active": "y"}
    data.update(changes)
    return data


def test_edit_user_role_is_audited(client, admin, make_user, make_unit, dbs):
    """Changing a user's role saves it and writes a user.role audit row."""
    unit = make_unit("编辑中队")
    user = make_user(unit=unit)
    resp = client.post(f"/admin/users/{user.id}",
                       data=_edit_data(user, role="supervisor", supervised=[str(unit.id)], name="改名了"))
    assert resp.status_code == 302 and _path(resp) == f"/admin/users/{user.id}"
    assert "已保存。" in _html(client.get(resp.headers["Location"]))
    dbs.expire_all()
    user = dbs.get(User, user.id)
    assert user.role == "supervisor" and user.name == "改名了"
    assert [u.id for u in user.supervised_units] == [unit.id]
    rows = list(dbs.scalars(select(AuditLog).where(AuditLog.action == "user.role", AuditLog.target_id == user.id)))
    assert len(rows) == 1
    assert rows[0].actor_id == admin.id
    assert rows[0].detail_dict["old_role"] == "staff" and rows[0].detail_dict["new_role"] == "supervisor"


def test_edit_user_without_role_change_writes_no_role_audit(client, admin, make_user, dbs):
    """Saving a user without changing role or scope writes no user.role audit row."""
    user = make_user()
    resp = client.post(f"/admin/users/{user.id}", data=_edit_data(user, name="只改姓名"))
    assert resp.status_code == 302
    assert _count(dbs, AuditLog, AuditLog.action == "user.role", AuditLog.target_id == user.id) == 0


def test_deactivate_user_is_audited(client, admin, make_user, dbs):
    """Unticking 启用 deactivates the account (audited) and it can no longer log in."""
    user = make_user()
    data = _edit_data(user)
    del data["active"]
    assert client.post(f"/admin/users/{user.id}", data=data).status_code == 302
    dbs.expire_all()
    assert dbs.get(User, user.id).active is False
    assert _count(dbs, AuditLog, AuditLog.action == "user.deactivate", AuditLog.target_id == user.id) == 1
    resp = client.application.test_client().post("/login", data={"login": user.login, "password": PASSWORD})
    assert "该账号已停用" in _html(resp)


def test_admin_cannot_demote_self(client, admin, dbs):
    """An admin cannot change his own role; a Chinese message explains why."""
    resp = client.post(f"/admin/users/{admin.id}", data=_edit_data(admin, role="staff"))
    assert resp.status_code == 200
    assert "不能修改自己的角色。" in _html(resp)
    dbs.expire_all()
    assert dbs.get(User, admin.id).role == "admin"


def test_reset_password(client, admin, make_user, dbs):
    """Resetting a password sets the new one, forces a change at next login and is audited."""
    user = make_user()
    resp = client.post(f"/admin/users/{user.id}/password", data={"reset-password": "Reset9876"})
    assert resp.status_code == 302 and _path(resp) == f"/admin/users/{user.id}"
    assert "已重置" in _html(client.get(resp.headers["Location"]))
    dbs.expire_all()
    user = dbs.get(User, user.id)
    assert user.must_change_password is True
    assert check_password_hash(user.password_hash, "Reset9876")
    assert _count(dbs, AuditLog, AuditLog.action == "user.reset_password", AuditLog.target_id == user.id) == 1
    other = client.application.test_client()
    resp = other.post("/login", data={"login": user.login, "password": "Reset9876"})
    assert resp.status_code == 302 and _path(resp) == "/account/password"


@pytest.mark.parametrize("password, message", [("abc", "密码至少需要 8 位。"), ("", "请输入新密码。"),
                                               ("abcdefghij", "密码需同时包含字母和数字。")])
def test_reset_password_validation(client, admin, make_user, dbs, password, message):
    """A weak or empty reset password is refused with a Chinese message; the old one still works."""
    user = make_user()
    resp = client.post(f"/admin/users/{user.id}/password", data={"reset-password": password},
                       follow_redirects=True)
    assert resp.status_code == 200
    assert message in _html(resp)
    dbs.expire_all()
    assert check_password_hash(dbs.get(User, user.id).password_hash, PASSWORD)


# ---- units ---------------------------------------------------------------------------------------------

def test_add_unit(client, admin, make_unit, dbs):
    """Adding a unit (top-level or under a parent) creates it and lists it."""
    parent = make_unit("上级大队", kind="大队")
    resp = client.post("/admin/units", data={"name": "新增中队", "kind": "中队", "parent_id": str(parent.id)})
    assert resp.status_code == 302 and _path(resp) == "/admin/units"
    html = _html(client.get("/admin/units"))
    assert "单位已添加。" in html and "新增中队" in html
    unit = dbs.scalar(select(Unit).where(Unit.name == "新增中队"))
    assert unit is not None and unit.parent_id == parent.id and unit.kind == "中队"
    resp = client.post("/admin/units", data={"name": "顶级新局", "kind": "局", "parent_id": "0"})
    assert resp.status_code == 302
    assert dbs.scalar(select(Unit).where(Unit.name == "顶级新局")).parent_id is None


@pytest.mark.parametrize("fields, message", [({"name": "已有单位"}, "单位“已有单位”已存在。"),
                                             ({"name": ""}, "请输入单位名称。")])
def test_add_unit_validation(client, admin, make_unit, dbs, fields, message):
    """A duplicate or empty unit name is refused with a Chinese message; nothing is added."""
    make_unit("已有单位")
    before = _count(dbs, Unit)
    resp = client.post("/admin/units", data={"kind": "中队", "parent_id": "0", **fields})
    assert resp.status_code == 200
    assert message in _html(resp)
    assert _count(dbs, Unit) == before


def test_edit_unit(client, admin, make_unit, dbs):
    """Editing a unit renames it and moves it under another parent."""
    parent = make_unit("新上级", kind="大队")
    unit = make_unit("旧名中队")
    resp = client.post(f"/admin/units/{unit.id}", data={"name": "新名中队", "kind": "股室",
                                                        "parent_id": str(parent.id)})
    assert resp.status_code == 302 and _path(resp) == "/admin/units"
    dbs.expire_all()
    unit = dbs.get(Unit, unit.id)
    assert (unit.name, unit.kind, unit.parent_id) == ("新名中队", "股室", parent.id)
    assert _count(dbs, AuditLog, AuditLog.action == "unit.update", AuditLog.target_id == unit.id) == 1


def test_edit_unit_refuses_cycle(client, admin, make_unit, dbs):
    """A unit cannot be moved under its own child."""
    parent = make_unit("环路大队", kind="大队")
    child = make_unit("环路中队", parent=parent)
    resp = client.post(f"/admin/units/{parent.id}", data={"name": "环路大队", "kind": "大队",
                                                          "parent_id": str(child.id)})
    assert resp.status_code == 200
    assert "上级单位不能是本单位或其下级单位。" in _html(resp)
    dbs.expire_all()
    assert dbs.get(Unit, parent.id).parent_id is None


def test_delete_empty_unit(client, admin, make_unit, dbs):
    """An empty unit can be deleted."""
    unit = make_unit("待删中队")
    unit_id = unit.id
    resp = client.post(f"/admin/units/{unit_id}", data={"name": unit.name, "kind": unit.kind, "parent_id": "0",
                                                        "delete": "1"})
    assert resp.status_code == 302
    assert "已删除。" in _html(client.get("/admin/units"))
    dbs.expire_all()
    assert _count(dbs, Unit, Unit.id == unit_id) == 0
    assert _count(dbs, AuditLog, AuditLog.action == "unit.delete", AuditLog.target_id == unit_id) == 1


def test_delete_unit_with_members_is_refused(client, admin, make_unit, make_user, dbs):
    """A unit that still has people (or child units) cannot be deleted."""
    unit = make_unit("有人中队")
    make_user(unit=unit)
    resp = client.post(f"/admin/units/{unit.id}", data={"name": unit.name, "kind": unit.kind, "parent_id": "0",
                                                        "delete": "1"})
    assert resp.status_code == 200
    assert "该单位下还有人员，不能删除。" in _html(resp)
    parent = make_unit("有下级大队", kind="大队")
    make_unit("下级中队", parent=parent)
    resp = client.post(f"/admin/units/{parent.id}", data={"name": parent.name, "kind": "大队", "parent_id": "0",
                                                          "delete": "1"})
    assert resp.status_code == 200
    assert "该单位下还有下级单位，不能删除。" in _html(resp)
    dbs.expire_all()
    assert dbs.get(Unit, unit.id) is not None and dbs.get(Unit, parent.id) is not None


# ---- roster import -------------------------------------------------------------------------------------

@pytest.fixture()
def roster_units(make_unit):
    return make_unit("花名册一中队"), make_unit("花名册二中队")


def test_roster_preview_writes_nothing(client, admin, roster_units, dbs):
    """Uploading a valid roster shows a preview of every row and writes nothing yet."""
    data = _xlsx([["r-1001", "钱一", "花名册一中队", "学员", "13800138001"],
                  ["r-1002", "孙二", "花名册二中队", "主管", ""]])
    before = _count(dbs, User)
    resp = _upload(client, "/admin/roster", data, "花名册.xlsx")
    assert resp.status_code == 200
    html = _html(resp)
    assert "校验通过：共 2 人，其中新建 2 人" in html
    for text in ("r-1001", "钱一", "r-1002", "孙二", "花名册二中队", "主管"):
        assert text in html
    assert "确认导入" in html
    assert re.fullmatch(r"[0-9a-f]{32}", _token(html))
    assert _count(dbs, User) == before
    assert _count(dbs, User, User.login.in_(["r-1001", "r-1002"])) == 0


def test_roster_confirm_creates_users(client, admin, roster_units, dbs):
    """Confirming a preview with its token and a password creates the accounts."""
    data = _xlsx([["r-1001", "钱一", "花名册一中队", "学员", "13800138001"],
                  ["r-1002", "孙二", "花名册二中队", "主管", ""]])
    token = _token(_html(_upload(client, "/admin/roster", data, "花名册.xlsx")))
    resp = client.post("/admin/roster/confirm", data={"token": token, "password": "Roster123"})
    assert resp.status_code == 302 and _path(resp) == "/admin/users"
    assert "花名册已导入：新建 2 人，更新 0 人，未变 0 人。" in _html(client.get(resp.headers["Location"]))
    users = {u.login: u for u in dbs.scalars(select(User).where(User.login.in_(["r-1001", "r-1002"])))}
    assert set(users) == {"r-1001", "r-1002"}
    assert users["r-1001"].unit_id == roster_units[0].id and users["r-1001"].phone == "13800138001"
    assert users["r-1002"].role == "supervisor" and users["r-1002"].unit_id == roster_units[1].id
    assert all(u.must_change_password for u in users.values())
    assert check_password_hash(users["r-1001"].password_hash, "Roster123")
    # the staged file is gone: the same token cannot be confirmed twice
    resp = client.post("/admin/roster/confirm", data={"token": token, "password": "Roster123"})
    assert resp.status_code == 302 and _path(resp) == "/admin/roster"
    assert "预览已过期" in _html(client.get("/admin/roster"))


def test_roster_updates_existing_users(client, admin, roster_units, make_user, dbs):
    """A roster row with an existing 工号 updates that person (role change audited)."""
    person = make_user(unit=roster_units[0], login="r-2001", name="旧姓名")
    data = _xlsx([["r-2001", "新姓名", "花名册二中队", "主管", ""]])
    html = _html(_upload(client, "/admin/roster", data, "roster.xlsx"))
    assert "其中新建 0 人" in html and "更新" in html
    resp = client.post("/admin/roster/confirm", data={"token": _token(html), "password": "Roster123"})
    assert resp.status_code == 302
    dbs.expire_all()
    person = dbs.get(User, person.id)
    assert (person.name, person.unit_id, person.role) == ("新姓名", roster_units[1].id, "supervisor")
    assert _count(dbs, AuditLog, AuditLog.action == "user.role", AuditLog.target_id == person.id) == 1


def test_roster_cannot_demote_the_last_admin(client, admin, roster_units, dbs):
    """A roster that would demote the acting (and only) admin is refused; the admin keeps the role."""
    dbs.execute(User.__table__.update().where(User.role == "admin", User.id != admin.id).values(role="staff"))
    data = _xlsx([[admin.login, admin.name, "花名册一中队", "", ""]])
    html = _html(_upload(client, "/admin/roster", data, "roster.xlsx"))
    if 'name="token"' in html:
        client.post("/admin/roster/confirm", data={"token": _token(html), "password": "Roster123"})
    dbs.expire_all()
    assert dbs.get(User, admin.id).role == "admin"
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("password, message", [("", "请设置新账号的初始密码。"), ("weak", "密码至少需要 8 位。")])
def test_roster_confirm_needs_a_good_password(client, admin, roster_units, dbs, password, message):
    """Confirming without a (valid) password shows a message and writes nothing."""
    data = _xlsx([["r-3001", "周三", "花名册一中队", "学员", ""], ["r-3002", "吴四", "花名册一中队", "", ""]])
    token = _token(_html(_upload(client, "/admin/roster", data, "roster.xlsx")))
    resp = client.post("/admin/roster/confirm", data={"token": token, "password": password})
    assert resp.status_code == 200
    assert message in _html(resp)
    assert _count(dbs, User, User.login.in_(["r-3001", "r-3002"])) == 0


@pytest.mark.parametrize("token", ["", "not-a-token", "../../etc/passwd", "0" * 32])
def test_roster_confirm_with_bad_token(client, admin, dbs, token):
    """An unknown or malformed token is treated as an expired preview."""
    resp = client.post("/admin/roster/confirm", data={"token": token, "password": "Roster123"})
    assert resp.status_code == 302 and _path(resp) == "/admin/roster"
    assert "预览已过期，请重新上传花名册。" in _html(client.get("/admin/roster"))


def test_roster_with_errors_cannot_be_confirmed(client, admin, roster_units, dbs):
    """A duplicate 工号 and an unknown unit are reported as 第N行 errors; no confirm button; nothing written."""
    data = _xlsx([["r-4001", "郑一", "花名册一中队", "学员", ""],
                  ["r-4001", "王二", "花名册一中队", "学员", ""],
                  ["r-4003", "冯三", "不存在的单位", "学员", ""]])
    before = _count(dbs, User)
    resp = _upload(client, "/admin/roster", data, "roster.xlsx")
    assert resp.status_code == 200
    html = _html(resp)
    assert "第3行：工号 r-4001 与第2行重复" in html
    assert "第4行：单位“不存在的单位”不存在" in html
    assert "未写入任何数据" in html
    assert "确认导入" not in html and 'name="token"' not in html
    assert "/admin/roster/confirm" not in html
    assert _count(dbs, User) == before


def test_roster_missing_columns(client, admin, dbs):
    """A workbook without the required columns is reported, nothing written."""
    data = _xlsx([["r-5001", "甲"]], headers=["工号", "姓名"])
    html = _html(_upload(client, "/admin/roster", data, "roster.xlsx"))
    assert "缺少必需的列" in html
    assert "确认导入" not in html


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=False) as entry:
            chunk = bytes(1024 * 1024)
            for _ in range(50):
                entry.write(chunk)
    return buf.getvalue()


@pytest.mark.parametrize("kind, message", [
    ("png", "文件内容与扩展名不符"),
    ("empty", "文件为空"),
    ("bomb", "文件疑似压缩炸弹"),
    ("csv", "只支持 .xlsx 文件"),
    ("zip-no-parts", "文件内容与扩展名不符"),
])
def test_roster_bad_files_are_refused(client, admin, dbs, zip_bomb, kind, message):
    """Wrong-type, empty, zip-bomb and wrong-extension uploads get a clear message; nothing is written."""
    if kind == "png":
        data, name = _png(), "roster.xlsx"
    elif kind == "empty":
        data, name = b"", "roster.xlsx"
    elif kind == "bomb":
        assert len(zip_bomb) < 1024 * 1024
        data, name = zip_bomb, "roster.xlsx"
    elif kind == "csv":
        data, name = "工号,姓名,单位,角色\nr-6001,甲,乙,学员\n".encode(), "roster.csv"
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("hello.txt", "hi")
        data, name = buf.getvalue(), "roster.xlsx"
    before = _count(dbs, User)
    resp = _upload(client, "/admin/roster", data, name)
    assert resp.status_code == 200
    html = _html(resp)
    assert message in html
    assert "/admin/roster/confirm" not in html and 'name="token"' not in html
    assert _count(dbs, User) == before


def test_roster_upload_without_file(client, admin):
    """Submitting the upload form without a file asks for one."""
    resp = client.post("/admin/roster", data={}, content_type="multipart/form-data")
    assert resp.status_code == 200
    assert "请选择要上传的文件。" in _html(resp)


def test_roster_upload_too_large(client, admin, dbs):
    """An upload over 10 MB is refused with 413 文件过大."""
    before = _count(dbs, User)
    resp = _upload(client, "/admin/roster", b"\x00" * (11 * 1024 * 1024), "roster.xlsx")
    assert resp.status_code == 413
    assert "文件过大" in _html(resp)
    assert _count(dbs, User) == before


def test_roster_export(client, admin, make_user, make_unit):
    """The roster export is an .xlsx whose 工号 column lists the users."""
    unit = make_unit("导出中队")
    people = [make_user(unit=unit, login=f"exp-{n}") for n in range(3)]
    resp = client.get("/admin/roster/export")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0][:5]) == HEADERS
    col = rows[0].index("工号")
    logins = {r[col] for r in rows[1:]}
    assert {p.login for p in people} | {admin.login} <= logins
    by_login = {r[col]: r for r in rows[1:]}
    assert by_login["exp-0"][2] == "导出中队" and by_login["exp-0"][3] == "学员"


def test_roster_export_reimports_cleanly(client, admin, make_user, make_unit, dbs):
    """An exported roster can be uploaded again: a clean preview with nobody new."""
    unit = make_unit("往返中队")
    make_user(unit=unit, login="rt-1")
    admin_unit_ok = admin.unit_id is not None
    assert admin_unit_ok
    data = client.get("/admin/roster/export").data
    html = _html(_upload(client, "/admin/roster", data, "花名册.xlsx"))
    assert "校验通过" in html and "其中新建 0 人" in html


def test_roster_template(client, admin):
    """The template download is an .xlsx with the import headers."""
    resp = client.get("/admin/roster/template")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == XLSX
    assert "attachment" in resp.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(resp.data), read_only=True).worksheets[0]
    assert list(next(ws.iter_rows(values_only=True))) == HEADERS


# ---- law import ----------------------------------------------------------------------------------------

def test_law_upload_imports_articles(client, admin, shared_laws, dbs):
    """Uploading 城市市容和环境卫生管理条例 imports its 45 articles and makes a course for it."""
    path = shared_laws / CITY_LAW
    if not path.exists():
        pytest.skip(f"{CITY_LAW} is not available")
    resp = _upload(client, "/admin/laws", path.read_bytes(), CITY_LAW)
    assert resp.status_code == 302 and _path(resp) == "/admin/laws"
    html = _html(client.get("/admin/laws"))
    assert "《城市市容和环境卫生管理条例》" in html and "已导入，共 45 条。" in html
    law = dbs.scalar(select(Law).where(Law.short_title == "城市市容和环境卫生管理条例"))
    assert law is not None and law.status == "current"
    assert _count(dbs, Article, Article.law_id == law.id) == 45
    assert dbs.scalar(select(Course).where(Course.key == "城市市容和环境卫生管理条例")) is not None
    assert _count(dbs, AuditLog, AuditLog.action == "law.import", AuditLog.target_id == law.id) == 1
    # the same version again changes nothing
    _upload(client, "/admin/laws", path.read_bytes(), CITY_LAW)
    assert "已存在，内容未变。" in _html(client.get("/admin/laws"))
    assert _count(dbs, Law, Law.short_title == "城市市容和环境卫生管理条例") == 1


@pytest.mark.parametrize("data, name", [
    ("这不是一部法律。\n只是一些随便写的文字，没有任何条文。\n".encode(), "garbage.txt"),
    (b"", "empty.txt"),
    (b"%PDF-1.4 binary", "law.pdf"),
    (_png(), "law.md"),
])
def test_law_upload_garbage_fails(client, admin, dbs, data, name):
    """A file that is not a law text shows 导入失败 and imports nothing."""
    before = _count(dbs, Law)
    resp = _upload(client, "/admin/laws", data, name)
    assert resp.status_code == 200
    assert "导入失败" in _html(resp)
    assert _count(dbs, Law) == before
