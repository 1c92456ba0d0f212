"""The command-line interface (trainer.cli) through Flask's CLI runner. Commands commit through the app's session,
which the `app` fixture binds to the test connection with savepoints, so everything is rolled back afterwards."""
from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from trainer.auth.models import Unit, User
from trainer.auth.services import authenticate
from trainer.demo import data as demo_data
from trainer.laws.models import Law
from trainer.laws.services import current_law, current_laws
from trainer.laws.sources import DEFAULT_LAWS
from trainer.study.models import Course

REGULATION = "城市市容和环境卫生管理条例(2017-03-01).md"


def invoke(runner, *args):
    return runner.invoke(args=list(args))


def user_count(dbs) -> int:
    return dbs.scalar(select(func.count()).select_from(User))


def roster_xlsx(path, rows, headers=("工号", "姓名", "单位", "角色", "手机号")):
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(buf.getvalue())
    return str(path)


# ---- users -------------------------------------------------------------------------------------------

def test_create_admin(runner, dbs):
    """users create-admin creates an active admin who can log in without a forced password change."""
    result = invoke(runner, "users", "create-admin", "--login", "a1", "--name", "张三", "--password", "Abcd1234")
    assert result.exit_code == 0, result.output
    assert "已创建管理员 a1（张三）" in result.output
    user = dbs.scalar(select(User).where(User.login == "a1"))
    assert (user.name, user.role, user.active, user.must_change_password) == ("张三", "admin", True, False)
    assert user.password_hash.startswith("scrypt:")
    assert authenticate(dbs, "a1", "Abcd1234", now=datetime(2026, 3, 2)).user.id == user.id


@pytest.mark.parametrize("args, message", [
    (["--login", "a2", "--name", "李四", "--password", "abc"], "密码至少需要 8 位。"),
    (["--login", "a2", "--name", "李四", "--password", "abcdefgh"], "密码需同时包含字母和数字。"),
    (["--login", "管理员", "--name", "李四", "--password", "Abcd1234"], "工号只能由"),
])
def test_create_admin_rejects_bad_input(runner, dbs, args, message):
    """users create-admin with a weak password or bad 工号 exits 1 with a Chinese message and creates nothing."""
    before = user_count(dbs)
    result = invoke(runner, "users", "create-admin", *args)
    assert result.exit_code == 1
    assert message in result.output
    assert user_count(dbs) == before
    assert dbs.scalar(select(User).where(User.login.in_(["a2", "管理员"]))) is None


def test_create_admin_duplicate_login(runner, dbs, make_user):
    """users create-admin refuses an existing 工号 and leaves that account unchanged."""
    existing = make_user(login="a3", role="staff")
    result = invoke(runner, "users", "create-admin", "--login", "a3", "--name", "王五", "--password", "Abcd1234")
    assert result.exit_code == 1
    assert "工号 a3 已存在。" in result.output
    dbs.expire_all()
    assert dbs.get(User, existing.id).role == "staff"


def test_import_roster(runner, dbs, make_unit, make_user, tmp_path):
    """users import creates new people with the initial password and updates existing 工号."""
    one, two = make_unit("导入一中队"), make_unit("导入二中队")
    old = make_user(login="imp001", name="旧名字", unit=one)
    path = roster_xlsx(tmp_path / "roster.xlsx", [
        ("imp001", "新名字", "导入二中队", "学员", None),
        ("imp002", "孙八", "导入一中队", "学员", "13800138000"),
        ("imp003", "周九", "导入二中队", "主管", None),
    ])
    result = invoke(runner, "users", "import", path, "--password", "Abcd1234")
    assert result.exit_code == 0, result.output
    assert "新建 2 人，更新 1 人，未变 0 人" in result.output
    dbs.expire_all()
    assert (dbs.get(User, old.id).name, dbs.get(User, old.id).unit_id) == ("新名字", two.id)
    new = {u.login: u for u in dbs.scalars(select(User).where(User.login.in_(["imp002", "imp003"])))}
    assert (new["imp002"].name, new["imp002"].unit_id, new["imp002"].phone) == ("孙八", one.id, "13800138000")
    assert new["imp003"].role == "supervisor"
    assert all(u.must_change_password for u in new.values())
    assert authenticate(dbs, "imp002", "Abcd1234", now=datetime(2026, 3, 2)).user is not None


@pytest.mark.parametrize("rows, message", [
    ([("dup001", "甲", "名册中队", "学员", None), ("dup001", "乙", "名册中队", "学员", None)],
     "工号 dup001 与第2行重复"),
    ([("dup001", "甲", "名册中队", "学员", None), ("dup002", "乙", "没有这个中队", "学员", None)],
     "单位“没有这个中队”不存在"),
])
def test_import_roster_with_errors_writes_nothing(runner, dbs, make_unit, tmp_path, rows, message):
    """A roster with a duplicate 工号 or an unknown unit exits 1, lists the problem and writes no row at all."""
    make_unit("名册中队")
    before = user_count(dbs)
    path = roster_xlsx(tmp_path / "roster.xlsx", rows)
    result = invoke(runner, "users", "import", path, "--password", "Abcd1234")
    assert result.exit_code == 1
    assert message in result.output
    assert "未写入任何数据" in result.output
    assert user_count(dbs) == before
    assert dbs.scalar(select(User).where(User.login.in_(["dup001", "dup002"]))) is None


def test_import_roster_failure_while_applying_rolls_back_earlier_rows(runner, dbs, make_unit, tmp_path):
    """A row refused while applying (工号 equal to the initial password) undoes the rows already created."""
    make_unit("回滚中队")
    before = user_count(dbs)
    path = roster_xlsx(tmp_path / "roster.xlsx", [
        ("ok0001", "甲", "回滚中队", "学员", None),
        ("Abcd1234", "乙", "回滚中队", "学员", None),
    ])
    result = invoke(runner, "users", "import", path, "--password", "Abcd1234")
    assert result.exit_code == 1
    assert "密码不能与工号相同" in result.output and "未写入任何数据" in result.output
    assert user_count(dbs) == before
    assert dbs.scalar(select(User).where(User.login == "ok0001")) is None


def test_import_roster_weak_initial_password(runner, dbs, make_unit, tmp_path):
    """users import refuses a weak initial password before reading the rows."""
    make_unit("弱密码中队")
    path = roster_xlsx(tmp_path / "roster.xlsx", [("weak01", "甲", "弱密码中队", "学员", None)])
    result = invoke(runner, "users", "import", path, "--password", "12345678")
    assert result.exit_code == 1
    assert "初始密码：密码需同时包含字母和数字。" in result.output
    assert dbs.scalar(select(User).where(User.login == "weak01")) is None


def test_import_roster_rejects_non_xlsx(runner, dbs, tmp_path):
    """users import refuses a file that is not a real .xlsx workbook."""
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"this is not a spreadsheet")
    result = invoke(runner, "users", "import", str(path), "--password", "Abcd1234")
    assert result.exit_code == 1
    assert result.output.strip()


# ---- laws --------------------------------------------------------------------------------------------

def test_laws_list(runner, dbs):
    """laws list prints one tab-separated line per law with its article count and preamble flag."""
    result = invoke(runner, "laws", "list")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(current_laws(dbs)) == len(DEFAULT_LAWS)
    assert "中华人民共和国宪法\t2018-03-11\t现行有效\t143 条\t无序言" in lines
    assert "中华人民共和国行政处罚法\t2021-01-22\t现行有效\t86 条\t无序言" in lines
    for law in current_laws(dbs):
        line = next(ln for ln in lines if ln.startswith(law.title + "\t"))
        assert f"\t{len(law.articles)} 条\t" in line
        assert line.endswith("无序言") or line.endswith("含序言")


def test_laws_import_file(runner, dbs, shared_laws):
    """laws import-file imports a new regulation, prints its article count and builds its course."""
    result = invoke(runner, "laws", "import-file", str(shared_laws / REGULATION))
    assert result.exit_code == 0, result.output
    assert "《城市市容和环境卫生管理条例》" in result.output and "共 45 条" in result.output
    law = current_law(dbs, "城市市容和环境卫生管理条例")
    assert law is not None and len(law.articles) == 45
    assert dbs.scalar(select(Course).where(Course.key == "城市市容和环境卫生管理条例")) is not None
    listing = invoke(runner, "laws", "list").output
    assert "城市市容和环境卫生管理条例\t2011-01-08\t现行有效\t45 条\t无序言" in listing.splitlines()


def test_laws_import_file_constitution_preamble(runner, dbs, shared_laws):
    """Importing 宪法.md through the CLI adds the 序言 (laws list then says 含序言) without new articles."""
    result = invoke(runner, "laws", "import-file", str(shared_laws / "宪法.md"))
    assert result.exit_code == 0, result.output
    assert "已补充序言" in result.output
    assert "中华人民共和国宪法\t2018-03-11\t现行有效\t143 条\t含序言" in invoke(runner, "laws", "list").output


def test_laws_import_file_missing(runner, dbs, tmp_path):
    """laws import-file on a path that does not exist exits non-zero and names the file."""
    laws = dbs.scalar(select(func.count()).select_from(Law))
    result = invoke(runner, "laws", "import-file", str(tmp_path / "nope.md"))
    assert result.exit_code != 0
    assert "nope.md" in result.output and "does not exist" in result.output
    assert dbs.scalar(select(func.count()).select_from(Law)) == laws


@pytest.mark.parametrize("filename, content, message", [
    ("garbage.md", "随便写的一段话\n\n这里没有任何条文。\n".encode(), "未找到任何条文"),
    ("garbage.txt", "第一条 没有标题的文本。\n".encode(), "缺少法律标题"),
    ("garbage.docx", b"\x00\x01\x02 definitely not a zip file" * 10, "导入失败"),
    ("garbage.pdf", b"%PDF-1.4 garbage", "只支持"),
    ("empty.md", b"", "文件为空"),
])
def test_laws_import_file_garbage(runner, dbs, tmp_path, filename, content, message):
    """laws import-file on an unreadable file exits 1 with 导入失败 and a Chinese reason, storing nothing."""
    laws = dbs.scalar(select(func.count()).select_from(Law))
    path = tmp_path / filename
    path.write_bytes(content)
    result = invoke(runner, "laws", "import-file", str(path))
    assert result.exit_code == 1
    assert "导入失败：" in result.output and message in result.output
    assert dbs.scalar(select(func.count()).select_from(Law)) == laws


def test_laws_import_default_again(runner, dbs):
    """laws import-default on a loaded database reports every law unchanged."""
    laws = dbs.scalar(select(func.count()).select_from(Law))
    result = invoke(runner, "laws", "import-default")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == len(DEFAULT_LAWS) and all("内容未变" in ln for ln in lines)
    assert dbs.scalar(select(func.count()).select_from(Law)) == laws


# ---- study and demo ----------------------------------------------------------------------------------

def test_study_sync(runner, dbs):
    """study sync reports the number of courses (one per current law plus 城管执法实务)."""
    courses_before = [c.id for c in dbs.scalars(select(Course).order_by(Course.id))]
    result = invoke(runner, "study", "sync")
    assert result.exit_code == 0, result.output
    assert f"课程已同步：{len(DEFAULT_LAWS) + 1} 门。" in result.output
    assert [c.id for c in dbs.scalars(select(Course).order_by(Course.id))] == courses_before


def test_demo_seed_and_clear(runner, dbs):
    """demo seed creates the 184 demo accounts (idempotently); demo clear removes them and the demo units."""
    result = invoke(runner, "demo", "seed")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["users_created"] == 184
    assert dbs.scalar(select(func.count()).select_from(User).where(User.role == "staff")) == 180
    assert dbs.scalar(select(Unit).where(Unit.name == "综合执法一中队")) is not None

    again = invoke(runner, "demo", "seed")
    assert again.exit_code == 0 and json.loads(again.output)["users_created"] == 0

    cleared = invoke(runner, "demo", "clear")
    assert cleared.exit_code == 0, cleared.output
    assert json.loads(cleared.output) == {"users_removed": 184, "units_removed": 11}
    assert dbs.scalar(select(User).where(User.login == demo_data.DEMO_STAFF_LOGIN)) is None
    assert dbs.scalar(select(Unit).where(Unit.name == demo_data.BUREAU)) is None


def test_laws_import_file_docx(runner, dbs, tmp_path):
    """laws import-file reads a Word .docx law (built from the repository's text fixture) and builds its course."""
    import docx
    source = Path(__file__).resolve().parents[1] / "fixtures" / "laws" / "sample_law.txt"
    document = docx.Document()
    for line in source.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    path = tmp_path / "测试解析办法.docx"
    document.save(str(path))
    result = invoke(runner, "laws", "import-file", str(path))
    assert result.exit_code == 0, result.output
    assert "《测试解析办法》（2020-12-31版）已导入，共 7 条。" in result.output
    law = current_law(dbs, "测试解析办法")
    assert law.preamble and len(law.chapters) == 3
    assert law.source == "文件：测试解析办法.docx"
    assert dbs.scalar(select(Course).where(Course.key == "测试解析办法")) is not None
