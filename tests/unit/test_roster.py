"""Unit tests for trainer.auth.roster (roster import preview, export, template)."""

import io

from openpyxl import Workbook, load_workbook

from trainer.auth.roster import (
    MAX_ROSTER_ROWS,
    ROLE_LABELS,
    RosterPreview,
    RosterRow,
    build_roster_xlsx,
    parse_roster,
    roster_template_xlsx,
)

UNITS = {"一中队", "二中队", "法制科"}
HEADERS = ["工号", "姓名", "单位", "角色", "手机号"]


def make_xlsx(rows, sheet_title="Sheet1") -> bytes:
    """Build a workbook whose first sheet contains ``rows`` (lists of cell values)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_happy_path():
    """A well-formed roster yields one RosterRow per data row and no errors."""
    data = make_xlsx([
        HEADERS,
        ["1001", "张三", "一中队", "学员", "13800138000"],
        ["zf-002", "李四", "法制科", "主管", None],
        ["A_3", "王五", "二中队", "管理员", "13900139000"],
    ])
    preview = parse_roster(data, UNITS)
    assert preview.ok and preview.errors == []
    assert preview.rows == [
        RosterRow(row=2, login="1001", name="张三", unit="一中队", role="staff", phone="13800138000"),
        RosterRow(row=3, login="zf-002", name="李四", unit="法制科", role="supervisor", phone=None),
        RosterRow(row=4, login="A_3", name="王五", unit="二中队", role="admin", phone="13900139000"),
    ]


def test_numeric_cells_become_text():
    """Numeric 工号 and 手机号 cells (1001.0, 13800138000) are read as plain digit strings."""
    data = make_xlsx([HEADERS, [1001.0, "张三", "一中队", "学员", 13800138000], [1002, "李四", "一中队", "学员", 13900139000.0]])
    preview = parse_roster(data, UNITS)
    assert preview.ok, preview.errors
    assert [(r.login, r.phone) for r in preview.rows] == [("1001", "13800138000"), ("1002", "13900139000")]


def test_header_synonyms_order_and_spaces():
    """部门/电话 are synonyms, header order is free and spaces in headers and cells are stripped."""
    data = make_xlsx([
        ["序号", " 姓 名 ", "部门", "工号", "电话", "角色"],
        [1, " 张三 ", "一中队 ", " 1001", "13800138000", "学员"],
    ])
    preview = parse_roster(data, UNITS)
    assert preview.ok, preview.errors
    assert preview.rows == [
        RosterRow(row=2, login="1001", name="张三", unit="一中队", role="staff", phone="13800138000")
    ]


def test_mobile_synonym_and_title_row():
    """A title row above the header is skipped, 手机 is accepted and Excel row numbers stay correct."""
    data = make_xlsx([
        ["某某区城市管理局人员花名册"],
        [],
        ["工号", "姓名", "单位", "角色", "手机"],
        ["1001", "张三", "一中队", "学员", "13800138000"],
        [],
        ["1002", "李四", "一中队", "学员", ""],
    ])
    preview = parse_roster(data, UNITS)
    assert preview.ok, preview.errors
    assert [(r.row, r.login, r.phone) for r in preview.rows] == [(4, "1001", "13800138000"), (6, "1002", None)]


def test_role_english_codes_and_empty_default():
    """English role codes are accepted and an empty 角色 cell means staff."""
    data = make_xlsx([
        HEADERS,
        ["1001", "张三", "一中队", "Supervisor", None],
        ["1002", "李四", "一中队", "admin", None],
        ["1003", "王五", "一中队", None, None],
    ])
    preview = parse_roster(data, UNITS)
    assert preview.ok, preview.errors
    assert [r.role for r in preview.rows] == ["supervisor", "admin", "staff"]


def test_role_labels_constant():
    """ROLE_LABELS maps the three Chinese labels to role codes."""
    assert ROLE_LABELS == {"学员": "staff", "主管": "supervisor", "管理员": "admin"}


def test_duplicate_login():
    """A 工号 repeated in the file is an error naming both rows."""
    data = make_xlsx([
        HEADERS,
        ["1001", "张三", "一中队", "学员", None],
        ["1002", "李四", "一中队", "学员", None],
        [1001, "王五", "一中队", "学员", None],
    ])
    preview = parse_roster(data, UNITS)
    assert not preview.ok
    assert preview.errors == ["第4行：工号 1001 与第2行重复"]
    assert [r.login for r in preview.rows] == ["1001", "1002"]


def test_unknown_unit():
    """A 单位 not in unit_names is reported with the name as written."""
    data = make_xlsx([HEADERS, ["1001", "张三", "某某中队", "学员", None]])
    preview = parse_roster(data, UNITS)
    assert preview.errors == ["第2行：单位“某某中队”不存在"]
    assert preview.rows == []


def test_missing_required_column():
    """A missing required column gives exactly one error naming it."""
    data = make_xlsx([["姓名", "单位", "角色"], ["张三", "一中队", "学员"]])
    preview = parse_roster(data, UNITS)
    assert preview.errors == ["缺少必需的列：工号"]
    assert preview.rows == []


def test_no_header_row():
    """A sheet without a recognisable header reports all required columns as missing."""
    data = make_xlsx([["a", "b"], [1, 2]])
    preview = parse_roster(data, UNITS)
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith("缺少必需的列：工号、姓名、单位、角色")


def test_bad_role():
    """An unknown 角色 value is an error."""
    data = make_xlsx([HEADERS, ["1001", "张三", "一中队", "队长", None]])
    preview = parse_roster(data, UNITS)
    assert len(preview.errors) == 1
    assert preview.errors[0].startswith("第2行：角色“队长”无效")


def test_bad_phone():
    """手机号 must be 11 digits starting with 1."""
    data = make_xlsx([
        HEADERS,
        ["1001", "张三", "一中队", "学员", "23800138000"],
        ["1002", "李四", "一中队", "学员", "1380013800"],
        ["1003", "王五", "一中队", "学员", "138-0013-8000"],
    ])
    preview = parse_roster(data, UNITS)
    assert [e.split("：")[0] for e in preview.errors] == ["第2行", "第3行"]
    assert all("手机号" in e for e in preview.errors)
    assert [(r.login, r.phone) for r in preview.rows] == [("1003", "13800138000")]


def test_bad_login_and_name():
    """工号 must match [A-Za-z0-9_-]{2,32}; 姓名 is required and at most 50 characters."""
    data = make_xlsx([
        HEADERS,
        ["1", "张三", "一中队", "学员", None],
        ["张三01", "张三", "一中队", "学员", None],
        [None, "李四", "一中队", "学员", None],
        ["1004", None, "一中队", "学员", None],
        ["1005", "名" * 51, "一中队", "学员", None],
    ])
    preview = parse_roster(data, UNITS)
    assert preview.rows == []
    assert preview.errors[0].startswith("第2行：工号“1”格式不正确")
    assert preview.errors[1].startswith("第3行：工号“张三01”格式不正确")
    assert preview.errors[2:] == ["第4行：工号不能为空", "第5行：姓名不能为空", "第6行：姓名超过 50 个字符"]


def test_multiple_errors_in_one_row_all_reported():
    """Every problem of a row is reported, each prefixed with the row number."""
    data = make_xlsx([HEADERS, ["x", None, "无此单位", "队长", "123"]])
    preview = parse_roster(data, UNITS)
    assert len(preview.errors) == 5
    assert all(e.startswith("第2行：") for e in preview.errors)


def test_existing_logins_are_updates_not_errors():
    """A 工号 that already exists is marked as an update and is not an error."""
    data = make_xlsx([HEADERS, ["1001", "张三", "一中队", "学员", None], ["1002", "李四", "一中队", "学员", None]])
    preview = parse_roster(data, UNITS, existing_logins={"1001"})
    assert preview.ok
    assert [(r.login, r.is_update) for r in preview.rows] == [("1001", True), ("1002", False)]


def test_empty_rows_skipped_and_no_data_is_error():
    """Blank rows are skipped; a header without any data row is reported."""
    data = make_xlsx([HEADERS, [None, None, None, None, None], ["", " ", "", "", ""]])
    preview = parse_roster(data, UNITS)
    assert preview.rows == []
    assert preview.errors == ["文件中没有人员数据"]


def test_not_an_xlsx():
    """Bytes that are not an xlsx give a single 无法读取 Excel 文件 error."""
    for data in (b"", b"hello world", b"PK\x03\x04garbage"):
        preview = parse_roster(data, UNITS)
        assert isinstance(preview, RosterPreview)
        assert not preview.ok
        assert len(preview.errors) == 1 and preview.errors[0].startswith("无法读取 Excel 文件：")


def test_too_many_rows():
    """More than 5000 data rows is rejected with a single error."""
    rows = [HEADERS] + [[f"u{i}", "张三", "一中队", "学员", None] for i in range(MAX_ROSTER_ROWS + 1)]
    preview = parse_roster(make_xlsx(rows), UNITS)
    assert preview.rows == []
    assert len(preview.errors) == 1 and "5000" in preview.errors[0]


def test_only_first_sheet_is_read():
    """Only the first worksheet is parsed."""
    wb = Workbook()
    wb.active.append(HEADERS)
    wb.active.append(["1001", "张三", "一中队", "学员", None])
    other = wb.create_sheet("其他")
    other.append(HEADERS)
    other.append(["9999", "无关", "不存在", "学员", None])
    buf = io.BytesIO()
    wb.save(buf)
    preview = parse_roster(buf.getvalue(), UNITS)
    assert preview.ok and [r.login for r in preview.rows] == ["1001"]


def test_build_roster_xlsx_layout():
    """The export has sheet 花名册, Chinese headers, bold frozen header and Chinese role/status."""
    data = build_roster_xlsx([
        {"login": "1001", "name": "张三", "unit": "一中队", "role": "supervisor", "phone": "13800138000", "is_active": True},
        {"login": "007", "name": "李四", "unit": "二中队", "role": "staff", "phone": None, "is_active": False},
    ])
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "花名册"
    assert [c.value for c in ws[1]] == ["工号", "姓名", "单位", "角色", "手机号", "状态"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["C"].width > 10
    assert [c.value for c in ws[2]] == ["1001", "张三", "一中队", "主管", "13800138000", "在职"]
    assert [c.value for c in ws[3]] == ["007", "李四", "二中队", "学员", None, "停用"]


def test_build_roster_xlsx_never_writes_formulas():
    """User text starting with '=' is exported as a string, not as a formula."""
    data = build_roster_xlsx([{"login": "1001", "name": "=1+1", "unit": "一中队", "role": "staff", "phone": None, "is_active": True}])
    ws = load_workbook(io.BytesIO(data)).active
    assert ws["B2"].value == "=1+1"
    assert ws["B2"].data_type == "s"


def test_round_trip():
    """build_roster_xlsx output re-imports to the same users (leading zeros kept)."""
    users = [
        {"login": "007", "name": "张三", "unit": "一中队", "role": "admin", "phone": "13800138000", "is_active": True},
        {"login": "zf-2", "name": "李四", "unit": "法制科", "role": "supervisor", "phone": None, "is_active": False},
        {"login": "1003", "name": "王五", "unit": "二中队", "role": "staff", "phone": "", "is_active": True},
    ]
    preview = parse_roster(build_roster_xlsx(users), UNITS, existing_logins={"007"})
    assert preview.ok, preview.errors
    assert [(r.login, r.name, r.unit, r.role, r.phone) for r in preview.rows] == [
        ("007", "张三", "一中队", "admin", "13800138000"),
        ("zf-2", "李四", "法制科", "supervisor", None),
        ("1003", "王五", "二中队", "staff", None),
    ]
    assert [r.is_update for r in preview.rows] == [True, False, False]


def test_template_headers_and_example_row():
    """The template has the import headers and one example row that parses."""
    data = roster_template_xlsx()
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    preview = parse_roster(data, {"示例中队"})
    assert preview.ok, preview.errors
    assert len(preview.rows) == 1 and preview.rows[0].name == "张三"
