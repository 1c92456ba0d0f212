"""Courses and modules built from the law library and the practice pages; reading progress."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from trainer.auth.models import User
from trainer.db import utcnow
from trainer.laws.models import Article, Chapter, Law
from trainer.study.models import Course, Module, ModuleProgress

CONTENT_DIR = Path(__file__).parent / "content"
PRACTICE_KEY = "chengguan-shiwu"
PRACTICE_TITLE = "城管执法实务"
COURSE_ORDER = ("宪法", "行政处罚法", "行政许可法", "行政强制法", PRACTICE_TITLE)
MAX_HEARTBEAT_SECONDS = 120


class StudyError(ValueError):
    """str() is a Chinese message."""


@dataclass(frozen=True)
class ModuleSpec:
    title: str
    kind: str
    chapter_title: str | None = None
    body: str | None = None
    sources: tuple[str, ...] = ()
    part_title: str | None = None
    chapter_ordinal: int | None = None
    quiz_tags: tuple[str, ...] = ()


def read_page(path: Path) -> tuple[dict, str]:
    """Split a Markdown page into its YAML front matter and body."""
    raw = path.read_text(encoding="utf-8")
    if raw.startswith("---"):
        _, front, body = raw.split("---", 2)
        return yaml.safe_load(front) or {}, body.strip()
    return {}, raw.strip()


def practice_specs(content_dir: Path = CONTENT_DIR) -> list[ModuleSpec]:
    pages = []
    for path in sorted(content_dir.glob("*.md")):
        meta, body = read_page(path)
        pages.append((meta.get("order", 99), path.name, ModuleSpec(
            title=meta.get("title") or path.stem, kind="page", body=body,
            sources=tuple(str(s) for s in meta.get("sources", [])),
            quiz_tags=tuple(str(t) for t in meta.get("quiz_tags", [])))))
    return [spec for _, _, spec in sorted(pages, key=lambda p: (p[0], p[1]))]


def law_specs(law: Law) -> list[ModuleSpec]:
    specs = []
    if law.preamble:
        specs.append(ModuleSpec("序言", "preamble"))
    for ch in law.chapters:
        title = f"{ch.part} · {ch.title}" if ch.part else ch.title
        specs.append(ModuleSpec(title, "chapter", chapter_title=ch.title, part_title=ch.part,
                                chapter_ordinal=ch.ordinal))
    if not law.chapters:
        specs.append(ModuleSpec("全文", "chapter", chapter_title=None))
    return specs


def _keys(items) -> list[tuple]:
    """Stable identity of a module across law versions: kind, 编, 章 title (or page title), and which
    occurrence of that title it is (a code with parts repeats 第一章 一般规定 in several 编)."""
    seen: dict[tuple, int] = {}
    out = []
    for m in items:
        base = (m.kind, m.part_title, m.chapter_title if m.kind != "page" else m.title)
        seen[base] = seen.get(base, 0) + 1
        out.append(base + (seen[base],))
    return out


def _sync_modules(db: Session, course: Course, specs: list[ModuleSpec]) -> None:
    modules = sorted(course.modules, key=lambda m: m.ordinal)
    current_keys = _keys(modules)
    existing = dict(zip(current_keys, modules))
    wanted_keys = _keys(specs)
    # Move ordinals out of the way first so the unique (course, ordinal) constraint never trips.
    if current_keys != wanted_keys:
        for m in course.modules:
            m.ordinal += 10000
        db.flush()
    for ordinal, (spec, key) in enumerate(zip(specs, wanted_keys), start=1):
        m = existing.pop(key, None)
        if m is None:
            m = Module(course=course, ordinal=ordinal, title=spec.title, kind=spec.kind)
            db.add(m)
        m.ordinal, m.title, m.chapter_title = ordinal, spec.title, spec.chapter_title
        m.part_title, m.chapter_ordinal = spec.part_title, spec.chapter_ordinal
        if spec.kind == "page":
            m.body = spec.body
            m.sources = json.dumps(list(spec.sources), ensure_ascii=False)
            m.quiz_tags = json.dumps(list(spec.quiz_tags), ensure_ascii=False)
    for stale in existing.values():  # chapters that no longer exist keep no progress
        db.delete(stale)
    db.flush()
    db.refresh(course, ["modules"])


def sync_courses(db: Session, content_dir: Path = CONTENT_DIR) -> list[Course]:
    """One course per current law plus 城管执法实务. Idempotent; keeps progress of unchanged modules."""
    laws = list(db.scalars(select(Law).where(Law.status == "current")))
    courses = {c.key: c for c in db.scalars(select(Course))}

    def order_of(title: str) -> int:
        return COURSE_ORDER.index(title) if title in COURSE_ORDER else 100
    for law in laws:
        course = courses.get(law.short_title)
        if course is None:
            course = Course(key=law.short_title, title=law.short_title, kind="law",
                            law_short_title=law.short_title)
            db.add(course)
            courses[course.key] = course
        course.ordinal = order_of(law.short_title) * 1000 + law.id
        _sync_modules(db, course, law_specs(law))
    course = courses.get(PRACTICE_KEY)
    if course is None:
        course = Course(key=PRACTICE_KEY, title=PRACTICE_TITLE, kind="practice",
                        description="城市管理综合执法工作中的制度与方法。")
        db.add(course)
    course.ordinal = order_of(PRACTICE_TITLE) * 1000
    _sync_modules(db, course, practice_specs(content_dir))
    db.flush()
    return list(db.scalars(select(Course).order_by(Course.ordinal)))


def list_courses(db: Session) -> list[Course]:
    return list(db.scalars(select(Course).order_by(Course.ordinal)))


def course_law(db: Session, course: Course) -> Law | None:
    if not course.law_short_title:
        return None
    return db.scalar(select(Law).where(Law.short_title == course.law_short_title, Law.status == "current"))


def module_articles(db: Session, module: Module) -> list[Article]:
    if module.kind != "chapter":
        return []
    law = course_law(db, module.course)
    if law is None:
        return []
    stmt = select(Article).where(Article.law_id == law.id).order_by(Article.number)
    if module.chapter_ordinal is not None:
        stmt = stmt.join(Chapter, Article.chapter_id == Chapter.id).where(Chapter.ordinal == module.chapter_ordinal)
    return list(db.scalars(stmt))


def module_for_article(db: Session, article: Article) -> Module | None:
    course = db.scalar(select(Course).where(Course.law_short_title == article.law.short_title))
    if course is None:
        return None
    ordinal = article.chapter.ordinal if article.chapter else None
    return db.scalar(select(Module).where(Module.course_id == course.id, Module.kind == "chapter",
                                          Module.chapter_ordinal.is_(None) if ordinal is None
                                          else Module.chapter_ordinal == ordinal))


# ---- progress --------------------------------------------------------------------------------------

def _progress(db: Session, user: User, module: Module) -> ModuleProgress:
    p = db.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user.id,
                                               ModuleProgress.module_id == module.id))
    if p is None:
        p = ModuleProgress(user_id=user.id, module_id=module.id, seconds_spent=0)
        db.add(p)
    return p


def record_visit(db: Session, user: User, module: Module, now: datetime | None = None) -> ModuleProgress:
    p = _progress(db, user, module)
    p.last_visited_at = now or utcnow()
    db.flush()
    return p


def record_reading_time(db: Session, user: User, module: Module, seconds: int,
                        now: datetime | None = None) -> ModuleProgress:
    """Add reading time from a page heartbeat; one heartbeat counts at most MAX_HEARTBEAT_SECONDS."""
    if not isinstance(seconds, int) or seconds <= 0:
        raise StudyError("阅读时长无效。")
    p = _progress(db, user, module)
    p.seconds_spent = (p.seconds_spent or 0) + min(seconds, MAX_HEARTBEAT_SECONDS)
    p.last_visited_at = now or utcnow()
    db.flush()
    return p


def mark_studied(db: Session, user: User, module: Module, studied: bool = True,
                 now: datetime | None = None) -> ModuleProgress:
    p = _progress(db, user, module)
    p.studied_at = (now or utcnow()) if studied else None
    p.last_visited_at = now or utcnow()
    db.flush()
    return p


def user_progress(db: Session, user_id: int) -> dict[int, ModuleProgress]:
    return {p.module_id: p for p in db.scalars(select(ModuleProgress).where(ModuleProgress.user_id == user_id))}


def course_progress(db: Session, user_id: int) -> dict[int, tuple[int, int]]:
    """course_id -> (modules studied, modules total)."""
    totals = dict(db.execute(select(Module.course_id, func.count()).group_by(Module.course_id)).all())
    studied = dict(db.execute(
        select(Module.course_id, func.count()).join(ModuleProgress, ModuleProgress.module_id == Module.id)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.studied_at.is_not(None))
        .group_by(Module.course_id)).all())
    return {cid: (studied.get(cid, 0), total) for cid, total in totals.items()}


def continue_module(db: Session, user_id: int) -> Module | None:
    """Where the user left off: the last visited module, or the next one if that one is studied."""
    p = db.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user_id)
                  .order_by(ModuleProgress.last_visited_at.desc(), ModuleProgress.id.desc()).limit(1))
    if p is None:
        return None
    module = db.get(Module, p.module_id)
    if p.studied_at is not None:
        nxt = db.scalar(select(Module).where(Module.course_id == module.course_id,
                                             Module.ordinal > module.ordinal).order_by(Module.ordinal).limit(1))
        return nxt or module
    return module


@dataclass
class StaffRow:
    user: User
    studied: dict[int, int]  # course_id -> modules studied
    seconds: int
    last_activity: datetime | None


def staff_overview(db: Session, unit_ids: set[int] | None) -> list[StaffRow]:
    """Study overview of the staff in `unit_ids` (None = everyone)."""
    users_stmt = select(User).where(User.active.is_(True), User.role == "staff").order_by(User.login)
    if unit_ids is not None:
        users_stmt = users_stmt.where(User.unit_id.in_(unit_ids or {-1}))
    users = list(db.scalars(users_stmt))
    ids = [u.id for u in users]
    studied: dict[int, dict[int, int]] = {}
    agg: dict[int, tuple[int, datetime | None]] = {}
    if ids:
        for uid, cid, n in db.execute(
                select(ModuleProgress.user_id, Module.course_id, func.count())
                .join(Module, Module.id == ModuleProgress.module_id)
                .where(ModuleProgress.user_id.in_(ids), ModuleProgress.studied_at.is_not(None))
                .group_by(ModuleProgress.user_id, Module.course_id)):
            studied.setdefault(uid, {})[cid] = n
        for uid, secs, last in db.execute(
                select(ModuleProgress.user_id, func.sum(ModuleProgress.seconds_spent),
                       func.max(ModuleProgress.last_visited_at))
                .where(ModuleProgress.user_id.in_(ids)).group_by(ModuleProgress.user_id)):
            agg[uid] = (int(secs or 0), last)
    return [StaffRow(u, studied.get(u.id, {}), agg.get(u.id, (0, None))[0], agg.get(u.id, (0, None))[1])
            for u in users]
