"""Practice operations: start a quiz of any mode, record answers with immediate feedback (moving the mistake
book's FSRS cards and the article statistics) and keep sequential cursors. What it adds up to (mistake book,
favourites, mastery, streaks): practice.progress. Services flush; callers commit."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from trainer.auth.models import User
from trainer.banks.models import Bank, Citation, Question
from trainer.banks.types import ResponseError, display_to_canonical, get_type
from trainer.db import utcnow
from trainer.laws.models import Article, Chapter, Law
from trainer.practice import scheduling
from trainer.practice.models import ArticleStat, PracticeCursor, PracticeItem, PracticeSession, ReviewCard
from trainer.practice.selection import Candidate, filter_candidates, mix_daily, pick, shuffle_for
from trainer.practice.shown import ShownQuestion, is_empty_response
from trainer.study.models import Module, ModuleProgress

LOCAL = ZoneInfo("Asia/Shanghai")
RECENT_KEEP = 10


class PracticeError(ValueError):
    """A request that cannot be honoured; str() is a Chinese message. Nothing is recorded."""


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None) if dt.tzinfo else dt


# ---- which questions ---------------------------------------------------------------------------------

def practice_pool():
    """Latest published, auto-graded questions not withdrawn for review (generated ones included: practice)."""
    return (Question.is_latest.is_(True), Question.status == "published", Question.needs_review.is_(False),
            Question.type != "case")


def module_condition(db: Session, module: Module):
    course = module.course
    if module.kind == "page":
        tags = module.quiz_tag_list
        if not tags:
            return None
        bank_ids = select(Bank.id).where(Bank.course_key == course.title)
        return and_(Question.bank_id.in_(bank_ids),
                    or_(*[Question.tags.contains(json.dumps(t, ensure_ascii=False), autoescape=True) for t in tags]))
    law = course.law_short_title
    if module.kind == "preamble":
        cited = select(Citation.question_id).where(Citation.law_short_title == law, Citation.is_preamble.is_(True))
    else:
        numbers = select(Article.number).join(Law).join(Chapter, Article.chapter_id == Chapter.id, isouter=True) \
            .where(Law.short_title == law, Law.status == "current")
        if module.chapter_ordinal is not None:
            numbers = numbers.where(Chapter.ordinal == module.chapter_ordinal)
        cited = select(Citation.question_id).where(Citation.law_short_title == law,
                                                   Citation.article_number.in_(numbers))
    return Question.id.in_(cited)


def candidates(db: Session, user_id: int, *conditions) -> list[Candidate]:
    rows = db.execute(select(Question.id, Question.key, Question.type, Question.difficulty)
                      .where(*practice_pool(), *conditions)).all()
    if not rows:
        return []
    seen = dict((key, (n, last)) for key, n, last in db.execute(
        select(PracticeItem.question_key, func.count(), func.max(PracticeItem.answered_at))
        .where(PracticeItem.user_id == user_id, PracticeItem.answered_at.is_not(None))
        .group_by(PracticeItem.question_key)))
    return [Candidate(question_id=qid, key=key, times_answered=seen.get(key, (0, None))[0],
                      last_answered_at=seen.get(key, (0, None))[1], type=qtype, difficulty=diff)
            for qid, key, qtype, diff in rows]


# ---- starting sessions -------------------------------------------------------------------------------

def _start(db: Session, user: User, kind: str, title: str, chosen: list[Candidate], *, module: Module | None = None,
           params: dict | None = None, pass_mark: float | None = None, now: datetime | None = None
           ) -> PracticeSession:
    if not chosen:
        raise PracticeError("暂时没有可练习的题目。")
    session = PracticeSession(user_id=user.id, kind=kind, title=title, module_id=module.id if module else None,
                              params=json.dumps(params or {}, ensure_ascii=False), pass_mark=pass_mark,
                              total=len(chosen), created_at=naive(now or utcnow()))
    db.add(session)
    db.flush()
    counts = dict(db.execute(select(Question.id, Question.options).where(
        Question.id.in_([c.question_id for c in chosen]))).all())
    for position, c in enumerate(chosen, start=1):
        n_options = len(json.loads(counts[c.question_id] or "[]"))
        order = shuffle_for(user.id, session.id, c.key, n_options) if n_options else []
        db.add(PracticeItem(session_id=session.id, user_id=user.id, position=position, question_id=c.question_id,
                            question_key=c.key, option_order=json.dumps(order)))
    db.flush()
    return session


def start_module_quiz(db: Session, user: User, module: Module, *, size: int = 10, pass_mark: float = 0.8,
                      now: datetime | None = None) -> PracticeSession:
    cond = module_condition(db, module)
    pool = candidates(db, user.id, cond) if cond is not None else []
    if not pool:
        raise PracticeError(f"“{module.title}”还没有可用的测验题。")
    chosen = pick(pool, size, seed=f"module:{user.id}:{module.id}:{naive(now or utcnow()).isoformat()}")
    return _start(db, user, "module", f"{module.course.title} · {module.title}", chosen, module=module,
                  pass_mark=pass_mark, now=now)


def start_random(db: Session, user: User, *, laws: list[str] = (), chapter_ids: list[int] = (),
                 types: list[str] = (), difficulties: list[int] = (), size: int = 10,
                 now: datetime | None = None) -> PracticeSession:
    conds = []
    if laws or chapter_ids:
        cited = select(Citation.question_id)
        if laws:
            cited = cited.where(Citation.law_short_title.in_(laws))
        if chapter_ids:
            numbers = select(Law.short_title, Article.number).join(Article).where(Article.chapter_id.in_(chapter_ids))
            pairs = db.execute(numbers).all()
            cited = cited.where(or_(*[and_(Citation.law_short_title == s, Citation.article_number == n)
                                      for s, n in pairs])) if pairs else cited.where(False)
        conds.append(Question.id.in_(cited))
    pool = filter_candidates(candidates(db, user.id, *conds), types=list(types) or None,
                             difficulties=list(difficulties) or None)
    if not pool:
        raise PracticeError("没有符合筛选条件的题目，请放宽条件。")
    chosen = pick(pool, size, seed=f"random:{user.id}:{naive(now or utcnow()).isoformat()}")
    return _start(db, user, "random", "随机练习", chosen, now=now,
                  params={"laws": list(laws), "chapters": list(chapter_ids), "types": list(types),
                          "difficulties": list(difficulties)})


def start_article(db: Session, user: User, law: str, number: int, *, size: int = 10,
                  now: datetime | None = None) -> PracticeSession:
    cited = select(Citation.question_id).where(Citation.law_short_title == law, Citation.article_number == number)
    pool = candidates(db, user.id, Question.id.in_(cited))
    if not pool:
        raise PracticeError("这一条还没有练习题。")
    from trainer.laws.parser import int_to_cn_numeral
    chosen = pick(pool, size, seed=f"article:{user.id}:{law}:{number}:{naive(now or utcnow()).isoformat()}")
    return _start(db, user, "article", f"《{law}》第{int_to_cn_numeral(number)}条", chosen, now=now,
                  params={"law": law, "article": number})


def sequence_keys(db: Session, scope: str) -> list[tuple[int, str]]:
    """The fixed order of a sequential scope: 'bank:<slug>' or 'law:<short title>' (by key)."""
    kind, _, value = scope.partition(":")
    if kind == "bank":
        cond = Question.bank_id.in_(select(Bank.id).where(Bank.slug == value))
    elif kind == "law":
        cond = Question.id.in_(select(Citation.question_id).where(Citation.law_short_title == value))
    else:
        raise PracticeError("练习范围无效。")
    return list(db.execute(select(Question.id, Question.key).where(*practice_pool(), cond).order_by(Question.key)))


def start_sequential(db: Session, user: User, scope: str, *, size: int = 10, restart: bool = False,
                     now: datetime | None = None) -> PracticeSession:
    order = sequence_keys(db, scope)
    if not order:
        raise PracticeError("这个范围里没有题目。")
    cursor = _cursor(db, user.id, scope)
    if restart or cursor.position >= len(order):
        cursor.position = 0
    start = cursor.position
    chosen = [Candidate(qid, key, 0, None, "", 0) for qid, key in order[start:start + size]]
    label = scope.partition(":")[2]
    return _start(db, user, "sequential", f"顺序练习 · {label}（第 {start + 1}–{start + len(chosen)} 题，共 "
                  f"{len(order)} 题）", chosen, params={"scope": scope, "offset": start}, now=now)


def _cursor(db: Session, user_id: int, scope: str) -> PracticeCursor:
    cursor = db.scalar(select(PracticeCursor).where(PracticeCursor.user_id == user_id, PracticeCursor.scope == scope))
    if cursor is None:
        cursor = PracticeCursor(user_id=user_id, scope=scope, position=0)
        db.add(cursor)
        db.flush()
    return cursor


def cursor_position(db: Session, user_id: int, scope: str) -> int:
    return db.scalar(select(PracticeCursor.position).where(PracticeCursor.user_id == user_id,
                                                           PracticeCursor.scope == scope)) or 0


def local_day(now: datetime):
    return aware(now).astimezone(LOCAL).date()


def end_of_local_day(now: datetime) -> datetime:
    """The first moment of tomorrow (local time), in UTC."""
    return datetime.combine(local_day(now) + timedelta(days=1), datetime.min.time(), LOCAL).astimezone(timezone.utc)


def start_daily(db: Session, user: User, *, size: int = 10, now: datetime | None = None) -> PracticeSession:
    """Today's set (每日一练): due reviews mixed with new questions; the same set all day once started."""
    now = now or utcnow()
    today = local_day(now)
    start_of_day = datetime.combine(today, datetime.min.time(), LOCAL).astimezone(timezone.utc).replace(tzinfo=None)
    existing = db.scalar(select(PracticeSession).where(
        PracticeSession.user_id == user.id, PracticeSession.kind == "daily",
        PracticeSession.created_at >= start_of_day).order_by(PracticeSession.id.desc()).limit(1))
    if existing is not None:
        return existing
    due_order = list(db.scalars(select(ReviewCard.question_key).where(
        ReviewCard.user_id == user.id, ReviewCard.removed_at.is_(None),
        ReviewCard.due_at < naive(end_of_local_day(aware(now))))
        .order_by(ReviewCard.due_at)))  # due today (as counted on the home page), most overdue first
    due_keys = set(due_order)
    pool = candidates(db, user.id)
    by_key = {c.key: c for c in pool}
    due = [by_key[k] for k in due_order if k in by_key]
    new = [c for c in pool if c.times_answered == 0]
    chosen = mix_daily(due, new, size, seed=f"daily:{user.id}:{today.isoformat()}")
    return _start(db, user, "daily", f"每日一练 · {today.month}月{today.day}日", chosen, now=now,
                  params={"day": today.isoformat(), "review_keys": sorted(due_keys & {c.key for c in chosen})})


def start_review(db: Session, user: User, *, size: int = 20, now: datetime | None = None,
                 only_due: bool = True) -> PracticeSession:
    now = now or utcnow()
    stmt = select(ReviewCard.question_key).where(ReviewCard.user_id == user.id, ReviewCard.removed_at.is_(None))
    if only_due:  # due today, as the home page counts them
        stmt = stmt.where(ReviewCard.due_at < naive(end_of_local_day(now)))
    keys = list(db.scalars(stmt.order_by(ReviewCard.due_at).limit(size)))
    if not keys:
        raise PracticeError("错题本里暂时没有到期需要复习的题目。")
    pool = {c.key: c for c in candidates(db, user.id, Question.key.in_(keys))}
    chosen = [pool[k] for k in keys if k in pool]
    return _start(db, user, "review", "错题复习", chosen, now=now, params={"review_keys": [c.key for c in chosen]})


# ---- answering ---------------------------------------------------------------------------------------

def session_for(db: Session, user: User, session_id: int) -> PracticeSession:
    session = db.get(PracticeSession, session_id)
    if session is None or session.user_id != user.id:
        raise PracticeError("练习不存在，或不是您的练习。")
    return session


def shown(db: Session, item: PracticeItem) -> ShownQuestion:
    return ShownQuestion(item, db.get(Question, item.question_id))


def answer(db: Session, user: User, session_id: int, position: int, raw, *, now: datetime | None = None,
           remove_after: int = 3) -> ShownQuestion:
    """Grade and record one answer. Refuses (recording nothing) another user's session, a finished session,
    a question not in the session, an already answered question, and malformed responses."""
    now = naive(now or utcnow())
    # Lock the session row (PostgreSQL) so a double submission waits and then sees the first answer; on SQLite
    # the caller's write transaction (BEGIN IMMEDIATE) does the same.
    session = db.scalar(select(PracticeSession).where(PracticeSession.id == session_id)
                        .with_for_update().execution_options(populate_existing=True))
    if session is None or session.user_id != user.id:
        raise PracticeError("练习不存在，或不是您的练习。")
    if session.finished_at is not None:
        raise PracticeError("这次练习已经结束。")
    item = db.scalar(select(PracticeItem).where(PracticeItem.session_id == session.id,
                                                PracticeItem.position == position)
                     .execution_options(populate_existing=True))
    if item is None:
        raise PracticeError("这道题不在本次练习中。")
    if item.answered_at is not None:
        raise PracticeError("这道题已经作答。")
    if is_empty_response(raw):
        raise PracticeError("请先作答再提交。")
    q = shown(db, item)
    qtype = get_type(q.type)
    try:
        if q.type in ("single", "multiple"):
            displayed = qtype.normalise(raw, option_count=len(item.order) or len(q.question.option_list))
            response = display_to_canonical(displayed, item.order) if item.order else displayed
            response = "".join(sorted(response))
        else:
            response = qtype.normalise(raw, blank_count=len(q.answer_value) if q.type == "blank" else None)
    except ResponseError as exc:
        raise PracticeError(f"答案格式不正确：{exc}") from None
    answer_value = q.answer_value
    if q.type == "blank":
        answer_value = tuple(tuple(v) for v in answer_value)
    correct = qtype.grade(answer_value, response, 1.0) == 1.0
    item.response = json.dumps(list(response) if isinstance(response, tuple) else response, ensure_ascii=False)
    item.is_correct, item.answered_at = correct, now
    session.answered += 1
    session.correct += 1 if correct else 0
    _record_articles(db, user.id, q.question, correct, now)
    _update_card(db, user.id, item.question_key, correct, now,
                 is_review=item.question_key in session.param_dict.get("review_keys", []),
                 remove_after=remove_after)
    if session.kind == "sequential":
        cursor = _cursor(db, user.id, session.param_dict["scope"])
        # questions done in the scope's order: the session's offset plus its answers (not the position answered,
        # which could skip unanswered ones)
        cursor.position = max(cursor.position, session.param_dict.get("offset", 0) + session.answered)
        cursor.updated_at = now
    if session.answered >= session.total:
        _finish(db, session, now)
    db.flush()
    return q


def _record_articles(db: Session, user_id: int, question: Question, correct: bool, now: datetime) -> None:
    """One answer counts once per cited article (a question may cite two 款 of one article)."""
    articles = sorted({(c.law_short_title, c.article_number) for c in question.citations
                       if c.article_number is not None})
    for law, number in articles:
        stat = db.scalar(select(ArticleStat).where(ArticleStat.user_id == user_id, ArticleStat.law_short_title == law,
                                                   ArticleStat.article_number == number))
        if stat is None:
            stat = ArticleStat(user_id=user_id, law_short_title=law, article_number=number, answered=0, correct=0,
                               recent="")
            db.add(stat)
        stat.answered += 1
        stat.correct += 1 if correct else 0
        stat.recent = ((stat.recent or "") + ("1" if correct else "0"))[-RECENT_KEEP:]
        stat.last_seen_at = now


def _update_card(db: Session, user_id: int, key: str, correct: bool, now: datetime, *, is_review: bool,
                 remove_after: int) -> None:
    """Wrong answers enter the mistake book; answers in review move the card; enough right in a row in review
    take the question out of the book."""
    card = db.scalar(select(ReviewCard).where(ReviewCard.user_id == user_id, ReviewCard.question_key == key))
    aware_now = aware(now)
    if card is None:
        if correct:
            return
        card_json, due = scheduling.review(None, False, aware_now)
        db.add(ReviewCard(user_id=user_id, question_key=key, card=card_json, due_at=naive(due), right_streak=0,
                          lapses=1, added_at=now, last_reviewed_at=now))
        return
    if card.removed_at is not None:
        if correct:
            return
        card.removed_at, card.removed_reason, card.right_streak = None, None, 0
    elif correct and not is_review:
        return  # a right answer outside review does not move the schedule
    card.card, due = scheduling.review(card.card, correct, aware_now)
    card.due_at, card.last_reviewed_at = naive(due), now
    if correct:
        card.right_streak += 1
        if card.right_streak >= remove_after:
            card.removed_at, card.removed_reason = now, "mastered"
    else:
        card.right_streak = 0
        card.lapses += 1


def _finish(db: Session, session: PracticeSession, now: datetime) -> None:
    session.finished_at = now
    if session.pass_mark is not None:
        score = session.correct / session.total if session.total else 0.0
        session.passed = score >= session.pass_mark
        if session.kind == "module" and session.module_id:
            progress = db.scalar(select(ModuleProgress).where(ModuleProgress.user_id == session.user_id,
                                                              ModuleProgress.module_id == session.module_id))
            if progress is None:
                progress = ModuleProgress(user_id=session.user_id, module_id=session.module_id, seconds_spent=0,
                                          first_visited_at=now, last_visited_at=now)
                db.add(progress)
            progress.best_score = max(progress.best_score or 0.0, score)
            if session.passed and progress.tested_at is None:
                progress.tested_at = now
