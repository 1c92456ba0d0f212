"""Practice: quiz sessions and their items (every answer), the mistake book (FSRS cards), favourites, article
statistics and resumable sequential practice."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow

KINDS = ("module", "sequential", "random", "article", "daily", "review")
KIND_LABELS = {"module": "模块测验", "sequential": "顺序练习", "random": "随机练习", "article": "按条练习",
               "daily": "每日一练", "review": "错题复习"}


class PracticeSession(Base):
    __tablename__ = "practice_sessions"
    __table_args__ = (Index("ix_practice_sessions_user_created", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(128))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    params: Mapped[str] = mapped_column(Text, default="{}")
    pass_mark: Mapped[float | None] = mapped_column(Float)
    total: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()

    items: Mapped[list[PracticeItem]] = relationship(back_populates="session", order_by="PracticeItem.position",
                                                      cascade="all, delete-orphan")
    module: Mapped["Module | None"] = relationship("Module")

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def score(self) -> float | None:
        return self.correct / self.total if self.total and self.finished_at else None

    @property
    def param_dict(self) -> dict:
        return json.loads(self.params or "{}")


class PracticeItem(Base):
    """One question of a session: the version shown, the option order shown, and the answer given."""
    __tablename__ = "practice_items"
    __table_args__ = (
        UniqueConstraint("session_id", "position", name="uq_practice_items_session_position"),
        UniqueConstraint("session_id", "question_key", name="uq_practice_items_session_key"),
        # covering index for per-question usage (answered, correct) on the bank pages
        Index("ix_practice_items_question_answered", "question_id", "answered_at", "is_correct"),
        Index("ix_practice_items_user_key", "user_id", "question_key"),
        Index("ix_practice_items_user_answered", "user_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"))
    question_key: Mapped[str] = mapped_column(String(32))
    option_order: Mapped[str] = mapped_column(Text, default="[]")  # canonical option index per displayed position
    response: Mapped[str | None] = mapped_column(Text)  # JSON, canonical form
    is_correct: Mapped[bool | None] = mapped_column(Boolean)
    answered_at: Mapped[datetime | None] = mapped_column()

    session: Mapped[PracticeSession] = relationship(back_populates="items")

    @property
    def order(self) -> list[int]:
        return json.loads(self.option_order or "[]")


class ReviewCard(Base):
    """A question in a user's mistake book, scheduled with FSRS (by stable key, so it survives new versions)."""
    __tablename__ = "review_cards"
    __table_args__ = (UniqueConstraint("user_id", "question_key", name="uq_review_cards_user_key"),
                      Index("ix_review_cards_user_due", "user_id", "due_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_key: Mapped[str] = mapped_column(String(32))
    card: Mapped[str] = mapped_column(Text)  # fsrs.Card as JSON
    due_at: Mapped[datetime] = mapped_column()
    right_streak: Mapped[int] = mapped_column(Integer, default=0)
    lapses: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_reviewed_at: Mapped[datetime | None] = mapped_column()
    removed_at: Mapped[datetime | None] = mapped_column()  # left the book (mastered or removed by the user)
    removed_reason: Mapped[str | None] = mapped_column(String(16))  # mastered | user


class Favorite(Base):
    __tablename__ = "favorites"
    __table_args__ = (UniqueConstraint("user_id", "question_key", name="uq_favorites_user_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleStat(Base):
    """Per user and article: answers, correct answers, the most recent results, last seen."""
    __tablename__ = "article_stats"
    __table_args__ = (UniqueConstraint("user_id", "law_short_title", "article_number",
                                       name="uq_article_stats_user_article"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    law_short_title: Mapped[str] = mapped_column(String(64))
    article_number: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    recent: Mapped[str] = mapped_column(String(64), default="")  # last results, "1" right / "0" wrong, newest last
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def recent_list(self) -> list[bool]:
        return [c == "1" for c in self.recent]


class PracticeCursor(Base):
    """Where sequential practice through a bank or a law stopped."""
    __tablename__ = "practice_cursors"
    __table_args__ = (UniqueConstraint("user_id", "scope", name="uq_practice_cursors_user_scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(96))  # "bank:xingzheng-chufa" or "law:行政处罚法"
    position: Mapped[int] = mapped_column(Integer, default=0)  # questions done in the scope's fixed order
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
