"""Courses, modules and reading progress (trainer.study.services) against a real database.

The session database has the default law library imported and the courses synced."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from trainer.laws.services import current_law, get_article, import_law
from trainer.laws.sources import read_file
from trainer.security import visible_unit_ids
from trainer.study.models import Course, Module, ModuleProgress
from trainer.study.services import (
    MAX_HEARTBEAT_SECONDS,
    PRACTICE_KEY,
    StudyError,
    continue_module,
    course_law,
    course_progress,
    list_courses,
    mark_studied,
    module_articles,
    module_for_article,
    record_reading_time,
    record_visit,
    staff_overview,
    sync_courses,
    user_progress,
)

T0 = datetime(2026, 3, 2, 8, 0, 0)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "laws"
PRACTICE_PAGES = [
    ("行政执法三项制度", ["国办发〔2018〕118号", "行政处罚法 第三十九条", "行政处罚法 第四十七条",
                     "行政处罚法 第四十八条", "行政处罚法 第五十八条"]),
    ("721工作法", ["721工作法（城市管理工作方法）"]),
    ("首违不罚", ["行政处罚法 第三十三条"]),
    ("行政处罚裁量基准", ["行政处罚法 第三十四条", "行政处罚法 第五条", "行政处罚法 第三十二条",
                  "行政处罚法 第四十五条"]),
    ("持证上岗、亮证执法", ["行政处罚法 第四十二条", "行政处罚法 第五十二条", "行政处罚法 第五十五条",
                   "行政强制法 第十七条", "行政强制法 第十八条", "行政强制法 第十九条"]),
    ("谁执法谁普法", ["行政处罚法 第六条", "行政处罚法 第三十三条第三款"]),
]


def course(dbs, key: str) -> Course:
    return dbs.scalar(select(Course).where(Course.key == key))


def modules_of(dbs, course_: Course) -> list[Module]:
    """Modules as stored, in ordinal order (not the session's possibly stale collection)."""
    return list(dbs.scalars(select(Module).where(Module.course_id == course_.id).order_by(Module.ordinal)))


def module_by_title(dbs, key: str, title: str) -> Module:
    return next(m for m in modules_of(dbs, course(dbs, key)) if m.title == title)


def snapshot(dbs) -> dict:
    return {c.key: (c.id, c.ordinal, [(m.id, m.ordinal, m.title) for m in modules_of(dbs, c)])
            for c in dbs.scalars(select(Course))}


# ---- courses and modules -----------------------------------------------------------------------------

def test_sync_courses_is_idempotent(dbs):
    """Running sync_courses (twice) on synced data keeps every course and module id, ordinal and title."""
    before = snapshot(dbs)
    sync_courses(dbs)
    sync_courses(dbs)
    dbs.expire_all()
    assert snapshot(dbs) == before


def test_one_course_per_current_law_plus_practice_in_order(dbs):
    """There is one course per current law plus 城管执法实务; the four course laws come first, then 实务."""
    keys = [c.key for c in list_courses(dbs)]
    assert keys[:5] == ["宪法", "行政处罚法", "行政许可法", "行政强制法", PRACTICE_KEY]
    assert sorted(keys[5:]) == sorted(["行政复议法", "行政诉讼法", "国家赔偿法", "治安管理处罚法", "城乡规划法"])
    for c in list_courses(dbs):
        if c.kind == "law":
            assert course_law(dbs, c).short_title == c.law_short_title == c.key
    assert course_law(dbs, course(dbs, PRACTICE_KEY)) is None


def test_penalty_law_course_has_eight_chapter_modules(dbs):
    """The 行政处罚法 course has one module per chapter, 8 in the law's order."""
    mods = modules_of(dbs, course(dbs, "行政处罚法"))
    law = current_law(dbs, "行政处罚法")
    assert len(mods) == 8
    assert [m.ordinal for m in mods] == list(range(1, 9))
    assert {m.kind for m in mods} == {"chapter"}
    assert [m.title for m in mods] == [c.title for c in law.chapters]
    assert [m.chapter_title for m in mods] == [c.title for c in law.chapters]
    assert mods[0].title == "第一章 总则" and mods[7].title == "第八章 附则"


def test_practice_course_pages(dbs):
    """城管执法实务 has the 6 content pages in order, each with its title, body and sources."""
    c = course(dbs, PRACTICE_KEY)
    assert c.title == "城管执法实务" and c.kind == "practice"
    mods = modules_of(dbs, c)
    assert [(m.title, m.source_list) for m in mods] == PRACTICE_PAGES
    assert {m.kind for m in mods} == {"page"}
    assert all(m.body and not m.body.startswith("---") for m in mods)
    assert module_articles(dbs, mods[0]) == []


def test_constitution_preamble_module_added_first_and_progress_kept(dbs, shared_laws, make_user):
    """After 宪法.md adds the 序言, syncing puts a 序言 module first; existing modules and their progress survive."""
    user = make_user()
    c = course(dbs, "宪法")
    old = modules_of(dbs, c)
    assert [m.kind for m in old] == ["chapter"] * len(old)
    old_ids = [m.id for m in old]
    mark_studied(dbs, user, old[1], now=T0)
    path = shared_laws / "宪法.md"
    assert import_law(dbs, read_file(path.name, path.read_bytes()), source="文件").action == "preamble_added"

    sync_courses(dbs)
    dbs.expire_all()
    new = modules_of(dbs, course(dbs, "宪法"))
    assert [(m.ordinal, m.title, m.kind) for m in new][0] == (1, "序言", "preamble")
    assert [m.id for m in new[1:]] == old_ids
    assert [m.ordinal for m in new] == list(range(1, len(old) + 2))
    progress = user_progress(dbs, user.id)
    assert list(progress) == [old[1].id] and progress[old[1].id].studied_at == T0
    assert module_articles(dbs, new[0]) == []
    # and syncing again is a no-op
    before = snapshot(dbs)
    sync_courses(dbs)
    dbs.expire_all()
    assert snapshot(dbs) == before


def test_module_articles_of_a_chapter(dbs):
    """A chapter module lists exactly its chapter's articles in order (行政处罚法 第四章 contains 第三十三条)."""
    module = module_by_title(dbs, "行政处罚法", "第四章 行政处罚的管辖和适用")
    arts = module_articles(dbs, module)
    numbers = [a.number for a in arts]
    assert 33 in numbers
    assert numbers == sorted(numbers) and numbers == list(range(numbers[0], numbers[-1] + 1))
    assert all(a.chapter.title == "第四章 行政处罚的管辖和适用" for a in arts)
    law = current_law(dbs, "行政处罚法")
    total = sum(len(module_articles(dbs, m)) for m in modules_of(dbs, course(dbs, "行政处罚法")))
    assert total == len(law.articles) == 86


def test_module_for_article(dbs):
    """module_for_article finds the chapter module an article belongs to."""
    art = get_article(dbs, "行政处罚法", 33)
    module = module_for_article(dbs, art)
    assert module.title == "第四章 行政处罚的管辖和适用"
    assert module.course.key == "行政处罚法"
    first = module_for_article(dbs, get_article(dbs, "宪法", 1))
    assert first.course.key == "宪法" and first.title == "第一章 总纲"


# ---- progress ----------------------------------------------------------------------------------------

def test_mark_studied_and_unmark(dbs, make_user):
    """mark_studied sets studied_at; marking again with studied=False clears it (one progress row)."""
    user = make_user()
    module = module_by_title(dbs, "行政处罚法", "第一章 总则")
    p = mark_studied(dbs, user, module, now=T0)
    assert p.studied_at == T0 and p.last_visited_at == T0
    p2 = mark_studied(dbs, user, module, studied=False, now=T0 + timedelta(minutes=1))
    assert p2.id == p.id and p2.studied_at is None
    dbs.expire_all()
    rows = list(dbs.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user.id)))
    assert len(rows) == 1 and rows[0].studied_at is None


def test_record_reading_time_caps_heartbeats(dbs, make_user):
    """Each heartbeat adds its seconds, capped at MAX_HEARTBEAT_SECONDS."""
    user = make_user()
    module = module_by_title(dbs, "行政处罚法", "第二章 行政处罚的种类和设定")
    record_reading_time(dbs, user, module, 30, now=T0)
    record_reading_time(dbs, user, module, MAX_HEARTBEAT_SECONDS * 10, now=T0)
    p = record_reading_time(dbs, user, module, 1, now=T0 + timedelta(seconds=5))
    assert p.seconds_spent == 30 + MAX_HEARTBEAT_SECONDS + 1
    assert p.last_visited_at == T0 + timedelta(seconds=5)
    assert p.studied_at is None


@pytest.mark.parametrize("seconds", [0, -5, 1.5, "30", None])
def test_record_reading_time_rejects_bad_values(dbs, make_user, seconds):
    """Zero, negative or non-integer heartbeat durations raise StudyError and record nothing."""
    user = make_user()
    module = module_by_title(dbs, "行政处罚法", "第一章 总则")
    with pytest.raises(StudyError, match="阅读时长无效"):
        record_reading_time(dbs, user, module, seconds)
    assert user_progress(dbs, user.id) == {}


def test_course_progress_counts(dbs, make_user):
    """course_progress gives (studied, total) per course, counting only studied modules of this user."""
    user, other = make_user(), make_user()
    penalty = course(dbs, "行政处罚法")
    mods = modules_of(dbs, penalty)
    mark_studied(dbs, user, mods[0], now=T0)
    mark_studied(dbs, user, mods[1], now=T0)
    record_visit(dbs, user, mods[2], now=T0)  # visited, not studied
    mark_studied(dbs, other, mods[3], now=T0)
    practice = course(dbs, PRACTICE_KEY)
    mark_studied(dbs, user, modules_of(dbs, practice)[0], now=T0)
    progress = course_progress(dbs, user.id)
    assert progress[penalty.id] == (2, 8)
    assert progress[practice.id] == (1, 6)
    assert progress[course(dbs, "宪法").id] == (0, len(modules_of(dbs, course(dbs, "宪法"))))
    assert set(progress) == {c.id for c in list_courses(dbs)}


def test_continue_module(dbs, make_user):
    """continue_module returns the last visited module, or the next one in its course once that one is studied."""
    user = make_user()
    mods = modules_of(dbs, course(dbs, "行政许可法"))
    assert continue_module(dbs, user.id) is None
    record_visit(dbs, user, mods[0], now=T0)
    record_visit(dbs, user, mods[2], now=T0 + timedelta(minutes=1))
    assert continue_module(dbs, user.id).id == mods[2].id
    record_visit(dbs, user, mods[0], now=T0 + timedelta(minutes=2))
    assert continue_module(dbs, user.id).id == mods[0].id
    mark_studied(dbs, user, mods[0], now=T0 + timedelta(minutes=3))
    assert continue_module(dbs, user.id).id == mods[1].id
    mark_studied(dbs, user, mods[-1], now=T0 + timedelta(minutes=4))
    assert continue_module(dbs, user.id).id == mods[-1].id  # last module of the course: stay there


def test_staff_overview_respects_supervisor_scope(dbs, make_user, make_unit):
    """A supervisor's overview lists only active staff of the supervised units (and sub-units), with studied counts."""
    dadui = make_unit("概览大队", kind="大队")
    zhong = make_unit("概览中队", parent=dadui)
    other = make_unit("概览外单位")
    sup = make_user(role="supervisor", unit=dadui, supervises=[dadui])
    a = make_user(unit=dadui, login="ov001")
    b = make_user(unit=zhong, login="ov002")
    outsider = make_user(unit=other, login="ov003")
    make_user(unit=zhong, login="ov004", active=False)
    make_user(role="supervisor", unit=zhong, login="ov005")

    penalty, practice = course(dbs, "行政处罚法"), course(dbs, PRACTICE_KEY)
    pmods, xmods = modules_of(dbs, penalty), modules_of(dbs, practice)
    mark_studied(dbs, a, pmods[0], now=T0)
    mark_studied(dbs, a, pmods[1], now=T0 + timedelta(minutes=1))
    mark_studied(dbs, a, xmods[0], now=T0 + timedelta(minutes=2))
    record_reading_time(dbs, a, pmods[0], 100, now=T0 + timedelta(minutes=3))
    record_reading_time(dbs, a, pmods[1], 50, now=T0 + timedelta(minutes=4))
    record_visit(dbs, b, pmods[0], now=T0)
    mark_studied(dbs, outsider, pmods[0], now=T0)

    rows = staff_overview(dbs, visible_unit_ids(dbs, sup))
    assert [r.user.login for r in rows] == ["ov001", "ov002"]
    ra, rb = rows
    assert ra.studied == {penalty.id: 2, practice.id: 1}
    assert ra.seconds == 150 and ra.last_activity == T0 + timedelta(minutes=4)
    assert rb.studied == {} and rb.seconds == 0 and rb.last_activity == T0

    everyone = {r.user.login for r in staff_overview(dbs, None)}
    assert {"ov001", "ov002", "ov003"} <= everyone and "ov004" not in everyone and "ov005" not in everyone
    assert staff_overview(dbs, set()) == []


# ---- laws from files of our own (tests/fixtures/laws) ------------------------------------------------

def test_fixture_law_with_parts_and_preamble_gets_a_course(dbs):
    """A new law with 编, 章, 节 and a 序言 gets its own course: 序言 first, then one module per chapter."""
    path = FIXTURES / "sample_law.txt"
    law = import_law(dbs, read_file(path.name, path.read_bytes()), source="fixture").law
    sync_courses(dbs)
    dbs.expire_all()
    c = course(dbs, "测试解析办法")
    assert c is not None and c.kind == "law" and course_law(dbs, c).id == law.id
    mods = modules_of(dbs, c)
    assert [(m.title, m.kind) for m in mods] == [
        ("序言", "preamble"), ("第一编 总则 · 第一章 一般规定", "chapter"),
        ("第一编 总则 · 第二章 适用范围", "chapter"), ("第二编 分则 · 第三章 测试程序", "chapter")]
    assert [[a.number for a in module_articles(dbs, m)] for m in mods] == [[], [1, 2], [3, 4, 5], [6, 7]]
    keys = [x.key for x in list_courses(dbs)]
    assert keys.index("测试解析办法") > keys.index(PRACTICE_KEY)


def _two_part_law(dbs):
    """A law whose two 编 each have a 第一章 一般规定 (as in 民法典)."""
    from trainer.laws.parser import ParsedArticle, ParsedLaw
    layout = [(1, "第一编 总则", "第一章 一般规定"), (2, "第一编 总则", "第二章 其他规定"),
              (3, "第二编 分则", "第一章 一般规定"), (4, "第二编 分则", "第二章 其他规定")]
    articles = [ParsedArticle(number=n, label=f"第{n}条", text=f"测试条文{n}。", part=p, chapter=ch)
                for n, p, ch in layout]
    law = import_law(dbs, ParsedLaw(title="测试分编法", history=[("2020-01-01", "通过")], preamble=None,
                                    articles=articles), source="测试").law
    assert len(law.chapters) == 4
    return law


def test_sync_courses_idempotent_with_repeated_chapter_titles(dbs):
    """Syncing twice is a no-op even when chapters of different 编 share a title."""
    _two_part_law(dbs)
    sync_courses(dbs)
    dbs.expire_all()
    before = snapshot(dbs)
    sync_courses(dbs)
    dbs.expire_all()
    assert snapshot(dbs) == before


def test_module_articles_separate_chapters_of_different_parts(dbs):
    """Each chapter module of a law with 编 lists only its own chapter's articles, and articles map back to it."""
    law = _two_part_law(dbs)
    sync_courses(dbs)
    dbs.expire_all()
    mods = modules_of(dbs, course(dbs, "测试分编法"))
    assert [[a.number for a in module_articles(dbs, m)] for m in mods] == [[1], [2], [3], [4]]
    art3 = next(a for a in dbs.get(type(law), law.id).articles if a.number == 3)
    assert module_for_article(dbs, art3).id == mods[2].id
