"""Courses, their modules, and each user's reading progress."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow


class Course(Base):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16), default="law")  # law | practice
    law_short_title: Mapped[str | None] = mapped_column(String(64))  # follows the current version of this law
    ordinal: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.ordinal", cascade="all, delete-orphan")


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "ordinal", name="uq_modules_course_ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # preamble | chapter | page
    part_title: Mapped[str | None] = mapped_column(String(128))  # the 编, for laws that have parts
    chapter_title: Mapped[str | None] = mapped_column(String(128))  # for kind=chapter
    chapter_ordinal: Mapped[int | None] = mapped_column(Integer)  # its chapter in the current law version
    body: Mapped[str | None] = mapped_column(Text)  # Markdown, for kind=page
    sources: Mapped[str] = mapped_column(Text, default="[]")
    quiz_tags: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")  # pages: questions with these tags make its quiz

    course: Mapped[Course] = relationship(back_populates="modules")

    @property
    def quiz_tag_list(self) -> list[str]:
        return json.loads(self.quiz_tags or "[]")

    @property
    def source_list(self) -> list[str]:
        return json.loads(self.sources or "[]")


class ModuleProgress(Base):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("user_id", "module_id", name="uq_module_progress_user_module"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)
    first_visited_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_visited_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    studied_at: Mapped[datetime | None] = mapped_column()
    tested_at: Mapped[datetime | None] = mapped_column()  # first module quiz at or above the pass mark
    best_score: Mapped[float | None] = mapped_column()
