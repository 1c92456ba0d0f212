"""Unit tests for trainer.laws.parser (pure law-text parser; no app, no database)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from trainer.laws.parser import (
    LawParseError,
    ParsedLaw,
    cn_numeral_to_int,
    int_to_cn_numeral,
    parse_docx,
    parse_text,
    split_paragraphs,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "laws"
SHARED_LAWS = next(
    (p for p in (REPO_ROOT.parent / "shared" / "laws", Path("/work/shared/laws")) if p.is_dir()),
    None,
)
needs_shared = pytest.mark.skipif(SHARED_LAWS is None, reason="shared law texts not available")


def _fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def _docx_bytes(lines: list[str]) -> bytes:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _shared_law(prefix: str) -> ParsedLaw:
    assert SHARED_LAWS is not None
    (path,) = sorted(SHARED_LAWS.glob(f"{prefix}*.md"))
    return parse_text(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- numerals

NUMERALS = [
    (1, "一"), (2, "二"), (9, "九"), (10, "十"), (11, "十一"), (15, "十五"), (20, "二十"),
    (33, "三十三"), (99, "九十九"), (100, "一百"), (101, "一百零一"), (103, "一百零三"),
    (110, "一百一十"), (115, "一百一十五"), (143, "一百四十三"), (200, "二百"),
    (1000, "一千"), (1010, "一千零一十"), (1260, "一千二百六十"), (10000, "一万"),
]


@pytest.mark.parametrize(("number", "numeral"), NUMERALS)
def test_cn_numeral_to_int(number: int, numeral: str) -> None:
    """Chinese numerals convert to the right int (十 = 10, 一百零三 = 103, 一百一十 = 110)."""
    assert cn_numeral_to_int(numeral) == number


@pytest.mark.parametrize(("number", "numeral"), NUMERALS)
def test_int_to_cn_numeral(number: int, numeral: str) -> None:
    """Ints convert to the canonical Chinese numeral (10 -> 十, 110 -> 一百一十)."""
    assert int_to_cn_numeral(number) == numeral


def test_numeral_round_trip() -> None:
    """int_to_cn_numeral and cn_numeral_to_int are inverse for 1..2000."""
    for n in range(1, 2001):
        assert cn_numeral_to_int(int_to_cn_numeral(n)) == n


def test_numeral_variants() -> None:
    """Arabic digits, 两, 零 and the 一十 form are accepted as input."""
    assert cn_numeral_to_int("33") == 33
    assert cn_numeral_to_int("两百") == 200
    assert cn_numeral_to_int("一十五") == 15
    assert cn_numeral_to_int("零") == 0


@pytest.mark.parametrize("bad", ["", "abc", "三三", "第一"])
def test_numeral_invalid(bad: str) -> None:
    """Strings that are not numerals raise ValueError."""
    with pytest.raises(ValueError):
        cn_numeral_to_int(bad)


# --------------------------------------------------------------------------- Markdown fixture

def test_markdown_fixture_title_history_articles() -> None:
    """Markdown: '# title', '<date> <event>' history up to INFO END, and articles are read."""
    law = parse_text(_fixture_text("sample_law.md"))
    assert law.title == "测试解析示范条例"
    assert law.history == [
        ("2001-02-03", "测试委员会第1号令发布"),
        ("2015-06-07", "《测试委员会关于修改部分示范条例的决定》第一次修订"),
        ("2020-12-31", "测试委员会第9号令第二次修订"),
    ]
    assert law.version_date == "2020-12-31"
    assert law.preamble is None
    assert [a.number for a in law.articles] == [1, 2, 3, 4, 5, 6]
    assert [a.label for a in law.articles][:3] == ["第一条", "第二条", "第三条"]
    assert law.articles[0].text == "为了测试本解析器，制定本条例。"


def test_markdown_fixture_chapters_and_sections() -> None:
    """Markdown: '##' sets the chapter, '###' the section, and a new chapter resets the section."""
    law = parse_text(_fixture_text("sample_law.md"))
    places = [(a.part, a.chapter, a.section) for a in law.articles]
    assert places == [
        (None, "第一章 总则", None),
        (None, "第一章 总则", None),
        (None, "第二章 具体规定", "第一节 一般规定"),
        (None, "第二章 具体规定", "第二节 特别规定"),
        (None, "第二章 具体规定", "第二节 特别规定"),
        (None, "第三章 附则", None),
    ]


def test_markdown_comments_and_zero_width_lines_ignored() -> None:
    """Markdown: HTML comments and zero-width-space lines never become article text."""
    law = parse_text(_fixture_text("sample_law.md"))
    assert law.articles[3].text == "标题中的空格应当去除。"
    assert all("<!--" not in a.text and "\u200b" not in a.text for a in law.articles)


def test_markdown_items_and_paragraphs_kept_as_lines() -> None:
    """Markdown: an article's paragraphs and items become its text lines, in order."""
    law = parse_text(_fixture_text("sample_law.md"))
    assert law.articles[1].text.split("\n") == [
        "本条例适用于下列情形：",
        "（一）识别标题和修订记录；",
        "（二）识别章、节和条；",
        "（三）识别款和项。",
        "有前款规定以外情形的，依照本条例第一条处理。",
    ]


# --------------------------------------------------------------------------- plain-text fixture

def test_txt_fixture_title_and_parenthesised_history() -> None:
    """Text: each date inside the history parenthesis is one entry; '自…起施行' is not an entry."""
    law = parse_text(_fixture_text("sample_law.txt"))
    assert law.title == "中华人民共和国测试解析办法"
    assert [d for d, _ in law.history] == ["2001-02-03", "2010-10-01", "2020-12-31"]
    assert law.history[0][1] == "第一届测试代表大会第一次会议通过"
    assert law.history[1][1] == (
        "第一届测试代表大会常务委员会第五次会议《关于修改部分测试办法的决定》第一次修正")
    assert law.history[2][1].startswith("第二届测试代表大会常务委员会第九次会议修订")
    assert law.version_date == "2020-12-31"


def test_txt_fixture_preamble() -> None:
    """Text: the 序　　言 heading starts the preamble, its paragraphs joined with newlines."""
    law = parse_text(_fixture_text("sample_law.txt"))
    assert law.preamble == "本办法是为测试解析器而虚构的文本，不是任何真实的法律。\n序言可以有多个段落。"


def test_txt_fixture_toc_skipped() -> None:
    """Text: the 目录 block is skipped; its entries neither become headings nor text."""
    law = parse_text(_fixture_text("sample_law.txt"))
    assert len(law.articles) == 7
    assert "目" not in (law.preamble or "")
    assert "第一编" not in (law.preamble or "")
    assert law.articles[0].chapter == "第一章 一般规定"


def test_txt_fixture_parts_chapters_sections_reset() -> None:
    """Text: 编 resets 章 and 节, 章 resets 节; headings use full-width spaces."""
    law = parse_text(_fixture_text("sample_law.txt"))
    places = [(a.part, a.chapter, a.section) for a in law.articles]
    assert places == [
        ("第一编 总则", "第一章 一般规定", None),
        ("第一编 总则", "第一章 一般规定", None),
        ("第一编 总则", "第二章 适用范围", "第一节 一般规定"),
        ("第一编 总则", "第二章 适用范围", "第二节 特别规定"),
        ("第一编 总则", "第二章 适用范围", "第二节 特别规定"),
        ("第二编 分则", "第三章 测试程序", None),
        ("第二编 分则", "第三章 测试程序", "第一节 一般规定"),
    ]


def test_txt_fixture_indentation_and_label_space_stripped() -> None:
    """Text: full-width indentation and the space after the label (full-width or not) go away."""
    law = parse_text(_fixture_text("sample_law.txt"))
    assert law.articles[0].text == "为了测试本解析器，制定本办法。"
    assert law.articles[2].text.startswith("解析器应当")
    assert law.articles[4].text == "本条有两款。\n这是第二款。"


def test_mid_text_article_reference_does_not_split() -> None:
    """A 第X条 inside a line, or at a line start without a following space, is not a new article."""
    law = parse_text(_fixture_text("sample_law.txt"))
    assert law.articles[2].text == (
        "解析器应当依照本办法第二条规定识别条文。\n第二条规定的情形，不另起一条。")
    md_law = parse_text(_fixture_text("sample_law.md"))
    assert md_law.articles[2].text.endswith("第二条规定的情形发生变化的，本条不另起一条。")


# --------------------------------------------------------------------------- .docx

def test_docx_matches_txt() -> None:
    """.docx: one Word paragraph per line gives the same result as the .txt layout."""
    text = _fixture_text("sample_law.txt")
    from_docx = parse_docx(_docx_bytes(text.split("\n")))
    assert from_docx == parse_text(text)


def test_docx_soft_line_breaks_split_lines() -> None:
    """.docx: a soft line break inside a Word paragraph separates lines."""
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("测试换行办法")
    paragraph = document.add_paragraph("第一条　第一款。")
    paragraph.add_run().add_break()
    paragraph.add_run("第二条　另一条。")
    buffer = io.BytesIO()
    document.save(buffer)
    law = parse_docx(buffer.getvalue())
    assert [a.text for a in law.articles] == ["第一款。", "另一条。"]


def test_docx_invalid_bytes_raise() -> None:
    """.docx: bytes that are not a Word file raise LawParseError."""
    with pytest.raises(LawParseError, match="Word"):
        parse_docx(b"not a docx file")


# --------------------------------------------------------------------------- headings

@pytest.mark.parametrize("heading", [
    "## 第一章 总则", "## 第一章 总 则", "第一章　总　　则", "　　第一章　总　则　", "第一章 总则"])
def test_heading_spaces_normalised(heading: str) -> None:
    """Heading names lose inner spaces: '第一章　总　　则' -> '第一章 总则'."""
    law = parse_text(f"测试标题\n{heading}\n第一条 内容。\n")
    assert law.articles[0].chapter == "第一章 总则"


def test_heading_without_name() -> None:
    """A bare '第二章' heading is kept as its label."""
    law = parse_text("测试标题\n第二章\n第一条 内容。\n")
    assert law.articles[0].chapter == "第二章"


def test_section_reset_by_chapter_only_inline() -> None:
    """A new 章 without a 节 leaves section None even after a previous 节."""
    law = parse_text(
        "测试标题\n## 第一章 甲\n### 第一节 乙\n第一条 一。\n## 第二章 丙\n第二条 二。\n")
    assert law.articles[0].section == "第一节 乙"
    assert (law.articles[1].chapter, law.articles[1].section) == ("第二章 丙", None)


def test_article_label_alone_on_line() -> None:
    """An article label alone on its line takes its text from the following lines."""
    law = parse_text("测试标题\n第一条\n内容在下一行。\n")
    assert law.articles[0].text == "内容在下一行。"


def test_lines_before_body_ignored() -> None:
    """Lines before the first heading/article that are not history are ignored."""
    law = parse_text("测试标题\n测试机关令 第一号\n（说明文字）\n第一条 内容。\n")
    assert law.history == []
    assert law.version_date is None
    assert law.articles[0].text == "内容。"


def test_crlf_and_bom_accepted() -> None:
    """Windows line endings and a UTF-8 BOM do not disturb parsing."""
    law = parse_text("\ufeff测试标题\r\n\r\n第一条 内容。\r\n第二条 更多。\r\n")
    assert law.title == "测试标题"
    assert [a.text for a in law.articles] == ["内容。", "更多。"]


# --------------------------------------------------------------------------- split_paragraphs

def test_split_paragraphs_items_vs_paragraphs() -> None:
    """split_paragraphs numbers 款 1.. counting paragraphs only, and 项 by their （一） label."""
    text = "有下列情形之一的，适用本条：\n（一）甲；\n（二）乙；\n（十）丙。\n前款规定以外的，不适用。"
    assert split_paragraphs(text) == [
        ("paragraph", 1, "有下列情形之一的，适用本条："),
        ("item", 1, "（一）甲；"),
        ("item", 2, "（二）乙；"),
        ("item", 10, "（十）丙。"),
        ("paragraph", 2, "前款规定以外的，不适用。"),
    ]


def test_split_paragraphs_skips_blank_lines() -> None:
    """split_paragraphs ignores empty lines."""
    assert split_paragraphs("甲。\n\n乙。") == [("paragraph", 1, "甲。"), ("paragraph", 2, "乙。")]


# --------------------------------------------------------------------------- errors

def test_non_consecutive_numbering_raises() -> None:
    """A gap in article numbers raises LawParseError naming the line and both numbers."""
    text = "测试标题\n" + "".join(f"第{int_to_cn_numeral(n)}条 内容。\n" for n in (1, 2, 3, 4, 5, 7))
    with pytest.raises(LawParseError, match=r"^第7行：条号不连续（第五条之后是第七条）$"):
        parse_text(text)


def test_numbering_must_start_at_one() -> None:
    """The first article must be 第一条."""
    with pytest.raises(LawParseError, match="第一条开始"):
        parse_text("测试标题\n第三条 内容。\n")


def test_duplicate_article_raises() -> None:
    """A repeated article number raises LawParseError."""
    with pytest.raises(LawParseError, match="条号不连续"):
        parse_text("测试标题\n第一条 内容。\n第一条 又一次。\n")


def test_article_with_zhi_suffix_rejected() -> None:
    """'第X条之一' articles are reported instead of being silently merged."""
    with pytest.raises(LawParseError, match="之一"):
        parse_text("测试标题\n第一条 内容。\n第一条之一 插入的条文。\n")


@pytest.mark.parametrize("text", ["", "\n\n", "　　\n  \n"])
def test_empty_input_raises(text: str) -> None:
    """Empty or whitespace-only input raises LawParseError."""
    with pytest.raises(LawParseError):
        parse_text(text)


def test_no_articles_raises() -> None:
    """A title without any article raises '未找到任何条文'."""
    with pytest.raises(LawParseError, match="未找到任何条文"):
        parse_text("测试标题\n（2020年1月1日通过）\n第一章 总则\n")


def test_missing_title_raises() -> None:
    """Text whose first line is already an article has no title and raises."""
    with pytest.raises(LawParseError, match="标题"):
        parse_text("第一条 内容。\n")


def test_law_parse_error_is_value_error() -> None:
    """LawParseError is a ValueError subclass."""
    assert issubclass(LawParseError, ValueError)


# --------------------------------------------------------------------------- real files

REAL_COUNTS = [
    ("宪法", 143),
    ("行政处罚法", 86),
    ("行政许可法", 83),
    ("行政强制法", 71),
    ("行政复议法", 90),
    ("行政诉讼法", 103),
    ("城市市容和环境卫生管理条例", 45),
]


@needs_shared
@pytest.mark.parametrize(("prefix", "count"), REAL_COUNTS)
def test_real_file_article_counts(prefix: str, count: int) -> None:
    """Every shared law file imports with the article count listed in its README."""
    law = _shared_law(prefix)
    assert len(law.articles) == count
    assert [a.number for a in law.articles] == list(range(1, count + 1))
    assert law.title.endswith(prefix)
    assert law.history and law.version_date
    assert all(a.text for a in law.articles)
    assert all(a.chapter for a in law.articles)


@needs_shared
def test_real_constitution_preamble() -> None:
    """The Constitution has a non-empty preamble and no part (编)."""
    law = _shared_law("宪法")
    assert law.preamble
    assert len(law.preamble.split("\n")) > 5
    assert "FORCE BREAK" not in law.preamble
    assert all(a.part is None for a in law.articles)
    assert law.version_date == "2018-03-11"


@needs_shared
def test_real_administrative_penalty_law_article_33() -> None:
    """行政处罚法 article 33 has 3 paragraphs in chapter 4; the version date is 2021-01-22."""
    law = _shared_law("行政处罚法")
    article = law.articles[32]
    assert article.number == 33
    assert article.label == "第三十三条"
    assert article.chapter == "第四章 行政处罚的管辖和适用"
    assert article.section is None
    kinds = [kind for kind, _, _ in split_paragraphs(article.text)]
    assert kinds == ["paragraph", "paragraph", "paragraph"]
    assert law.version_date == "2021-01-22"


@needs_shared
def test_real_heading_inner_spaces_normalised() -> None:
    """Real headings like '## 第一章 总 则' become '第一章 总则'."""
    assert _shared_law("行政复议法").articles[0].chapter == "第一章 总则"
    assert _shared_law("行政许可法").articles[0].chapter == "第一章 总则"
