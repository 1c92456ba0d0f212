"""Practice (trainer.practice.services) against a real database: module quizzes, answer recording, refusals,
the mistake book (FSRS), practice modes and article mastery. Every service gets a fixed clock (`now=`)."""
from __future__ import annotations

import functools
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from support import loaded_bank
from trainer.banks.bankfile import load_bank
from trainer.banks.models import Citation, Question
from trainer.banks.services import import_bank
from trainer.banks.transfer import generate_for_law
from trainer.banks.types import LETTERS, canonical_to_display
from trainer.laws.models import Article, Chapter, Law
from trainer.practice import progress as practice_progress
from trainer.practice import services as svc
from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
from trainer.practice.selection import shuffle_for
from trainer.study.models import Course, Module, ModuleProgress

LAW = "行政处罚法"
BANKS = Path(__file__).resolve().parents[2] / "question_banks"
LOCAL = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)          # 10:00 in Shanghai, a Monday
CHINESE = re.compile(r"[\u4e00-\u9fff]")

# A small bank whose citations the mastery tests control exactly (keys cannot clash with the real banks).
SMALL_BANK = """\
format: 1
bank: practice-test
title: 练习测试题库
course: 行政处罚法
questions:
""" + "".join(f"""\
  - key: pt-{n:04d}
    type: judge
    stem: 测试判断题 {n}（第{art}条）。
    answer: true
    explanation: 依据《行政处罚法》第{art}条。
    citations:
{cites}
    difficulty: 1
    status: published
""" for n, art, cites in [
    (1, 33, "      - {law: 行政处罚法, article: 33}"),
    (2, 33, "      - {law: 行政处罚法, article: 33}"),
    (3, 33, "      - {law: 行政处罚法, article: 33}"),
    (4, 34, "      - {law: 行政处罚法, article: 34}"),
    (5, 34, "      - {law: 行政处罚法, article: 34}"),
    (6, 35, "      - {law: 行政处罚法, article: 35}"),
    (7, 35, "      - {law: 行政处罚法, article: 35}"),
    (8, 32, "      - {law: 行政处罚法, article: 32}"),
    (9, 36, "      - {law: 行政处罚法, article: 36, paragraph: 1}\n"
            "      - {law: 行政处罚法, article: 36, paragraph: 2}"),
])


@functools.cache
def _spec(name: str):
    return loaded_bank((BANKS / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")


@functools.cache
def _small_spec():
    spec, issues = load_bank(SMALL_BANK, "practice-test.yaml")
    assert spec is not None, issues
    return spec


@pytest.fixture()
def bank(dbs):
    """The curated 行政处罚法 bank."""
    import_bank(dbs, _spec("xingzheng-chufa"))
    dbs.flush()


@pytest.fixture()
def small_bank(dbs):
    import_bank(dbs, _small_spec())
    dbs.flush()


@pytest.fixture()
def user(make_user):
    return make_user(role="staff")


@pytest.fixture()
def module4(dbs) -> Module:
    """第四章 行政处罚的管辖和适用 of the 行政处罚法 course."""
    course = dbs.scalar(select(Course).where(Course.key == LAW))
    return next(m for m in course.modules if m.chapter_ordinal == 4)


# ---- helpers -----------------------------------------------------------------------------------------

def items(dbs, session: PracticeSession) -> list[PracticeItem]:
    return list(dbs.scalars(select(PracticeItem).where(PracticeItem.session_id == session.id)
                            .order_by(PracticeItem.position)))


def question(dbs, item: PracticeItem) -> Question:
    return dbs.get(Question, item.question_id)


def right(dbs, item: PracticeItem):
    """The correct response as the user would give it on the page (displayed letters for choices)."""
    q = question(dbs, item)
    if q.type in ("single", "multiple"):
        return canonical_to_display(q.answer_value, item.order) if item.order else q.answer_value
    if q.type == "judge":
        return "true" if q.answer_value else "false"
    return [variants[0] for variants in q.answer_value]


def wrong(dbs, item: PracticeItem):
    """A well-formed but wrong response."""
    q = question(dbs, item)
    if q.type == "single":
        correct = right(dbs, item)
        return next(letter for letter in LETTERS[:len(q.option_list)] if letter != correct)
    if q.type == "multiple":
        return right(dbs, item)[0]           # one of at least two right letters: incomplete, so wrong
    if q.type == "judge":
        return "false" if q.answer_value else "true"
    return ["肯定不对的答案"] * len(q.answer_value)


def answer_items(dbs, user, session, pattern, now):
    """Answer the session's items in order; pattern[i] True answers right, False wrong."""
    for item, ok in zip(items(dbs, session), pattern):
        svc.answer(dbs, user, session.id, item.position, right(dbs, item) if ok else wrong(dbs, item), now=now)


def cited_articles(q: Question) -> set[tuple[str, int]]:
    return {(c.law_short_title, c.article_number) for c in q.citations if c.article_number is not None}


def chapter_articles(dbs, ordinal: int) -> set[int]:
    return set(dbs.scalars(select(Article.number).join(Law).join(Chapter, Article.chapter_id == Chapter.id)
                           .where(Law.short_title == LAW, Law.status == "current", Chapter.ordinal == ordinal)))


def naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def card_of(dbs, user, key) -> ReviewCard | None:
    dbs.expire_all()
    return dbs.scalar(select(ReviewCard).where(ReviewCard.user_id == user.id, ReviewCard.question_key == key))


def counts(dbs, user) -> tuple:
    """Everything an answer may write for a user: answered items, cards, article stats."""
    dbs.expire_all()
    return (dbs.scalar(select(func.count()).select_from(PracticeItem).where(
                PracticeItem.user_id == user.id, PracticeItem.answered_at.is_not(None))),
            dbs.scalar(select(func.count()).select_from(ReviewCard).where(ReviewCard.user_id == user.id)),
            dbs.scalar(select(func.coalesce(func.sum(ArticleStat.answered), 0)).where(ArticleStat.user_id == user.id)))


# ---- module quiz -------------------------------------------------------------------------------------

def test_module_quiz_has_size_questions_all_citing_the_module(dbs, bank, user, module4):
    """A module quiz has `size` questions, each citing at least one article of the module's chapter."""
    s = svc.start_module_quiz(dbs, user, module4, size=10, now=T0)
    its = items(dbs, s)
    assert (s.kind, s.total, s.module_id, s.pass_mark) == ("module", 10, module4.id, 0.8)
    assert [i.position for i in its] == list(range(1, 11))
    numbers = chapter_articles(dbs, 4)
    assert numbers and 22 in numbers and 38 in numbers
    for item in its:
        q = question(dbs, item)
        assert q.is_latest and q.status == "published" and q.type != "case"
        assert any(law == LAW and n in numbers for law, n in cited_articles(q)), (q.key, cited_articles(q))


def test_module_quiz_larger_than_the_pool_asks_every_key_once(dbs, bank, user, module4):
    """No key is repeated within a quiz: asking for more than the pool holds gives each question once."""
    pool = svc.candidates(dbs, user.id, svc.module_condition(dbs, module4))
    s = svc.start_module_quiz(dbs, user, module4, size=500, now=T0)
    keys = [i.question_key for i in items(dbs, s)]
    assert len(keys) == len(set(keys)) == s.total == len({c.key for c in pool})
    assert 20 < s.total < 500


def test_module_quiz_prefers_unanswered_questions(dbs, bank, user, module4):
    """After answering some questions, the next quiz of the module asks exactly the ones not answered yet."""
    pool = {c.key for c in svc.candidates(dbs, user.id, svc.module_condition(dbs, module4))}
    first = svc.start_module_quiz(dbs, user, module4, size=len(pool) - 5, now=T0)
    answer_items(dbs, user, first, [n % 3 != 0 for n in range(len(pool) - 10)], T0)   # some right, some wrong
    answered = {i.question_key for i in items(dbs, first) if i.answered_at is not None}
    assert len(answered) == len(pool) - 10
    second = svc.start_module_quiz(dbs, user, module4, size=10, now=T0 + timedelta(hours=1))
    assert {i.question_key for i in items(dbs, second)} == pool - answered
    third = svc.start_module_quiz(dbs, user, module4, size=20, now=T0 + timedelta(hours=2))
    keys = [i.question_key for i in items(dbs, third)]
    assert set(keys[:10]) == pool - answered and set(keys[10:]) <= answered     # shown but unanswered count as new


def test_page_module_quiz_asks_the_questions_tagged_for_it(dbs, user):
    """A 城管执法实务 page module quizzes the practice bank's questions carrying one of its quiz tags."""
    import_bank(dbs, _spec("chengguan-shiwu"))
    import_bank(dbs, _spec("xingzheng-chufa"))
    course = dbs.scalar(select(Course).where(Course.key == "chengguan-shiwu"))
    pages = [m for m in course.modules if m.kind == "page" and m.quiz_tag_list]
    assert len(pages) >= 3
    for module in pages:
        expected = {q.key for q in dbs.scalars(select(Question).where(Question.is_latest.is_(True)))
                    if q.bank.course_key == course.title and q.type != "case"
                    and set(q.tag_list) & set(module.quiz_tag_list)}
        s = svc.start_module_quiz(dbs, user, module, size=500, now=T0)
        assert expected and {i.question_key for i in items(dbs, s)} == expected, module.title


def test_module_quiz_without_questions_is_refused(dbs, user, module4):
    """A module whose articles no question cites cannot be quizzed (Chinese message, no session)."""
    before = dbs.scalar(select(func.count()).select_from(PracticeSession))
    with pytest.raises(svc.PracticeError, match="还没有可用的测验题"):
        svc.start_module_quiz(dbs, user, module4, now=T0)
    assert dbs.scalar(select(func.count()).select_from(PracticeSession)) == before


def test_option_order_is_stable_for_the_session(dbs, bank, user, module4):
    """Each item's option order is fixed when the quiz starts: reloading shows the same options in the same order."""
    s = svc.start_module_quiz(dbs, user, module4, size=10, now=T0)
    choice = [i for i in items(dbs, s) if question(dbs, i).type in ("single", "multiple")]
    assert choice
    first = {i.position: svc.shown(dbs, i).option_list for i in choice}
    dbs.expire_all()
    for item in items(dbs, s):
        q = question(dbs, item)
        if q.type not in ("single", "multiple"):
            assert item.order == []
            continue
        shown = svc.shown(dbs, item)
        assert shown.option_list == first[item.position]
        assert sorted(item.order) == list(range(len(q.option_list)))
        assert shown.option_list == [q.option_list[i] for i in item.order]
        assert item.order == shuffle_for(user.id, s.id, item.question_key, len(q.option_list))
    assert any(i.order != sorted(i.order) for i in items(dbs, s) if i.order), "no item was shuffled"


def test_answers_are_graded_against_the_displayed_order(dbs, bank, user, module4):
    """The displayed letter of the correct option is right; the canonical letter, shown elsewhere, is wrong."""
    s = svc.start_module_quiz(dbs, user, module4, size=45, now=T0)
    shuffled = [i for i in items(dbs, s) if question(dbs, i).type == "single"
                and canonical_to_display(question(dbs, i).answer_value, i.order) != question(dbs, i).answer_value]
    assert len(shuffled) >= 2
    a, b = shuffled[:2]
    qa = question(dbs, a)
    displayed = canonical_to_display(qa.answer_value, a.order)
    shown = svc.answer(dbs, user, s.id, a.position, displayed, now=T0)
    assert a.is_correct is True and json.loads(a.response) == qa.answer_value
    assert shown.option_list[LETTERS.index(displayed)] == qa.option_list[LETTERS.index(qa.answer_value)]
    assert shown.correct_display == displayed and shown.response_display == displayed
    svc.answer(dbs, user, s.id, b.position, question(dbs, b).answer_value, now=T0)   # canonical letter
    assert b.is_correct is False


def test_multiple_choice_graded_against_the_displayed_order(dbs, bank, user):
    """A multiple-choice answer given in displayed letters (any order, any separator) is graded right."""
    s = svc.start_random(dbs, user, types=["multiple"], size=10, now=T0)
    item = next(i for i in items(dbs, s)
                if canonical_to_display(question(dbs, i).answer_value, i.order) != question(dbs, i).answer_value)
    displayed = right(dbs, item)
    svc.answer(dbs, user, s.id, item.position, list(reversed(displayed)), now=T0)
    assert item.is_correct is True and json.loads(item.response) == question(dbs, item).answer_value


def test_reaching_the_pass_mark_marks_the_module_tested(dbs, bank, user, module4):
    """8 of 10 right (the 80 % pass mark) sets ModuleProgress.tested_at and best_score and passes the session."""
    s = svc.start_module_quiz(dbs, user, module4, size=10, now=T0)
    answer_items(dbs, user, s, [True] * 8 + [False] * 2, T0)
    dbs.expire_all()
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user.id,
                                                       ModuleProgress.module_id == module4.id))
    assert s.passed is True and s.score == pytest.approx(0.8)
    assert progress.tested_at == naive(T0) and progress.best_score == pytest.approx(0.8)


def test_below_the_pass_mark_is_not_tested(dbs, bank, user, module4):
    """7 of 10 right records the best score but does not mark the module tested."""
    s = svc.start_module_quiz(dbs, user, module4, size=10, now=T0)
    answer_items(dbs, user, s, [True] * 7 + [False] * 3, T0)
    dbs.expire_all()
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user.id,
                                                       ModuleProgress.module_id == module4.id))
    assert s.passed is False and s.finished_at == naive(T0)
    assert progress.tested_at is None and progress.best_score == pytest.approx(0.7)


def test_a_later_worse_quiz_keeps_tested_and_best_score(dbs, bank, user, module4):
    """Once tested, a later failed quiz neither clears tested_at nor lowers best_score."""
    s1 = svc.start_module_quiz(dbs, user, module4, size=10, now=T0)
    answer_items(dbs, user, s1, [True] * 10, T0)
    later = T0 + timedelta(days=1)
    s2 = svc.start_module_quiz(dbs, user, module4, size=10, now=later)
    answer_items(dbs, user, s2, [False] * 10, later)
    dbs.expire_all()
    progress = dbs.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user.id,
                                                       ModuleProgress.module_id == module4.id))
    assert (s1.passed, s2.passed) == (True, False)
    assert progress.tested_at == naive(T0) and progress.best_score == pytest.approx(1.0)


# ---- answer recording --------------------------------------------------------------------------------

def test_every_answer_is_recorded_and_the_session_finishes(dbs, bank, user, module4):
    """Each answer stores its canonical response, is_correct and answered_at; counts grow; the last one finishes."""
    s = svc.start_module_quiz(dbs, user, module4, size=4, now=T0)
    pattern = [True, False, True, True]
    for n, (item, ok) in enumerate(zip(items(dbs, s), pattern), start=1):
        at = T0 + timedelta(minutes=n)
        assert s.finished_at is None
        svc.answer(dbs, user, s.id, item.position, right(dbs, item) if ok else wrong(dbs, item), now=at)
        dbs.expire_all()
        stored = dbs.get(PracticeItem, item.id)
        assert stored.response is not None and stored.is_correct is ok and stored.answered_at == naive(at)
        if ok:
            assert json.loads(stored.response) == question(dbs, stored).answer_value
        assert (s.answered, s.correct) == (n, sum(pattern[:n]))
    assert s.finished_at == naive(T0 + timedelta(minutes=4))
    assert s.score == pytest.approx(0.75) and s.passed is False


# ---- bad input ---------------------------------------------------------------------------------------

def _assert_refused(dbs, user, s, item, raw, message=None):
    before = counts(dbs, user)
    with pytest.raises(svc.PracticeError) as exc:
        svc.answer(dbs, user, s.id, item.position, raw, now=T0)
    assert CHINESE.search(str(exc.value)), str(exc.value)
    if message:
        assert message in str(exc.value)
    dbs.expire_all()
    item = dbs.get(PracticeItem, item.id)
    assert (item.response, item.is_correct, item.answered_at) == (None, None, None)
    assert (s.answered, s.correct, s.finished_at) == (0, 0, None)
    assert counts(dbs, user) == before


@pytest.mark.parametrize("qtype,raw", [
    ("single", "E"), ("single", "Z"), ("single", 5), ("single", "AB"), ("single", {"a": 1}),
    ("multiple", "Z"), ("multiple", 5), ("multiple", ["A", 5]),
    ("judge", "maybe"), ("judge", 3),
    ("blank", 5), ("blank", {"x": "y"}), ("blank", ["一", "二", "三", "四"]),
])
def test_malformed_responses_are_refused_and_nothing_recorded(dbs, bank, user, qtype, raw):
    """A letter not among the options or a wrongly typed response: PracticeError in Chinese, nothing recorded."""
    s = svc.start_random(dbs, user, types=[qtype], size=3, now=T0)
    item = items(dbs, s)[0]
    if qtype == "single" and raw == "E":
        assert len(question(dbs, item).option_list) == 4      # E is one past the last option
    _assert_refused(dbs, user, s, item, raw, "答案格式不正确")


@pytest.mark.parametrize("qtype,raw", [
    ("single", ""), ("single", None), ("single", []), ("multiple", ""), ("multiple", []), ("multiple", [""]),
    ("judge", ""), ("judge", None), ("judge", "  "), ("blank", ""), ("blank", [""]), ("blank", ["  "]),
    ("blank", None),
])
def test_empty_responses_are_refused_and_nothing_recorded(dbs, bank, user, qtype, raw):
    """An empty answer (nothing chosen, blanks left empty) is refused in Chinese and nothing is recorded."""
    s = svc.start_random(dbs, user, types=[qtype], size=3, now=T0)
    item = next(i for i in items(dbs, s) if qtype != "blank" or len(question(dbs, i).answer_value) == 1)
    _assert_refused(dbs, user, s, item, raw)


@pytest.mark.parametrize("position", [0, 4, 999, -1])
def test_answering_a_position_not_in_the_quiz_is_refused(dbs, bank, user, module4, position):
    """A position outside the quiz is refused with a Chinese message and nothing is recorded."""
    s = svc.start_module_quiz(dbs, user, module4, size=3, now=T0)
    before = counts(dbs, user)
    with pytest.raises(svc.PracticeError, match="不在本次练习中"):
        svc.answer(dbs, user, s.id, position, "A", now=T0)
    assert counts(dbs, user) == before and s.answered == 0


def test_answering_another_users_session_is_refused(dbs, bank, make_user, module4):
    """Nobody can answer (or load) someone else's session; the owner's session stays untouched."""
    owner, other = make_user(), make_user()
    s = svc.start_module_quiz(dbs, owner, module4, size=3, now=T0)
    item = items(dbs, s)[0]
    before = (counts(dbs, owner), counts(dbs, other))
    with pytest.raises(svc.PracticeError, match="不是您的练习"):
        svc.answer(dbs, other, s.id, 1, right(dbs, item), now=T0)
    with pytest.raises(svc.PracticeError, match="不是您的练习"):
        svc.session_for(dbs, other, s.id)
    with pytest.raises(svc.PracticeError, match="练习不存在"):
        svc.answer(dbs, owner, s.id + 10_000, 1, "A", now=T0)
    assert (counts(dbs, owner), counts(dbs, other)) == before
    assert dbs.get(PracticeItem, item.id).answered_at is None and s.answered == 0


def test_answering_a_finished_session_is_refused(dbs, bank, user, module4):
    """Once every question is answered the session is finished and takes no more answers."""
    s = svc.start_module_quiz(dbs, user, module4, size=2, now=T0)
    answer_items(dbs, user, s, [True, False], T0)
    assert s.finished_at is not None
    before = counts(dbs, user)
    first = items(dbs, s)[0]
    with pytest.raises(svc.PracticeError, match="已经结束"):
        svc.answer(dbs, user, s.id, 1, wrong(dbs, first), now=T0 + timedelta(minutes=5))
    assert counts(dbs, user) == before and (s.answered, s.correct) == (2, 1)


def test_answering_twice_is_refused_and_the_first_answer_kept(dbs, bank, user, module4):
    """A question already answered cannot be answered again: the first response, grade and time stay."""
    s = svc.start_module_quiz(dbs, user, module4, size=3, now=T0)
    item = items(dbs, s)[0]
    svc.answer(dbs, user, s.id, item.position, right(dbs, item), now=T0)
    stored = (item.response, item.is_correct, item.answered_at)
    before = counts(dbs, user)
    with pytest.raises(svc.PracticeError, match="已经作答"):
        svc.answer(dbs, user, s.id, item.position, wrong(dbs, item), now=T0 + timedelta(minutes=1))
    dbs.expire_all()
    item = dbs.get(PracticeItem, item.id)
    assert (item.response, item.is_correct, item.answered_at) == stored
    assert counts(dbs, user) == before and (s.answered, s.correct) == (1, 1)
    assert card_of(dbs, user, item.question_key) is None


# ---- mistake book ------------------------------------------------------------------------------------

def _wrong_once(dbs, user, now=T0):
    """Answer one judge question wrong; returns its key."""
    s = svc.start_random(dbs, user, types=["judge"], size=1, now=now)
    item = items(dbs, s)[0]
    svc.answer(dbs, user, s.id, item.position, wrong(dbs, item), now=now)
    return item.question_key


def _review_once(dbs, user, key, ok: bool, now):
    s = svc.start_review(dbs, user, now=now)
    item = next(i for i in items(dbs, s) if i.question_key == key)
    assert key in s.param_dict["review_keys"]
    svc.answer(dbs, user, s.id, item.position, right(dbs, item) if ok else wrong(dbs, item), now=now)
    return card_of(dbs, user, key)


def test_a_wrong_answer_enters_the_mistake_book_due_today(dbs, bank, user):
    """A wrong answer creates a ReviewCard due later the same local day, counted by due_count."""
    assert practice_progress.due_count(dbs, user.id, now=T0) == 0
    key = _wrong_once(dbs, user)
    card = card_of(dbs, user, key)
    end_of_day = naive(datetime(2026, 3, 3, 0, 0, tzinfo=LOCAL))
    assert naive(T0) < card.due_at < end_of_day
    assert (card.right_streak, card.lapses, card.removed_at) == (0, 1, None)
    assert practice_progress.due_count(dbs, user.id, now=T0) == 1
    assert [q.key for _, q in practice_progress.mistake_book(dbs, user.id)] == [key]


def test_a_right_answer_outside_the_book_creates_no_card(dbs, bank, user, module4):
    """Right answers never put a question in the mistake book."""
    s = svc.start_module_quiz(dbs, user, module4, size=5, now=T0)
    answer_items(dbs, user, s, [True] * 5, T0)
    assert counts(dbs, user)[1] == 0 and practice_progress.due_count(dbs, user.id, now=T0) == 0


def test_start_review_picks_the_card_due_today(dbs, bank, user):
    """Every card due_count reports as due today can be reviewed right away; only_due=False takes any card."""
    key = _wrong_once(dbs, user)
    assert practice_progress.due_count(dbs, user.id, now=T0) == 1
    s = svc.start_review(dbs, user, now=T0)
    assert s.kind == "review" and [i.question_key for i in items(dbs, s)] == [key]
    assert s.param_dict["review_keys"] == [key]
    everything = svc.start_review(dbs, user, now=T0, only_due=False)
    assert [i.question_key for i in items(dbs, everything)] == [key]


def test_start_review_leaves_cards_due_on_a_later_day(dbs, bank, user):
    """A card scheduled for a later day is neither counted nor reviewed as due, except when reviewing everything."""
    key = _wrong_once(dbs, user)
    card = card_of(dbs, user, key)
    while card.due_at < naive(T0 + timedelta(days=1)):
        card = _review_once(dbs, user, key, True, card.due_at.replace(tzinfo=timezone.utc))
    assert card.removed_at is None and card.right_streak == 2
    now = datetime.combine(card.due_at.replace(tzinfo=timezone.utc).astimezone(LOCAL).date(),
                           datetime.min.time(), LOCAL) - timedelta(hours=1)        # the evening before
    assert practice_progress.due_count(dbs, user.id, now=now) == 0
    with pytest.raises(svc.PracticeError, match="没有到期"):
        svc.start_review(dbs, user, now=now)
    assert [i.question_key for i in items(dbs, svc.start_review(dbs, user, now=now, only_due=False))] == [key]
    due_day = now + timedelta(hours=2)
    assert practice_progress.due_count(dbs, user.id, now=due_day) == 1


def test_right_answers_in_review_push_due_later_then_master(dbs, bank, user):
    """Each right answer in review moves due_at later; 3 right in a row take the card out as mastered."""
    key = _wrong_once(dbs, user)
    card = card_of(dbs, user, key)
    due, lapses = card.due_at, card.lapses
    for streak in (1, 2, 3):
        now = due.replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        card = _review_once(dbs, user, key, True, now)
        assert card.right_streak == streak and card.lapses == lapses
        assert card.due_at > due and card.due_at > naive(now)
        assert card.last_reviewed_at == naive(now)
        due = card.due_at
        if streak < 3:
            assert card.removed_at is None
            assert [q.key for _, q in practice_progress.mistake_book(dbs, user.id)] == [key]
    assert card.removed_at == naive(now) and card.removed_reason == "mastered"
    assert practice_progress.mistake_book(dbs, user.id) == []
    assert practice_progress.due_count(dbs, user.id, now=now + timedelta(days=365)) == 0
    with pytest.raises(svc.PracticeError):
        svc.start_review(dbs, user, now=now + timedelta(days=365), only_due=False)


def test_review_remove_after_is_configurable(dbs, bank, user):
    """remove_after sets how many right answers in a row in review take a card out."""
    key = _wrong_once(dbs, user)
    now = card_of(dbs, user, key).due_at.replace(tzinfo=timezone.utc)
    s = svc.start_review(dbs, user, now=now)
    item = items(dbs, s)[0]
    svc.answer(dbs, user, s.id, item.position, right(dbs, item), now=now, remove_after=1)
    card = card_of(dbs, user, key)
    assert card.removed_reason == "mastered" and card.right_streak == 1


def test_a_wrong_answer_in_review_resets_the_streak(dbs, bank, user):
    """Right, right, then wrong in review: the streak goes back to 0, lapses grow, the card stays due soon."""
    key = _wrong_once(dbs, user)
    card = card_of(dbs, user, key)
    for _ in range(2):
        now = card.due_at.replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        card = _review_once(dbs, user, key, True, now)
    assert card.right_streak == 2
    long_due = card.due_at
    now = long_due.replace(tzinfo=timezone.utc) + timedelta(minutes=1)
    card = _review_once(dbs, user, key, False, now)
    assert (card.right_streak, card.lapses, card.removed_at) == (0, 2, None)
    assert naive(now) < card.due_at < naive(now + timedelta(days=1))
    # it now takes three right answers in a row again
    for streak in (1, 2):
        now = card.due_at.replace(tzinfo=timezone.utc) + timedelta(minutes=1)
        card = _review_once(dbs, user, key, True, now)
        assert card.right_streak == streak and card.removed_at is None


def test_user_removes_a_card(dbs, bank, user):
    """remove_card takes the question out of the book (reason 'user'); removing it again is refused."""
    key = _wrong_once(dbs, user)
    practice_progress.remove_card(dbs, user, key, now=T0 + timedelta(minutes=2))
    card = card_of(dbs, user, key)
    assert card.removed_at == naive(T0 + timedelta(minutes=2)) and card.removed_reason == "user"
    assert practice_progress.mistake_book(dbs, user.id) == [] and practice_progress.due_count(dbs, user.id, now=T0) == 0
    with pytest.raises(svc.PracticeError, match="错题本中没有这道题"):
        practice_progress.remove_card(dbs, user, key, now=T0)


def test_another_user_cannot_remove_my_card(dbs, bank, user, make_user):
    """remove_card only looks in the acting user's own book."""
    key = _wrong_once(dbs, user)
    with pytest.raises(svc.PracticeError):
        practice_progress.remove_card(dbs, make_user(), key, now=T0)
    assert card_of(dbs, user, key).removed_at is None


def test_a_right_answer_outside_review_does_not_move_the_card(dbs, bank, user):
    """Answering a question of the book right in ordinary practice leaves its schedule and streak alone."""
    key = _wrong_once(dbs, user)
    before = card_of(dbs, user, key)
    snapshot = (before.card, before.due_at, before.right_streak, before.lapses, before.last_reviewed_at)
    cited = sorted(cited_articles(dbs.scalar(select(Question).where(Question.key == key,
                                                                    Question.is_latest.is_(True)))))
    law, number = cited[0]
    later = T0 + timedelta(hours=3)
    s = svc.start_article(dbs, user, law, number, size=500, now=later)
    assert s.param_dict.get("review_keys") is None
    item = next(i for i in items(dbs, s) if i.question_key == key)
    svc.answer(dbs, user, s.id, item.position, right(dbs, item), now=later)
    after = card_of(dbs, user, key)
    assert item.is_correct is True
    assert (after.card, after.due_at, after.right_streak, after.lapses, after.last_reviewed_at) == snapshot


def test_a_wrong_answer_brings_a_removed_card_back(dbs, bank, user):
    """A question removed from the book comes back (streak 0) when it is answered wrong again."""
    key = _wrong_once(dbs, user)
    practice_progress.remove_card(dbs, user, key, now=T0)
    later = T0 + timedelta(days=2)
    q = dbs.scalar(select(Question).where(Question.key == key, Question.is_latest.is_(True)))
    law, number = sorted(cited_articles(q))[0]
    s = svc.start_article(dbs, user, law, number, size=500, now=later)
    item = next(i for i in items(dbs, s) if i.question_key == key)
    svc.answer(dbs, user, s.id, item.position, wrong(dbs, item), now=later)
    card = card_of(dbs, user, key)
    assert (card.removed_at, card.removed_reason, card.right_streak, card.lapses) == (None, None, 0, 2)
    assert practice_progress.due_count(dbs, user.id, now=later) == 1


# ---- practice modes ----------------------------------------------------------------------------------

def test_random_practice_applies_law_type_and_difficulty_filters(dbs, bank, user):
    """Random practice only asks questions of the ticked laws, types and difficulties."""
    import_bank(dbs, _spec("xingzheng-qiangzhi"))
    s = svc.start_random(dbs, user, laws=[LAW], types=["judge", "single"], difficulties=[2], size=15, now=T0)
    assert s.kind == "random" and s.total == 15
    for item in items(dbs, s):
        q = question(dbs, item)
        assert q.type in ("judge", "single") and q.difficulty == 2
        assert any(law == LAW for law, _ in cited_articles(q))
    other = svc.start_random(dbs, user, laws=["行政强制法"], size=15, now=T0)
    for item in items(dbs, other):
        assert any(law == "行政强制法" for law, _ in cited_articles(question(dbs, item)))
    assert svc.start_random(dbs, user, types=["blank"], size=50, now=T0).total == dbs.scalar(
        select(func.count()).select_from(Question).where(Question.type == "blank", Question.is_latest.is_(True),
                                                         Question.status == "published"))


def test_random_practice_never_asks_case_questions_and_refuses_an_empty_filter(dbs, bank, user):
    """Case questions (graded by a person) are not practised; a filter matching nothing is refused in Chinese."""
    s = svc.start_random(dbs, user, size=500, now=T0)
    assert {question(dbs, i).type for i in items(dbs, s)} <= {"single", "multiple", "judge", "blank"}
    with pytest.raises(svc.PracticeError, match="放宽条件"):
        svc.start_random(dbs, user, laws=["宪法"], now=T0)
    with pytest.raises(svc.PracticeError, match="放宽条件"):
        svc.start_random(dbs, user, types=["multiple"], difficulties=[3], laws=["行政强制法"], now=T0)


def test_article_practice_asks_only_questions_citing_the_article(dbs, bank, user):
    """Article practice holds only questions citing that article and is titled after it."""
    s = svc.start_article(dbs, user, LAW, 33, size=500, now=T0)
    expected = set(dbs.scalars(select(Question.key).join(Citation).where(
        Citation.law_short_title == LAW, Citation.article_number == 33, Question.is_latest.is_(True),
        Question.type != "case")))
    assert s.kind == "article" and s.title == "《行政处罚法》第三十三条"
    assert {i.question_key for i in items(dbs, s)} == expected and expected
    for item in items(dbs, s):
        assert (LAW, 33) in cited_articles(question(dbs, item))
    with pytest.raises(svc.PracticeError, match="这一条还没有练习题"):
        svc.start_article(dbs, user, LAW, 999, now=T0)


def test_sequential_practice_is_resumable(dbs, bank, user):
    """Sequential practice is resumable: the cursor follows the answers, the next session starts there, restart."""
    scope = "bank:xingzheng-chufa"
    order = [key for _, key in svc.sequence_keys(dbs, scope)]
    assert order == sorted(order) and len(order) > 20
    s1 = svc.start_sequential(dbs, user, scope, size=5, now=T0)
    assert [i.question_key for i in items(dbs, s1)] == order[0:5]
    assert svc.cursor_position(dbs, user.id, scope) == 0
    answer_items(dbs, user, s1, [True, False, True], T0)
    assert svc.cursor_position(dbs, user.id, scope) == 3
    s2 = svc.start_sequential(dbs, user, scope, size=5, now=T0 + timedelta(minutes=10))
    assert [i.question_key for i in items(dbs, s2)] == order[3:8]
    assert "第 4–8 题" in s2.title
    answer_items(dbs, user, s2, [True] * 5, T0 + timedelta(minutes=10))
    assert svc.cursor_position(dbs, user.id, scope) == 8
    s3 = svc.start_sequential(dbs, user, scope, size=5, now=T0 + timedelta(minutes=20))
    assert [i.question_key for i in items(dbs, s3)] == order[8:13]
    s4 = svc.start_sequential(dbs, user, scope, size=5, restart=True, now=T0 + timedelta(minutes=30))
    assert [i.question_key for i in items(dbs, s4)] == order[0:5]
    assert svc.cursor_position(dbs, user.id, scope) == 0
    with pytest.raises(svc.PracticeError, match="练习范围无效"):
        svc.start_sequential(dbs, user, "nonsense", now=T0)


def test_sequential_practice_starts_over_after_the_end(dbs, small_bank, user):
    """When the cursor has reached the end of the scope the next sequential session starts from the first key."""
    scope = "bank:practice-test"
    order = [key for _, key in svc.sequence_keys(dbs, scope)]
    s = svc.start_sequential(dbs, user, scope, size=len(order), now=T0)
    answer_items(dbs, user, s, [True] * len(order), T0)
    assert svc.cursor_position(dbs, user.id, scope) == len(order)
    again = svc.start_sequential(dbs, user, scope, size=3, now=T0 + timedelta(hours=1))
    assert [i.question_key for i in items(dbs, again)] == order[:3]


def test_daily_practice_is_the_same_session_all_day(dbs, bank, user):
    """每日一练 returns the session started earlier the same local day, and a new one the next day."""
    first = svc.start_daily(dbs, user, size=4, now=T0)
    assert first.kind == "daily" and first.total == 4 and first.title == "每日一练 · 3月2日"
    end_of_day = datetime(2026, 3, 2, 23, 59, tzinfo=LOCAL)
    assert svc.start_daily(dbs, user, size=4, now=end_of_day).id == first.id
    answer_items(dbs, user, first, [True] * 4, T0 + timedelta(hours=1))
    assert svc.start_daily(dbs, user, size=4, now=T0 + timedelta(hours=2)).id == first.id
    tomorrow = svc.start_daily(dbs, user, size=4, now=datetime(2026, 3, 3, 0, 1, tzinfo=LOCAL))
    assert tomorrow.id != first.id and tomorrow.title == "每日一练 · 3月3日"


def test_daily_practice_mixes_due_reviews_and_new_questions(dbs, bank, user):
    """Due mistakes fill about half the daily set (counted as review) and the rest are never-answered questions."""
    s = svc.start_random(dbs, user, size=3, now=T0)
    answer_items(dbs, user, s, [False] * 3, T0)
    wrong_keys = {i.question_key for i in items(dbs, s)}
    next_day = T0 + timedelta(days=1)
    daily = svc.start_daily(dbs, user, size=6, now=next_day)
    keys = [i.question_key for i in items(dbs, daily)]
    assert len(keys) == len(set(keys)) == 6
    assert set(daily.param_dict["review_keys"]) == wrong_keys and wrong_keys <= set(keys)
    new = [i for i in items(dbs, daily) if i.question_key not in wrong_keys]
    answered_before = set(dbs.scalars(select(PracticeItem.question_key).where(
        PracticeItem.user_id == user.id, PracticeItem.answered_at.is_not(None))))
    assert len(new) == 3 and not {i.question_key for i in new} & answered_before
    # a right answer to a due question in the daily set counts as a review
    item = next(i for i in items(dbs, daily) if i.question_key in wrong_keys)
    svc.answer(dbs, user, daily.id, item.position, right(dbs, item), now=next_day)
    assert card_of(dbs, user, item.question_key).right_streak == 1


def test_daily_practice_takes_the_most_overdue_reviews_first(dbs, bank, make_user):
    """When more mistakes are due than the daily set has room for, the most overdue ones are taken."""
    scope = "bank:xingzheng-chufa"
    taken = []
    for reverse in (False, True):          # two users, the same six mistakes made in opposite orders
        user = make_user()
        s = svc.start_sequential(dbs, user, scope, size=6, now=T0)
        its = items(dbs, s)
        for n, item in enumerate(reversed(its) if reverse else its):
            svc.answer(dbs, user, s.id, item.position, wrong(dbs, item), now=T0 + timedelta(minutes=n))
        dbs.expire_all()
        cards = list(dbs.scalars(select(ReviewCard).where(ReviewCard.user_id == user.id)
                                 .order_by(ReviewCard.due_at, ReviewCard.question_key)))
        assert len(cards) == 6 and cards[0].due_at < cards[1].due_at < cards[2].due_at
        daily = svc.start_daily(dbs, user, size=4, now=T0 + timedelta(days=1))
        assert len(daily.param_dict["review_keys"]) == 2
        taken.append((set(daily.param_dict["review_keys"]), {cards[0].question_key, cards[1].question_key}))
    assert taken[0][0] == taken[0][1] and taken[1][0] == taken[1][1], taken


def test_daily_streak_counts_consecutive_finished_days(dbs, bank, user):
    """The streak counts consecutive local days with a finished daily set, ending today or yesterday."""
    days = [datetime(2026, 3, d, 9, 0, tzinfo=LOCAL) for d in (2, 3, 4)]
    for day in days:
        s = svc.start_daily(dbs, user, size=2, now=day)
        answer_items(dbs, user, s, [True, False], day + timedelta(minutes=5))
        assert practice_progress.daily_streak(dbs, user.id, now=day + timedelta(minutes=10)) == days.index(day) + 1
    assert practice_progress.daily_streak(dbs, user.id, now=datetime(2026, 3, 5, 8, 0, tzinfo=LOCAL)) == 3   # today not done yet
    unfinished = svc.start_daily(dbs, user, size=2, now=datetime(2026, 3, 5, 8, 0, tzinfo=LOCAL))
    answer_items(dbs, user, unfinished, [True], datetime(2026, 3, 5, 8, 1, tzinfo=LOCAL))
    assert practice_progress.daily_streak(dbs, user.id, now=datetime(2026, 3, 5, 20, 0, tzinfo=LOCAL)) == 3
    assert practice_progress.daily_streak(dbs, user.id, now=datetime(2026, 3, 6, 8, 0, tzinfo=LOCAL)) == 0  # 5th missed
    # local days, not UTC days: 07:30 Shanghai on the 7th is still the 6th in UTC
    s = svc.start_daily(dbs, user, size=2, now=datetime(2026, 3, 7, 7, 30, tzinfo=LOCAL))
    answer_items(dbs, user, s, [True, True], datetime(2026, 3, 7, 7, 31, tzinfo=LOCAL))
    assert practice_progress.daily_streak(dbs, user.id, now=datetime(2026, 3, 7, 12, 0, tzinfo=LOCAL)) == 1
    assert practice_progress.daily_streak(dbs, user.id, now=datetime(2026, 3, 8, 12, 0, tzinfo=LOCAL)) == 1


def test_generated_questions_appear_in_random_practice(dbs, user):
    """Questions generated from the law text are practised like curated ones and keep source 'generated'."""
    bank, created, _ = generate_for_law(dbs, LAW)
    assert created["created"] >= 10
    s = svc.start_random(dbs, user, laws=[LAW], size=10, now=T0)
    qs = [question(dbs, i) for i in items(dbs, s)]
    assert len(qs) == 10 and all(q.source == "generated" and q.bank_id == bank.id for q in qs)
    assert all(svc.shown(dbs, i).question.source == "generated" for i in items(dbs, s))
    item = items(dbs, s)[0]
    svc.answer(dbs, user, s.id, item.position, right(dbs, item), now=T0)
    assert item.is_correct is True


def test_generated_and_curated_questions_mix_in_random_practice(dbs, bank, user):
    """With both the curated bank and generated questions, a large random set draws from both sources."""
    generate_for_law(dbs, LAW)
    s = svc.start_random(dbs, user, laws=[LAW], size=500, now=T0)
    assert {question(dbs, i).source for i in items(dbs, s)} == {"curated", "generated"}


# ---- mastery -----------------------------------------------------------------------------------------

def _answer_article(dbs, user, number, pattern, now):
    s = svc.start_article(dbs, user, LAW, number, size=len(pattern), now=now)
    assert s.total == len(pattern)
    answer_items(dbs, user, s, pattern, now)


def test_article_mastery_follows_the_answers(dbs, small_bank, user):
    """Per article: 3 right → mastered, 2 wrong → weak, 1 right → learning, unanswered → absent (none)."""
    assert practice_progress.article_mastery(dbs, user.id, LAW) == {}
    _answer_article(dbs, user, 33, [True, True, True], T0)
    _answer_article(dbs, user, 34, [False, False], T0)
    _answer_article(dbs, user, 32, [True], T0)
    mastery = practice_progress.article_mastery(dbs, user.id, LAW)
    assert mastery == {33: "mastered", 34: "weak", 32: "learning"}
    stats = practice_progress.article_stats(dbs, user.id, LAW)
    assert (stats[(LAW, 33)].answered, stats[(LAW, 33)].correct, stats[(LAW, 33)].recent) == (3, 3, "111")
    assert (stats[(LAW, 34)].answered, stats[(LAW, 34)].correct, stats[(LAW, 34)].recent) == (2, 0, "00")
    assert stats[(LAW, 33)].last_seen_at == naive(T0)
    assert practice_progress.article_mastery(dbs, user.id, "行政强制法") == {}


def test_recent_wrong_answers_make_a_mastered_article_weak(dbs, small_bank, user):
    """The newest results count: two wrong answers after three right ones turn 'mastered' into 'weak'."""
    _answer_article(dbs, user, 33, [True, True, True], T0)
    later = T0 + timedelta(days=3)
    s = svc.start_article(dbs, user, LAW, 33, size=3, now=later)
    answer_items(dbs, user, s, [False, False], later)
    assert practice_progress.article_mastery(dbs, user.id, LAW)[33] == "weak"
    assert practice_progress.article_stats(dbs, user.id, LAW)[(LAW, 33)].recent == "11100"


def test_one_answer_counts_once_per_article(dbs, small_bank, user):
    """A question citing two paragraphs of the same article adds one answer to that article, not two."""
    _answer_article(dbs, user, 36, [True], T0)
    stat = practice_progress.article_stats(dbs, user.id, LAW)[(LAW, 36)]
    assert (stat.answered, stat.correct, stat.recent) == (1, 1, "1")


def test_weakest_articles_lowest_accuracy_first(dbs, small_bank, user):
    """Weakest articles: lowest accuracy first, then more answers; articles with fewer than 2 answers left out."""
    _answer_article(dbs, user, 33, [True, True, False], T0)      # 2/3
    _answer_article(dbs, user, 34, [False, False], T0)           # 0/2
    _answer_article(dbs, user, 35, [True, False], T0)            # 1/2
    _answer_article(dbs, user, 32, [False], T0)                  # 0/1: too few answers
    weakest = practice_progress.weakest_articles(dbs, user.id)
    assert [(s.law_short_title, s.article_number) for s in weakest] == [(LAW, 34), (LAW, 35), (LAW, 33)]
    assert [s.article_number for s in practice_progress.weakest_articles(dbs, user.id, limit=2)] == [34, 35]


def test_accuracy_by_day_lists_the_last_30_local_days(dbs, small_bank, user):
    """accuracy_by_day gives (day, answered, correct) for each of the last 30 local days, oldest first."""
    now = datetime(2026, 3, 20, 12, 0, tzinfo=LOCAL)
    _answer_article(dbs, user, 33, [True, True, False], now - timedelta(days=40))   # too old
    _answer_article(dbs, user, 34, [True, False], now - timedelta(days=2))
    _answer_article(dbs, user, 35, [True, True], datetime(2026, 3, 20, 0, 30, tzinfo=LOCAL))  # 19th in UTC
    _answer_article(dbs, user, 32, [False], now - timedelta(hours=1))
    series = practice_progress.accuracy_by_day(dbs, user.id, days=30, now=now)
    assert len(series) == 30
    assert series[0][0] == datetime(2026, 2, 19).date() and series[-1][0] == datetime(2026, 3, 20).date()
    assert [d for d, _, _ in series] == sorted(d for d, _, _ in series)
    by_day = {d: (a, c) for d, a, c in series}
    assert by_day[datetime(2026, 3, 18).date()] == (1 + 1, 1)
    assert by_day[datetime(2026, 3, 20).date()] == (3, 2)
    assert sum(a for _, a, _ in series) == 5
    assert practice_progress.accuracy_by_day(dbs, user.id, days=7, now=now)[-1] == (datetime(2026, 3, 20).date(), 3, 2)


def test_favourites_toggle(dbs, bank, user):
    """toggle_favorite adds then removes a question; an unknown key is refused."""
    key = "xzcf-0001"
    assert practice_progress.toggle_favorite(dbs, user, key) is True
    assert [q.key for q in practice_progress.favorites(dbs, user.id)] == [key]
    assert practice_progress.favorite_keys(dbs, user.id, [key, "xzcf-0002"]) == {key}
    assert practice_progress.toggle_favorite(dbs, user, key) is False
    assert practice_progress.favorites(dbs, user.id) == []
    with pytest.raises(svc.PracticeError, match="题目不存在"):
        practice_progress.toggle_favorite(dbs, user, "nope-0001")


# ---- concurrent double submission -------------------------------------------------------------------

@pytest.fixture(scope="module")
def race_engine(make_database):
    """A database of its own (committed data visible to two connections), with one user and the bank."""
    from sqlalchemy.orm import Session as OrmSession

    from trainer.auth.models import Unit, User
    from trainer.db import make_engine
    engine = make_engine(make_database("practice_race", with_laws=False))
    with OrmSession(engine) as db:
        unit = Unit(name="并发测试单位", kind="中队")
        db.add(unit)
        db.flush()
        db.add(User(login="race", name="并发", role="staff", unit_id=unit.id, password_hash="x",
                    must_change_password=False))
        import_bank(db, _spec("xingzheng-chufa"))
        db.commit()
    yield engine
    engine.dispose()


def test_a_double_submission_records_one_answer(race_engine, monkeypatch):
    """Two requests answering the same question at the same moment: one is recorded, the other refused."""
    import threading

    from sqlalchemy.orm import Session as OrmSession

    from trainer.auth.models import User
    with OrmSession(race_engine) as db:
        user = db.scalar(select(User).where(User.login == "race"))
        s = svc.start_random(db, user, types=["single"], size=2, now=T0)
        item = items(db, s)[0]
        session_id, position, response, user_id = s.id, item.position, right(db, item), user.id
        db.commit()

    barrier = threading.Barrier(2)
    original = svc.shown

    def shown_after_both_checked(db, it):       # both requests have passed the "already answered" check
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass
        return original(db, it)

    monkeypatch.setattr(svc, "shown", shown_after_both_checked)
    results = []

    def submit():
        from trainer.db import write_transaction
        with OrmSession(race_engine) as db:
            try:
                user = db.get(User, user_id)
                with write_transaction(db):  # as the view does: on SQLite, BEGIN IMMEDIATE and one writer at a time
                    svc.answer(db, user, session_id, position, response, now=T0)
                results.append("ok")
            except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
                db.rollback()
                results.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    with OrmSession(race_engine) as db:
        session = db.get(PracticeSession, session_id)
        stats = db.scalar(select(func.sum(ArticleStat.answered)).where(ArticleStat.user_id == user_id))
        cited = len(cited_articles(question(db, items(db, session)[0])))
        assert sorted(map(str, results)) == sorted(["ok", "这道题已经作答。"]), results
        assert (session.answered, session.correct) == (1, 1) and stats == cited
