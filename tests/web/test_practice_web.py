"""Practice pages through the test client: the module quiz from the module page, answering with feedback, access,
refusals, the mistake book, favourites, the practice index, the home page chart and the reader's mastery badges."""
from __future__ import annotations

import functools
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from trainer.banks.models import Question
from trainer.banks.services import import_bank
from trainer.banks.types import LETTERS, canonical_to_display
from trainer.db import utcnow
from trainer.practice import progress as practice_progress
from trainer.practice import services as svc
from trainer.practice.models import Favorite, PracticeItem, PracticeSession, ReviewCard
from trainer.study.models import ModuleProgress

from support import PASSWORD, loaded_bank, location_path, page_text

LAW = "行政处罚法"
MODULE_URL = f"/courses/{LAW}/4"            # 第四章 行政处罚的管辖和适用
QUIZ_URL = f"/practice/module/{LAW}/4"
BANK_FILE = Path(__file__).resolve().parents[2] / "question_banks" / "xingzheng-chufa.yaml"


@functools.cache
def _spec():
    return loaded_bank(BANK_FILE.read_text(encoding="utf-8"), BANK_FILE.name)


@pytest.fixture()
def bank(dbs):
    import_bank(dbs, _spec())
    dbs.flush()


@pytest.fixture()
def staff(make_user, login):
    user = make_user(role="staff")
    login(user)
    return user


def _html(resp) -> str:
    return resp.get_data(as_text=True)


_text, _path = page_text, location_path


def _latest_session(dbs, user) -> PracticeSession:
    dbs.expire_all()
    return dbs.scalar(select(PracticeSession).where(PracticeSession.user_id == user.id)
                      .order_by(PracticeSession.id.desc()).limit(1))


def _items(dbs, session) -> list[PracticeItem]:
    dbs.expire_all()
    return list(dbs.scalars(select(PracticeItem).where(PracticeItem.session_id == session.id)
                            .order_by(PracticeItem.position)))


def _item(dbs, session, position) -> PracticeItem:
    return next(i for i in _items(dbs, session) if i.position == position)


def _right(dbs, item):
    """The correct response as the form sends it: the displayed letter(s) found via option_order + answer."""
    q = dbs.get(Question, item.question_id)
    if q.type in ("single", "multiple"):
        letters = canonical_to_display(q.answer_value, item.order) if item.order else q.answer_value
        return list(letters) if q.type == "multiple" else letters
    if q.type == "judge":
        return "true" if q.answer_value else "false"
    return [variants[0] for variants in q.answer_value]


def _wrong(dbs, item):
    q = dbs.get(Question, item.question_id)
    right = _right(dbs, item)
    if q.type == "single":
        return next(letter for letter in LETTERS[:len(q.option_list)] if letter != right)
    if q.type == "multiple":
        return right[:1]
    if q.type == "judge":
        return "false" if right == "true" else "true"
    return ["肯定不对的答案"] * len(q.answer_value)


def _post_answer(client, dbs, session, position, response, **kw):
    item = _item(dbs, session, position)
    q = dbs.get(Question, item.question_id)
    return client.post(f"/practice/s/{session.id}/{position}", data={"type": q.type, "response": response}, **kw)


def _login_new_client(app, user):
    other = app.test_client()
    resp = other.post("/login", data={"login": user.login, "password": PASSWORD})
    assert resp.status_code == 302
    return other


def _start_module_quiz(client, dbs, user) -> PracticeSession:
    resp = client.post(QUIZ_URL)
    assert resp.status_code == 302
    s = _latest_session(dbs, user)
    assert _path(resp) == f"/practice/s/{s.id}"
    return s


def _article_block(page: str, number: int) -> str:
    start = page.index(f'id="art-{number}"')
    end = page.find('class="article law-text"', start)
    return page[start:end if end > 0 else None]


# ---- the module quiz, start to finish ----------------------------------------------------------------

def test_module_quiz_from_the_module_page_to_the_tested_badge(client, dbs, bank, staff):
    """Module page → quiz → right (explanation, article link) → wrong (correct answer) → score → tested badge."""
    page = client.get(MODULE_URL)
    assert page.status_code == 200
    assert f'action="{quote(QUIZ_URL)}"' in _html(page) and 'id="module-quiz"' in _html(page)
    assert 'id="tested-badge"' not in _html(page)

    s = _start_module_quiz(client, dbs, staff)
    assert (s.kind, s.total) == ("module", 10)
    resp = client.get(f"/practice/s/{s.id}")
    assert resp.status_code == 302 and _path(resp) == f"/practice/s/{s.id}/1"
    first = _item(dbs, s, 1)
    q1 = dbs.get(Question, first.question_id)
    page = client.get(f"/practice/s/{s.id}/1")
    assert page.status_code == 200 and q1.stem in _text(page)
    assert "第 1/10 题" in _text(page) and 'id="submit-answer"' in _html(page)

    # right, with the displayed letter found through the stored option order
    resp = _post_answer(client, dbs, s, 1, _right(dbs, first))
    assert resp.status_code == 302 and _path(resp) == f"/practice/s/{s.id}/1"
    page = client.get(f"/practice/s/{s.id}/1")
    text = _text(page)
    assert "回答正确" in text and "回答错误" not in text
    assert q1.explanation in text
    numbers = [c.article_number for c in q1.citations if c.law_short_title == LAW and c.article_number]
    assert numbers
    for n in numbers:
        assert f'href="{quote(f"/laws/{LAW}/{n}")}"' in _html(page)
    assert 'id="submit-answer"' not in _html(page) and 'id="next-question"' in _html(page)

    # the next question, answered wrong: the correct answer (as displayed) is shown
    resp = client.get(f"/practice/s/{s.id}")
    assert _path(resp) == f"/practice/s/{s.id}/2"
    second = _item(dbs, s, 2)
    _post_answer(client, dbs, s, 2, _wrong(dbs, second))
    page = client.get(f"/practice/s/{s.id}/2")
    text = _text(page)
    assert "回答错误" in text and "回答正确" not in text
    shown = svc.shown(dbs, _item(dbs, s, 2))
    assert re.search(r'id="correct-answer">\s*' + re.escape(shown.correct_display) + r"\s*<", _html(page))
    assert "已加入错题本" in text

    # the other eight right: 9/10 passes the 80 % mark
    for position in range(3, 11):
        assert _post_answer(client, dbs, s, position, _right(dbs, _item(dbs, s, position))).status_code == 302
    assert 'id="finish"' in _html(client.get(f"/practice/s/{s.id}/10"))
    summary = client.get(f"/practice/s/{s.id}")
    assert summary.status_code == 200
    assert re.search(r'id="score">\s*9/10\s*<', _html(summary))
    assert "正确率 90%" in _text(summary) and "达到 80% 的合格线" in _text(summary)

    page = client.get(MODULE_URL)
    assert re.search(r'id="tested-badge">\s*已测验 · 最好成绩 90%', _html(page))
    dbs.expire_all()
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == staff.id,
                                                       ModuleProgress.module_id == s.module_id))
    assert progress.tested_at is not None and progress.best_score == pytest.approx(0.9)


def test_a_failed_module_quiz_shows_the_best_score_but_no_badge(client, dbs, bank, staff):
    """Below the pass mark the summary says so and the module page shows the best score without the badge."""
    s = _start_module_quiz(client, dbs, staff)
    for position in range(1, 11):
        item = _item(dbs, s, position)
        _post_answer(client, dbs, s, position, _right(dbs, item) if position <= 5 else _wrong(dbs, item))
    summary = client.get(f"/practice/s/{s.id}")
    assert re.search(r'id="score">\s*5/10\s*<', _html(summary)) and "未达到 80% 的合格线" in _text(summary)
    page = _html(client.get(MODULE_URL))
    assert 'id="tested-badge"' not in page and "最好成绩 50%" in page


def test_module_quiz_without_questions_flashes_and_returns(client, dbs, staff):
    """With no bank imported the quiz button returns to the module page with a Chinese message."""
    resp = client.post(QUIZ_URL, follow_redirects=True)
    assert resp.status_code == 200 and resp.request.path == MODULE_URL
    assert "还没有可用的测验题" in _text(resp)
    assert _latest_session(dbs, staff) is None


def test_unknown_module_is_404(client, staff, bank):
    """Starting a quiz for a module or course that does not exist is a 404."""
    assert client.post(f"/practice/module/{LAW}/99").status_code == 404
    assert client.post("/practice/module/没有这门课/1").status_code == 404


# ---- access and refusals -----------------------------------------------------------------------------

def test_another_users_session_is_404(app, client, dbs, bank, staff, make_user):
    """Someone else's session, its questions and its summary are 404; posting an answer changes nothing."""
    s = _start_module_quiz(client, dbs, staff)
    _post_answer(client, dbs, s, 1, _right(dbs, _item(dbs, s, 1)))
    other = _login_new_client(app, make_user(role="staff"))
    assert other.get(f"/practice/s/{s.id}").status_code == 404
    assert other.get(f"/practice/s/{s.id}/1").status_code == 404
    assert other.get(f"/practice/s/{s.id}/2").status_code == 404
    item = _item(dbs, s, 2)
    q = dbs.get(Question, item.question_id)
    resp = other.post(f"/practice/s/{s.id}/2", data={"type": q.type, "response": _right(dbs, item)},
                      follow_redirects=True)
    assert resp.status_code == 404
    resp = other.post(f"/practice/s/{s.id}/2", data={"type": q.type, "response": _right(dbs, item)},
                      headers={"Accept": "application/json"})
    assert resp.status_code == 400 and "不是您的练习" in resp.get_json()["error"]
    assert _item(dbs, s, 2).answered_at is None and _latest_session(dbs, staff).answered == 1
    assert other.get("/practice/s/999999").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, bank):
    """Practice pages and actions need a login."""
    for method, url in [("get", "/practice/"), ("get", "/practice/mistakes"), ("get", "/practice/favorites"),
                        ("post", QUIZ_URL), ("post", "/practice/daily"), ("get", "/practice/s/1/1")]:
        resp = getattr(client, method)(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url


def test_answering_twice_shows_a_message_and_changes_nothing(client, dbs, bank, staff):
    """A second answer to the same question is refused with a message; the first answer and counts stay."""
    s = _start_module_quiz(client, dbs, staff)
    item = _item(dbs, s, 1)
    _post_answer(client, dbs, s, 1, _right(dbs, item))
    stored = _item(dbs, s, 1)
    before = (stored.response, stored.is_correct, stored.answered_at)
    resp = _post_answer(client, dbs, s, 1, _wrong(dbs, item))
    assert resp.status_code == 303 and _path(resp) == f"/practice/s/{s.id}/1"
    page = client.get(f"/practice/s/{s.id}/1")
    assert "这道题已经作答" in _text(page) and "回答正确" in _text(page)
    after = _item(dbs, s, 1)
    assert (after.response, after.is_correct, after.answered_at) == before
    s = _latest_session(dbs, staff)
    assert (s.answered, s.correct) == (1, 1)
    assert dbs.scalar(select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == staff.id)) == 0
    resp = _post_answer(client, dbs, s, 1, _wrong(dbs, item), headers={"Accept": "application/json"})
    assert resp.status_code == 400 and resp.get_json() == {"error": "这道题已经作答。"}


def test_empty_answer_asks_to_answer_first(client, dbs, bank, staff):
    """Submitting without choosing anything shows “请先作答” and records nothing."""
    s = _start_module_quiz(client, dbs, staff)
    for item in _items(dbs, s):
        q = dbs.get(Question, item.question_id)
        url = f"/practice/s/{s.id}/{item.position}"
        resp = client.post(url, data={"type": q.type}, follow_redirects=True)
        assert resp.status_code == 200 and resp.request.path == url
        assert "请先作答" in _text(resp) and "回答正确" not in _text(resp) and "回答错误" not in _text(resp)
        if q.type in ("single", "judge"):
            resp = client.post(url, data={"type": q.type, "response": ""}, follow_redirects=True)
            assert "请先作答" in _text(resp)
    assert all(i.answered_at is None for i in _items(dbs, s))
    assert _latest_session(dbs, staff).answered == 0
    assert dbs.scalar(select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == staff.id)) == 0


def test_malformed_answer_shows_the_reason_and_records_nothing(client, dbs, bank, staff):
    """A letter that is not among the options is refused with the Chinese reason; nothing is recorded."""
    svc.start_random(dbs, staff, types=["single"], size=2)
    dbs.commit()
    s = _latest_session(dbs, staff)
    resp = client.post(f"/practice/s/{s.id}/1", data={"type": "single", "response": "H"}, follow_redirects=True)
    assert "答案格式不正确" in _text(resp) and "选项“H”不存在" in _text(resp)
    assert _item(dbs, s, 1).answered_at is None and _latest_session(dbs, staff).answered == 0


def test_empty_blank_answer_asks_to_answer_first(client, dbs, bank, staff):
    """A fill-in-the-blank question submitted with its fields left empty shows “请先作答”, records nothing."""
    svc.start_random(dbs, staff, types=["blank"], size=1)
    dbs.commit()
    s = _latest_session(dbs, staff)
    q = dbs.get(Question, _item(dbs, s, 1).question_id)
    resp = client.post(f"/practice/s/{s.id}/1", data={"type": "blank", "response": [""] * len(q.answer_value)},
                       follow_redirects=True)
    assert "请先作答" in _text(resp)
    assert _item(dbs, s, 1).answered_at is None


# ---- mistake book, favourites, index, home ------------------------------------------------------------

def test_mistake_book_lists_the_wrong_question_and_removes_it(client, dbs, bank, staff):
    """A wrong answer puts the question on the mistake-book page; 移出 takes it off."""
    empty = client.get("/practice/mistakes")
    assert "错题本是空的" in _text(empty)
    s = _start_module_quiz(client, dbs, staff)
    item = _item(dbs, s, 1)
    _post_answer(client, dbs, s, 1, _wrong(dbs, item))
    q = dbs.get(Question, item.question_id)
    page = client.get("/practice/mistakes")
    assert q.stem in _text(page)
    due = practice_progress.due_count(dbs, staff.id)       # 1, unless the minute-long first step crosses local midnight
    assert re.search(rf"今天到期\s*<strong>{due}</strong>", _html(page))
    assert f'action="/practice/mistakes/{q.key}/remove"' in _html(page)
    resp = client.post(f"/practice/mistakes/{q.key}/remove", follow_redirects=True)
    assert resp.request.path == "/practice/mistakes" and "已移出错题本" in _text(resp)
    assert q.stem not in _text(resp) and "错题本是空的" in _text(resp)
    dbs.expire_all()
    card = dbs.scalar(select(ReviewCard).where(ReviewCard.user_id == staff.id))
    assert card.removed_reason == "user"
    again = client.post(f"/practice/mistakes/{q.key}/remove", follow_redirects=True)
    assert "错题本中没有这道题" in _text(again)


def test_favourite_toggle_from_the_question_page(client, dbs, bank, staff):
    """☆ 收藏 on an answered question adds it to the favourites page; pressing again removes it."""
    s = _start_module_quiz(client, dbs, staff)
    item = _item(dbs, s, 1)
    _post_answer(client, dbs, s, 1, _right(dbs, item))
    q = dbs.get(Question, item.question_id)
    page = client.get(f"/practice/s/{s.id}/1")
    assert "☆ 收藏" in _text(page)
    resp = client.post(f"/practice/favorites/{q.key}", data={"next": f"/practice/s/{s.id}/1"})
    assert resp.status_code == 302 and _path(resp) == f"/practice/s/{s.id}/1"
    page = client.get(f"/practice/s/{s.id}/1")
    assert "已收藏" in _text(page) and "取消收藏" in _text(page)
    favs = client.get("/practice/favorites")
    assert q.stem in _text(favs)
    assert dbs.scalar(select(func.count()).select_from(Favorite).where(Favorite.user_id == staff.id)) == 1
    resp = client.post(f"/practice/favorites/{q.key}", data={"next": "https://evil.example/"})
    assert resp.status_code == 302 and _path(resp) == "/practice/favorites"
    favs = client.get("/practice/favorites")
    assert "还没有收藏题目" in _text(favs)
    assert dbs.scalar(select(func.count()).select_from(Favorite).where(Favorite.user_id == staff.id)) == 0
    assert "题目不存在" in _text(client.post("/practice/favorites/nope-0001", follow_redirects=True))


def test_practice_index_shows_due_count_and_streak(client, dbs, bank, staff):
    """The practice page shows how many mistakes are due today and the daily-practice streak."""
    page = _html(client.get("/practice/"))
    assert re.search(r'id="due-count">0<', page) and re.search(r'id="streak">连续 0 天<', page)
    daily = svc.start_daily(dbs, staff, size=2)
    for item in _items(dbs, daily):
        svc.answer(dbs, staff, daily.id, item.position, _right(dbs, item))
    earlier = utcnow() - timedelta(minutes=30)          # due by now, whatever the time of day
    s = svc.start_random(dbs, staff, types=["judge"], size=2, now=earlier)
    for item in _items(dbs, s):
        svc.answer(dbs, staff, s.id, item.position, _wrong(dbs, item), now=earlier)
    dbs.commit()
    assert practice_progress.due_count(dbs, staff.id) == 2
    page = _html(client.get("/practice/"))
    assert re.search(r'id="due-count">2<', page) and re.search(r'id="streak">连续 1 天<', page)


def test_home_page_shows_due_count_and_accuracy_chart(client, dbs, bank, staff):
    """After answering, the home page shows the due mistakes and the 30-day accuracy chart."""
    page = _html(client.get("/"))
    assert 'id="accuracy-chart"' not in page and "还没有练习记录" in page
    assert re.search(r'id="home-due"[^>]*>\s*0 题', page)
    s = _start_module_quiz(client, dbs, staff)
    _post_answer(client, dbs, s, 1, _right(dbs, _item(dbs, s, 1)))
    _post_answer(client, dbs, s, 2, _wrong(dbs, _item(dbs, s, 2)))
    page = _html(client.get("/"))
    assert 'id="accuracy-chart"' in page and "还没有练习记录" not in page
    assert dbs.scalar(select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == staff.id)) == 1
    assert re.search(rf'id="home-due"[^>]*>\s*{practice_progress.due_count(dbs, staff.id)} 题', page)
    assert re.search(r"<title>\d+月\d+日：2 题，答对 1</title>", page)
    assert page.count("<rect ") == 30


def test_reader_shows_mastery_badges_and_practises_one_article(client, dbs, bank, staff):
    """The module reader marks each article's mastery; “练这一条” starts a session on that article."""
    page = _html(client.get(MODULE_URL))
    assert 'data-mastery="none"' in _article_block(page, 33)
    assert f'action="{quote(f"/practice/article/{LAW}/33")}"' in _article_block(page, 33)
    assert "练这一条" in _article_block(page, 33)
    resp = client.post(f"/practice/article/{LAW}/33")
    assert resp.status_code == 302
    s = _latest_session(dbs, staff)
    assert s.kind == "article" and _path(resp) == f"/practice/s/{s.id}"
    for item in _items(dbs, s):
        q = dbs.get(Question, item.question_id)
        assert any(c.law_short_title == LAW and c.article_number == 33 for c in q.citations)
    for position in (1, 2, 3):
        _post_answer(client, dbs, s, position, _right(dbs, _item(dbs, s, position)))
    mastery = practice_progress.article_mastery(dbs, staff.id, LAW)
    assert mastery[33] == "mastered"
    page = _html(client.get(MODULE_URL))
    assert 'data-mastery="mastered"' in _article_block(page, 33) and "已掌握" in _article_block(page, 33)
    for number, level in mastery.items():
        if f'id="art-{number}"' in page:
            assert f'data-mastery="{level}"' in _article_block(page, number)
    assert 'data-mastery="none"' in _article_block(page, 22)


def test_practising_an_article_without_questions_goes_back_with_a_message(client, dbs, bank, staff):
    """“练这一条” on an article no question cites returns to the article with a Chinese message."""
    resp = client.post(f"/practice/article/{LAW}/999")
    assert resp.status_code == 302 and _path(resp) == f"/laws/{LAW}/999"
    assert _latest_session(dbs, staff) is None
    with client.session_transaction() as session:
        assert any("这一条还没有练习题" in message for _, message in session["_flashes"])


# ---- other modes through the web ---------------------------------------------------------------------

def test_random_practice_form_applies_the_filters(client, dbs, bank, staff):
    """The random-practice form's ticked types and difficulty and its size make the session."""
    resp = client.post("/practice/random", data={"law": LAW, "type": ["judge"], "difficulty": ["1"], "size": "7"})
    assert resp.status_code == 302
    s = _latest_session(dbs, staff)
    assert s.kind == "random" and s.total == 7
    assert {(dbs.get(Question, i.question_id).type, dbs.get(Question, i.question_id).difficulty)
            for i in _items(dbs, s)} == {("judge", 1)}
    bad = client.post("/practice/random", data={"size": "many"}, follow_redirects=True)
    assert "筛选条件不正确" in _text(bad) and _latest_session(dbs, staff).id == s.id


def test_daily_practice_button_returns_the_same_session(client, dbs, bank, staff):
    """Pressing 开始今天的练习 twice on the same day opens the same session."""
    first = client.post("/practice/daily")
    second = client.post("/practice/daily")
    assert first.status_code == second.status_code == 302 and _path(first) == _path(second)
    assert dbs.scalar(select(func.count()).select_from(PracticeSession).where(
        PracticeSession.user_id == staff.id, PracticeSession.kind == "daily")) == 1


def test_review_with_nothing_due_returns_to_the_mistake_book(client, dbs, bank, staff):
    """复习到期错题 with an empty book goes back to the mistake book with a message."""
    resp = client.post("/practice/review", follow_redirects=True)
    assert resp.request.path == "/practice/mistakes" and "没有到期需要复习" in _text(resp)


def test_sequential_practice_resumes_on_the_index(client, dbs, bank, staff):
    """After answering in sequential practice the index shows how far the bank has been done and 继续."""
    resp = client.post("/practice/sequential", data={"scope": "bank:xingzheng-chufa"})
    assert resp.status_code == 302
    s = _latest_session(dbs, staff)
    for position in (1, 2):
        _post_answer(client, dbs, s, position, _right(dbs, _item(dbs, s, position)))
    page = _text(client.get("/practice/"))
    assert "已做到第 2 题" in page and "继续" in page
    client.post("/practice/sequential", data={"scope": "bank:xingzheng-chufa"})
    nxt = _latest_session(dbs, staff)
    order = [key for _, key in svc.sequence_keys(dbs, "bank:xingzheng-chufa")]
    assert nxt.id != s.id and _items(dbs, nxt)[0].question_key == order[2]
