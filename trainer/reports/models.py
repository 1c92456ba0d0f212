"""The training drive (练兵周期): its period, courses, exams and how a person's drive score is made."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trainer.db import Base, utcnow

drive_courses = Table(
    "drive_courses", Base.metadata,
    Column("drive_id", ForeignKey("drives.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)
drive_exams = Table(
    "drive_exams", Base.metadata,
    Column("drive_id", ForeignKey("drives.id", ondelete="CASCADE"), primary_key=True),
    Column("exam_id", ForeignKey("exams.id", ondelete="CASCADE"), primary_key=True),
)

UNIT_SORT_LABELS = {"average": "全员平均练兵分", "study_rate": "参学率", "sit_rate": "参考率", "pass_rate": "合格率",
                    "mean_score": "平均分"}


class Drive(Base):
    __tablename__ = "drives"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    start_date: Mapped[date] = mapped_column()
    end_date: Mapped[date] = mapped_column()
    exam_weight: Mapped[float] = mapped_column(Float, default=60.0)
    study_weight: Mapped[float] = mapped_column(Float, default=20.0)
    practice_weight: Mapped[float] = mapped_column(Float, default=20.0)
    practice_daily_cap: Mapped[int] = mapped_column(Integer, default=20)  # right answers counted per day at most
    unit_sort: Mapped[str] = mapped_column(String(16), default="average")
    freeze_at: Mapped[datetime | None] = mapped_column()  # staff see standings as of this moment
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    courses = relationship("Course", secondary=drive_courses, order_by="Course.ordinal")
    exams = relationship("Exam", secondary=drive_exams, order_by="Exam.open_at")
