"""Question banks and versioned questions.

A question is identified by its stable `key`; each edit of a published question adds a new row (version) with the
same key, so anything answered keeps pointing at the version that was shown."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow

TYPES = ("single", "multiple", "judge", "blank", "case")
TYPE_LABELS = {"single": "单选", "multiple": "多选", "judge": "判断", "blank": "填空", "case": "案例分析"}
STATUSES = ("draft", "reviewed", "published", "retired")
STATUS_LABELS = {"draft": "草稿", "reviewed": "已审核", "published": "已发布", "retired": "已停用"}
SOURCES = ("curated", "imported", "generated")


class Bank(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(128))
    course_key: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="curated")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    questions: Mapped[list[Question]] = relationship(back_populates="bank")


class Question(Base):
    __tablename__ = "questions"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_questions_key_version"),
        Index("ix_questions_bank_latest", "bank_id", "is_latest"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="RESTRICT"))
    type: Mapped[str] = mapped_column(String(16))
    stem: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text, default="[]")       # JSON list of option texts
    answer: Mapped[str] = mapped_column(Text)                      # JSON, canonical form per type
    explanation: Mapped[str] = mapped_column(Text, default="")
    scoring_points: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{point, score}] for case
    difficulty: Mapped[int] = mapped_column(Integer, default=2)
    tags: Mapped[str] = mapped_column(Text, default="[]")
    references: Mapped[str] = mapped_column(Text, default="[]")
    source: Mapped[str] = mapped_column(String(16), default="curated")
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)  # a cited article changed
    is_promoted: Mapped[bool] = mapped_column(Boolean, default=False)  # a generated question allowed in exams
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    bank: Mapped[Bank] = relationship(back_populates="questions")
    citations: Mapped[list[Citation]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="Citation.id")

    @property
    def option_list(self) -> list[str]:
        return json.loads(self.options or "[]")

    @property
    def answer_value(self):
        return json.loads(self.answer)

    @property
    def tag_list(self) -> list[str]:
        return json.loads(self.tags or "[]")

    @property
    def reference_list(self) -> list[str]:
        return json.loads(self.references or "[]")

    @property
    def scoring_point_list(self) -> list[dict]:
        return json.loads(self.scoring_points or "[]")

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_usable_in_exams(self) -> bool:
        return (self.is_latest and self.status == "published" and not self.needs_review
                and (self.source != "generated" or self.is_promoted))


class Citation(Base):
    """Where a question's answer can be checked: a law (by short title, following its current version) and an
    article (optionally a 款), or the law's 序言."""
    __tablename__ = "question_citations"
    __table_args__ = (Index("ix_question_citations_law_article", "law_short_title", "article_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    law_short_title: Mapped[str] = mapped_column(String(64))
    article_number: Mapped[int | None] = mapped_column(Integer)
    paragraph: Mapped[int | None] = mapped_column(Integer)
    is_preamble: Mapped[bool] = mapped_column(Boolean, default=False)

    question: Mapped[Question] = relationship(back_populates="citations")

    @property
    def label(self) -> str:
        from trainer.laws.parser import int_to_cn_numeral
        if self.is_preamble:
            return f"《{self.law_short_title}》序言"
        text = f"《{self.law_short_title}》第{int_to_cn_numeral(self.article_number)}条"
        if self.paragraph:
            text += f"第{int_to_cn_numeral(self.paragraph)}款"
        return text


class QuestionReview(Base):
    """Reviewer decisions: approve, return (with a comment), publish, retire, flag."""
    __tablename__ = "question_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
