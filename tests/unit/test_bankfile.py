"""Unit tests for trainer.banks.bankfile (bank YAML files: load, validate against law text, dump)."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from trainer.banks.bankdump import dump_bank
from trainer.banks.numbers import cn_number, numbers_with_units
from trainer.banks.validation import summary, validate_bank, validate_banks
from trainer.banks.bankfile import (
    TYPES,
    BankSpec,
    Citation,
    Issue,
    QuestionSpec,
    ScoringPoint,
    load_bank,
)
from trainer.banks.types import REGISTRY

REPO_ROOT = Path(__file__).resolve().parents[2]
BANK_FILES = sorted((REPO_ROOT / "question_banks").glob("*.yaml"))

HEADER = "format: 1\nbank: demo\ntitle: 演示题库\ncourse: 行政处罚法\nquestions:\n"

SINGLE = """
- key: demo-0001
  type: single
  stem: 违法事实确凿并有法定依据，对公民处以多少元以下罚款的，可以当场作出行政处罚决定？
  options: [五十元, 一百元, 二百元, 五百元]
  answer: C
  explanation: 依据《行政处罚法》第五十一条。
  citations:
    - {law: 行政处罚法, article: 51}
  difficulty: 1
  tags: [简易程序, 罚款]
  status: published
"""

MULTIPLE = """
- key: demo-0002
  type: multiple
  stem: 下列哪些情形应当进行法制审核？
  options: [涉及重大公共利益的, 案情简单的, 经过听证程序的, 案件情况疑难复杂的]
  answer: ACD
  explanation: 依据《行政处罚法》第五十八条第一款。
  citations:
    - {law: 行政处罚法, article: 58, paragraph: 1}
  difficulty: 2
  tags: [法制审核]
  status: reviewed
"""

JUDGE = """
- key: demo-0003
  type: judge
  stem: 执法人员不得少于两人，法律另有规定的除外。
  answer: true
  explanation: 依据《行政处罚法》第四十二条第一款。
  citations:
    - {law: 行政处罚法, article: 42, paragraph: 1}
  difficulty: 1
  tags: []
  status: published
"""

BLANK = """
- key: demo-0004
  type: blank
  stem: 执法人员不得少于____，法律另有规定的除外。
  answer: [[两人, 2人]]
  explanation: 依据《行政处罚法》第四十二条。
  citations:
    - {law: 行政处罚法, article: 42}
  difficulty: 1
  tags: [执法人员]
  status: published
"""

CASE = """
- key: demo-0005
  type: case
  stem: 队员拟当场对摊贩李某作出罚款一百元的决定。问：能否适用简易程序？
  answer: |-
    可以。对公民处以二百元以下罚款的，可以当场作出行政处罚决定。
    拟罚一百元未超过二百元。
  scoring_points:
    - {point: 指出第五十一条的条件, score: 3}
    - {point: 结论正确, score: 2}
  explanation: 依据《行政处罚法》第五十一条。
  citations:
    - {law: 行政处罚法, article: 51}
    - {law: 行政处罚法, article: 68}
  difficulty: 2
  tags: [简易程序]
  status: draft
"""

METHOD = """
- key: demo-0006
  type: judge
  stem: 行政执法公示应当在执法决定作出之日起一定期限内公开。
  answer: true
  explanation: 依据《国务院办公厅关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》。
  citations: []
  difficulty: 1
  tags: [三项制度]
  references: ["国办发〔2018〕118号"]
  status: published
"""

ARTICLES = {
    ("行政处罚法", 42): "行政处罚应当由具有行政执法资格的执法人员实施。执法人员不得少于两人，法律另有规定的除外。\n"
                      "执法人员应当文明执法，尊重和保护当事人合法权益。",
    ("行政处罚法", 48): "具有一定社会影响的行政处罚决定应当依法公开。\n"
                      "公开的行政处罚决定被依法变更、撤销、确认违法或者确认无效的，行政机关应当在三日内撤回行政处罚决定信息并公开说明理由。",
    ("行政处罚法", 51): "违法事实确凿并有法定依据，对公民处以二百元以下、对法人或者其他组织处以三千元以下罚款或者警告的"
                      "行政处罚的，可以当场作出行政处罚决定。法律另有规定的，从其规定。",
    ("行政处罚法", 58): "有下列情形之一，在行政机关负责人作出行政处罚的决定之前，应当由从事行政处罚决定法制审核的人员进行法制审核；"
                      "未经法制审核或者审核未通过的，不得作出决定：\n（一）涉及重大公共利益的；\n"
                      "（二）直接关系当事人或者第三人重大权益，经过听证程序的；\n（三）案件情况疑难复杂、涉及多个法律关系的；\n"
                      "（四）法律、法规规定应当进行法制审核的其他情形。\n"
                      "行政机关中初次从事行政处罚决定法制审核的人员，应当通过国家统一法律职业资格考试取得法律职业资格。",
    ("行政处罚法", 68): "依照本法第五十一条的规定当场作出行政处罚决定，有下列情形之一，执法人员可以当场收缴罚款：\n"
                      "（一）依法给予一百元以下罚款的；\n（二）不当场收缴事后难以执行的。",
    ("行政处罚法", 85): "本法中“二日”“三日”“五日”“七日”的规定是指工作日，不含法定节假日。",
}
PREAMBLES = {"宪法": "中国是世界上历史最悠久的国家之一。\n本宪法以法律的形式确认了中国各族人民奋斗的成果，是国家的根本法，具有最高的法律效力。"}


def bank_yaml(*questions: str, header: str = HEADER) -> str:
    body = "".join(textwrap.indent(textwrap.dedent(q).strip("\n") + "\n", "  ") for q in questions)
    return header + body


def change(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def load(*questions: str, filename: str = "demo.yaml", **kw):
    return load_bank(bank_yaml(*questions, **kw), filename)


def errors(*questions: str, **kw) -> list[str]:
    bank, issues = load(*questions, **kw)
    found = [i.message for i in issues if i.level == "error"]
    assert (bank is None) == bool(found)
    return found


def has_error(found: list[str], fragment: str) -> bool:
    return any(fragment in m for m in found)


def check(*questions: str) -> list[Issue]:
    bank, issues = load(*questions)
    assert bank is not None, issues
    return validate_bank(bank, lambda law, n: ARTICLES.get((law, n)), PREAMBLES.get)


# --------------------------------------------------------------------------- load: valid files

def test_valid_bank_loads_without_issues():
    """A file with one question of each type loads with no issues and keeps its header fields."""
    bank, issues = load(SINGLE, MULTIPLE, JUDGE, BLANK, CASE, METHOD)
    assert issues == []
    assert (bank.format, bank.slug, bank.title, bank.course) == (1, "demo", "演示题库", "行政处罚法")
    assert [q.type for q in bank.questions] == ["single", "multiple", "judge", "blank", "case", "judge"]


def test_answers_are_normalised_per_type():
    """Answers become "C", "ACD", True, (("两人", "2人"),) and the reference text."""
    bank, _ = load(SINGLE, MULTIPLE, JUDGE, BLANK, CASE)
    answers = [q.answer for q in bank.questions]
    assert answers[:4] == ["C", "ACD", True, (("两人", "2人"),)]
    assert answers[4].startswith("可以。") and "\n" in answers[4]


def test_question_fields_become_tuples_and_dataclasses():
    """Options, tags, citations and scoring points are tuples of plain values/dataclasses."""
    bank, _ = load(SINGLE, MULTIPLE, CASE, METHOD)
    single, multiple, case, method = bank.questions
    assert single.options == ("五十元", "一百元", "二百元", "五百元")
    assert single.tags == ("简易程序", "罚款") and single.references == ()
    assert single.citations == (Citation("行政处罚法", 51),)
    assert multiple.citations == (Citation("行政处罚法", 58, paragraph=1),)
    assert case.scoring_points == (ScoringPoint("指出第五十一条的条件", 3.0), ScoringPoint("结论正确", 2.0))
    assert method.citations == () and method.references == ("国办发〔2018〕118号",)


def test_filename_may_be_a_path():
    """The slug is compared with the file stem, whatever the directory."""
    bank, issues = load(SINGLE, filename="/some/dir/demo.yaml")
    assert bank is not None and issues == []


def test_issue_str_names_bank_and_key():
    """Issue renders as "[bank] key：message" (or "[bank] message" without a key)."""
    assert str(Issue("error", "xingzheng-chufa", "xzcf-0012", "缺少解析")) == "[xingzheng-chufa] xzcf-0012：缺少解析"
    assert str(Issue("warning", "xianfa", None, "未知字段 x")) == "[xianfa] 未知字段 x"


# --------------------------------------------------------------------------- load: file-level errors

def test_yaml_syntax_error_is_reported():
    """A file that is not valid YAML gives one error with the line number and no bank."""
    bank, issues = load_bank("format: 1\nbank: [demo\n", "demo.yaml")
    assert bank is None and len(issues) == 1
    assert issues[0].level == "error" and "YAML" in issues[0].message and "行" in issues[0].message


def test_yaml_duplicate_mapping_key_is_an_error():
    """A field written twice in one question (PyYAML would silently keep the last) is an error."""
    found = errors(change(SINGLE, "  answer: C\n", "  answer: C\n  answer: D\n"))
    assert has_error(found, "重复")


def test_top_level_must_be_a_mapping():
    """A YAML list at the top level is an error."""
    bank, issues = load_bank("- a\n- b\n", "demo.yaml")
    assert bank is None and issues[0].level == "error"


def test_missing_format_is_an_error():
    """A file without `format` is rejected."""
    found = errors(SINGLE, header=HEADER.replace("format: 1\n", ""))
    assert has_error(found, "format")


def test_unknown_format_is_an_error():
    """Only format 1 is understood."""
    found = errors(SINGLE, header=HEADER.replace("format: 1", "format: 2"))
    assert has_error(found, "不支持的格式版本")


def test_slug_must_match_file_stem():
    """`bank` must equal the file name without .yaml."""
    found = errors(SINGLE, filename="other.yaml")
    assert has_error(found, "与文件名")


def test_missing_title_is_an_error():
    """`title` is required."""
    assert has_error(errors(SINGLE, header=HEADER.replace("title: 演示题库\n", "")), "title")


def test_missing_course_is_a_warning():
    """`course` may be missing (warning) and then loads as an empty string."""
    bank, issues = load(SINGLE, header=HEADER.replace("course: 行政处罚法\n", ""))
    assert bank.course == "" and [i.level for i in issues] == ["warning"]


def test_unknown_field_is_a_warning():
    """An unknown question field is reported as a warning and ignored."""
    bank, issues = load(change(SINGLE, "  status: published", "  status: published\n  author: 张三"))
    assert bank is not None
    assert [(i.level, i.key) for i in issues] == [("warning", "demo-0001")] and "author" in issues[0].message


def test_strict_false_keeps_the_valid_questions():
    """With strict=False the invalid questions are reported and left out, the valid ones returned."""
    text = bank_yaml(SINGLE, change(JUDGE, "answer: true", "answer: 也许"))
    assert load_bank(text, "demo.yaml")[0] is None
    bank, issues = load_bank(text, "demo.yaml", strict=False)
    assert [q.key for q in bank.questions] == ["demo-0001"]
    assert [(i.level, i.key) for i in issues] == [("error", "demo-0003")]


# --------------------------------------------------------------------------- load: question errors

@pytest.mark.parametrize("field", ["key", "type", "stem", "answer", "explanation", "difficulty", "status"])
def test_missing_field_is_an_error(field):
    """Each required question field, when missing, gives an error naming it."""
    lines = [ln for ln in textwrap.dedent(SINGLE).strip("\n").split("\n")]
    kept = [ln for ln in lines if not ln.lstrip("- ").startswith(f"{field}:")]
    if field == "key":
        kept[0] = "- " + kept[0].lstrip()
    assert len(kept) == len(lines) - 1
    assert has_error(errors("\n".join(kept)), field)


def test_issue_key_falls_back_to_position():
    """A question without a key is named by its position (第N题)."""
    _, issues = load(SINGLE, change(JUDGE, "- key: demo-0003\n  type", "- type"))
    assert issues[0].key == "第2题"


def test_unknown_type_is_an_error():
    """The type must be one of single, multiple, judge, blank, case."""
    assert has_error(errors(change(SINGLE, "type: single", "type: essay")), "未知题型")


@pytest.mark.parametrize("key", ["XZCF-0001", "xzcf-001", "xzcf0001", "xz1-0001", "xzcf-00001"])
def test_key_format_is_enforced(key):
    """Keys look like <lowercase prefix>-<4 digits>."""
    assert has_error(errors(change(SINGLE, "demo-0001", key)), "格式不对")


def test_duplicate_keys_in_one_file_are_an_error():
    """Two questions with the same key in one file are an error."""
    found = errors(SINGLE, change(JUDGE, "demo-0003", "demo-0001"))
    assert has_error(found, "重复")


@pytest.mark.parametrize("options", ["[只有一项]", "[a, b, c, d, e, f, g, h, i]"])
def test_option_count_must_be_2_to_8(options):
    """single/multiple need 2–8 options."""
    text = change(SINGLE, "[五十元, 一百元, 二百元, 五百元]", options).replace("answer: C", "answer: A")
    assert has_error(errors(text), "选项应为 2–8 个")


def test_missing_options_is_an_error():
    """A single-choice question without options is an error."""
    assert has_error(errors(change(SINGLE, "  options: [五十元, 一百元, 二百元, 五百元]\n", "")), "options")


def test_duplicate_options_are_an_error():
    """Options must be unique."""
    assert has_error(errors(change(SINGLE, "五百元]", "五十元]")), "选项“五十元”重复")


def test_option_letter_prefix_is_an_error():
    """Options must not carry "A." prefixes (letters are added when shown)."""
    assert has_error(errors(change(SINGLE, "[五十元,", "[A. 五十元,")), "序号")


def test_single_answer_letter_must_be_among_options():
    """A single answer letter beyond the options is an error."""
    assert has_error(errors(change(SINGLE, "answer: C", "answer: E")), "不在选项中")


def test_single_answer_lowercase_is_accepted():
    """answer: c is read as "C"."""
    bank, _ = load(change(SINGLE, "answer: C", "answer: c"))
    assert bank.questions[0].answer == "C"


@pytest.mark.parametrize("answer", ["AB", "甲", "1"])
def test_single_answer_must_be_one_letter(answer):
    """A single answer is exactly one letter."""
    assert has_error(errors(change(SINGLE, "answer: C", f"answer: '{answer}'")), "单选题答案")


@pytest.mark.parametrize("answer", ["ACD", "DCA", "acd", "A,C,D", "A、C、D", "A C D", "A，C，D", "[A, C, D]"])
def test_multiple_answer_forms_are_normalised(answer):
    """Multiple answers given as letters, with separators or as a list become sorted "ACD"."""
    bank, issues = load(change(MULTIPLE, "answer: ACD", f"answer: {answer}"))
    assert issues == [] and bank.questions[0].answer == "ACD"


def test_multiple_needs_two_letters():
    """A multiple-choice question has at least two correct letters."""
    assert has_error(errors(change(MULTIPLE, "answer: ACD", "answer: A")), "至少应有两个")


def test_multiple_duplicate_letters_are_an_error():
    """"AAC" is a typo, not "AC"."""
    assert has_error(errors(change(MULTIPLE, "answer: ACD", "answer: AAC")), "重复的字母")


def test_multiple_letters_must_be_among_options():
    """Each multiple answer letter must exist among the options."""
    assert has_error(errors(change(MULTIPLE, "answer: ACD", "answer: ACE")), "答案 E 不在选项中")


def test_judge_with_options_is_an_error():
    """Judge questions have no options."""
    text = change(JUDGE, "  answer: true", "  options: [正确, 错误]\n  answer: true")
    assert has_error(errors(text), "判断题不应有选项")


@pytest.mark.parametrize("answer,expected", [
    ("true", True), ("false", False), ("'true'", True), ("对", True), ("错", False),
    ("正确", True), ("错误", False)])
def test_judge_answer_words_are_accepted(answer, expected):
    """Judge answers: true/false, also 对/错 and 正确/错误."""
    bank, issues = load(change(JUDGE, "answer: true", f"answer: {answer}"))
    assert issues == [] and bank.questions[0].answer is expected


@pytest.mark.parametrize("answer", ["1", "也许", "[true]"])
def test_judge_answer_must_be_boolean(answer):
    """Anything else as a judge answer is an error."""
    assert has_error(errors(change(JUDGE, "answer: true", f"answer: {answer}")), "判断题答案")


def test_blank_count_must_match_stem():
    """The number of ____ in the stem equals the number of answer entries."""
    found = errors(change(BLANK, "[[两人, 2人]]", "[[两人], [除外]]"))
    assert has_error(found, "题干中有 1 个空")


def test_blank_without_blank_in_stem_is_an_error():
    """A blank question whose stem has no ____ is an error."""
    assert has_error(errors(change(BLANK, "不得少于____，", "不得少于两人，")), "题干中有 0 个空")


def test_blank_answer_single_strings_are_accepted():
    """A blank entry written as a plain string is one variant."""
    bank, _ = load(change(BLANK, "[[两人, 2人]]", "[两人]"))
    assert bank.questions[0].answer == (("两人",),)


def test_blank_empty_variant_list_is_an_error():
    """Each blank needs at least one accepted answer."""
    assert has_error(errors(change(BLANK, "[[两人, 2人]]", "[[]]")), "没有答案")


def test_case_without_scoring_points_is_an_error():
    """Case questions need scoring points."""
    text = change(CASE, "  scoring_points:\n    - {point: 指出第五十一条的条件, score: 3}\n"
                        "    - {point: 结论正确, score: 2}\n", "")
    assert has_error(errors(text), "评分要点")


def test_case_scoring_point_needs_positive_score():
    """A scoring point's score is a positive number."""
    assert has_error(errors(change(CASE, "score: 2}", "score: 0}")), "应为正数")


def test_scoring_points_on_other_types_are_an_error():
    """Only case questions have scoring points."""
    text = change(SINGLE, "  answer: C", "  answer: C\n  scoring_points: [{point: x, score: 1}]")
    assert has_error(errors(text), "只有案例分析题")


def test_missing_explanation_is_an_error():
    """Every question has an explanation (解析); an empty one counts as missing."""
    assert has_error(errors(change(SINGLE, "explanation: 依据《行政处罚法》第五十一条。", "explanation: ''")),
                     "explanation")


@pytest.mark.parametrize("difficulty", ["0", "4", "'2'", "1.5", "true"])
def test_difficulty_must_be_1_to_3(difficulty):
    """Difficulty is the integer 1, 2 or 3."""
    assert has_error(errors(change(SINGLE, "difficulty: 1", f"difficulty: {difficulty}")), "难度")


def test_status_must_be_known():
    """Status is draft, reviewed, published or retired."""
    assert has_error(errors(change(SINGLE, "status: published", "status: approved")), "状态“approved”无效")


def test_citation_preamble_and_law_prefix():
    """A preamble citation has no article; 中华人民共和国 and 《》 are dropped from the law name."""
    text = change(SINGLE, "{law: 行政处罚法, article: 51}",
                  "{law: 《中华人民共和国宪法》, preamble: true}\n    - {law: 行政处罚法, article: 第五十一条}")
    bank, issues = load(text)
    assert issues == []
    assert bank.questions[0].citations == (Citation("宪法", None, preamble=True), Citation("行政处罚法", 51))


@pytest.mark.parametrize("citation,fragment", [
    ("{law: 行政处罚法}", "缺少 article"),
    ("{law: 行政处罚法, article: 0}", "条号"),
    ("{law: 宪法, preamble: true, article: 1}", "不能同时"),
    ("{article: 51}", "缺少 law"),
    ("{law: 行政处罚法, article: 51, paragraph: -1}", "款号"),
    ("{law: 行政处罚法, article: 51, clause: 1}", "未知字段"),
])
def test_bad_citations_are_errors(citation, fragment):
    """Malformed citations are reported."""
    assert has_error(errors(change(SINGLE, "{law: 行政处罚法, article: 51}", citation)), fragment)


# --------------------------------------------------------------------------- numbers

@pytest.mark.parametrize("numeral,value", [
    ("十五", 15), ("二百", 200), ("两千", 2000), ("一百零三", 103), ("3000", 3000), ("５万", 50000),
    ("十", 10), ("一九四九", None), ("万", None), ("", None), ("abc", None)])
def test_cn_number(numeral, value):
    """Chinese and Arabic numerals are read; years written digit by digit and junk are None."""
    assert cn_number(numeral) == value


@pytest.mark.parametrize("text,expected", [
    ("二百元", {(200, "元")}),
    ("200元", {(200, "元")}),
    ("十五日", {(15, "日")}),
    ("15天", {(15, "日")}),
    ("三个工作日", {(3, "工作日")}),
    ("百分之三十", {(30, "%")}),
    ("30%", {(30, "%")}),
    ("３０％", {(30, "%")}),
    ("一百零三人", {(103, "人")}),
    ("六个月", {(6, "个月")}),
    ("1.5万元", {(15000, "元")}),
    ("0.5倍", {(0.5, "倍")}),
    ("二十四小时", {(24, "小时")}),
    ("一倍以上五倍以下", {(1, "倍"), (5, "倍")}),
    ("当事人或者第三人", set()),
    ("人民代表大会第三人民法院", set()),
    ("自2021年7月15日起施行，二〇二一年一月二十二日修订", set()),
    ("第五十一条第二款", set()),
])
def test_numbers_with_units(text, expected):
    """Numbers followed by a unit are extracted as (value, unit); ordinals and dates are not."""
    assert numbers_with_units(text) == expected


def test_numbers_compare_by_value():
    """二百元 == 200元 and 两人 == 二人 == 2人 once extracted."""
    assert numbers_with_units("二百元") == numbers_with_units("200元")
    assert numbers_with_units("两人") == numbers_with_units("二人") == numbers_with_units("2人")


# --------------------------------------------------------------------------- validate against the law

def test_valid_bank_validates_cleanly():
    """Questions whose citations, blanks and numbers match the law text give no errors; only the deliberate
    distractor amounts of the single-choice question are reported as warnings."""
    issues = check(SINGLE, MULTIPLE, JUDGE, BLANK, CASE, METHOD)
    assert [i.level for i in issues] == ["warning"] * len(issues)
    assert {i.key for i in issues} == {"demo-0001"}


def test_unresolved_article_is_an_error():
    """A citation to an article that does not exist in the current law is an error."""
    issues = check(change(SINGLE, "article: 51", "article: 510"))
    assert [(i.level, i.key) for i in issues] == [("error", "demo-0001")]
    assert "第五百一十条" in issues[0].message


def test_unknown_law_is_an_error():
    """A citation to a law missing from the library is an error."""
    issues = check(change(SINGLE, "{law: 行政处罚法, article: 51}", "{law: 治安管理处罚法, article: 51}"))
    assert issues and issues[0].level == "error" and "治安管理处罚法" in issues[0].message


def test_preamble_citation_needs_a_preamble():
    """A preamble citation resolves when the law has a preamble; without one (not imported yet) it cannot be
    checked and is reported as a warning, not an error."""
    ok = change(JUDGE, "{law: 行政处罚法, article: 42, paragraph: 1}", "{law: 宪法, preamble: true}")
    assert [i for i in check(ok) if i.level == "error"] == []
    missing = change(JUDGE, "{law: 行政处罚法, article: 42, paragraph: 1}", "{law: 行政处罚法, preamble: true}")
    issues = check(missing)
    assert [i.level for i in issues] == ["warning"] and "尚未导入" in issues[0].message


def test_paragraph_beyond_article_is_an_error():
    """第五十八条 has two 款 (its four 项 do not count): paragraph 2 is fine, paragraph 3 is an error."""
    assert check(change(MULTIPLE, "paragraph: 1", "paragraph: 2")) == []
    issues = check(change(MULTIPLE, "paragraph: 1", "paragraph: 3"))
    assert [i.level for i in issues] == ["error"] and "只有2款" in issues[0].message


def test_question_without_citations_or_references_is_an_error():
    """A question needs citations, or references for working-method questions."""
    issues = check(change(METHOD, '  references: ["国办发〔2018〕118号"]\n', ""))
    assert [i.level for i in issues] == ["error"] and "没有出处" in issues[0].message


def test_references_without_citations_are_fine():
    """Working-method questions may cite only documents outside the library."""
    assert check(METHOD) == []


def test_blank_answer_not_in_cited_text_is_an_error():
    """The canonical (first) variant of each blank must occur in a cited article."""
    issues = check(change(BLANK, "[[两人, 2人]]", "[[三人, 两人]]"))
    assert [i.level for i in issues if i.level == "error"] == ["error"]
    assert any("填空答案“三人”未出现在所引条文中" in i.message for i in issues)


def test_blank_answer_ignores_whitespace():
    """Whitespace in the law text or the answer does not matter for the blank check."""
    spaced = dict(ARTICLES)
    spaced[("行政处罚法", 42)] = ARTICLES[("行政处罚法", 42)].replace("两人", "两 人")
    bank, _ = load(BLANK)
    assert validate_bank(bank, lambda law, n: spaced.get((law, n)), PREAMBLES.get) == []


def test_old_law_amount_is_a_warning():
    """五十元 (the pre-2021 amount) in a question citing an article that says 二百元 is a warning."""
    text = change(SINGLE, "answer: C", "answer: A")
    issues = check(text)
    assert Issue("warning", "demo", "demo-0001", "数字“五十元”未出现在所引条文中") in issues
    assert all(i.level == "warning" for i in issues)


def test_number_in_stem_not_in_text_is_a_warning():
    """A number with a unit in the stem that the cited article does not contain is a warning."""
    issues = check(change(JUDGE, "执法人员不得少于两人", "执法人员不得少于三人"))
    assert [(i.level, i.message) for i in issues] == [("warning", "数字“三人”未出现在所引条文中")]


def test_numbers_match_by_value():
    """200元 in a question matches 二百元 in the article; 2人 matches 两人."""
    assert check(change(SINGLE, "罚款的，", "罚款（如200元）的，")) == check(SINGLE)
    assert check(change(JUDGE, "不得少于两人", "不得少于2人")) == []


def test_distractors_and_false_statements_are_reported_as_warnings():
    """Numbers in every option and in the stem are checked (as the bank rules say), so deliberate distractors
    and false judge statements show up as warnings for the reviewer, never as errors."""
    messages = {i.message for i in check(SINGLE)}
    assert "数字“五十元”未出现在所引条文中" in messages
    false_statement = change(change(JUDGE, "不得少于两人", "不得少于三人"), "answer: true", "answer: false")
    assert [(i.level, i.message) for i in check(false_statement)] == [("warning", "数字“三人”未出现在所引条文中")]


def test_working_days_follow_the_definition_article():
    """三个工作日 matches 三日 when a cited article defines those days as 工作日 (e.g. 第八十五条)."""
    blank = """
    - key: demo-0007
      type: blank
      stem: 行政机关应当在____内撤回行政处罚决定信息。
      answer: [[三日, 三个工作日]]
      explanation: 依据《行政处罚法》第四十八条第二款、第八十五条。
      citations:
        - {law: 行政处罚法, article: 48, paragraph: 2}
        - {law: 行政处罚法, article: 85}
      difficulty: 2
      tags: []
      status: published
    """
    assert check(blank) == []
    without_85 = blank.replace("        - {law: 行政处罚法, article: 85}\n", "")
    assert [i.message for i in check(without_85)] == ["数字“三个工作日”未出现在所引条文中"]


def test_blank_without_citations_is_a_warning():
    """A blank question citing only references cannot be checked: warning."""
    text = change(change(BLANK, "  citations:\n    - {law: 行政处罚法, article: 42}\n", ""),
                  "  status: published", "  references: [某文件]\n  status: published")
    assert [i.level for i in check(text)] == ["warning"]


def test_validate_banks_finds_keys_repeated_across_banks():
    """A key used in two banks is an error in the second one."""
    first, _ = load(SINGLE)
    second, _ = load_bank(bank_yaml(change(JUDGE, "demo-0003", "demo-0001"),
                                    header=HEADER.replace("bank: demo", "bank: other")), "other.yaml")
    issues = validate_banks([first, second])
    assert [(i.level, i.bank, i.key) for i in issues] == [("error", "other", "demo-0001")]
    assert "demo" in issues[0].message
    assert validate_banks([first]) == []


def test_summary_counts_types_per_bank():
    """summary() gives every type's count for every bank, zeros included."""
    bank, _ = load(SINGLE, MULTIPLE, JUDGE, BLANK, CASE, METHOD)
    assert summary([bank]) == {"demo": {"single": 1, "multiple": 1, "judge": 2, "blank": 1, "case": 1}}


def test_types_match_the_registry():
    """The bank file types are exactly the registered question types."""
    assert set(TYPES) == set(REGISTRY)


# --------------------------------------------------------------------------- dump

TRICKY = """
- key: demo-0008
  type: single
  stem: "题干含有: 冒号、# 井号和 'quotes'"
  options: ["true", "10", "null", "- 短横", "A级"]
  answer: B
  explanation: "解析\\n第二行"
  citations:
    - {law: 宪法, preamble: true, paragraph: 2}
  difficulty: 3
  tags: ["2021", 罚款]
  references: [国办发〔2018〕118号]
  status: retired
"""


def test_round_trip_of_a_hand_written_bank():
    """load(dump(bank)) equals the bank for every type, including tricky strings."""
    bank, issues = load(SINGLE, MULTIPLE, JUDGE, BLANK, CASE, METHOD, TRICKY)
    assert issues == []
    again, issues = load_bank(dump_bank(bank), "demo.yaml")
    assert issues == [] and again == bank


def test_round_trip_of_a_constructed_bank():
    """A BankSpec built in code survives dump and load unchanged."""
    bank = BankSpec(format=1, slug="made", title="手工题库", course="", questions=(
        QuestionSpec(key="made-0001", type="blank", stem="____和____", options=(), answer=(("甲", "A"), ("乙",)),
                     explanation="解析", citations=(Citation("行政处罚法", 1, 1),), difficulty=2,
                     tags=(), references=(), status="draft"),
        QuestionSpec(key="made-0002", type="case", stem="案情", options=(), answer="参考答案\n  缩进行",
                     explanation="解析", citations=(Citation("宪法", None, preamble=True),), difficulty=3,
                     tags=("案例",), references=("文件",), status="reviewed",
                     scoring_points=(ScoringPoint("要点一", 2.5), ScoringPoint("要点二", 1.0))),
    ))
    again, issues = load_bank(dump_bank(bank), "made.yaml")
    assert [i.level for i in issues] == ["warning"]          # empty course
    assert again == bank


def test_dump_is_readable_block_yaml():
    """The dump looks like the README: indented question list, flow citations and tags, Chinese as is."""
    bank, _ = load(SINGLE, CASE)
    text = dump_bank(bank)
    assert text.startswith("format: 1\nbank: demo\ntitle: 演示题库\ncourse: 行政处罚法\nquestions:\n  - key: demo-0001\n")
    assert "      - {law: 行政处罚法, article: 51}\n" in text
    assert "    tags: [简易程序, 罚款]\n" in text
    assert "    answer: |-\n      可以。" in text
    assert "\\u" not in text and "&id" not in text


@pytest.mark.parametrize("path", BANK_FILES, ids=[p.name for p in BANK_FILES])
def test_round_trip_of_real_bank_files(path):
    """Every real bank file that loads survives dump and load unchanged."""
    bank, _ = load_bank(path.read_text(encoding="utf-8"), path.name)
    if bank is None:
        pytest.skip(f"{path.name} does not load yet")
    again, issues = load_bank(dump_bank(bank), path.name)
    assert [i for i in issues if i.level == "error"] == []
    assert again == bank
