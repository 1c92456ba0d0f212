"""Unit tests for trainer.banks.importers (Excel and Word question-bank import, Excel template and export)."""

import dataclasses
import io
import pathlib
import zipfile

import docx
import pytest
from openpyxl import Workbook, load_workbook

from trainer.banks.bankdump import dump_bank
from trainer.banks.bankfile import BankSpec, Citation, QuestionSpec, ScoringPoint, load_bank
from trainer.banks.importers import (
    ImportPreview, build_template_xlsx, export_xlsx, parse_citations, parse_docx, parse_xlsx,
)
from trainer.uploads import UploadError

BANKS = pathlib.Path(__file__).resolve().parents[2] / "question_banks"

# Legal facts used below (行政处罚法, 2021): 第五十一条 当场处罚 公民二百元以下、法人或者其他组织三千元以下罚款或者警告;
# 第三十六条 二年内未被发现不再处罚（涉及公民生命健康安全、金融安全且有危害后果的五年）; 第二十九条 同一个违法行为不得给予
# 两次以上罚款; 第三十条 不满十四周岁不予处罚; 第六十八条 一百元以下可以当场收缴; 第六十四条 告知后五日内要求听证;
# 第九条 处罚种类（先行登记保存不是行政处罚）; 第六十条 立案之日起九十日内作出决定.

HEADER = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "知识点", "法律", "条款"]
EXPL_51 = "依据《行政处罚法》第五十一条，对公民处以二百元以下罚款的，可以当场作出行政处罚决定。"
STEM_51 = "违法事实确凿并有法定依据，对公民处以（ ）以下罚款的，可以当场作出行政处罚决定。"
OPTS_51 = ["五十元", "一百元", "二百元", "五百元"]
STEM_KINDS = "下列属于《行政处罚法》第九条规定的行政处罚种类的有（ ）。"
OPTS_KINDS = ["警告", "罚款", "先行登记保存", "行政拘留"]
EXPL_KINDS = "依据《行政处罚法》第九条，警告、罚款、行政拘留都是行政处罚；先行登记保存是第五十六条规定的证据保全措施。"
JUDGE_TRUE = "对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。"
JUDGE_FALSE = "违法行为在三年内未被发现的，才不再给予行政处罚。"
BLANK_STEM = "违法事实确凿并有法定依据，对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。"


def row(qtype, stem, options=(), answer="", explanation="依据《行政处罚法》的有关规定。", difficulty=1, tags="", law="", article=""):
    options = list(options) + [""] * (4 - len(options))
    return [qtype, stem, *options, answer, explanation, difficulty, tags, law, article]


def make_xlsx(sheets):
    """Workbook bytes from {sheet name: [rows]}."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def one_sheet(*rows, header=HEADER):
    return make_xlsx({"Sheet1": [header, *rows]})


def make_docx(lines, tables=()):
    """Document bytes: one paragraph per line, then tables given as lists of rows."""
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    for rows in tables:
        table = document.add_table(rows=len(rows), cols=len(rows[0]))
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                table.cell(r, c).text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def only(preview: ImportPreview) -> QuestionSpec:
    assert preview.ok, preview.all_errors
    assert len(preview.specs) == 1
    return preview.specs[0]


# --------------------------------------------------------------------------- Excel: layouts

def test_template_parses_to_one_question_per_type():
    """Our template's example rows import cleanly, one per type, keyed from the prefix."""
    preview = parse_xlsx(build_template_xlsx(), "demo", start=7)
    assert preview.ok, preview.all_errors
    assert [s.type for s in preview.specs] == ["single", "multiple", "judge", "blank", "case"]
    assert [s.key for s in preview.specs] == [f"demo-{n:04d}" for n in range(7, 12)]
    assert all(s.status == "draft" for s in preview.specs)
    assert preview.specs[3].answer == (("二百元", "200元"), ("三千元", "3000元"))
    assert preview.specs[4].scoring_points[0] == ScoringPoint("出示执法证件", 2.0)
    assert [i.ref for i in preview.items] == ["第2行", "第3行", "第4行", "第5行", "第6行"]


def test_template_layout():
    """The template has the 试题 sheet (bold, frozen header, widths) and the 填写说明 sheet."""
    wb = load_workbook(io.BytesIO(build_template_xlsx()))
    assert wb.sheetnames == ["试题", "填写说明"]
    ws = wb["试题"]
    headers = [c.value for c in ws[1]]
    assert headers[:2] == ["题型", "题干"] and headers[2:10] == [f"选项{x}" for x in "ABCDEFGH"]
    assert headers[10:16] == ["答案", "解析", "难度", "知识点", "法律", "条款"]
    assert all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["B"].width >= 40
    notes = [r[0] for r in wb["填写说明"].iter_rows(min_row=2, values_only=True)]
    for column in ("题型", "题干", "答案", "解析", "难度", "知识点", "法律", "条款"):
        assert column in notes


def test_template_examples_are_valid_bank_questions():
    """The template examples pass the bank-file checks when dumped and loaded again."""
    specs = parse_xlsx(build_template_xlsx(), "demo").specs
    bank = BankSpec(format=1, slug="demo", title="示例", course="行政处罚法", questions=tuple(specs))
    loaded, issues = load_bank(dump_bank(bank), "demo.yaml")
    assert [str(i) for i in issues if i.level == "error"] == []
    assert loaded.questions == tuple(specs)


def test_header_synonyms_and_title_row():
    """题目类型/题目内容/A–D/正确答案/答案解析/难易程度 headers are recognised below a title row."""
    data = make_xlsx({"题库": [
        ["2024年城管执法人员法律知识题库"],
        [],
        ["序号", "题目类型", "题目内容", "A", "B", "C", "D", "正确答案", "答案解析", "难易程度", "考点", "法律", "条文"],
        [1, "单选题", STEM_51, *OPTS_51, "C", EXPL_51, "简单", "当场处罚", "行政处罚法", "第五十一条"],
    ]})
    preview = parse_xlsx(data, "xzcf")
    spec = only(preview)
    assert preview.items[0].ref == "第4行"
    assert (spec.type, spec.options, spec.answer, spec.difficulty) == ("single", tuple(OPTS_51), "C", 1)
    assert spec.tags == ("当场处罚",)
    assert spec.citations == (Citation("行政处罚法", 51),)


@pytest.mark.parametrize("header", [["题型", "试题", "选项一", "选项二", "选项三", "选项四", "参考答案", "解析"],
                                    ["题型", "问题", "选项1", "选项2", "选项3", "选项4", "正确选项", "解析"],
                                    ["类型", "题目", "A选项", "B选项", "C选项", "D选项", "答案", "解析"]])
def test_option_and_stem_header_variants(header):
    """选项一…, 选项1…, A选项… and the stem synonyms 试题/问题/题目 are read."""
    spec = only(parse_xlsx(one_sheet(["单选", STEM_51, *OPTS_51, "C", EXPL_51], header=header), "xzcf"))
    assert spec.options == tuple(OPTS_51) and spec.answer == "C" and spec.stem == STEM_51


def test_all_options_in_one_column():
    """A single 选项 column holding "A.五十元 B.一百元 …" (or one option per line) is split."""
    header = ["题型", "题干", "选项", "答案", "解析"]
    data = make_xlsx({"Sheet1": [header,
                                 ["单选题", STEM_51, "A.五十元  B.一百元  C.二百元  D.五百元", "C", EXPL_51],
                                 ["单选题", STEM_51, "A．五十元\nB．一百元\nC．二百元\nD．五百元", "C", EXPL_51]]})
    preview = parse_xlsx(data, "xzcf")
    assert preview.ok, preview.all_errors
    assert [s.options for s in preview.specs] == [tuple(OPTS_51)] * 2


def test_option_cells_with_letter_prefix():
    """Options typed as "A.五十元" in the 选项A column lose the prefix."""
    spec = only(parse_xlsx(one_sheet(row("单选", STEM_51, [f"{x}.{o}" for x, o in zip("ABCD", OPTS_51)], "C")), "x"))
    assert spec.options == tuple(OPTS_51)


@pytest.mark.parametrize("value,expected", [
    ("单选", "single"), ("单选题", "single"), ("单项选择题", "single"), ("single", "single"),
    ("多选", "multiple"), ("多选题", "multiple"), ("多项选择题", "multiple"), ("multiple", "multiple"),
    ("判断", "judge"), ("判断题", "judge"), ("填空", "blank"), ("填空题", "blank"),
    ("案例分析", "case"), ("案例分析题", "case"), ("简答", "case"), ("论述题", "case"),
])
def test_type_values(value, expected):
    """Every 题型 spelling maps to its type."""
    rows = {"single": row(value, STEM_51, OPTS_51, "C"), "multiple": row(value, STEM_KINDS, OPTS_KINDS, "ABD"),
            "judge": row(value, JUDGE_TRUE, (), "正确"), "blank": row(value, BLANK_STEM, (), "二百元；三千元"),
            "case": row(value, "某公民违法事实确凿并有法定依据，执法人员能否对其当场处以一百五十元罚款？请说明理由。", (),
                        "可以。依据第五十一条，对公民处以二百元以下罚款的，可以当场作出行政处罚决定。")}
    assert only(parse_xlsx(one_sheet(rows[expected]), "x")).type == expected


def test_per_type_sheets_without_type_column():
    """One sheet per type: the sheet name gives the type; refs name the sheet; keys run on."""
    header = ["题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"]
    data = make_xlsx({
        "单选题": [header, [STEM_51, *OPTS_51, "C", EXPL_51]],
        "多选题": [header, [STEM_KINDS, *OPTS_KINDS, "ABD", EXPL_KINDS]],
        "判断题": [["题干", "答案", "解析"], [JUDGE_TRUE, "√", "依据《行政处罚法》第二十九条。"],
                 [JUDGE_FALSE, "×", "依据《行政处罚法》第三十六条，期限为二年。"]],
        "填空题": [["题干", "答案", "解析"], [BLANK_STEM, "二百元；三千元", EXPL_51]],
        "案例题": [["题干", "参考答案", "解析"], ["某公司违法事实确凿并有法定依据，执法人员拟当场给予警告，是否可以？",
                                         "可以。依据第五十一条，对法人给予警告的，可以当场作出行政处罚决定。", EXPL_51]],
        "填写说明": [["列", "说明"], ["题干", "必填"]],
    })
    preview = parse_xlsx(data, "xzcf")
    assert preview.ok, preview.all_errors
    assert [s.type for s in preview.specs] == ["single", "multiple", "judge", "judge", "blank", "case"]
    assert [s.key for s in preview.specs] == [f"xzcf-{n:04d}" for n in range(1, 7)]
    assert preview.items[2].ref == "工作表“判断题”第2行"
    assert [s.answer for s in preview.specs[2:4]] == [True, False]


def test_type_inferred_without_type_column_or_sheet_type():
    """Without any type information the type follows the content (options, judge answer, blanks)."""
    data = make_xlsx({"Sheet1": [["题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析"],
                                 [STEM_51, *OPTS_51, "C", EXPL_51],
                                 [STEM_KINDS, *OPTS_KINDS, "ABD", EXPL_KINDS],
                                 [JUDGE_TRUE + "（ ）", "", "", "", "", "对", "依据第二十九条。"],
                                 [BLANK_STEM, "", "", "", "", "二百元；三千元", EXPL_51]]})
    preview = parse_xlsx(data, "x")
    assert preview.ok, preview.all_errors
    assert [s.type for s in preview.specs] == ["single", "multiple", "judge", "blank"]


# --------------------------------------------------------------------------- Excel: answers and fields

@pytest.mark.parametrize("answer", ["ABD", "A,B,D", "A、B、D", "A B D", "a b d", "AB D", "A，B，D", "A;B;D", "ＡＢＤ", "DBA"])
def test_multiple_answer_spellings(answer):
    """Multiple-choice answers in every usual spelling normalise to ABD."""
    assert only(parse_xlsx(one_sheet(row("多选题", STEM_KINDS, OPTS_KINDS, answer)), "x")).answer == "ABD"


@pytest.mark.parametrize("answer,expected", [
    ("对", True), ("错", False), ("正确", True), ("错误", False), ("√", True), ("×", False), ("✓", True),
    ("✗", False), ("A", True), ("B", False), ("T", True), ("F", False), ("true", True), ("FALSE", False),
    (1, True), (0, False), ("是", True), ("否", False), (True, True), (False, False),
])
def test_judge_answer_spellings(answer, expected):
    """Judge answers 对/错, 正确/错误, √/×, ✓/✗, A/B, T/F, true/false, 1/0, 是/否 and Excel booleans."""
    assert only(parse_xlsx(one_sheet(row("判断题", JUDGE_TRUE, (), answer)), "x")).answer is expected


def test_judge_with_true_false_options():
    """A judge row with options 正确/错误 (or reversed) and a letter answer is read through the options."""
    preview = parse_xlsx(one_sheet(row("判断题", JUDGE_TRUE, ["正确", "错误"], "A"),
                                   row("判断题", JUDGE_FALSE, ["错误", "正确"], "A")), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == [True, False]
    assert all(s.options == () for s in preview.specs)


@pytest.mark.parametrize("stem", [
    "对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。",
    "对公民处以（ ）以下、对法人或者其他组织处以（ ）以下罚款或者警告的，可以当场作出行政处罚决定。",
    "对公民处以( )以下、对法人或者其他组织处以(  )以下罚款或者警告的，可以当场作出行政处罚决定。",
    "对公民处以（　）以下、对法人或者其他组织处以（）以下罚款或者警告的，可以当场作出行政处罚决定。",
    "对公民处以___以下、对法人或者其他组织处以（______）以下罚款或者警告的，可以当场作出行政处罚决定。",
])
def test_blank_stem_marks_normalised(stem):
    """____, （ ）, ( ), （　）, ___ and （____） all become "____"."""
    spec = only(parse_xlsx(one_sheet(row("填空题", stem, (), "二百元；三千元")), "x"))
    assert spec.stem == "对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。"


@pytest.mark.parametrize("answer", ["二百元/200元；三千元/3000元", "二百元/200元;三千元或3000元",
                                    "二百元或200元|三千元/3000元", "二百元／200元；三千元／3000元；"])
def test_blank_answer_separators(answer):
    """Blanks split on ；/;/|, variants on / or 或."""
    spec = only(parse_xlsx(one_sheet(row("填空题", BLANK_STEM, (), answer)), "x"))
    assert spec.answer == (("二百元", "200元"), ("三千元", "3000元"))


def test_blank_answer_keeps_huozhe():
    """"或者" inside a blank answer is not a variant separator."""
    stem = "违法事实确凿并有法定依据，对公民处以二百元以下罚款____的行政处罚的，可以当场作出行政处罚决定。"
    assert only(parse_xlsx(one_sheet(row("填空题", stem, (), "或者警告")), "x")).answer == (("或者警告",),)


@pytest.mark.parametrize("value,expected", [(1, 1), (2, 2), (3, 3), ("简单", 1), ("中等", 2), ("困难", 3),
                                            ("易", 1), ("中", 2), ("难", 3), (None, 2), (2.0, 2)])
def test_difficulty_spellings(value, expected):
    """难度 1–3, 简单/中等/困难, 易/中/难; empty means 2."""
    assert only(parse_xlsx(one_sheet(row("单选", STEM_51, OPTS_51, "C", difficulty=value)), "x")).difficulty == expected


def test_tags_split_on_all_separators():
    """知识点 splits on ，,、;； and drops duplicates."""
    spec = only(parse_xlsx(one_sheet(row("单选", STEM_51, OPTS_51, "C", tags="简易程序，罚款,当场处罚、时效;听证；罚款")), "x"))
    assert spec.tags == ("简易程序", "罚款", "当场处罚", "时效", "听证")


@pytest.mark.parametrize("law,article,expected", [
    ("行政处罚法", "第五十一条", [("行政处罚法", 51, None)]),
    ("行政处罚法", "51", [("行政处罚法", 51, None)]),
    ("行政处罚法", 51, [("行政处罚法", 51, None)]),
    ("行政处罚法", "第51条第1款", [("行政处罚法", 51, 1)]),
    ("行政处罚法", "51,52", [("行政处罚法", 51, None), ("行政处罚法", 52, None)]),
    ("行政处罚法", "第五十一条、第五十二条第一款", [("行政处罚法", 51, None), ("行政处罚法", 52, 1)]),
    ("中华人民共和国行政处罚法", "第六十八条第（一）项", [("行政处罚法", 68, None)]),
    ("《行政处罚法》", "第六十七条至第六十九条", [("行政处罚法", 67, None), ("行政处罚法", 68, None),
                                          ("行政处罚法", 69, None)]),
    ("行政处罚法；行政强制法", "51；第二十条", [("行政处罚法", 51, None), ("行政强制法", 20, None)]),
    ("", "《行政处罚法》第五十一条；《行政强制法》第二十条", [("行政处罚法", 51, None), ("行政强制法", 20, None)]),
])
def test_citation_spellings(law, article, expected):
    """法律 + 条款 in the usual spellings become citations."""
    citations, errors = parse_citations(law, article)
    assert errors == [] and [(c.law, c.article, c.paragraph) for c in citations] == expected


def test_citation_preamble():
    """条款 "序言" cites the preamble."""
    assert parse_citations("宪法", "序言") == ((Citation("宪法", None, preamble=True),), [])


@pytest.mark.parametrize("law,article,message", [
    ("行政处罚法", "", "没有填写条款"), ("", "第五十一条", "没有填写法律"),
    ("行政处罚法", "总则", "无法识别的条款"), ("行政处罚法；行政强制法", "51", "条款应相应分为 2 段"),
])
def test_citation_errors(law, article, message):
    """Incomplete or unreadable citations are row errors."""
    preview = parse_xlsx(one_sheet(row("单选", STEM_51, OPTS_51, "C", law=law, article=article)), "x")
    assert not preview.ok and preview.specs == []
    assert preview.items[0].errors[0].startswith("第2行：") and message in preview.items[0].errors[0]


def test_case_scoring_points_column():
    """评分要点 "要点（3分）" per line becomes scoring points; a point without a score is an error."""
    header = ["题型", "题干", "答案", "解析", "评分要点"]
    stem = "执法人员当场作出行政处罚决定，应当履行哪些程序？"
    answer = "应当出示执法证件，填写预定格式、编有号码的行政处罚决定书并当场交付当事人。"
    data = make_xlsx({"Sheet1": [header, ["案例分析题", stem, answer, "依据《行政处罚法》第五十二条。",
                                          "出示执法证件（2分）\n当场交付决定书（3分）"],
                                 ["案例分析题", stem, answer, "依据《行政处罚法》第五十二条。", "出示执法证件"]]})
    preview = parse_xlsx(data, "x")
    assert preview.items[0].spec.scoring_points == (ScoringPoint("出示执法证件", 2.0), ScoringPoint("当场交付决定书", 3.0))
    assert preview.items[1].errors == ["第3行：评分要点“出示执法证件”没有分值，应写成“要点（3分）”"]


# --------------------------------------------------------------------------- Excel: errors

def test_row_errors_name_the_row():
    """Each faulty row is reported with its row number and a Chinese message; good rows still import."""
    data = one_sheet(
        row("单选", "", OPTS_51, "C"),
        row("单选", STEM_51, OPTS_51, "E"),
        row("连线题", STEM_51, OPTS_51, "C"),
        row("多选", STEM_KINDS, OPTS_KINDS, "A"),
        row("单选", STEM_51, OPTS_51, "C", explanation=""),
        row("单选", STEM_51, OPTS_51, "AC"),
        row("单选", STEM_51, ["五十元", "五十元", "二百元"], "C"),
        row("判断", JUDGE_TRUE, (), "也许"),
        row("填空", BLANK_STEM, (), "二百元"),
        row("单选", STEM_51, OPTS_51, ""),
        row("单选", STEM_51, OPTS_51, "C", difficulty="很难"),
        row("单选", STEM_51, OPTS_51, "C"),
    )
    preview = parse_xlsx(data, "x")
    assert not preview.ok
    errors = [item.errors for item in preview.items]
    assert errors[0] == ["第2行：缺少题干"]
    assert errors[1] == ["第3行：答案“E”不在选项中（共 4 个选项）"]
    assert errors[2] == ["第4行：无法识别的题型“连线题”（应为单选、多选、判断、填空或案例分析）"]
    assert errors[3] == ["第5行：多选题至少两个正确选项"]
    assert errors[4] == ["第6行：缺少解析"]
    assert errors[5] == ["第7行：单选题只能有一个正确选项，答案却是“AC”"]
    assert errors[6] == ["第8行：选项“五十元”重复"]
    assert errors[7] == ["第9行：判断题答案“也许”无法识别，应为 正确/错误、对/错、√/×"]
    assert errors[8] == ["第10行：题干中有 2 个空，答案有 1 项（多个空的答案用“；”分隔）"]
    assert errors[9] == ["第11行：缺少答案"]
    assert errors[10] == ["第12行：难度“很难”无效，应为 1、2、3 或 简单、中等、困难"]
    assert errors[11] == [] and len(preview.specs) == 1 and preview.specs[0].key == "x-0012"
    assert all(item.spec is None for item in preview.items[:11])


def test_option_gap_and_too_few_options():
    """An empty 选项B between filled options, or a single option, is reported."""
    preview = parse_xlsx(one_sheet(row("单选", STEM_51, ["五十元", "", "二百元"], "C"),
                                   row("单选", STEM_51, ["二百元"], "A")), "x")
    assert preview.items[0].errors == ["第2行：选项B为空"]
    assert preview.items[1].errors == ["第3行：选项不足 2 个"]


def test_blank_without_blanks_and_options_on_judge():
    """A 填空 stem without blanks, or options on a judge question, are errors."""
    preview = parse_xlsx(one_sheet(row("填空", "对公民当场罚款的上限是多少？", (), "二百元"),
                                   row("判断", JUDGE_TRUE, ["甲", "乙"], "对")), "x")
    assert preview.items[0].errors == ["第2行：填空题题干中没有填空（____）"]
    assert preview.items[1].errors == ["第3行：判断题不应有选项（答案写“正确”或“错误”）"]


def test_missing_explanation_column_is_a_file_error():
    """A sheet without a 解析 column is reported once at file level (and each row lacks 解析)."""
    preview = parse_xlsx(one_sheet(["单选", STEM_51, *OPTS_51, "C"], header=HEADER[:7]), "x")
    assert preview.errors == ["工作表“Sheet1”缺少“解析”列（每道题都必须有解析）"]
    assert preview.items[0].errors == ["第2行：缺少解析"]


def test_no_header_and_empty_file():
    """A sheet without a recognisable header, or a header without rows, is a file error."""
    assert parse_xlsx(make_xlsx({"Sheet1": [["甲", "乙"], ["1", "2"]]}), "x").errors[0].startswith("没有找到表头")
    assert parse_xlsx(one_sheet(), "x").errors == ["文件中没有试题"]


def test_sheet_without_header_is_reported():
    """A further sheet with content but no recognisable header is reported, not silently dropped."""
    data = make_xlsx({"试题": [HEADER, row("单选", STEM_51, OPTS_51, "C")], "统计": [["单位", "人数"], ["一中队", 12]]})
    preview = parse_xlsx(data, "x")
    assert len(preview.specs) == 1
    assert preview.errors == ["工作表“统计”没有找到表头（应包含“题干”列），未能读取；如该表不是试题，请删除后重新上传"]


def test_bad_key_prefix():
    """The key prefix must be lower-case letters (a programming error otherwise)."""
    with pytest.raises(ValueError):
        parse_xlsx(build_template_xlsx(), "XZ-1")


# --------------------------------------------------------------------------- Excel: export and round trips

SPECS = (
    QuestionSpec("rt-0001", "single", STEM_51, tuple(OPTS_51), "C", EXPL_51, (Citation("行政处罚法", 51),), 1,
                 ("当场处罚", "罚款"), (), "draft"),
    QuestionSpec("rt-0002", "multiple", STEM_KINDS, tuple(OPTS_KINDS), "ABD", EXPL_KINDS,
                 (Citation("行政处罚法", 9), Citation("行政处罚法", 56)), 2, ("处罚种类",), (), "draft"),
    QuestionSpec("rt-0003", "judge", JUDGE_FALSE, (), False, "依据《行政处罚法》第三十六条第一款，期限为二年。",
                 (Citation("行政处罚法", 36, 1),), 1, (), (), "draft"),
    QuestionSpec("rt-0004", "blank", BLANK_STEM, (), (("二百元", "200元"), ("三千元",)), EXPL_51,
                 (Citation("行政处罚法", 51),), 2, ("当场处罚",), (), "draft"),
    QuestionSpec("rt-0005", "case", "某公司收到罚款决定书后到期不缴纳罚款。\n问：作出处罚决定的行政机关可以采取什么措施？",
                 (), "依据《行政处罚法》第七十二条第一款第（一）项，到期不缴纳罚款的，每日按罚款数额的百分之三加处罚款，"
                 "加处罚款的数额不得超出罚款的数额；《行政强制法》第四十五条也规定加处罚款的数额不得超出金钱给付义务的数额。",
                 "本题考查加处罚款。", (Citation("行政处罚法", 72, 1), Citation("行政强制法", 45)), 3, ("加处罚款",), (),
                 "draft", (ScoringPoint("每日按罚款数额的百分之三加处罚款", 3.0), ScoringPoint("不得超出罚款的数额", 2.0))),
    QuestionSpec("rt-0006", "single", "=“罚款”是否属于行政处罚？<b>&", ("是", "否"), "A",
                 "依据《行政处罚法》第九条，罚款属于行政处罚。", (Citation("行政处罚法", 9),), 1, (), (), "draft"),
    QuestionSpec("rt-0007", "single", "宪法序言规定，本宪法具有（ ）。", ("最高的法律效力", "一般的法律效力"), "A",
                 "依据《宪法》序言，本宪法具有最高的法律效力。", (Citation("宪法", None, preamble=True),), 1, (), (), "draft"),
)


def test_export_round_trip():
    """parse_xlsx(export_xlsx(specs)) gives back every field: type, stem, options, answer, explanation, citations…"""
    preview = parse_xlsx(export_xlsx(list(SPECS)), "rt")
    assert preview.ok, preview.all_errors
    assert tuple(preview.specs) == SPECS


def test_export_cells():
    """The export writes letters, 正确/错误, "a/b；c" and 法律 + 条款 as described in the template."""
    ws = load_workbook(io.BytesIO(export_xlsx(list(SPECS))))["试题"]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    answer, law, article = 10, 14, 15
    assert rows[1][answer] == "ABD" and rows[1][article] == "第九条、第五十六条"
    assert rows[2][answer] == "错误" and rows[2][article] == "第三十六条第一款"
    assert rows[3][answer] == "二百元/200元；三千元"
    assert (rows[4][law], rows[4][article]) == ("行政处罚法；行政强制法", "第七十二条第一款；第四十五条")
    assert rows[5][1].startswith("=")          # stored as text, not as a formula
    assert rows[6][article] == "序言"


def test_real_banks_round_trip_through_excel():
    """Every question of the curated banks survives export_xlsx -> parse_xlsx (key, status, references aside)."""
    for path in sorted(BANKS.glob("*.yaml")):
        bank, _ = load_bank(path.read_text(encoding="utf-8"), path.name)
        preview = parse_xlsx(export_xlsx(list(bank.questions)), "rt")
        assert preview.ok, (path.name, preview.all_errors[:3])
        for original, imported in zip(bank.questions, preview.specs, strict=True):
            assert dataclasses.replace(original, key=imported.key, status="draft", references=()) == imported


# --------------------------------------------------------------------------- uploads

def _zip(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buf.getvalue()


@pytest.mark.parametrize("parse,main_part", [(parse_xlsx, "xl/workbook.xml"), (parse_docx, "word/document.xml")])
def test_zip_bomb_rejected(parse, main_part):
    """A container with a hugely compressed entry is rejected before parsing."""
    bomb = _zip({"[Content_Types].xml": b"<Types/>", main_part: b"<x/>", "bomb.bin": b"\0" * (8 * 1024 * 1024)})
    with pytest.raises(UploadError, match="压缩炸弹"):
        parse(bomb, "x")


@pytest.mark.parametrize("parse", [parse_xlsx, parse_docx])
def test_oversized_rejected(parse):
    """A file over the upload limit is rejected."""
    with pytest.raises(UploadError, match="上限"):
        parse(b"PK\x03\x04" + b"\0" * (10 * 1024 * 1024), "x")


@pytest.mark.parametrize("parse,data", [
    (parse_xlsx, b"not a workbook"), (parse_xlsx, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100),
    (parse_docx, b"%PDF-1.4 fake"), (parse_xlsx, b""),
])
def test_wrong_type_rejected(parse, data):
    """Bytes that are not the expected Office file (or nothing at all) are rejected."""
    with pytest.raises(UploadError):
        parse(data, "x")


def test_docx_given_to_excel_reader_rejected():
    """A Word document uploaded as a workbook is rejected (no xl/workbook.xml)."""
    with pytest.raises(UploadError, match="不是有效的 .xlsx"):
        parse_xlsx(make_docx(["1. 测试"]), "x")


def test_unreadable_containers_rejected():
    """A container with the right parts but unreadable content raises UploadError, not a crash."""
    with pytest.raises(UploadError, match="无法读取"):
        parse_xlsx(_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"garbage"}), "x")
    with pytest.raises(UploadError, match="无法读取"):
        parse_docx(_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"garbage"}), "x")


# --------------------------------------------------------------------------- Word

PAPER = [
    "2024年度城管执法人员行政处罚法知识测试",
    "姓名：________  得分：________",
    "注意事项：",
    "1. 本试卷共五大题，满分30分。",
    "2. 请在括号内填写答案。",
    "一、单项选择题（每题1分，共3分）",
    "1．违法事实确凿并有法定依据，对公民处以（ C ）以下罚款的，可以当场作出行政处罚决定。",
    "A．五十元", "B．一百元", "C．二百元", "D．五百元",
    "解析：依据《行政处罚法》第五十一条，对公民为二百元以下。",
    "2、依照第五十一条当场作出行政处罚决定，依法给予（B）以下罚款的，执法人员可以当场收缴罚款。",
    "A.五十元  B.一百元  C.二百元  D.五百元",
    "【解析】依据《行政处罚法》第六十八条第（一）项。",
    "3. 下列属于行政处罚的是（ ）A.警告 B.先行登记保存",
    "答案：A",
    "解析：依据《行政处罚法》第九条，先行登记保存是证据保全措施。",
    "二、多项选择题（每题2分，共2分）",
    "1. 下列属于《行政处罚法》第九条规定的行政处罚种类的有（ ABD ）。",
    "（A）警告", "（B）罚款", "（C）先行登记保存", "（D）行政拘留",
    "解析：依据《行政处罚法》第九条。",
    "三、判断题",
    "1. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（√）",
    "解析：依据《行政处罚法》第二十九条。",
    "2. 违法行为在三年内未被发现的，才不再给予行政处罚。（ × ）",
    "解析：依据《行政处罚法》第三十六条，期限为二年。",
    "3. 不满十四周岁的未成年人有违法行为的，不予行政处罚。（对）",
    "解析：依据《行政处罚法》第三十条。",
    "四、填空题",
    "1. 违法事实确凿并有法定依据，对公民处以（ ）以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。",
    "答案：二百元/200元；三千元",
    "解析：依据《行政处罚法》第五十一条。",
    "五、案例分析题（20分）",
    "1. 某区城管执法人员巡查时发现某公司违法事实确凿并有法定依据，拟当场给予警告。",
    "问：（1）能否当场作出行政处罚决定？",
    "（2）当场作出决定时应当履行哪些程序？",
    "参考答案：",
    "（1）可以。依据《行政处罚法》第五十一条，对法人给予警告的，可以当场作出行政处罚决定。",
    "（2）应当出示执法证件，填写预定格式、编有号码的行政处罚决定书，并当场交付当事人。",
    "评分要点：可以当场处罚（4分）",
    "出示执法证件并当场交付决定书（6分）",
    "解析：本题考查《行政处罚法》第五十一条、第五十二条。",
]


def test_docx_full_paper():
    """Sections set the types; bracket answers are taken out of the stem; every layout of the paper is read."""
    preview = parse_docx(make_docx(PAPER), "xzcf")
    assert preview.ok, preview.all_errors
    specs = preview.specs
    assert [s.type for s in specs] == ["single"] * 3 + ["multiple"] + ["judge"] * 3 + ["blank", "case"]
    assert [i.ref for i in preview.items][:4] == ["第1题（单项选择题）", "第2题（单项选择题）", "第3题（单项选择题）",
                                                 "第1题（多项选择题）"]
    assert specs[0].stem == "违法事实确凿并有法定依据，对公民处以（ ）以下罚款的，可以当场作出行政处罚决定。"
    assert (specs[0].options, specs[0].answer) == (tuple(OPTS_51), "C")
    assert (specs[1].options, specs[1].answer) == (tuple(OPTS_51), "B")
    assert (specs[2].stem, specs[2].options, specs[2].answer) == ("下列属于行政处罚的是（ ）", ("警告", "先行登记保存"), "A")
    assert (specs[3].options, specs[3].answer) == (tuple(OPTS_KINDS), "ABD")
    assert specs[3].stem == "下列属于《行政处罚法》第九条规定的行政处罚种类的有（ ）。"
    assert [s.answer for s in specs[4:7]] == [True, False, True]
    assert specs[5].stem.endswith("（ ）")
    assert specs[7].answer == (("二百元", "200元"), ("三千元",))
    assert specs[7].stem.count("____") == 2
    case = specs[8]
    assert "（2）当场作出决定时应当履行哪些程序？" in case.stem
    assert case.answer.startswith("（1）可以。") and "当场交付当事人" in case.answer
    assert case.scoring_points == (ScoringPoint("可以当场处罚", 4.0), ScoringPoint("出示执法证件并当场交付决定书", 6.0))
    assert specs[1].explanation == "依据《行政处罚法》第六十八条第（一）项。"
    assert [s.key for s in specs] == [f"xzcf-{n:04d}" for n in range(1, 10)]


@pytest.mark.parametrize("answer_line", ["答案：B", "正确答案：B", "【答案】B", "参考答案：B", "答案：B　解析：依据第五十一条。"])
def test_docx_answer_lines(answer_line):
    """Answer lines in every usual spelling (optionally with the 解析 on the same line)."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元"]
    lines += [answer_line] if "解析" in answer_line else [answer_line, "解析：依据第五十一条。"]
    spec = only(parse_docx(make_docx(lines), "x"))
    assert spec.answer == "B" and spec.explanation == "依据第五十一条。"


@pytest.mark.parametrize("options", [
    ["A.罚款  B.警告  C.没收违法所得  D.责令改正"],
    ["A、罚款 B、警告", "C、没收违法所得 D、责令改正"],
    ["A:罚款", "B:警告", "C:没收违法所得", "D:责令改正"],
    ["（A）罚款（B）警告（C）没收违法所得（D）责令改正"],
    ["(A)罚款", "(B)警告", "(C)没收违法所得", "(D)责令改正"],
    ["A．罚款\tB．警告\tC．没收违法所得\tD．责令改正"],
])
def test_docx_option_layouts(options):
    """Options one per line or several per line, with . 、 ： （A） (A) markers."""
    lines = ["二、多项选择题", "1. 依据《行政处罚法》第九条，下列属于行政处罚的有（ ABC ）。", *options,
             "解析：责令改正不是行政处罚（第二十八条）。"]
    spec = only(parse_docx(make_docx(lines), "x"))
    assert spec.options == ("罚款", "警告", "没收违法所得", "责令改正") and spec.answer == "ABC"


@pytest.mark.parametrize("number", ["1.", "1、", "1．", "（1）", "(1)", "第1题"])
def test_docx_item_numbering(number):
    """Items numbered 1. / 1、 / 1． / （1） / (1) / 第1题."""
    lines = ["三、判断题", f"{number}对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（√）",
             "解析：依据第二十九条。", f"{number.replace('1', '2')}当事人有权进行陈述和申辩。（√）",
             "解析：依据第四十五条。"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [i.ref for i in preview.items] == ["第1题（判断题）", "第2题（判断题）"]


@pytest.mark.parametrize("mark,expected", [("（√）", True), ("(×)", False), ("（对）", True), ("（错）", False),
                                           ("（ ✓ ）", True), ("（正确）", True), ("（错误）", False)])
def test_docx_judge_bracket_answers(mark, expected):
    """Judge answers in the stem's brackets: √ × 对 错 ✓ 正确 错误."""
    lines = ["三、判断题", f"1. 不满十四周岁的未成年人有违法行为的，不予行政处罚。{mark}", "解析：依据第三十条。"]
    spec = only(parse_docx(make_docx(lines), "x"))
    assert spec.answer is expected and spec.stem.endswith("不予行政处罚。（ ）")


def test_docx_multiline_explanation_and_fields():
    """解析 may continue on further lines; 知识点/难度/出处 lines fill the other fields."""
    lines = ["一、单项选择题", "1. 当事人要求听证的，应当在行政机关告知后（ B ）日内提出。", "A.三", "B.五", "C.七",
             "【解析】依据《行政处罚法》第六十四条第（一）项，", "当事人应当在行政机关告知后五日内提出。",
             "知识点：听证程序、期限", "难度：困难", "出处：《行政处罚法》第六十四条"]
    spec = only(parse_docx(make_docx(lines), "x"))
    assert spec.explanation == "依据《行政处罚法》第六十四条第（一）项，\n当事人应当在行政机关告知后五日内提出。"
    assert (spec.tags, spec.difficulty, spec.citations) == (("听证程序", "期限"), 3, (Citation("行政处罚法", 64),))


SECTIONED = [
    "一、单项选择题",
    "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "C.五百元", "解析：依据第五十一条。",
    "2. 依照第五十一条当场作出决定，依法给予（ ）以下罚款的，执法人员可以当场收缴罚款。", "A.一百元", "B.二百元",
    "解析：依据第六十八条。",
    "二、多项选择题",
    "1. 下列属于行政处罚的有（ ）。", "A.警告 B.罚款 C.先行登记保存 D.行政拘留", "解析：依据第九条。",
    "三、判断题",
    "1. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（ ）", "解析：依据第二十九条。",
    "2. 违法行为在三年内未被发现的，才不再给予行政处罚。（ ）", "解析：依据第三十六条，期限为二年。",
    "四、填空题",
    "1. 对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。",
    "解析：依据第五十一条。",
]


@pytest.mark.parametrize("key", [
    ["参考答案", "一、单项选择题", "1-2 BA", "二、多项选择题", "1. ABD", "三、判断题", "1-2 √×", "四、填空题",
     "1. 二百元；三千元"],
    ["参考答案", "单选：1.B 2.A", "多选：1.ABD", "判断：1-2 √×", "填空：1. 二百元；三千元"],
    ["参考答案", "1-2 BA", "1 ABD", "1-2 对错", "1. 二百元；三千元"],
    ["参考答案", "判断题", "1-2 √×", "一、单项选择题", "1-2 BA", "四、填空题", "1. 二百元；三千元", "多选题：1.ABD"],
])
def test_docx_answer_key_per_section(key):
    """A key restarting per section: by section headings (any order), 单选： prefixes, or section order alone."""
    preview = parse_docx(make_docx(SECTIONED + key), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == ["B", "A", "ABD", True, False, (("二百元",), ("三千元",))]


def test_docx_answer_key_continuous_numbering():
    """A continuously numbered paper with a key like "1-2 BA 3.ABD 4-5 √×", explanations in the key."""
    lines = [
        "一、单项选择题",
        "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元",
        "2. 依照第五十一条当场作出决定，依法给予（ ）以下罚款的，执法人员可以当场收缴罚款。", "A.一百元", "B.二百元",
        "二、多项选择题",
        "3. 下列属于行政处罚的有（ ）。", "A.警告", "B.罚款", "C.先行登记保存", "D.行政拘留",
        "三、判断题",
        "4. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（ ）",
        "5. 违法行为在三年内未被发现的，才不再给予行政处罚。（ ）",
        "四、填空题",
        "6. 对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。",
        "参考答案及解析",
        "1-2 BA",
        "3.ABD 4-5 √×",
        "6. 二百元/200元；三千元",
        "1．B　解析：依据《行政处罚法》第五十一条。",
        "2．A　解析：依据《行政处罚法》第六十八条。",
        "3．ABD　解析：依据《行政处罚法》第九条，",
        "先行登记保存是第五十六条规定的证据保全措施。",
        "4．√　解析：依据《行政处罚法》第二十九条。",
        "5．×　解析：依据《行政处罚法》第三十六条，期限为二年。",
        "6．二百元；三千元　解析：依据《行政处罚法》第五十一条。",
    ]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    specs = preview.specs
    assert [s.answer for s in specs] == ["B", "A", "ABD", True, False, (("二百元", "200元"), ("三千元",))]
    assert specs[2].explanation == "依据《行政处罚法》第九条，\n先行登记保存是第五十六条规定的证据保全措施。"
    assert specs[4].explanation == "依据《行政处罚法》第三十六条，期限为二年。"


def test_docx_answer_key_multiple_ranges_with_spaces():
    """Multiple-choice ranges written with spaces ("1-3 AB ACD BD") and several ranges on a line."""
    lines = ["二、多项选择题"]
    for n, options in enumerate(("A.警告 B.罚款 C.先行登记保存 D.责令改正", "A.行政拘留 B.先行登记保存 C.暂扣许可证件 D.责令关闭",
                                 "A.责令改正 B.没收违法所得 C.降低资质等级 D.限制从业"), 1):
        lines += [f"{n}. 下列属于《行政处罚法》第九条规定的行政处罚的有（ ）。", options,
                  "解析：依据第九条；先行登记保存是证据保全措施，责令改正不是行政处罚（第二十八条）。"]
    lines += ["三、判断题", "1. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（ ）", "解析：第二十九条。",
              "参考答案", "多选题：1-3 AB ACD BCD", "判断题：1 √"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == ["AB", "ACD", "BCD", True]


def test_docx_answer_key_table():
    """An answer key given as a 题号/答案 table."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "2. 依法给予（ ）以下罚款的，执法人员可以当场收缴罚款。", "A.一百元", "B.二百元", "解析：第六十八条。"]
    preview = parse_docx(make_docx(lines, tables=[[["题号", "1", "2"], ["答案", "B", "A"]]]), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == ["B", "A"]


def test_docx_automatic_numbering():
    """Items numbered by Word's automatic list numbering (not in the text) are recognised."""
    document = docx.Document()
    document.add_paragraph("一、单项选择题")
    for stem, answer in (("对公民当场处罚的罚款上限是（ B ）。", "二百元"), ("当事人要求听证的，应当在告知后（ A ）内提出。", "五日")):
        document.add_paragraph(stem, style="List Number")
        document.add_paragraph("A.五日  B.二百元")
        document.add_paragraph(f"解析：答案为{answer}。")
    buf = io.BytesIO()
    document.save(buf)
    preview = parse_docx(buf.getvalue(), "x")
    assert preview.ok, preview.all_errors
    assert [i.ref for i in preview.items] == ["第1题（单项选择题）", "第2题（单项选择题）"]
    assert [s.answer for s in preview.specs] == ["B", "A"]


def test_docx_without_sections_infers_types():
    """Without section headings the type follows the content; refs are plain 第N题."""
    lines = ["1. 对公民当场处罚的罚款上限是（ B ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "2. 下列属于行政处罚的有（ AB ）。", "A.警告", "B.罚款", "C.先行登记保存", "解析：第九条。",
             "3. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（√）", "解析：第二十九条。",
             "4. 对公民当场罚款的上限是____。", "答案：二百元", "解析：第五十一条。"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [s.type for s in preview.specs] == ["single", "multiple", "judge", "blank"]
    assert preview.items[0].ref == "第1题"


def test_docx_item_errors():
    """Faulty items are reported as 第N题（题型）：… and the key's unknown numbers at file level."""
    lines = ["一、单项选择题",
             "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "2. 对公民当场处罚的罚款上限是（ E ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "3. 对公民当场处罚的罚款上限是（ B ）。", "A.一百元", "B.二百元",
             "4. 对公民当场处罚的罚款上限是（ B ）。", "A.一百元", "B.二百元", "答案：A", "解析：第五十一条。",
             "二、多项选择题",
             "1. 下列属于行政处罚的有（ A ）。", "A.警告", "B.先行登记保存", "解析：第九条。",
             "参考答案", "9. B"]
    preview = parse_docx(make_docx(lines), "x")
    errors = [item.errors for item in preview.items]
    assert errors[0] == ["第1题（单项选择题）：没有找到答案"]
    assert errors[1] == ["第2题（单项选择题）：答案“E”不在选项中（共 2 个选项）"]
    assert errors[2] == ["第3题（单项选择题）：缺少解析"]
    assert errors[3] == ["第4题（单项选择题）：题干括号中的答案“B”与答案“A”不一致"]
    assert errors[4] == ["第1题（多项选择题）：多选题至少两个正确选项"]
    assert preview.errors == ["参考答案中的第9题在试卷中找不到"]
    assert not preview.ok and preview.specs == []


def test_docx_key_conflicting_with_inline_answer():
    """An answer line that disagrees with the key is an item error."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "答案：B",
             "解析：第五十一条。", "参考答案", "1. A"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.items[0].errors == ["第1题（单项选择题）：题目中的答案“B”与参考答案中的“A”不一致"]


def test_docx_unreadable_key_line_and_no_items():
    """Unrecognised key lines are file errors; a document without items says how to number them."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "参考答案", "第一题选B"]
    assert parse_docx(make_docx(lines), "x").errors == ["无法识别的答案行“第一题选B”"]
    empty = parse_docx(make_docx(["行政处罚法知识测试", "请认真作答。"]), "x")
    assert empty.errors[0].startswith("没有找到试题") and empty.items == []


def test_docx_imported_specs_pass_bank_checks():
    """Specs read from Word load as a bank file (same normalisation as bankfile)."""
    specs = parse_docx(make_docx(PAPER), "demo").specs
    bank = BankSpec(format=1, slug="demo", title="示例", course="行政处罚法", questions=tuple(specs))
    loaded, issues = load_bank(dump_bank(bank), "demo.yaml")
    assert [str(i) for i in issues if i.level == "error"] == []
    assert loaded.questions == tuple(specs)


def test_docx_key_ranges_of_five():
    """The classic key "1-5 ABCDE / 6-10 BADCC" and "判断：1-5 √×√√×" after per-section numbering."""
    lines = ["一、单项选择题"]
    for n in range(1, 11):
        lines += [f"{n}. 依据《行政处罚法》，下列说法正确的是（ ）。", "A.甲 B.乙 C.丙 D.丁 E.戊", "解析：略。"]
    lines.append("二、判断题")
    for n in range(1, 6):
        lines += [f"{n}. 依据《行政处罚法》第二十九条判断本说法。（ ）", "解析：略。"]
    lines += ["参考答案", "一、单项选择题", "1-5 ABCDE", "6-10 BADCC", "二、判断题", "判断：1-5 √×√√×"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == [*"ABCDEBADCC", True, False, True, True, False]


def test_docx_key_count_mismatch():
    """A range whose answers do not match its numbers is a file error."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "2. 依法给予（ ）以下罚款的，可以当场收缴罚款。", "A.一百元", "B.二百元", "解析：第六十八条。",
             "参考答案", "1-2 BAB"]
    assert parse_docx(make_docx(lines), "x").errors == ["参考答案“1-2 BAB”的答案个数与题号不符"]


def test_docx_case_answer_after_bare_heading_and_answer_on_next_line():
    """A bare 参考答案 in an unanswered case question labels its answer; 【答案】 may precede the answer line."""
    lines = ["一、单项选择题", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "【答案】", "B", "解析：第五十一条。",
             "二、案例分析题", "1. 某公民违法事实确凿并有法定依据，执法人员拟当场对其处以一百元罚款，能否当场作出行政处罚决定？",
             "参考答案",
             "可以。依据《行政处罚法》第五十一条，对公民处以二百元以下罚款的，可以当场作出行政处罚决定。",
             "解析：本题考查当场处罚的条件。"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert preview.specs[0].answer == "B"
    assert preview.specs[1].answer.startswith("可以。") and preview.specs[1].explanation == "本题考查当场处罚的条件。"


def test_docx_restart_without_headings_names_parts():
    """Numbering that restarts without section headings starts a new part, named in the refs."""
    lines = ["1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "1. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（ ）", "解析：第二十九条。",
             "参考答案", "1. B", "1. √"]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [i.ref for i in preview.items] == ["第一部分第1题", "第二部分第1题"]
    assert [s.answer for s in preview.specs] == ["B", True]


@pytest.mark.parametrize("key", [["一、单项选择题（每题1分） 1-2 BA", "二、判断题 1-2 √×"],
                                 ["单选题 1.B 2.A", "判断题 1-2 √×"]])
def test_docx_key_section_and_answers_on_one_line(key):
    """A key line may carry its section heading (or 单选题 without a colon) and the answers together."""
    lines = ["一、单项选择题（每题1分）", "1. 对公民当场处罚的罚款上限是（ ）。", "A.一百元", "B.二百元", "解析：第五十一条。",
             "2. 依法给予（ ）以下罚款的，可以当场收缴罚款。", "A.一百元", "B.二百元", "解析：第六十八条。",
             "二、判断题", "1. 对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。（ ）", "解析：第二十九条。",
             "2. 违法行为在三年内未被发现的，才不再给予行政处罚。（ ）", "解析：第三十六条，期限为二年。",
             "参考答案", *key]
    preview = parse_docx(make_docx(lines), "x")
    assert preview.ok, preview.all_errors
    assert [s.answer for s in preview.specs] == ["B", "A", True, False]


def test_docx_soft_line_breaks_and_full_width_numbers():
    """A whole question in one paragraph with soft line breaks, numbered with full-width digits, is read."""
    document = docx.Document()
    document.add_paragraph("一、单项选择题")
    paragraph = document.add_paragraph("１．对公民当场处罚的罚款上限是（ B ）。")
    for text in ("A．一百元", "B．二百元", "解析：依据《行政处罚法》第五十一条。"):
        run = paragraph.add_run()
        run.add_break()
        run.add_text(text)
    buf = io.BytesIO()
    document.save(buf)
    spec = only(parse_docx(buf.getvalue(), "x"))
    assert (spec.options, spec.answer, spec.explanation) == (("一百元", "二百元"), "B", "依据《行政处罚法》第五十一条。")


def test_docx_key_case_answer_with_numbered_points():
    """A case answer in the key may run over several lines numbered （1）（2） without starting new entries."""
    lines = ["一、案例分析题",
             "1. 某公司违法事实确凿并有法定依据，执法人员拟当场给予警告。问：（1）能否当场处罚？（2）应当履行哪些程序？",
             "解析：本题考查《行政处罚法》第五十一条、第五十二条。",
             "参考答案",
             "1. 答案要点如下：",
             "（1）可以，对法人给予警告的，可以当场作出行政处罚决定。",
             "（2）应当出示执法证件，填写预定格式、编有号码的行政处罚决定书，并当场交付当事人。"]
    spec = only(parse_docx(make_docx(lines), "x"))
    assert spec.answer.count("\n") == 2
    assert spec.answer.startswith("答案要点如下：") and spec.answer.endswith("并当场交付当事人。")
