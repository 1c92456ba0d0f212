import json
import re

from playwright.sync_api import expect
from sqlalchemy import select

from browser_helpers import log_in
from trainer.banks.models import Question
from trainer.practice.models import PracticeItem


def _correct_display(live_db, session_id: int, position: int) -> tuple[str, Question]:
    """The displayed letters of the right answer for one item (options are shuffled per user)."""
    live_db.expire_all()
    item = live_db.scalar(select(PracticeItem).where(PracticeItem.session_id == session_id,
                                                     PracticeItem.position == position))
    q = live_db.get(Question, item.question_id)
    answer = json.loads(q.answer)
    if q.type in ("single", "multiple"):
        order = json.loads(item.option_order)
        return "".join(sorted("ABCDEFGH"[order.index("ABCDEFGH".index(ch))] for ch in answer)), q
    return answer, q


def _answer(page, q: Question, value, right: bool) -> None:
    if q.type == "judge":
        page.check(f"#response-{'true' if value == right else 'false'}")
    elif q.type == "blank":
        for i, inp in enumerate(page.locator("#answer-form input.form-control").all()):
            inp.fill(value[i][0] if right else "不知道")
    else:
        letters = value if right else next(ch for ch in "ABCD" if ch not in value)
        for ch in letters:
            page.check(f"#response-{ch}")
    page.click("#submit-answer")


def test_module_quiz_on_a_phone_right_and_wrong(phone_page, live_db):
    """On a 375×667 phone a staff member takes a module quiz, answers right and wrong, and sees the verdict, the
    correct answer, the explanation and a link to the cited article."""
    page = phone_page
    log_in(page, "100006")
    page.goto("/courses/行政处罚法/4")
    page.click("#module-quiz")
    expect(page).to_have_url(re.compile(r"/practice/s/\d+/1$"))
    session_id = int(re.search(r"/practice/s/(\d+)/", page.url).group(1))

    value, q = _correct_display(live_db, session_id, 1)
    _answer(page, q, value, right=True)
    expect(page.locator("#verdict")).to_have_text("✓ 回答正确")
    expect(page.locator("#explanation")).to_contain_text("行政处罚法")
    link = page.locator("#citations a").first
    expect(link).to_have_attribute("href", re.compile(r"^/laws/%E8%A1%8C|^/laws/行政处罚法/\d+$"))

    page.click("#next-question")
    value, q = _correct_display(live_db, session_id, 2)
    _answer(page, q, value, right=False)
    expect(page.locator("#verdict")).to_have_text("✗ 回答错误")
    expect(page.locator("#correct-answer")).not_to_be_empty()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    link = page.locator("#citations a").first
    link.click()
    expect(page).to_have_url(re.compile(r"#art-\d+$"))
    anchor = page.url.rsplit("#", 1)[1]
    expect(page.locator(f"#{anchor}")).to_be_in_viewport()

    page.goto("/practice/mistakes")
    expect(page.locator("#mistake-list")).to_contain_text(q.stem[:10])
