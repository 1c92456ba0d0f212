"""Exam sessions: the exam and its rules, who is invited, per-candidate overrides, attempts and their items
(the drawn paper with each answer as last saved), and focus events for invigilators."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow

RELEASE_LABELS = {"immediate": "交卷后立即公布", "after_close": "考试结束后公布", "manual": "手动公布"}
REVIEW_LABELS = {"score": "仅看分数", "right_wrong": "可看对错", "full": "可看答案和解析"}
FOCUS_LABELS = {"record": "仅记录", "warn": "记录并提醒", "submit": "超过次数自动交卷"}
MULTIPLE_LABELS = {"all_or_nothing": "全对才得分", "partial": "少选得一半分，错选不得分"}


class Exam(Base):
    __tablename__ = "exams"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    instructions: Mapped[str] = mapped_column(Text, default="")
    open_at: Mapped[datetime] = mapped_column()
    close_at: Mapped[datetime] = mapped_column()
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    pass_mark: Mapped[float] = mapped_column(Float, default=60.0)  # of 100
    max_attempts: Mapped[int] = mapped_column(Integer, default=1)
    counting: Mapped[str] = mapped_column(String(8), default="best")  # best | last
    release_policy: Mapped[str] = mapped_column(String(16), default="immediate")
    released_at: Mapped[datetime | None] = mapped_column()  # manual release
    review_policy: Mapped[str] = mapped_column(String(16), default="right_wrong")
    review_after_close: Mapped[bool] = mapped_column(Boolean, default=True)  # details only once the exam closed
    multiple_policy: Mapped[str] = mapped_column(String(16), default="all_or_nothing")
    focus_policy: Mapped[str] = mapped_column(String(8), default="record")
    focus_limit: Mapped[int] = mapped_column(Integer, default=3)
    template: Mapped[str] = mapped_column(Text, default="{}")  # JSON: {"sections": [...], "fixed": [...]}
    makeup_of_id: Mapped[int | None] = mapped_column(ForeignKey("exams.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | published | archived
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invites: Mapped[list[ExamInvite]] = relationship(back_populates="exam", cascade="all, delete-orphan")
    makeup_of: Mapped[Exam | None] = relationship(remote_side="Exam.id")

    @property
    def template_dict(self) -> dict:
        return json.loads(self.template or "{}")


class ExamInvite(Base):
    """Who takes the exam: a unit (and its sub-units) or a single user."""
    __tablename__ = "exam_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    exam: Mapped[Exam] = relationship(back_populates="invites")


class ExamOverride(Base):
    """Per-candidate exceptions: extra time, extra attempts, a different window."""
    __tablename__ = "exam_overrides"
    __table_args__ = (UniqueConstraint("exam_id", "user_id", name="uq_exam_overrides_exam_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    open_at: Mapped[datetime | None] = mapped_column()
    close_at: Mapped[datetime | None] = mapped_column()


class Attempt(Base):
    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("exam_id", "user_id", "number", name="uq_attempts_exam_user_number"),
                      Index("ix_attempts_open_deadline", "submitted_at", "deadline_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    exam_id: Mapped[int] = mapped_column(ForeignKey("exams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column()
    deadline_at: Mapped[datetime] = mapped_column()  # computed by the server at start; extended by invigilators
    submitted_at: Mapped[datetime | None] = mapped_column()
    finalised_by: Mapped[str | None] = mapped_column(String(16))  # candidate | timeout | invigilator | focus
    score: Mapped[float | None] = mapped_column(Float)  # points earned (auto part until manual grading ends)
    max_score: Mapped[float] = mapped_column(Float, default=0.0)
    pending_manual: Mapped[int] = mapped_column(Integer, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    last_saved_at: Mapped[datetime | None] = mapped_column()
    focus_events: Mapped[int] = mapped_column(Integer, default=0)

    exam: Mapped[Exam] = relationship()
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position",
                                                    cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.submitted_at is None

    @property
    def score_100(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100.0 * self.score / self.max_score, 1)


class AttemptItem(Base):
    """One question of a drawn paper and the candidate's answer as last saved (seq orders the saves)."""
    __tablename__ = "attempt_items"
    __table_args__ = (UniqueConstraint("attempt_id", "position", name="uq_attempt_items_attempt_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    section: Mapped[int] = mapped_column(Integer, default=0)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="RESTRICT"), index=True)
    points: Mapped[float] = mapped_column(Float)
    option_order: Mapped[str] = mapped_column(Text, default="[]")
    response: Mapped[str | None] = mapped_column(Text)  # JSON, canonical form
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime | None] = mapped_column()
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    earned: Mapped[float | None] = mapped_column(Float)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    grader_comment: Mapped[str | None] = mapped_column(Text)

    attempt: Mapped[Attempt] = relationship(back_populates="items")

    @property
    def order(self) -> list[int]:
        return json.loads(self.option_order or "[]")


class FocusEvent(Base):
    __tablename__ = "focus_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(16))  # hidden | blur
