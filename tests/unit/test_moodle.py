"""Unit tests for trainer.banks.moodle (Moodle XML export and import)."""

import dataclasses
import pathlib
import xml.etree.ElementTree as ET

import pytest

from trainer.banks.bankfile import Citation, QuestionSpec, ScoringPoint, load_bank
from trainer.banks.moodle import export_moodle_xml, moodle_fraction, parse_moodle_xml
from trainer.uploads import UploadError

BANKS = pathlib.Path(__file__).resolve().parents[2] / "question_banks"
EXPL_51 = "依据《行政处罚法》第五十一条，对公民处以二百元以下、对法人或者其他组织处以三千元以下罚款或者警告的，可以当场作出行政处罚决定。"
# Moodle's allowed grade fractions (question/format.php), positive and negative
ALLOWED = {"100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333", "30", "25", "20",
           "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0"}
ALLOWED |= {"-" + f for f in ALLOWED if f != "0"}


def spec(key, qtype, stem, options=(), answer=None, explanation=EXPL_51, citations=(Citation("行政处罚法", 51),),
         difficulty=1, tags=(), references=(), scoring_points=()):
    return QuestionSpec(key, qtype, stem, tuple(options), answer, explanation, tuple(citations), difficulty,
                        tuple(tags), tuple(references), "draft", tuple(scoring_points))


SPECS = [
    spec("xzcf-0001", "single", "违法事实确凿并有法定依据，对公民处以（ ）以下罚款的，可以当场作出行政处罚决定。",
         ("五十元", "一百元", "二百元", "五百元"), "C", tags=("当场处罚", "罚款")),
    spec("xzcf-0002", "multiple", "下列属于《行政处罚法》第九条规定的行政处罚种类的有（ ）。",
         ("警告", "罚款", "先行登记保存", "行政拘留"), "ABD",
         explanation="依据《行政处罚法》第九条，警告、罚款、行政拘留是行政处罚；先行登记保存是第五十六条规定的证据保全措施。",
         citations=(Citation("行政处罚法", 9), Citation("行政处罚法", 56)), difficulty=2),
    spec("xzcf-0003", "judge", "违法行为在三年内未被发现的，才不再给予行政处罚。", answer=False,
         explanation="依据《行政处罚法》第三十六条第一款，期限为二年。", citations=(Citation("行政处罚法", 36, 1),)),
    spec("xzcf-0004", "judge", "对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。", answer=True,
         explanation="依据《行政处罚法》第二十九条。", citations=(Citation("行政处罚法", 29),), difficulty=3),
    spec("xzcf-0005", "blank", "依照第五十一条当场作出行政处罚决定，依法给予____以下罚款的，执法人员可以当场收缴罚款。",
         answer=(("一百元", "100元"),), explanation="依据《行政处罚法》第六十八条第（一）项。",
         citations=(Citation("行政处罚法", 68),)),
    spec("xzcf-0006", "blank", "违法事实确凿并有法定依据，对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，"
         "可以当场作出行政处罚决定。", answer=(("二百元", "200元"), ("三千元",))),
    spec("xzcf-0007", "case", "某区城管执法人员巡查时发现某公司违法事实确凿并有法定依据，拟当场给予警告。\n"
         "问：执法人员当场作出行政处罚决定，应当履行哪些程序？",
         answer="依据《行政处罚法》第五十二条，执法人员应当向当事人出示执法证件，填写预定格式、编有号码的行政处罚决定书，"
                "并当场交付当事人；当事人拒绝签收的，应当在行政处罚决定书上注明。",
         explanation="本题考查当场处罚的程序。", citations=(Citation("行政处罚法", 51), Citation("行政处罚法", 52, 1)),
         difficulty=3, tags=("简易程序",), references=("国办发〔2018〕118号",),
         scoring_points=(ScoringPoint("出示执法证件", 2.0), ScoringPoint("当场交付决定书", 3.5))),
]


def root_of(data: bytes) -> ET.Element:
    return ET.fromstring(data)


def questions(data: bytes) -> list[ET.Element]:
    return [q for q in root_of(data).findall("question") if q.get("type") != "category"]


# --------------------------------------------------------------------------- export

def test_export_structure():
    """A <quiz> with the category question first, then one question per spec with the mapped type."""
    data = export_moodle_xml(SPECS, "行政处罚法题库")
    assert data.startswith(b"<?xml")
    root = root_of(data)
    assert root.tag == "quiz"
    first = root.find("question")
    assert first.get("type") == "category"
    assert first.findtext("category/text") == "$course$/top/行政处罚法题库"
    assert [q.get("type") for q in questions(data)] == [
        "multichoice", "multichoice", "truefalse", "truefalse", "shortanswer", "cloze", "essay"]
    q = questions(data)[0]
    assert q.findtext("name/text") == "xzcf-0001"
    assert q.findtext("single") == "true"
    assert q.findtext("generalfeedback/text") == EXPL_51
    assert [t.findtext("text") for t in q.findall("tags/tag")] == ["当场处罚", "罚款", "难度:简单",
                                                                  "出处:《行政处罚法》第五十一条"]


def test_category_given_with_context_is_kept():
    """A category that already names a Moodle context ($course$/…, $system$/…) is written as is."""
    data = export_moodle_xml([], "$system$/top/法律知识")
    assert root_of(data).find("question/category/text").text == "$system$/top/法律知识"


def test_single_choice_fractions():
    """Single choice: 100 for the answer, 0 for the others."""
    q = questions(export_moodle_xml(SPECS[:1], "c"))[0]
    assert [(a.get("fraction"), a.findtext("text")) for a in q.findall("answer")] == [
        ("0", "五十元"), ("0", "一百元"), ("100", "二百元"), ("0", "五百元")]


@pytest.mark.parametrize("options,answer,right,wrong", [
    (4, "AB", "50", "-50"), (4, "ABD", "33.33333", "-100"), (5, "ABCD", "25", "-100"), (6, "ABCDE", "20", "-100"),
    (8, "AB", "50", "-16.66667"), (7, "ABCDEFG", "14.28571", None), (8, "ABCDEFGH", "12.5", None),
    (5, "AB", "50", "-33.33333"), (8, "ABCDEF", "16.66667", "-50"), (6, "AB", "50", "-25"), (7, "AB", "50", "-20"),
])
def test_multiple_choice_fractions(options, answer, right, wrong):
    """Multiple choice splits 100 among the correct options and -100 among the wrong ones, in Moodle's steps."""
    q = spec("x-0001", "multiple", "下列选项中正确的有（ ）。", [f"选项{n}" for n in range(options)], answer)
    fractions = [a.get("fraction") for a in questions(export_moodle_xml([q], "c"))[0].findall("answer")]
    assert fractions == [right if "ABCDEFGH"[i] in answer else wrong for i in range(options)]
    assert set(fractions) <= ALLOWED


@pytest.mark.parametrize("value,text", [(100, "100"), (50, "50"), (100 / 3, "33.33333"), (-100 / 6, "-16.66667"),
                                        (12.5, "12.5"), (0, "0"), (-0.0, "0"), (100 / 7, "14.28571")])
def test_moodle_fraction(value, text):
    """Fractions are written with at most five decimals, no trailing zeros."""
    assert moodle_fraction(value) == text


def test_truefalse_answers():
    """truefalse: the correct one of true/false has fraction 100."""
    false_q, true_q = questions(export_moodle_xml(SPECS[2:4], "c"))
    def answers(q):
        return [(a.findtext("text"), a.get("fraction")) for a in q.findall("answer")]

    assert answers(false_q) == [("true", "0"), ("false", "100")]
    assert answers(true_q) == [("true", "100"), ("false", "0")]


def test_shortanswer_variants():
    """A one-blank question is a shortanswer with each variant as a 100% answer."""
    q = questions(export_moodle_xml([SPECS[4]], "c"))[0]
    assert [(a.findtext("text"), a.get("fraction")) for a in q.findall("answer")] == [("一百元", "100"), ("100元", "100")]
    assert "____" in q.findtext("questiontext/text")


def test_cloze_syntax():
    """Several blanks become a cloze question with {1:SHORTANSWER:=a~=b} in place of each ____."""
    text = questions(export_moodle_xml([SPECS[5]], "c"))[0].findtext("questiontext/text")
    assert "{1:SHORTANSWER:=二百元~=200元}" in text and "{1:SHORTANSWER:=三千元}" in text and "____" not in text


def test_cloze_special_characters_escaped():
    """} # ~ / " \\ in a cloze answer are escaped with a backslash and read back unchanged."""
    q = spec("x-0001", "blank", "甲____乙____", answer=(("a}b", "c~d"), ("1/2", 'e#"f\\')))
    data = export_moodle_xml([q], "c")
    assert r"{1:SHORTANSWER:=a\}b~=c\~d}" in questions(data)[0].findtext("questiontext/text")
    assert parse_moodle_xml(data, "x").specs == [q]


def test_essay_graderinfo():
    """A case question is an essay; the reference answer and the scoring points are in graderinfo."""
    q = questions(export_moodle_xml([SPECS[6]], "c"))[0]
    info = q.findtext("graderinfo/text")
    assert info.startswith("依据《行政处罚法》第五十二条") and "评分要点：<br>出示执法证件（2分）<br>当场交付决定书（3.5分）" in info
    assert q.findtext("defaultgrade") == "5.5"
    tags = [t.findtext("text") for t in q.findall("tags/tag")]
    assert "出处:《行政处罚法》第五十二条第一款" in tags and "参考文件:国办发〔2018〕118号" in tags


def test_markup_is_escaped():
    """HTML/XML special characters (<, &, ]]>) and line breaks survive as text."""
    q = spec("x-0001", "single", "若 a<b && c>d ]]> 则？\n第二行", ("<b>甲</b>", "乙 & 丙"), "A")
    data = export_moodle_xml([q], "c")
    assert b"<b>" not in data and b"&amp;lt;b&amp;gt;" in data          # HTML-escaped, then XML-escaped
    stem = questions(data)[0].findtext("questiontext/text")
    assert stem == "若 a&lt;b &amp;&amp; c&gt;d ]]&gt; 则？<br>第二行"
    assert parse_moodle_xml(data, "x").specs == [q]


# --------------------------------------------------------------------------- round trips

def test_round_trip():
    """parse_moodle_xml(export_moodle_xml(specs)) gives the same questions, keys from the prefix."""
    preview = parse_moodle_xml(export_moodle_xml(SPECS, "行政处罚法"), "xzcf")
    assert preview.ok, preview.all_errors
    assert preview.specs == SPECS
    assert [i.ref for i in preview.items][:2] == ["第1题（xzcf-0001）", "第2题（xzcf-0002）"]


def test_round_trip_start_number():
    """Imported keys start at ``start``."""
    preview = parse_moodle_xml(export_moodle_xml(SPECS[:2], "c"), "mdl", start=41)
    assert [s.key for s in preview.specs] == ["mdl-0041", "mdl-0042"]


def test_real_banks_round_trip_through_moodle():
    """Every question of the curated banks survives export -> import (key and status aside)."""
    for path in sorted(BANKS.glob("*.yaml")):
        bank, _ = load_bank(path.read_text(encoding="utf-8"), path.name)
        preview = parse_moodle_xml(export_moodle_xml(list(bank.questions), bank.title), "rt")
        assert preview.ok, (path.name, preview.all_errors[:3])
        for original, imported in zip(bank.questions, preview.specs, strict=True):
            assert dataclasses.replace(original, key=imported.key, status="draft") == imported


# --------------------------------------------------------------------------- import of foreign files

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/默认</text></category></question>
  <question type="description"><name><text>说明</text></name><questiontext format="html"><text>请作答</text></questiontext></question>
  <question type="multichoice">
    <name><text>当场处罚上限</text></name>
    <questiontext format="html"><text><![CDATA[<p>违法事实确凿并有法定依据，对公民处以<strong>多少元以下</strong>罚款的，可以当场作出行政处罚决定？</p>]]></text></questiontext>
    <generalfeedback format="html"><text><![CDATA[<p>依据《行政处罚法》第五十一条。</p>]]></text></generalfeedback>
    <single>true</single>
    <answer fraction="0" format="html"><text><![CDATA[<p>一百元</p>]]></text></answer>
    <answer fraction="100" format="html"><text><![CDATA[<p>二百元</p>]]></text></answer>
    <answer fraction="0" format="html"><text>五百元</text></answer>
  </question>
  <question type="multichoice">
    <name><text>处罚种类</text></name>
    <questiontext format="html"><text>下列属于行政处罚的有：</text></questiontext>
    <generalfeedback format="html"><text>依据《行政处罚法》第九条。</text></generalfeedback>
    <single>false</single>
    <answer fraction="50"><text>警告</text></answer>
    <answer fraction="-100"><text>先行登记保存</text></answer>
    <answer fraction="50"><text>罚款</text></answer>
    <tags><tag><text>处罚种类</text></tag></tags>
  </question>
  <question type="truefalse">
    <name><text>一事不再罚</text></name>
    <questiontext format="moodle_auto_format"><text>对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。</text></questiontext>
    <generalfeedback format="html"><text>依据《行政处罚法》第二十九条。</text></generalfeedback>
    <answer fraction="100" format="moodle_auto_format"><text>true</text></answer>
    <answer fraction="0" format="moodle_auto_format"><text>false</text></answer>
  </question>
  <question type="shortanswer">
    <name><text>收缴</text></name>
    <questiontext format="html"><text>依照第五十一条当场作出行政处罚决定，依法给予多少以下罚款的，执法人员可以当场收缴罚款？</text></questiontext>
    <generalfeedback format="html"><text>依据《行政处罚法》第六十八条。</text></generalfeedback>
    <answer fraction="100"><text>一百元</text></answer>
    <answer fraction="50"><text>一百</text></answer>
  </question>
  <question type="cloze">
    <name><text>当场处罚</text></name>
    <questiontext format="html"><text><![CDATA[<p>对公民处以{1:SA:%100%二百元#对~%100%200元}以下、对法人或者其他组织处以{:SHORTANSWER:=三千元~%50%三千}以下罚款或者警告的，可以当场作出行政处罚决定。</p>]]></text></questiontext>
    <generalfeedback format="html"><text>依据《行政处罚法》第五十一条。</text></generalfeedback>
  </question>
  <question type="essay">
    <name><text>案例</text></name>
    <questiontext format="html"><text>执法人员能否当场对某公司给予警告？</text></questiontext>
    <generalfeedback format="html"><text>依据第五十一条。</text></generalfeedback>
    <graderinfo format="html"><text></text></graderinfo>
  </question>
  <question type="matching">
    <name><text>连线</text></name>
    <questiontext format="html"><text>连线</text></questiontext>
  </question>
  <question type="cloze">
    <name><text>混合</text></name>
    <questiontext format="html"><text>{1:MULTICHOICE:=警告~先行登记保存}属于行政处罚。</text></questiontext>
    <generalfeedback format="html"><text>依据第九条。</text></generalfeedback>
  </question>
  <question type="truefalse">
    <name><text>无解析</text></name>
    <questiontext format="html"><text>不满十四周岁的未成年人有违法行为的，不予行政处罚。</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
</quiz>
""".encode()


def test_import_foreign_moodle_file():
    """A file written by Moodle itself: HTML stripped, partial answers ignored, errors per question."""
    preview = parse_moodle_xml(FOREIGN, "mdl")
    items = preview.items
    assert len(items) == 9                      # category and description are skipped
    single, multiple, judge, short, cloze = (i.spec for i in items[:5])
    assert single.stem == "违法事实确凿并有法定依据，对公民处以多少元以下罚款的，可以当场作出行政处罚决定？"
    assert (single.type, single.options, single.answer) == ("single", ("一百元", "二百元", "五百元"), "B")
    assert single.explanation == "依据《行政处罚法》第五十一条。" and single.difficulty == 2
    assert (multiple.type, multiple.answer, multiple.tags) == ("multiple", "AC", ("处罚种类",))
    assert (judge.type, judge.answer) == ("judge", True)
    assert short.type == "blank" and short.answer == (("一百元",),) and short.stem.endswith("____")
    assert cloze.answer == (("二百元", "200元"), ("三千元",))
    assert cloze.stem == "对公民处以____以下、对法人或者其他组织处以____以下罚款或者警告的，可以当场作出行政处罚决定。"
    assert items[5].errors == ["第6题（案例）：缺少参考答案"]
    assert items[6].errors == ["第7题（连线）：不支持的 Moodle 题型“matching”"]
    assert items[7].errors == ["第8题（混合）：完形填空中的“MULTICHOICE”子题不支持导入（只支持 SHORTANSWER）"]
    assert items[8].errors == ["第9题（无解析）：缺少解析"]
    assert not preview.ok and len(preview.specs) == 5


def test_empty_quiz():
    """A quiz without questions is a file-level error."""
    assert parse_moodle_xml(b"<quiz></quiz>", "x").errors == ["文件中没有试题"]


@pytest.mark.parametrize("data,message", [
    (b"", "文件为空"),
    (b"<quiz>" + b" " * (10 * 1024 * 1024) + b"</quiz>", "上限"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "不是 .xml"),
    (b"question,answer\n1,2", "不是有效的 Moodle XML"),
    (b"<quiz><question>", "XML 格式错误"),
    (b"<questions/>", "根元素应为 quiz"),
    (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY e "x">]><quiz>&e;</quiz>', "不安全"),
    (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY e SYSTEM "file:///etc/passwd">]><quiz>&e;</quiz>', "不安全"),
])
def test_rejected_files(data, message):
    """Empty, oversized, binary, non-XML, malformed, non-quiz and entity-laden files raise UploadError."""
    with pytest.raises(UploadError, match=message):
        parse_moodle_xml(data, "x")
