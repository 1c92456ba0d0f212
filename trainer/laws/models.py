"""The law library: laws (one row per version), chapters, articles, and changes between versions."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow


class Law(Base):
    __tablename__ = "laws"
    __table_args__ = (UniqueConstraint("title", "version_date", name="uq_laws_title_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128), index=True)
    short_title: Mapped[str] = mapped_column(String(64), index=True)
    version_date: Mapped[date | None] = mapped_column()
    effective_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="current")  # current | superseded
    source: Mapped[str] = mapped_column(String(255), default="")
    history: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of [date, event]
    preamble: Mapped[str | None] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    chapters: Mapped[list[Chapter]] = relationship(
        back_populates="law", order_by="Chapter.ordinal", cascade="all, delete-orphan")
    articles: Mapped[list[Article]] = relationship(
        back_populates="law", order_by="Article.number", cascade="all, delete-orphan")

    @property
    def history_list(self) -> list[list[str]]:
        return json.loads(self.history or "[]")

    @property
    def is_current(self) -> bool:
        return self.status == "current"


class Chapter(Base):
    """A 章 (with its 编, if the law has parts). Laws without chapters get none."""
    __tablename__ = "chapters"
    __table_args__ = (UniqueConstraint("law_id", "ordinal", name="uq_chapters_law_ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    law_id: Mapped[int] = mapped_column(ForeignKey("laws.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    part: Mapped[str | None] = mapped_column(String(128))

    law: Mapped[Law] = relationship(back_populates="chapters")
    articles: Mapped[list[Article]] = relationship(back_populates="chapter", order_by="Article.number")


class Article(Base):
    """A 条. Its text keeps 款 and 项 as lines separated by "\\n", as in the official text."""
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("law_id", "number", name="uq_articles_law_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    law_id: Mapped[int] = mapped_column(ForeignKey("laws.id", ondelete="CASCADE"), index=True)
    chapter_id: Mapped[int | None] = mapped_column(ForeignKey("chapters.id", ondelete="SET NULL"), index=True)
    section: Mapped[str | None] = mapped_column(String(128))
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)

    law: Mapped[Law] = relationship(back_populates="articles")
    chapter: Mapped[Chapter | None] = relationship(back_populates="articles")

    @property
    def anchor(self) -> str:
        return f"art-{self.number}"


class LawChange(Base):
    """What a newer version of a law changed, article by article (used to flag questions)."""
    __tablename__ = "law_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    law_id: Mapped[int] = mapped_column(ForeignKey("laws.id", ondelete="CASCADE"), index=True)
    previous_law_id: Mapped[int] = mapped_column(ForeignKey("laws.id", ondelete="CASCADE"))
    article_number: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(16))  # added | changed | removed
