"""Taking an exam in a real browser on a phone-sized screen: answering, the answer sheet, flags, the save status,
submitting with the unanswered-questions confirmation, the result page; and losing the network mid-exam without
losing an answer (the localStorage queue is re-sent after a reload)."""
from __future__ import annotations

import itertools
import json
import re
from datetime import timedelta

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect
from sqlalchemy import select

from browser_helpers import log_in
from trainer.auth.models import Unit, User
from trainer.auth.services import hash_password
from trainer.banks.models import Question
from trainer.banks.types import canonical_to_display, display_to_canonical
from trainer.exams import services as svc
from trainer.exams.models import Attempt, AttemptItem

PASSWORD = "Demo1234"
SECTIONS = [  # 100 points; positions 1-3 single, 4-5 multiple, 6-7 judge, 8 blank
    {"title": "一、单项选择题", "type": "single", "count": 3, "points": 15},
    {"title": "二、多项选择题", "type": "multiple", "count": 2, "points": 10},
    {"title": "三、判断题", "type": "judge", "count": 2, "points": 10},
    {"title": "四、填空题", "type": "blank", "count": 1, "points": 15},
]
_numbers = itertools.count(1)


@pytest.fixture()
def exam_for(live_db):
    """A published exam in the live database for a fresh candidate (so tests never share attempts)."""
    def make(**kw):
        n = next(_numbers)
        admin = live_db.scalar(select(User).where(User.role == "admin").order_by(User.id))
        unit = live_db.scalar(select(Unit).order_by(Unit.id))
        user = User(login=f"exam-b{n:03d}", name=f"考生{n}", unit_id=unit.id, role="staff",
                    password_hash=hash_password(PASSWORD), must_change_password=False)
        live_db.add(user)
        live_db.flush()
        now = svc.now_utc()
        fields = dict(title=f"手机考试测试{n}", open_at=now - timedelta(minutes=5),
                      close_at=now + timedelta(hours=10), time_limit_minutes=60, release_policy="immediate",
                      review_policy="full", review_after_close=False)
        fields.update(kw)
        exam, errors, _ = svc.save_exam(live_db, admin, svc.ExamData(sections=SECTIONS, user_ids=(user.id,),
                                                                     **fields))
        assert exam is not None, errors
        svc.set_status(live_db, admin, exam, "published")
        live_db.commit()
        return exam, user
    return make


def _paper(live_db, attempt_id: int) -> dict[int, tuple[AttemptItem, Question]]:
    live_db.commit()  # a fresh snapshot of what the server stored
    rows = live_db.scalars(select(AttemptItem).where(AttemptItem.attempt_id == attempt_id)
                           .order_by(AttemptItem.position))
    return {i.position: (i, live_db.get(Question, i.question_id)) for i in rows}


def _right(item: AttemptItem, q: Question):
    """The right answer as the page shows it (displayed letters, true/false, blank texts)."""
    if q.type in ("single", "multiple"):
        return canonical_to_display(q.answer_value, item.order)
    if q.type == "judge":
        return "true" if q.answer_value else "false"
    return [variants[0] for variants in q.answer_value]


def _wrong_letter(item: AttemptItem, q: Question) -> str:
    right = set(_right(item, q))
    return next(c for c in "ABCDEFGH"[:len(q.option_list)] if c not in right)


def _answer(page, pos: int, q: Question, value) -> None:
    """Answer the visible question at `pos` through its inputs."""
    pane = page.locator(f'.exam-q[data-position="{pos}"]')
    expect(pane).to_be_visible()
    if q.type == "blank":
        for n, inp in enumerate(pane.locator("input.form-control").all()):
            inp.fill(value[n])
            inp.evaluate("el => el.blur()")  # fire `change` now, not on the next tap (see the xfail below)
    else:
        for letter in value if q.type == "multiple" else [value]:
            pane.locator(f"#q{pos}-{letter}").check()


def _saved(page) -> None:
    expect(page.locator("#save-status")).to_have_text("已保存", timeout=10_000)


def _unsaved(page) -> None:
    """Offline: the save failed and the answer waits on the device (wait before the next tap, as the warning
    banner above the questions appears again once the attempt failed)."""
    expect(page.locator("#save-status")).to_contain_text("未保存", timeout=10_000)
    expect(page.locator("#offline-warning")).to_be_visible()


def _stored(live_db, attempt_id: int) -> dict[int, tuple]:
    return {pos: (json.loads(i.response) if i.response else None, i.flagged)
            for pos, (i, _) in _paper(live_db, attempt_id).items()}


def _start(page, exam) -> int:
    page.goto(f"/exams/{exam.id}")
    page.click("#start-exam")
    expect(page).to_have_url(re.compile(r"/exams/a/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_take_an_exam_on_a_phone(phone_page, live_db, exam_for):
    """On a 375×667 phone a candidate starts, answers several questions (next button and answer sheet), flags one,
    sees 已保存, submits after a confirmation listing the unanswered questions, and sees the result page."""
    page = phone_page
    exam, user = exam_for()
    log_in(page, user.login)
    attempt_id = _start(page, exam)
    paper = _paper(live_db, attempt_id)
    assert [q.type for _, q in paper.values()] == ["single"] * 3 + ["multiple"] * 2 + ["judge"] * 2 + ["blank"]
    expect(page.locator("#answer-sheet .sheet-btn")).to_have_count(8)
    expect(page.locator("#countdown")).to_have_text(re.compile(r"^(59|60):\d\d$"))

    # 1: right single
    item, q = paper[1]
    _answer(page, 1, q, _right(item, q))
    _saved(page)
    # 2: wrong single, reached with the next button
    page.click("#next")
    item, q = paper[2]
    _answer(page, 2, q, _wrong_letter(item, q))
    _saved(page)
    # 4: right multiple, reached through the answer sheet; flagged
    page.click('#answer-sheet [data-goto="4"]')
    item, q = paper[4]
    _answer(page, 4, q, _right(item, q))
    _saved(page)
    page.click("#flag")
    expect(page.locator("#flag")).to_have_attribute("aria-pressed", "true")
    expect(page.locator('#answer-sheet [data-goto="4"]')).to_have_class(re.compile(r"\bflagged\b"))
    _saved(page)
    # 6: right judge
    page.click('#answer-sheet [data-goto="6"]')
    item, q = paper[6]
    _answer(page, 6, q, _right(item, q))
    _saved(page)
    # 8: right blank, typed
    page.click('#answer-sheet [data-goto="8"]')
    item, q = paper[8]
    _answer(page, 8, q, _right(item, q))
    _saved(page)
    for pos in (1, 2, 4, 6, 8):
        expect(page.locator(f'#answer-sheet [data-goto="{pos}"]')).to_have_class(re.compile(r"\banswered\b"))
    for pos in (3, 5, 7):
        expect(page.locator(f'#answer-sheet [data-goto="{pos}"]')).not_to_have_class(re.compile(r"\banswered\b"))
    # back to 1: the answer is still checked
    page.click('#answer-sheet [data-goto="1"]')
    item, q = paper[1]
    expect(page.locator(f"#q1-{_right(item, q)}")).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    stored = _stored(live_db, attempt_id)
    assert stored[4] == (paper[4][1].answer_value, True)
    assert stored[6][0] is paper[6][1].answer_value
    assert stored[8][0] == _right(*paper[8])
    assert stored[3] == stored[5] == stored[7] == (None, False)

    page.click("#submit-exam")
    expect(page.locator("#confirm-submit")).to_be_visible()
    expect(page.locator("#unanswered-note")).to_have_text(re.compile(r"还有 3 题未作答：第 3、5、7 题"))
    page.click("#confirm-submit-btn")
    expect(page).to_have_url(re.compile(rf"/exams/a/{attempt_id}/result$"))
    # 15 (single) + 10 (multiple) + 10 (judge) + 15 (blank) = 50 of 100
    expect(page.locator("#result-score")).to_have_text("50.0 分")
    expect(page.locator("#result-pass")).to_contain_text("不合格")
    expect(page.locator("body")).to_contain_text("正确答案")
    assert page.evaluate(f"localStorage.getItem('trainer-exam-{attempt_id}')") is None
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    live_db.commit()
    attempt = live_db.get(Attempt, attempt_id)
    live_db.refresh(attempt)
    assert attempt.finalised_by == "candidate" and attempt.score == 50 and attempt.passed is False


def test_answers_survive_going_offline_and_reloading(phone_page, live_db, exam_for):
    """Mid-exam the network drops: answers given offline show 未保存 and wait in localStorage; a reload while
    offline fails; back online, reloading re-sends the queue, every answer is stored and shown, the queue empties."""
    page = phone_page
    exam, user = exam_for()
    log_in(page, user.login)
    attempt_id = _start(page, exam)
    url = page.url
    paper = _paper(live_db, attempt_id)
    key = f"trainer-exam-{attempt_id}"

    item, q = paper[1]
    _answer(page, 1, q, _right(item, q))
    _saved(page)

    page.context.set_offline(True)
    page.click('#answer-sheet [data-goto="2"]')
    item, q = paper[2]
    _answer(page, 2, q, _wrong_letter(item, q))
    _unsaved(page)
    page.click('#answer-sheet [data-goto="5"]')
    item, q = paper[5]
    _answer(page, 5, q, _right(item, q))
    _unsaved(page)
    page.click('#answer-sheet [data-goto="8"]')
    item, q = paper[8]
    _answer(page, 8, q, ["离线填写的答案", "第二空"][:len(q.answer_value)])
    page.wait_for_function(f"(JSON.parse(localStorage.getItem('{key}') || '{{}}')['8'] || {{}}).response")
    _unsaved(page)
    page.click('#answer-sheet [data-goto="7"]')
    item, q = paper[7]
    _answer(page, 7, q, _right(item, q))
    _unsaved(page)
    page.wait_for_function(f"Object.keys(JSON.parse(localStorage.getItem('{key}') || '{{}}')).length === 4")
    queued = json.loads(page.evaluate(f"localStorage.getItem('{key}')"))
    assert sorted(queued, key=int) == ["2", "5", "7", "8"]
    assert all(entry["seq"] >= 1 for entry in queued.values())

    stored = _stored(live_db, attempt_id)
    assert stored[1][0] is not None
    assert stored[2][0] is stored[5][0] is stored[7][0] is stored[8][0] is None  # nothing reached the server

    try:
        response = page.reload(timeout=10_000)
    except PlaywrightError:
        response = None
    assert response is None or not response.ok

    page.context.set_offline(False)
    page.goto(url)
    _saved(page)
    page.wait_for_function(f"localStorage.getItem('{key}') === null")

    stored = _stored(live_db, attempt_id)
    expected = {
        1: _right(*paper[1]), 2: display_to_canonical(_wrong_letter(*paper[2]), paper[2][0].order),
        5: paper[5][1].answer_value, 7: paper[7][1].answer_value,
        8: ["离线填写的答案", "第二空"][:len(paper[8][1].answer_value)],
    }
    expected[1] = display_to_canonical(expected[1], paper[1][0].order)
    for pos, value in expected.items():
        assert stored[pos][0] == value, pos
    assert stored[3][0] is stored[4][0] is stored[6][0] is None

    # the page shows every answer, including those given offline
    for pos in (1, 2, 5, 7):
        item, q = paper[pos]
        shown = _right(item, q) if pos != 2 else _wrong_letter(item, q)
        for letter in shown if q.type == "multiple" else [shown]:
            expect(page.locator(f"#q{pos}-{letter}")).to_be_checked()
    blanks = page.locator('.exam-q[data-position="8"] input.form-control')
    expect(blanks.first).to_have_value("离线填写的答案")
    for pos in (1, 2, 5, 7, 8):
        expect(page.locator(f'#answer-sheet [data-goto="{pos}"]')).to_have_class(re.compile(r"\banswered\b"))
    assert page.evaluate(f"localStorage.getItem('{key}')") is None


def test_time_up_lands_on_the_result_without_bouncing(phone_page, live_db, exam_for):
    """When the time is up the page goes to the result once and stays, instead of bouncing between the exam page
    and the result URL until the server's grace period ends."""
    page = phone_page
    exam, user = exam_for()
    log_in(page, user.login)
    attempt_id = _start(page, exam)
    live_db.commit()
    attempt = live_db.get(Attempt, attempt_id)
    attempt.deadline_at = svc.naive(svc.now_utc() - timedelta(seconds=2))
    live_db.commit()
    loads = []
    page.on("framenavigated", lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    page.goto(f"/exams/a/{attempt_id}", wait_until="commit")
    page.wait_for_timeout(2000)
    assert sum(1 for u in loads if u.endswith(f"/exams/a/{attempt_id}")) <= 1, loads[:10]
    expect(page).to_have_url(re.compile(rf"/exams/a/{attempt_id}/result$"))
    expect(page.locator("body")).to_contain_text("（到时自动交卷）")


def test_offline_first_tap_after_typing_navigates(phone_page, live_db, exam_for):
    """Offline, after typing a blank answer, one tap on another question of the answer sheet opens it."""
    page = phone_page
    exam, user = exam_for()
    log_in(page, user.login)
    attempt_id = _start(page, exam)
    paper = _paper(live_db, attempt_id)
    page.context.set_offline(True)
    page.click('#answer-sheet [data-goto="8"]')
    item, q = paper[8]
    pane = page.locator('.exam-q[data-position="8"]')
    for inp in pane.locator("input.form-control").all():
        inp.fill("离线作答")
    _unsaved(page)
    page.tap('#answer-sheet [data-goto="7"]')  # a finger, not a mouse
    expect(page.locator('.exam-q[data-position="7"]')).to_be_visible(timeout=2000)


def test_waiting_room_opens_by_itself(phone_page, exam_for):
    """A candidate who logged in early waits on the exam page: it counts down from the server's time and, once
    the exam opens, reloads itself and offers the start button without anyone touching it."""
    page = phone_page
    exam, user = exam_for(open_at=svc.now_utc() + timedelta(seconds=4))
    log_in(page, user.login)
    page.goto(f"/exams/{exam.id}")
    expect(page.locator("#waiting-room")).to_contain_text("距开考还有")
    expect(page.locator("#open-countdown")).to_have_text(re.compile(r"^0:0[1-4]$"))
    expect(page.locator("#start-exam")).to_have_count(0)
    expect(page.locator("#start-exam")).to_be_visible(timeout=15_000)
    page.click("#start-exam")
    expect(page).to_have_url(re.compile(r"/exams/a/\d+$"))
