"""The law reader, course pages, reading progress and article search."""
from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit

import pytest
from sqlalchemy import select

from trainer.laws.models import Law
from trainer.study.models import Course, ModuleProgress

LAW = "行政处罚法"
ART33 = [
    "违法行为轻微并及时改正，没有造成危害后果的，不予行政处罚。初次违法且危害后果轻微并及时改正的，可以不予行政处罚。",
    "当事人有证据足以证明没有主观过错的，不予行政处罚。法律、行政法规另有规定的，从其规定。",
    "对当事人的违法行为依法不予行政处罚的，行政机关应当对当事人进行教育。",
]


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _href(path: str) -> str:
    """How url_for writes a path with Chinese characters into an href."""
    return quote(path)


@pytest.fixture()
def staff(make_user, login):
    user = make_user(role="staff")
    login(user)
    return user


@pytest.fixture()
def course(dbs) -> Course:
    return dbs.scalar(select(Course).where(Course.key == LAW))


# ---- articles ------------------------------------------------------------------------------------------

def test_article_url_redirects_to_its_module_anchor(client, staff, course):
    """/laws/行政处罚法/33 opens the 第四章 module at #art-33."""
    resp = client.get(f"/laws/{LAW}/33")
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.endswith("#art-33")
    module = next(m for m in course.modules if m.title.startswith("第四章"))
    assert unquote(urlsplit(location).path) == f"/courses/{LAW}/{module.ordinal}"


def test_module_page_contains_the_article(client, staff, course):
    """The module page holds the article anchor and all three paragraphs of article 33."""
    resp = client.get(f"/laws/{LAW}/33", follow_redirects=True)
    assert resp.status_code == 200
    html = _html(resp)
    assert "第四章 行政处罚的管辖和适用" in html
    assert 'id="art-33"' in html
    block = html[html.index('id="art-33"'):html.index('id="art-34"')]
    assert "初次违法" in block
    for paragraph in ART33:
        assert paragraph in block
    assert block.count("<p class=\"para") == 3
    assert "第三十三条" in block


def test_standalone_article(client, staff):
    """?standalone=1 renders the article alone, without the rest of its chapter."""
    resp = client.get(f"/laws/{LAW}/33?standalone=1")
    assert resp.status_code == 200
    html = _html(resp)
    assert 'id="art-33"' in html
    assert 'id="art-32"' not in html and 'id="art-34"' not in html
    for paragraph in ART33:
        assert paragraph in html


@pytest.mark.parametrize("url", [f"/laws/{LAW}/999", f"/laws/{LAW}/0", "/laws/没有这部法/1", "/laws/没有这部法/",
                                 "/courses/没有这门课/", f"/courses/{LAW}/99", "/laws/versions/999999"])
def test_unknown_things_are_404(client, staff, url):
    """Unknown laws, articles, courses and modules give the Chinese 404 page."""
    resp = client.get(url)
    assert resp.status_code == 404
    assert "页面不存在" in _html(resp)


def test_law_page_lists_articles(client, staff):
    """The whole-law page shows its title and article anchors."""
    resp = client.get(f"/laws/{LAW}/")
    assert resp.status_code == 200
    html = _html(resp)
    assert "中华人民共和国行政处罚法" in html
    assert 'id="art-1"' in html and 'id="art-33"' in html


def test_law_index_lists_the_library(client, staff):
    """The law library lists the default laws."""
    html = _html(client.get("/laws/"))
    for title in ("中华人民共和国宪法", "中华人民共和国行政处罚法", "中华人民共和国行政许可法"):
        assert title in html


# ---- courses and progress ------------------------------------------------------------------------------

def test_course_list(client, staff):
    """The course list shows every course, including 城管执法实务."""
    html = _html(client.get("/courses/"))
    for title in ("宪法", "行政处罚法", "行政许可法", "行政强制法", "城管执法实务"):
        assert title in html


def test_course_pages_show_prev_and_next(client, staff, course):
    """Module pages link to the previous and next module; the first has no previous, the last no next."""
    n = len(course.modules)
    assert n == 8
    first = _html(client.get(f"/courses/{LAW}/1"))
    assert f'href="{_href(f"/courses/{LAW}/2")}"' in first
    assert "‹" not in first
    middle = _html(client.get(f"/courses/{LAW}/4"))
    assert f'href="{_href(f"/courses/{LAW}/3")}"' in middle
    assert f'href="{_href(f"/courses/{LAW}/5")}"' in middle
    assert "‹ " + course.modules[2].title in middle and course.modules[4].title + " ›" in middle
    last = _html(client.get(f"/courses/{LAW}/{n}"))
    assert f'href="{_href(f"/courses/{LAW}/{n - 1}")}"' in last
    assert " ›</a>" not in last


def test_mark_studied_updates_progress(client, staff, course, dbs):
    """Marking a module studied shows 已学习 on the course page and a 1/8 progress bar."""
    before = _html(client.get(f"/courses/{LAW}/"))
    assert "0/8" in before and ">已学习<" not in before
    resp = client.post(f"/courses/{LAW}/4/studied", data={"studied": "1"})
    assert resp.status_code == 302
    assert unquote(urlsplit(resp.headers["Location"]).path) == f"/courses/{LAW}/4"
    module_page = _html(client.get(resp.headers["Location"]))
    assert "标记为已学习" in module_page and "取消已学习" in module_page
    html = _html(client.get(f"/courses/{LAW}/"))
    assert '<span class="badge bg-success">已学习</span>' in html
    bar = html[html.index('id="course-progress"'):]
    assert "1/8" in bar[:600]
    module = course.modules[3]
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == staff.id,
                                                       ModuleProgress.module_id == module.id))
    assert progress is not None and progress.studied_at is not None
    assert "1/8" in _html(client.get("/courses/"))


def test_unmark_studied(client, staff, course):
    """studied=0 removes the mark again."""
    client.post(f"/courses/{LAW}/4/studied", data={"studied": "1"})
    client.post(f"/courses/{LAW}/4/studied", data={"studied": "0"})
    html = _html(client.get(f"/courses/{LAW}/"))
    assert '<span class="badge bg-success">已学习</span>' not in html
    assert "0/8" in html


def test_mark_studied_requires_post(client, staff):
    """GET on the mark-studied URL is not allowed."""
    assert client.get(f"/courses/{LAW}/4/studied").status_code == 405


def test_heartbeat_adds_seconds(client, staff, course, dbs):
    """A heartbeat adds reading seconds (capped at 120 per beat) and answers JSON."""
    resp = client.post(f"/courses/{LAW}/4/heartbeat", data={"seconds": "30"})
    assert resp.status_code == 200
    assert resp.is_json and resp.get_json() == {"seconds_spent": 30}
    resp = client.post(f"/courses/{LAW}/4/heartbeat", data={"seconds": "45"})
    assert resp.get_json() == {"seconds_spent": 75}
    resp = client.post(f"/courses/{LAW}/4/heartbeat", data={"seconds": "100000"})
    assert resp.get_json() == {"seconds_spent": 195}
    module = course.modules[3]
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == staff.id,
                                                       ModuleProgress.module_id == module.id))
    assert progress.seconds_spent == 195


@pytest.mark.parametrize("data", [{"seconds": "0"}, {}, {"seconds": "-5"}, {"seconds": "abc"}, {"seconds": ""}])
def test_heartbeat_rejects_bad_seconds(client, staff, course, dbs, data):
    """seconds missing, zero, negative or not a number → 400 with a JSON error; nothing recorded."""
    resp = client.post(f"/courses/{LAW}/4/heartbeat", data=data)
    assert resp.status_code == 400
    assert resp.is_json
    assert resp.get_json()["error"] == "阅读时长无效。"
    module = course.modules[3]
    assert dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == staff.id,
                                                   ModuleProgress.module_id == module.id)) is None


def test_heartbeat_unknown_module_is_404(client, staff):
    """A heartbeat for a module that does not exist is 404."""
    assert client.post(f"/courses/{LAW}/99/heartbeat", data={"seconds": "30"}).status_code == 404


def test_heartbeat_requires_login(client):
    """Anonymous heartbeats are not recorded (redirect to login)."""
    resp = client.post(f"/courses/{LAW}/4/heartbeat", data={"seconds": "30"})
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/login"


def test_practice_course_page_renders(client, staff):
    """The 城管执法实务 course pages render their Markdown body."""
    resp = client.get("/courses/chengguan-shiwu/1")
    assert resp.status_code == 200
    assert 'id="module-body"' in _html(resp)


# ---- home ----------------------------------------------------------------------------------------------

def test_home_shows_continue_after_visiting(client, staff, course):
    """Staff home shows 继续学习 with the visited module once a module was opened."""
    assert "继续学习" not in _html(client.get("/"))
    client.get(f"/courses/{LAW}/3")
    html = _html(client.get("/"))
    assert "继续学习" in html
    assert f'href="{_href(f"/courses/{LAW}/3")}"' in html
    assert course.modules[2].title in html


def test_home_continue_moves_on_after_studied(client, staff, course):
    """After marking the last visited module studied, 继续学习 points to the next module."""
    client.get(f"/courses/{LAW}/3")
    client.post(f"/courses/{LAW}/3/studied", data={"studied": "1"})
    html = _html(client.get("/"))
    start = html.index("继续学习")
    assert _href(f"/courses/{LAW}/4") in html[start:start + 500]


def test_supervisor_home_redirects(client, make_user, make_unit, login):
    """A supervisor's home page redirects to /supervisor/."""
    login(make_user(role="supervisor", supervises=[make_unit()]))
    resp = client.get("/")
    assert resp.status_code == 302
    assert urlsplit(resp.headers["Location"]).path == "/supervisor/"


# ---- search --------------------------------------------------------------------------------------------

def _hits(html: str) -> list[tuple[str, int]]:
    return [(unquote(law), int(n)) for law, n in
            re.findall(r'class="list-group-item list-group-item-action" href="/laws/([^/"]+)/(\d+)"', html)]


@pytest.mark.parametrize("q", ["罚款", "行政处罚", "听证", "十五日"])
def test_search_finds_and_marks(client, staff, q):
    """Short (2-char) and longer queries both find articles and highlight the term with <mark>."""
    resp = client.get("/laws/search", query_string={"q": q})
    assert resp.status_code == 200
    html = _html(resp)
    hits = _hits(html)
    assert hits, q
    assert f"<mark>{q}</mark>" in html
    count = int(re.search(r'id="hit-count">找到 (\d+) 条', html).group(1))
    assert count == len(hits)


def test_search_hit_links_to_article(client, staff):
    """Search for a phrase of article 33 lists 行政处罚法 article 33."""
    html = _html(client.get("/laws/search", query_string={"q": "初次违法且危害后果轻微"}))
    assert (LAW, 33) in _hits(html)


def test_search_law_filter(client, staff, dbs):
    """The law filter limits hits to the chosen law."""
    law = dbs.scalar(select(Law).where(Law.short_title == "行政强制法", Law.status == "current"))
    all_hits = _hits(_html(client.get("/laws/search", query_string={"q": "罚款"})))
    assert {name for name, _ in all_hits} - {"行政强制法"}
    for q in ("罚款", "加处罚款"):
        html = _html(client.get("/laws/search", query_string={"q": q, "law": law.id}))
        hits = _hits(html)
        assert hits, q
        assert {name for name, _ in hits} == {"行政强制法"}
        assert f'<option value="{law.id}" selected>' in html


def test_search_empty_query_shows_no_list(client, staff):
    """An empty (or blank) query shows the form but no result list."""
    for qs in ({}, {"q": ""}, {"q": "   "}):
        html = _html(client.get("/laws/search", query_string=qs))
        assert 'id="hit-count"' not in html
        assert "list-group-item-action" not in html


def test_search_no_hits_message(client, staff):
    """A query with no hits says so."""
    html = _html(client.get("/laws/search", query_string={"q": "量子纠缠"}))
    assert "找到 0 条" in html
    assert "没有找到包含“量子纠缠”的条文。" in html


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", "<b>罚款</b>", "\"><img src=x onerror=alert(1)>"])
def test_search_query_is_escaped(client, staff, q):
    """HTML in the query is escaped everywhere it is shown."""
    resp = client.get("/laws/search", query_string={"q": q})
    assert resp.status_code == 200
    html = _html(resp)
    assert q not in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html and "<b>罚款" not in html


@pytest.mark.parametrize("q", ["%", "_", "罚%", "'", "\"", "\\"])
def test_search_wildcards_are_literal(client, staff, q):
    """LIKE wildcards and quotes in the query are taken literally (no error, no match-all)."""
    resp = client.get("/laws/search", query_string={"q": q})
    assert resp.status_code == 200
    assert len(_hits(_html(resp))) < 100


def test_search_highlight_is_escaped_around_marks(client, staff):
    """Snippets keep <mark> as markup but escape the article text itself."""
    html = _html(client.get("/laws/search", query_string={"q": "罚款"}))
    snippet_blocks = re.findall(r'<div class="small">(.*?)</div>', html, flags=re.S)
    assert snippet_blocks
    for block in snippet_blocks:
        assert re.sub(r"</?mark>", "", block).count("<") == 0
