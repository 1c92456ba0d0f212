"""Excel side of the bank importer: read a workbook of questions, write our template and exports.

Read: a sheet whose header row (found among the first rows) names the columns with any of the usual
synonyms; the type comes from a 题型 column, else from the sheet name (单选题, 判断题 …), else from the
content. Rows are reported as "第5行" (prefixed with the sheet name when several sheets hold questions).
"""
from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from trainer.banks.bankfile import Citation, QuestionSpec
from trainer.banks.importers import (
    MAX_ITEMS, ImportedItem, ImportPreview, check_prefix, clean_text, format_blank_answer, format_scoring, make_key,
    make_spec, nfkc, parse_citations, type_from_text,
)
from trainer.banks.importers_docx import split_options
from trainer.banks.types import LETTERS
from trainer.laws.parser import int_to_cn_numeral
from trainer.uploads import UploadError, check_upload

__all__ = ["HEADERS", "build_template_xlsx", "export_xlsx", "parse_xlsx"]

HEADERS = ["题型", "题干", *(f"选项{letter}" for letter in LETTERS), "答案", "解析", "难度", "知识点", "法律", "条款",
           "评分要点"]
TYPE_NAMES = {"single": "单选题", "multiple": "多选题", "judge": "判断题", "blank": "填空题", "case": "案例分析题"}
HEADER_SCAN_ROWS = 10
MAX_ROWS = 20000

_SYNONYMS = {
    "type": ("题型", "题目类型", "试题类型", "类型", "题类"),
    "stem": ("题干", "试题", "题目", "问题", "题目内容", "试题内容", "题面", "内容"),
    "answer": ("答案", "正确答案", "正确选项", "参考答案", "标准答案"),
    "explanation": ("解析", "答案解析", "试题解析", "题目解析", "解题思路"),
    "difficulty": ("难度", "难易程度", "难易度", "难度等级"),
    "tags": ("知识点", "标签", "考点"),
    "law": ("法律", "法律名称", "法规", "法律法规", "所属法律"),
    "article": ("条款", "条文", "法条", "条号"),
    "citation": ("出处", "法律依据", "依据"),
    "scoring": ("评分要点", "评分标准", "得分点"),
    "options": ("选项",),
}
_FIELD_OF = {name: key for key, names in _SYNONYMS.items() for name in names}
_CN_ORDINAL = "一二三四五六七八"
_OPTION_HEADER = re.compile(r"^(?:选项)?([A-H1-8一二三四五六七八])(?:选项)?$")
_SKIP_SHEETS = ("说明", "instruction", "readme")


def _header_key(value: Any) -> str | tuple[str, int] | None:
    """The field a header cell names: "stem", ("option", 1) …; None for other columns."""
    text = re.sub(r"[（(][^）)]*[)）]|[\s*:：]", "", nfkc(clean_text(value))).upper()
    if text in _FIELD_OF:
        return _FIELD_OF[text]
    m = _OPTION_HEADER.match(text)
    if m and (text.startswith("选项") or text.endswith("选项") or m.group(1) in LETTERS):
        ch = m.group(1)
        index = LETTERS.find(ch) if ch in LETTERS else (int(ch) - 1 if ch.isdigit() else _CN_ORDINAL.find(ch))
        return ("option", index)
    return None


def _find_header(rows: list[tuple[int, tuple]]) -> tuple[int, dict] | None:
    """(index in rows, {field: column}) of the first row naming a stem column plus another known column."""
    for i, (_, row) in enumerate(rows[:HEADER_SCAN_ROWS]):
        columns: dict = {}
        for col, value in enumerate(row):
            key = _header_key(value)
            if key is not None and key not in columns:
                columns[key] = col
        if "stem" in columns and len(columns) >= 2:
            return i, columns
    return None


def _split_options(text: str) -> list[str]:
    """One cell holding all options: one per line, or "A.罚款 B.警告 C.没收"."""
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        return [re.sub(r"^\s*(?:[（(]\s*[A-H]\s*[)）]|[A-H]\s*[.．、:：])\s*", "", line).strip() for line in lines]
    return split_options(text) or [text]


def parse_xlsx(data: bytes, key_prefix: str, start: int = 1) -> ImportPreview:
    """Questions from an Excel workbook; raises UploadError for a rejected or unreadable file."""
    check_upload("import.xlsx", data, {"xlsx"})
    check_prefix(key_prefix)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - any reader failure means the file is unusable
        raise UploadError("无法读取该 Excel 文件，请确认文件未损坏，用 Excel/WPS 另存为 .xlsx 后重新上传") from None
    preview = ImportPreview()
    try:
        sheets, unread = [], []
        for ws in wb.worksheets:
            if any(word in ws.title.lower() for word in _SKIP_SHEETS):
                continue
            rows = []              # (row number, values) of the non-empty rows
            for number, values in enumerate(ws.iter_rows(values_only=True), 1):
                if any(clean_text(v) for v in values):
                    rows.append((number, values))
                    if len(rows) > MAX_ROWS:
                        raise UploadError(f"工作表“{ws.title}”超过 {MAX_ROWS} 行，请拆分后上传")
            found = _find_header(rows)
            if found is not None:
                sheets.append((ws.title, rows[found[0] + 1:], found[1]))
            elif len(rows) > 1:
                unread.append(ws.title)
    finally:
        wb.close()
    if not sheets:
        preview.errors.append("没有找到表头：表头行应包含“题干”“答案”“解析”等列（可下载导入模板参考）")
        return preview
    preview.errors += [f"工作表“{title}”没有找到表头（应包含“题干”列），未能读取；如该表不是试题，请删除后重新上传"
                       for title in unread]
    data_sheets = [s for s in sheets if s[1]]
    number = start
    for title, rows, columns in data_sheets:
        sheet_type = type_from_text(title)      # None: each row's type is inferred from its content
        if "explanation" not in columns:
            preview.errors.append(f"工作表“{title}”缺少“解析”列（每道题都必须有解析）")
        prefix = f"工作表“{title}”" if len(data_sheets) > 1 else ""
        for row_number, row in rows:
            if len(preview.items) >= MAX_ITEMS:
                preview.errors.append(f"试题超过 {MAX_ITEMS} 道，请拆分文件后上传")
                return preview
            ref = f"{prefix}第{row_number}行"
            spec, errors = _row_spec(row, columns, sheet_type, make_key(key_prefix, number))
            preview.items.append(ImportedItem(ref=ref, spec=spec, errors=[f"{ref}：{e}" for e in errors]))
            number += 1
    if not preview.items:
        preview.errors.append("文件中没有试题")
    return preview


def _row_spec(row: tuple, columns: dict, sheet_type: str | None, key: str) -> tuple[QuestionSpec | None, list[str]]:
    def cell(name: Any) -> Any:
        col = columns.get(name)
        return row[col] if col is not None and col < len(row) else None

    type_text = clean_text(cell("type"))
    qtype = type_from_text(type_text) if type_text else sheet_type
    option_columns = sorted((k[1], col) for k, col in columns.items() if isinstance(k, tuple))
    options: list[Any] = []
    for index, col in option_columns:
        while len(options) < index:
            options.append(None)
        options.append(row[col] if col < len(row) else None)
    combined = clean_text(cell("options"))
    if combined and not any(clean_text(o) for o in options):
        options = _split_options(combined)
    citations, errors = parse_citations(cell("law"), cell("article"))
    if cell("citation") is not None and not citations and not errors:
        citations, errors = parse_citations(None, cell("citation"))
    spec, more = make_spec(key, qtype=qtype, stem=cell("stem"), options=options, answer=cell("answer"),
                           explanation=cell("explanation"), difficulty=cell("difficulty"), tags=cell("tags"),
                           citations=citations, scoring=cell("scoring"),
                           type_text=type_text if type_text and qtype is None else None)
    errors = more + errors
    return (spec if not errors else None), errors


# --------------------------------------------------------------------------- writing

_EXAMPLES = [
    ["单选题", "违法事实确凿并有法定依据，对公民处以（ ）以下罚款的，可以当场作出行政处罚决定。",
     "一百元", "二百元", "三千元", "", "", "", "", "", "B",
     "依据《行政处罚法》第五十一条，违法事实确凿并有法定依据，对公民处以二百元以下、对法人或者其他组织处以三千元以下"
     "罚款或者警告的行政处罚的，可以当场作出行政处罚决定。一百元是第六十八条规定的当场收缴罚款的数额，不要混淆。",
     1, "简易程序、罚款", "行政处罚法", "第五十一条、第六十八条", ""],
    ["多选题", "违法事实确凿并有法定依据，依照《行政处罚法》第五十一条可以当场作出的行政处罚有（ ）。",
     "警告", "对公民处以二百元以下的罚款", "对法人或者其他组织处以三千元以下的罚款", "责令停产停业", "", "", "", "",
     "ABC", "依据《行政处罚法》第五十一条，当场处罚限于对公民处以二百元以下、对法人或者其他组织处以三千元以下罚款"
     "或者警告；责令停产停业不能当场作出。", 2, "简易程序", "行政处罚法", "第五十一条", ""],
    ["判断题", "违法事实确凿并有法定依据，对法人或者其他组织处以罚款的，只有在二百元以下的，才可以当场作出行政处罚决定。",
     "", "", "", "", "", "", "", "", "错误",
     "依据《行政处罚法》第五十一条，对法人或者其他组织处以三千元以下罚款或者警告的，可以当场作出行政处罚决定；"
     "二百元是对公民当场处以罚款的上限。", 1, "简易程序", "行政处罚法", "第五十一条", ""],
    ["填空题", "违法事实确凿并有法定依据，对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的"
     "行政处罚的，可以当场作出行政处罚决定。", "", "", "", "", "", "", "", "", "二百元/200元；三千元/3000元",
     "依据《行政处罚法》第五十一条，当场处罚的罚款上限对公民为二百元，对法人或者其他组织为三千元。",
     2, "简易程序、罚款", "行政处罚法", "第五十一条", ""],
    ["案例分析题", "城管执法人员巡查时发现某公司违法事实确凿并有法定依据，拟依照《行政处罚法》第五十一条当场给予"
     "警告。问：执法人员当场作出行政处罚决定，应当履行哪些程序？",
     "", "", "", "", "", "", "", "",
     "依据《行政处罚法》第五十二条，执法人员应当向当事人出示执法证件，填写预定格式、编有号码的行政处罚决定书，"
     "并当场交付当事人；当事人拒绝签收的，应当在行政处罚决定书上注明；当场作出的行政处罚决定，应当报所属行政机关备案。",
     "本题考查当场处罚的程序。第五十一条规定可以当场处罚的情形，第五十二条规定当场处罚的程序要求。", 3,
     "简易程序、执法程序", "行政处罚法", "第五十一条、第五十二条",
     "出示执法证件（2分）\n填写预定格式、编有号码的行政处罚决定书并当场交付（4分）\n"
     "拒绝签收的在决定书上注明（2分）\n报所属行政机关备案（2分）"],
]

_INSTRUCTIONS = [
    ("题型", "必填。单选题、多选题、判断题、填空题、案例分析题（也可写 单选、多项选择题、简答、论述 等）。"),
    ("题干", "必填。填空题用 ____（四个下划线）表示每个空，也可写（ ）。"),
    ("选项A–选项H", "单选题、多选题填写，至少两个，不要带“A.”序号；判断题、填空题、案例分析题不填。"),
    ("答案", "必填。单选写一个字母，如 C；多选写多个字母，如 ABD（也可写 A,B,D 或 A、B、D）；判断写 正确/错误"
             "（或 对/错、√/×）；填空题多个空用“；”分隔，同一空的多种写法用“/”分隔，如 二百元/200元；三千元；"
             "案例分析题写参考答案。"),
    ("解析", "必填。说明答案的依据，写明所依据的条文。"),
    ("难度", "选填。1（简单）、2（中等）、3（困难），也可写 简单/中等/困难 或 易/中/难；不填按 2 处理。"),
    ("知识点", "选填。多个知识点用“、”或“，”分隔。"),
    ("法律", "选填。法律简称，如 行政处罚法；引用多部法律时用“；”分隔，条款也按同样顺序用“；”分段。"),
    ("条款", "选填。如 第五十一条、51、第51条第1款、51,52；引用序言写“序言”。"),
    ("评分要点", "案例分析题填写，每行一个要点，写成“要点（分值）”，如 出示执法证件（2分）。"),
    ("其他", "每行一道题。导入后试题为草稿状态，须经审核后发布。上传前请删除示例行（保留将作为试题导入）。"),
]

_WIDTHS = {"题型": 12, "题干": 50, "答案": 16, "解析": 50, "难度": 8, "知识点": 18, "法律": 14, "条款": 18,
           "评分要点": 36}


def _safe(value: Any) -> Any:
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _workbook(rows: list[list[Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "试题"
    ws.append(HEADERS)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            cell = ws.cell(row=r, column=c, value=_safe(value))
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"          # text, never a formula
            cell.alignment = wrap
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for i, name in enumerate(HEADERS, 1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(name, 16)
    ws.freeze_panes = "A2"
    validation = DataValidation(type="list", formula1='"' + ",".join(TYPE_NAMES.values()) + '"', allow_blank=True)
    validation.showErrorMessage = False      # other spellings (单选、简答…) are accepted too
    ws.add_data_validation(validation)
    validation.add(f"A2:A{max(len(rows) + 1, 1000)}")
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "填写说明"])
    for item in _INSTRUCTIONS:
        notes.append(list(item))
    for cell in notes[1]:
        cell.font, cell.fill = Font(bold=True), fill
    for row in notes.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 14, 100
    notes.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_template_xlsx() -> bytes:
    """Our template: sheet 试题 (headers + one example per type) and sheet 填写说明."""
    return _workbook([list(row) for row in _EXAMPLES])


def article_label(c: Citation) -> str:
    if c.preamble:
        return "序言"
    return f"第{int_to_cn_numeral(c.article or 0)}条" + (f"第{int_to_cn_numeral(c.paragraph)}款" if c.paragraph else "")


def format_citations(citations: tuple[Citation, ...]) -> tuple[str, str]:
    """(法律, 条款) cells: "行政处罚法", "第五十一条、第五十二条第一款"; several laws as pairs split by "；"."""
    if not citations:
        return "", ""
    if len({c.law for c in citations}) == 1:
        return citations[0].law, "、".join(article_label(c) for c in citations)
    return "；".join(c.law for c in citations), "；".join(article_label(c) for c in citations)


def _answer_cell(q: QuestionSpec) -> str:
    if q.type == "judge":
        return "正确" if q.answer else "错误"
    if q.type == "blank":
        return format_blank_answer(q.answer)
    return str(q.answer)


def export_xlsx(specs: list[QuestionSpec]) -> bytes:
    """The questions in the template layout; parse_xlsx reads them back (keys and status aside)."""
    rows = []
    for q in specs:
        options = list(q.options) + [""] * (len(LETTERS) - len(q.options))
        law, articles = format_citations(q.citations)
        rows.append([TYPE_NAMES[q.type], q.stem, *options, _answer_cell(q), q.explanation, q.difficulty,
                     "、".join(q.tags), law, articles, format_scoring(q.scoring_points)])
    return _workbook(rows)
