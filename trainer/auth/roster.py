"""Roster (花名册) import/export as .xlsx — pure functions, no Flask, no DB.

* :func:`parse_roster` validates an uploaded roster and returns a preview
  (valid rows + Chinese error messages "第N行：…"); the caller decides
  whether to apply it.
* :func:`build_roster_xlsx` exports users; its output can be re-imported.
* :func:`roster_template_xlsx` is the empty template offered for download.

XML safety: openpyxl uses defusedxml automatically when it is installed;
in addition every workbook goes through :func:`trainer.uploads.check_upload`
(zip-bomb / content checks) before openpyxl sees it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from trainer.uploads import UploadError, check_upload

__all__ = [
    "ROLE_LABELS",
    "ROLE_CODE_LABELS",
    "MAX_ROSTER_ROWS",
    "RosterRow",
    "RosterPreview",
    "parse_roster",
    "build_roster_xlsx",
    "roster_template_xlsx",
]

# Chinese label -> role code.  English codes and an empty cell are accepted too.
ROLE_LABELS: dict[str, str] = {"学员": "staff", "主管": "supervisor", "管理员": "admin"}
ROLE_CODE_LABELS: dict[str, str] = {code: label for label, code in ROLE_LABELS.items()}
DEFAULT_ROLE = "staff"

MAX_ROSTER_ROWS = 5000          # data rows per file
MAX_REPORTED_ERRORS = 200       # further errors are summarised in one line
MAX_NAME_LENGTH = 50
_HEADER_SEARCH_ROWS = 20        # header may be preceded by a title row or two
_MAX_SCAN_ROWS = 1_048_576      # Excel's row limit; guards against forged row numbers

LOGIN_RE = re.compile(r"[A-Za-z0-9_-]{2,32}")
PHONE_RE = re.compile(r"1\d{10}")

# Normalised header text -> field.
_HEADER_ALIASES: dict[str, str] = {
    "工号": "login",
    "姓名": "name",
    "单位": "unit",
    "部门": "unit",
    "所属单位": "unit",
    "角色": "role",
    "手机号": "phone",
    "手机": "phone",
    "电话": "phone",
    "手机号码": "phone",
    "联系电话": "phone",
}
_FIELD_LABELS = {"login": "工号", "name": "姓名", "unit": "单位", "role": "角色", "phone": "手机号"}
_REQUIRED_FIELDS = ("login", "name", "unit", "role")

IMPORT_HEADERS = ["工号", "姓名", "单位", "角色", "手机号"]
EXPORT_HEADERS = IMPORT_HEADERS + ["状态"]
_COLUMN_WIDTHS = {"工号": 14, "姓名": 12, "单位": 28, "角色": 10, "手机号": 16, "状态": 8}
_TEXT_COLUMNS = {"工号", "手机号"}  # stored as text so leading zeros survive

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff"
_WHITESPACE_RE = re.compile(r"\s+")
_HEADER_DECORATION_RE = re.compile(r"[*＊]|[(（][^)）]*[)）]$")


@dataclass
class RosterRow:
    row: int                 # Excel row number (1-based)
    login: str               # 工号
    name: str                # 姓名
    unit: str                # 单位 name as written in the file
    role: str                # "staff" | "supervisor" | "admin"
    phone: str | None = None
    is_update: bool = False  # 工号 already exists (informational)


@dataclass
class RosterPreview:
    rows: list[RosterRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------


def _clean_text(text: str) -> str:
    for ch in _INVISIBLE_CHARS:
        text = text.replace(ch, "")
    return text.strip()


def _cell_text(value: Any) -> str:
    """Cell value as stripped text; integral floats lose the ".0" (1001.0 -> "1001")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return _clean_text(str(value))


def _header_key(value: Any) -> str | None:
    text = _WHITESPACE_RE.sub("", _cell_text(value))
    text = _HEADER_DECORATION_RE.sub("", text)  # "工号*", "手机号（选填）"
    return _HEADER_ALIASES.get(text)


def _find_columns(row: tuple) -> tuple[dict[str, int], list[str]]:
    """Map fields to column indexes for a candidate header row."""
    columns: dict[str, int] = {}
    duplicates: list[str] = []
    for idx, value in enumerate(row):
        key = _header_key(value)
        if key is None:
            continue
        if key in columns:
            duplicates.append(_FIELD_LABELS[key])
        else:
            columns[key] = idx
    return columns, duplicates


def _normalise_phone(text: str) -> str:
    phone = re.sub(r"[\s\-]", "", text)
    if phone.startswith("+86"):
        phone = phone[3:]
    return phone


def _normalise_role(text: str) -> str | None:
    if not text:
        return DEFAULT_ROLE
    if text in ROLE_LABELS:
        return ROLE_LABELS[text]
    code = text.lower()
    if code in ROLE_CODE_LABELS:
        return code
    return None


def _unreadable(detail: str) -> RosterPreview:
    return RosterPreview(rows=[], errors=[f"无法读取 Excel 文件：{detail}"])


def parse_roster(
    data: bytes,
    unit_names: set[str],
    existing_logins: Iterable[str] = frozenset(),
) -> RosterPreview:
    """Parse and validate a roster workbook (first worksheet).

    Returns the valid rows and all errors; ``preview.ok`` is true only when
    there is no error.  Rows whose 工号 is in ``existing_logins`` are marked
    ``is_update`` (they are updates, not errors).
    """
    try:
        check_upload("roster.xlsx", data, {"xlsx"})
    except UploadError as exc:
        return _unreadable(str(exc))

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of errors on bad input
        return _unreadable("文件已损坏或不是有效的 .xlsx 文件")
    try:
        return _parse_workbook(wb, unit_names, existing_logins)
    except Exception:
        return _unreadable("文件已损坏或格式不正确")
    finally:
        wb.close()


def _parse_workbook(wb, unit_names: set[str], existing_logins: Iterable[str]) -> RosterPreview:
    if not wb.worksheets:
        return _unreadable("文件中没有工作表")
    ws = wb.worksheets[0]

    units = {_clean_text(u) for u in unit_names}
    existing = set(existing_logins)
    rows: list[RosterRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}  # login -> first row number

    columns: dict[str, int] | None = None
    data_rows = 0

    for row_no, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if row_no > _MAX_SCAN_ROWS:
            break
        if columns is None:
            if row_no > _HEADER_SEARCH_ROWS:
                break
            found, duplicates = _find_columns(values)
            if len(found) < 2:
                continue  # title row, blank row...
            if duplicates:
                dup = "、".join(dict.fromkeys(duplicates))
                return RosterPreview(rows=[], errors=[f"表头中的列重复：{dup}"])
            missing = [_FIELD_LABELS[f] for f in _REQUIRED_FIELDS if f not in found]
            if missing:
                return RosterPreview(rows=[], errors=[f"缺少必需的列：{'、'.join(missing)}"])
            columns = found
            continue

        cells = {
            key: (_cell_text(values[idx]) if idx < len(values) else "")
            for key, idx in columns.items()
        }
        if not any(cells.values()):
            continue  # empty row
        data_rows += 1
        if data_rows > MAX_ROSTER_ROWS:
            return RosterPreview(
                rows=[], errors=[f"数据超过 {MAX_ROSTER_ROWS} 行上限，请分批导入"]
            )

        row_errors: list[str] = []
        prefix = f"第{row_no}行："

        login = cells["login"]
        if not login:
            row_errors.append(prefix + "工号不能为空")
        elif not LOGIN_RE.fullmatch(login):
            row_errors.append(
                prefix + f"工号“{login}”格式不正确（只能包含字母、数字、下划线或连字符，长度 2–32 位）"
            )
        elif login in seen:
            row_errors.append(prefix + f"工号 {login} 与第{seen[login]}行重复")
        else:
            seen[login] = row_no

        name = cells["name"]
        if not name:
            row_errors.append(prefix + "姓名不能为空")
        elif len(name) > MAX_NAME_LENGTH:
            row_errors.append(prefix + f"姓名超过 {MAX_NAME_LENGTH} 个字符")

        unit = cells["unit"]
        if not unit:
            row_errors.append(prefix + "单位不能为空")
        elif unit not in units:
            row_errors.append(prefix + f"单位“{unit}”不存在")

        role = _normalise_role(cells["role"])
        if role is None:
            row_errors.append(
                prefix + f"角色“{cells['role']}”无效（应为 学员、主管 或 管理员）"
            )

        phone: str | None = None
        raw_phone = cells.get("phone", "")
        if raw_phone:
            phone = _normalise_phone(raw_phone)
            if not PHONE_RE.fullmatch(phone):
                row_errors.append(prefix + f"手机号“{raw_phone}”格式不正确（应为 11 位手机号码）")

        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            RosterRow(
                row=row_no,
                login=login,
                name=name,
                unit=unit,
                role=role or DEFAULT_ROLE,
                phone=phone,
                is_update=login in existing,
            )
        )

    if columns is None:
        missing = "、".join(_FIELD_LABELS[f] for f in _REQUIRED_FIELDS)
        return RosterPreview(rows=[], errors=[f"缺少必需的列：{missing}（未找到表头行）"])
    if data_rows == 0:
        errors.append("文件中没有人员数据")

    if len(errors) > MAX_REPORTED_ERRORS:
        hidden = len(errors) - MAX_REPORTED_ERRORS
        errors = errors[:MAX_REPORTED_ERRORS] + [f"……另有 {hidden} 条错误未显示"]
    return RosterPreview(rows=rows, errors=errors)


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _safe_str(value: Any) -> str | None:
    """Text for an export cell (None for empty: no empty string cells)."""
    if value is None:
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text or None


def _write_table(ws, headers: list[str], rows: list[list[str]]) -> None:
    ws.append(headers)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for values in rows:
        ws.append([_safe_str(v) for v in values])
    for col_idx, header in enumerate(headers, start=1):
        letter = ws.cell(row=1, column=col_idx).column_letter
        ws.column_dimensions[letter].width = _COLUMN_WIDTHS.get(header, 14)
        if header in _TEXT_COLUMNS:
            for (cell,) in ws.iter_rows(min_row=2, min_col=col_idx, max_col=col_idx):
                cell.number_format = "@"
    # Values are user-controlled: never let a leading "=" become a formula.
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.data_type == "f":
                cell.data_type = "s"
    ws.freeze_panes = "A2"


def _workbook_bytes(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_roster_xlsx(rows: list[Mapping[str, Any]]) -> bytes:
    """Export users to .xlsx (sheet "花名册").

    Each mapping has keys login, name, unit, role (code), phone, is_active.
    The result can be re-imported with :func:`parse_roster` (状态 is ignored).
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    table = []
    for item in rows:
        role = item.get("role") or DEFAULT_ROLE
        table.append([
            item.get("login"),
            item.get("name"),
            item.get("unit"),
            ROLE_CODE_LABELS.get(role, role),
            item.get("phone"),
            "在职" if item.get("is_active", True) else "停用",
        ])
    _write_table(ws, EXPORT_HEADERS, table)
    if table:
        ws.auto_filter.ref = ws.dimensions
    return _workbook_bytes(wb)


def roster_template_xlsx() -> bytes:
    """Empty import template: headers, one example row, and a 填写说明 sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    _write_table(ws, IMPORT_HEADERS, [["1001", "张三", "示例中队", "学员", "13800138000"]])

    role_col = IMPORT_HEADERS.index("角色") + 1
    letter = ws.cell(row=1, column=role_col).column_letter
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(ROLE_LABELS) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="角色无效",
        error="请选择：学员、主管 或 管理员",
    )
    dv.add(f"{letter}2:{letter}{MAX_ROSTER_ROWS + 1}")
    ws.add_data_validation(dv)
    # Pre-format the text columns so that typed 工号/手机号 stay text.
    for header in _TEXT_COLUMNS:
        col = IMPORT_HEADERS.index(header) + 1
        for r in range(3, 502):
            ws.cell(row=r, column=col).number_format = "@"

    notes = wb.create_sheet("填写说明")
    notes.column_dimensions["A"].width = 90
    for line in (
        "花名册填写说明",
        "1. 请在“花名册”工作表中填写，第一行为表头，请勿修改表头名称；示例行（张三）请删除后再导入。",
        "2. 工号：必填，2–32 位字母、数字、下划线或连字符，不可重复；工号已存在的人员将更新其信息。",
        "3. 姓名：必填，不超过 50 个字。",
        "4. 单位：必填，须与系统中已有的单位名称完全一致。",
        "5. 角色：学员、主管 或 管理员；留空视为学员。",
        "6. 手机号：选填，11 位手机号码。",
        f"7. 每次最多导入 {MAX_ROSTER_ROWS} 人，文件不超过 10 MB。",
    ):
        notes.append([line])
    notes["A1"].font = Font(bold=True, size=13)
    return _workbook_bytes(wb)
