"""What a learner's practice adds up to: the mistake book (due cards), favourites, article mastery, the daily streak,
accuracy by day, recent sessions, and answer counts per question for the bank pages. Services flush; callers
commit."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from trainer.auth.models import User
from trainer.banks.models import Question
from trainer.db import utcnow
from trainer.practice.models import ArticleStat, Favorite, PracticeItem, PracticeSession, ReviewCard
from trainer.practice.services import PracticeError, aware, end_of_local_day, local_day, naive

# ---- mistake book, favourites ------------------------------------------------------------------------

def due_count(db: Session, user_id: int, now: datetime | None = None) -> int:
    """Cards due by the end of today (local time)."""
    end = end_of_local_day(aware(now or utcnow()))
    return db.scalar(select(func.count()).select_from(ReviewCard).where(
        ReviewCard.user_id == user_id, ReviewCard.removed_at.is_(None), ReviewCard.due_at < naive(end))) or 0


def mistake_book(db: Session, user_id: int) -> list[tuple[ReviewCard, Question]]:
    rows = db.execute(select(ReviewCard, Question).join(Question, and_(Question.key == ReviewCard.question_key,
                                                                       Question.is_latest.is_(True)))
                      .where(ReviewCard.user_id == user_id, ReviewCard.removed_at.is_(None))
                      .order_by(ReviewCard.due_at)).all()
    return [(card, q) for card, q in rows]


def remove_card(db: Session, user: User, key: str, now: datetime | None = None) -> None:
    card = db.scalar(select(ReviewCard).where(ReviewCard.user_id == user.id, ReviewCard.question_key == key,
                                              ReviewCard.removed_at.is_(None)))
    if card is None:
        raise PracticeError("错题本中没有这道题。")
    card.removed_at, card.removed_reason = naive(now or utcnow()), "user"
    db.flush()


def toggle_favorite(db: Session, user: User, key: str) -> bool:
    if db.scalar(select(Question.id).where(Question.key == key).limit(1)) is None:
        raise PracticeError("题目不存在。")
    fav = db.scalar(select(Favorite).where(Favorite.user_id == user.id, Favorite.question_key == key))
    if fav is None:
        db.add(Favorite(user_id=user.id, question_key=key))
        db.flush()
        return True
    db.delete(fav)
    db.flush()
    return False


def favorites(db: Session, user_id: int) -> list[Question]:
    keys = select(Favorite.question_key).where(Favorite.user_id == user_id)
    return list(db.scalars(select(Question).where(Question.key.in_(keys), Question.is_latest.is_(True))
                           .order_by(Question.key)))


def favorite_keys(db: Session, user_id: int, keys: list[str]) -> set[str]:
    return set(db.scalars(select(Favorite.question_key).where(Favorite.user_id == user_id,
                                                             Favorite.question_key.in_(keys))))


# ---- mastery, streak, history ------------------------------------------------------------------------

def article_stats(db: Session, user_id: int, law: str | None = None) -> dict[tuple[str, int], ArticleStat]:
    stmt = select(ArticleStat).where(ArticleStat.user_id == user_id)
    if law:
        stmt = stmt.where(ArticleStat.law_short_title == law)
    return {(s.law_short_title, s.article_number): s for s in db.scalars(stmt)}


def article_mastery(db: Session, user_id: int, law: str) -> dict[int, str]:
    from trainer.practice.mastery import mastery
    return {n: mastery(s.answered, s.correct, s.recent_list) for (_, n), s in article_stats(db, user_id, law).items()}


def weakest_articles(db: Session, user_id: int, limit: int = 10) -> list[ArticleStat]:
    from trainer.practice.mastery import weakest
    stats = article_stats(db, user_id)
    keys = weakest([(k, s.answered, s.correct) for k, s in stats.items()], limit=limit)
    return [stats[k] for k in keys]


def daily_streak(db: Session, user_id: int, now: datetime | None = None) -> int:
    from trainer.practice.mastery import streak
    rows = db.scalars(select(PracticeSession.finished_at).where(
        PracticeSession.user_id == user_id, PracticeSession.kind == "daily", PracticeSession.finished_at.is_not(None)))
    return streak({local_day(r) for r in rows}, local_day(now or utcnow()))


def accuracy_by_day(db: Session, user_id: int, days: int = 30, now: datetime | None = None) -> list[tuple]:
    """[(date, answered, correct)] for the last `days` local days (days without answers included)."""
    now = aware(now or utcnow())
    since = now - timedelta(days=days)
    rows = db.execute(select(PracticeItem.answered_at, PracticeItem.is_correct).where(
        PracticeItem.user_id == user_id, PracticeItem.answered_at >= naive(since))).all()
    per_day: dict = {}
    for at, ok in rows:
        d = local_day(at)
        a, c = per_day.get(d, (0, 0))
        per_day[d] = (a + 1, c + (1 if ok else 0))
    today = local_day(now)
    return [(d, *per_day.get(d, (0, 0))) for d in (today - timedelta(days=i) for i in range(days - 1, -1, -1))]


def recent_sessions(db: Session, user_id: int, limit: int = 10) -> list[PracticeSession]:
    return list(db.scalars(select(PracticeSession).where(PracticeSession.user_id == user_id)
                           .order_by(PracticeSession.created_at.desc()).limit(limit)))


def answer_counts(db: Session, question_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Usage provider for the bank pages: answered and correct per question version."""
    rows = db.execute(select(PracticeItem.question_id, func.count(),
                             func.sum(case((PracticeItem.is_correct.is_(True), 1), else_=0)))
                      .where(PracticeItem.question_id.in_(question_ids), PracticeItem.answered_at.is_not(None))
                      .group_by(PracticeItem.question_id))
    return {qid: (int(n), int(c or 0)) for qid, n, c in rows}
