"""The demo history (trainer.demo.history.seed_history): eight weeks of study and practice for the demo staff,
consistent with the practice rules, with a weak unit on 行政强制法. Every test imports the shipped banks and seeds
the demo bureau inside its own rolled-back transaction, with a fixed clock."""
from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from trainer.auth.models import Unit, User
from trainer.banks.models import Citation, Question
from trainer.banks.services import bank_files, import_files
from trainer.demo import data
from trainer.demo.history import WEAK_LAW, WEAK_UNIT, seed_history
from trainer.demo.services import seed
from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
from trainer.practice.progress import daily_streak
from trainer.practice.services import local_day
from trainer.study.models import ModuleProgress

NOW = datetime(2026, 3, 2, 4, 0)  # naive UTC: 12:00 in Shanghai


@pytest.fixture()
def history(dbs):
    import_files(dbs, bank_files())
    seed(dbs)
    t0 = time.perf_counter()
    counts = seed_history(dbs, now=NOW)
    elapsed = time.perf_counter() - t0
    dbs.expire_all()
    return counts, elapsed


def staff(dbs) -> list[User]:
    return list(dbs.scalars(select(User).where(User.is_demo.is_(True), User.role == "staff").order_by(User.login)))


def answered_items(dbs):
    return dbs.execute(select(PracticeItem.user_id, PracticeItem.question_id, PracticeItem.question_key,
                              PracticeItem.is_correct, PracticeItem.answered_at)
                       .where(PracticeItem.answered_at.is_not(None))
                       .order_by(PracticeItem.answered_at, PracticeItem.id)).all()


def test_counts_and_timing(dbs, history):
    """The history covers all 180 demo staff, fills every table it promises and takes well under 10 s."""
    counts, elapsed = history
    assert elapsed < 10
    assert counts["people"] == 180 and counts["active"] + counts["browsers"] + counts["never"] == 180
    assert counts["sessions"] == dbs.scalar(select(func.count()).select_from(PracticeSession))
    assert counts["answers"] == dbs.scalar(select(func.count()).select_from(PracticeItem)
                                           .where(PracticeItem.answered_at.is_not(None)))
    assert counts["article_stats"] == dbs.scalar(select(func.count()).select_from(ArticleStat))
    assert counts["module_progress"] == dbs.scalar(select(func.count()).select_from(ModuleProgress))
    assert counts["review_cards"] > 0 and counts["review_cards_mastered"] > 0 and counts["streaks"] > 0


def test_second_run_does_nothing(dbs, history):
    """seed_history is idempotent: once demo users have practice sessions a second call adds nothing."""
    before = [dbs.scalar(select(func.count()).select_from(m))
              for m in (PracticeSession, PracticeItem, ArticleStat, ReviewCard, ModuleProgress)]
    again = seed_history(dbs, now=NOW + timedelta(days=1))
    assert not any(again.values())
    assert [dbs.scalar(select(func.count()).select_from(m))
            for m in (PracticeSession, PracticeItem, ArticleStat, ReviewCard, ModuleProgress)] == before


def test_some_ahead_long_tail_and_some_with_nothing(dbs, history):
    """A few staff have studied many modules, most few, and about a tenth have no activity at all."""
    people = staff(dbs)
    studied = dict(dbs.execute(select(ModuleProgress.user_id, func.count(ModuleProgress.studied_at))
                               .group_by(ModuleProgress.user_id)).all())
    practised = set(dbs.scalars(select(PracticeItem.user_id).distinct()))
    counts = sorted(studied.get(u.id, 0) for u in people)
    assert sum(1 for n in counts if n >= 25) >= 5                       # ahead
    assert counts[len(counts) // 2] <= 12                                 # the median is far behind them
    nothing = [u for u in people if u.id not in studied and u.id not in practised]
    assert 0.07 * len(people) <= len(nothing) <= 0.13 * len(people)
    demo = next(u for u in people if u.login == data.DEMO_STAFF_LOGIN)
    assert studied.get(demo.id, 0) >= 10 and demo.id in practised


def test_answers_per_person_and_questions_used(dbs, history):
    """Active people answered about 20–200 published, non-case questions, in sessions of at most 10."""
    per_user = dict(dbs.execute(select(PracticeItem.user_id, func.count())
                                .where(PracticeItem.answered_at.is_not(None)).group_by(PracticeItem.user_id)).all())
    assert per_user and min(per_user.values()) >= 10 and max(per_user.values()) <= 200
    assert max(per_user.values()) >= 150 and sum(1 for n in per_user.values() if n <= 40) >= 10
    bad = dbs.scalar(select(func.count()).select_from(PracticeItem)
                     .join(Question, Question.id == PracticeItem.question_id)
                     .where((Question.status != "published") | (Question.type == "case")
                            | (Question.key != PracticeItem.question_key)))
    assert bad == 0
    assert dbs.scalar(select(func.max(PracticeSession.total))) <= 10
    assert set(dbs.scalars(select(PracticeSession.kind).distinct())) >= {"module", "random", "daily"}


def test_weak_unit_is_weaker_on_the_weak_law(dbs, history):
    """The weak unit's 行政强制法 accuracy is ≥ 10 points below every other unit's, per answer and per article."""
    unit_of = dict(dbs.execute(select(User.id, Unit.name).join(Unit, Unit.id == User.unit_id)
                               .where(User.is_demo.is_(True))).all())
    citing = set(dbs.scalars(select(Citation.question_id).where(Citation.law_short_title == WEAK_LAW)))
    per_answer = defaultdict(lambda: [0, 0])
    for uid, qid, _, ok, _ in answered_items(dbs):
        if qid in citing:
            per_answer[unit_of[uid]][0] += 1
            per_answer[unit_of[uid]][1] += 1 if ok else 0
    per_article = {name: [a, c] for name, a, c in dbs.execute(
        select(Unit.name, func.sum(ArticleStat.answered), func.sum(ArticleStat.correct))
        .join(User, User.id == ArticleStat.user_id).join(Unit, Unit.id == User.unit_id)
        .where(ArticleStat.law_short_title == WEAK_LAW).group_by(Unit.name))}
    for per_unit in (per_answer, per_article):
        accuracy = {name: c / a for name, (a, c) in per_unit.items()}
        assert set(accuracy) == set(data.STAFF_PER_UNIT)
        weak = accuracy.pop(WEAK_UNIT)
        assert all(other - weak >= 0.10 for other in accuracy.values()), (weak, accuracy)
    # …and not weak in general: on the other laws it is within the usual range
    other_laws = {name: c / a for name, a, c in dbs.execute(
        select(Unit.name, func.sum(ArticleStat.answered), func.sum(ArticleStat.correct))
        .join(User, User.id == ArticleStat.user_id).join(Unit, Unit.id == User.unit_id)
        .where(ArticleStat.law_short_title != WEAK_LAW).group_by(Unit.name))}
    assert other_laws[WEAK_UNIT] > min(other_laws.values())


def test_article_stats_equal_the_answers(dbs, history):
    """ArticleStat answered/correct/recent/last_seen equal the answered PracticeItems per user and cited article."""
    cited = defaultdict(set)
    for qid, law, number in dbs.execute(select(Citation.question_id, Citation.law_short_title,
                                               Citation.article_number).where(Citation.article_number.is_not(None))):
        cited[qid].add((law, number))
    expected = {}
    for uid, qid, _, ok, at in answered_items(dbs):
        for law, number in cited[qid]:
            row = expected.setdefault((uid, law, number), [0, 0, "", at])
            row[0] += 1
            row[1] += 1 if ok else 0
            row[2] = (row[2] + ("1" if ok else "0"))[-10:]
            row[3] = at
    actual = {(s.user_id, s.law_short_title, s.article_number): [s.answered, s.correct, s.recent, s.last_seen_at]
              for s in dbs.scalars(select(ArticleStat))}
    assert actual == expected


def test_review_cards_only_for_wrong_answers(dbs, history):
    """Every card's question was answered wrong by its owner, every wrong answer has a card, some were mastered."""
    wrong = {(uid, key) for uid, _, key, ok, _ in answered_items(dbs) if not ok}
    cards = {(c.user_id, c.question_key): c for c in dbs.scalars(select(ReviewCard))}
    assert set(cards) == wrong
    mastered = [c for c in cards.values() if c.removed_at is not None]
    assert mastered and all(c.removed_reason == "mastered" and c.right_streak >= 3 for c in mastered)
    assert all(c.lapses >= 1 and c.added_at <= (c.last_reviewed_at or c.added_at) for c in cards.values())


def test_sessions_and_module_progress_consistent(dbs, history):
    """Session counters match their items; module quizzes set best_score and tested_at as _finish would."""
    items = defaultdict(list)
    for sid, ok, at in dbs.execute(select(PracticeItem.session_id, PracticeItem.is_correct,
                                          PracticeItem.answered_at)):
        items[sid].append((ok, at))
    best = defaultdict(float)
    passed = defaultdict(list)
    for s in dbs.scalars(select(PracticeSession)):
        rows = items[s.id]
        assert s.total == len(rows)
        assert s.answered == sum(1 for _, at in rows if at is not None)
        assert s.correct == sum(1 for ok, _ in rows if ok)
        if s.answered == s.total:
            assert s.finished_at == max(at for _, at in rows) and s.created_at < s.finished_at <= NOW
        else:
            assert s.finished_at is None and s.kind == "random"
        if s.kind == "module":
            assert s.passed == (s.correct / s.total >= 0.8)
            best[(s.user_id, s.module_id)] = max(best[(s.user_id, s.module_id)], s.correct / s.total)
            if s.passed:
                passed[(s.user_id, s.module_id)].append(s.finished_at)
    progress = {(p.user_id, p.module_id): p for p in dbs.scalars(select(ModuleProgress))}
    for key, score in best.items():
        p = progress[key]
        assert p.best_score == pytest.approx(score)
        assert p.tested_at == (min(passed[key]) if key in passed else None)
        assert p.first_visited_at <= p.tested_at if p.tested_at else True
    for p in progress.values():
        assert p.first_visited_at <= p.last_visited_at <= NOW
        assert p.studied_at is None or p.first_visited_at <= p.studied_at <= p.last_visited_at
        assert (p.best_score is None) == ((p.user_id, p.module_id) not in best)


def test_streaks_recency_and_time_span(dbs, history):
    """Daily practice is at most once a day, a few people are on streaks, and last activity is spread over weeks."""
    daily = dbs.execute(select(PracticeSession.user_id, PracticeSession.created_at)
                        .where(PracticeSession.kind == "daily")).all()
    days = [(uid, local_day(at)) for uid, at in daily]
    assert len(days) == len(set(days))
    streaks = [daily_streak(dbs, u.id, now=NOW) for u in staff(dbs)]
    assert sum(1 for s in streaks if s >= 3) >= 10
    demo = dbs.scalar(select(User.id).where(User.login == data.DEMO_STAFF_LOGIN))
    assert daily_streak(dbs, demo, now=NOW) >= 3
    first, last = dbs.execute(select(func.min(PracticeItem.answered_at), func.max(PracticeItem.answered_at))).one()
    assert NOW - timedelta(days=57) <= first and last <= NOW
    latest = [at for (at,) in dbs.execute(select(func.max(PracticeItem.answered_at)).group_by(PracticeItem.user_id))]
    ages = sorted((NOW - at).days for at in latest)
    assert sum(1 for a in ages if a <= 1) >= 20 and sum(1 for a in ages if a >= 14) >= 10
