"""Browsing, editing and reviewing questions (admin and reviewer pages)."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from trainer import audit
from trainer.auth.models import User
from trainer.banks.bankfile import BankSpec, Issue, QuestionSpec, load_question
from trainer.banks.validation import validate_bank
from trainer.banks.models import Bank, Citation, Question, QuestionReview
from trainer.banks.services import LawLookup, _new_question
from trainer.db import utcnow
from trainer.laws.models import Article, Chapter, Law
from trainer.laws.parser import cn_numeral_to_int

REVIEW_ACTIONS = {
    # action: (allowed from statuses, new status, label)
    "approve": (("draft",), "reviewed", "审核通过"),
    "return": (("draft", "reviewed", "published"), "draft", "退回修改"),
    "publish": (("reviewed",), "published", "发布"),
    "retire": (("draft", "reviewed", "published"), "retired", "停用"),
    "restore": (("retired",), "draft", "恢复为草稿"),
    "confirm": (("draft", "reviewed", "published", "retired"), None, "复核无误"),
    "promote": (("published",), None, "允许用于考试"),
}


class ReviewError(ValueError):
    """str() is a Chinese message."""


@dataclass
class BrowseFilter:
    bank_id: int | None = None
    law: str | None = None
    chapter_id: int | None = None
    article: int | None = None
    type: str | None = None
    difficulty: int | None = None
    status: str | None = None
    tag: str | None = None
    q: str | None = None
    flagged: bool = False
    source: str | None = None


@dataclass
class Page:
    items: list[Question]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def browse(db: Session, f: BrowseFilter, page: int = 1, per_page: int = 50) -> Page:
    stmt = select(Question).where(Question.is_latest.is_(True))
    if f.bank_id:
        stmt = stmt.where(Question.bank_id == f.bank_id)
    if f.type:
        stmt = stmt.where(Question.type == f.type)
    if f.difficulty:
        stmt = stmt.where(Question.difficulty == f.difficulty)
    if f.status:
        stmt = stmt.where(Question.status == f.status)
    if f.source:
        stmt = stmt.where(Question.source == f.source)
    if f.flagged:
        stmt = stmt.where(Question.needs_review.is_(True))
    if f.tag:
        stmt = stmt.where(Question.tags.contains(json.dumps(f.tag, ensure_ascii=False), autoescape=True))
    if f.q:
        stmt = stmt.where(or_(Question.stem.contains(f.q, autoescape=True),
                              Question.options.contains(f.q, autoescape=True),
                              Question.explanation.contains(f.q, autoescape=True),
                              Question.key == f.q))
    if f.law or f.chapter_id or f.article:
        cited = select(Citation.question_id)
        if f.law:
            cited = cited.where(Citation.law_short_title == f.law)
        if f.article:
            cited = cited.where(Citation.article_number == f.article)
        if f.chapter_id:
            chapter = db.get(Chapter, f.chapter_id)
            numbers = select(Article.number).where(Article.chapter_id == f.chapter_id)
            law_short = chapter.law.short_title if chapter else ""
            cited = cited.where(Citation.law_short_title == law_short, Citation.article_number.in_(numbers))
        stmt = stmt.where(Question.id.in_(cited))
    total = db.scalar(select(func.count()).select_from(stmt.subquery()))
    items = list(db.scalars(stmt.order_by(Question.key).offset((page - 1) * per_page).limit(per_page)
                            .options(selectinload(Question.citations), selectinload(Question.bank))))
    return Page(items, total or 0, page, per_page)


def all_tags(db: Session) -> list[str]:
    tags: set[str] = set()
    for raw in db.scalars(select(Question.tags).where(Question.is_latest.is_(True)).distinct()):
        tags.update(json.loads(raw or "[]"))
    return sorted(tags)


# ---- editing -----------------------------------------------------------------------------------------

_CITE_RE = re.compile(r"^《?(?:中华人民共和国)?(?P<law>[^》\s]+)》?\s*(?:第?\s*(?P<art>[0-9零一二两三四五六七八九十百]+)\s*条?)?"
                      r"\s*(?:第?\s*(?P<para>[0-9零一二两三四五六七八九十]+)\s*款)?\s*$")


def parse_citation_lines(text: str) -> tuple[list[dict], list[str]]:
    """'行政处罚法 第五十一条', '行政处罚法 51 第1款', '宪法 序言' -> citation mappings of the bank format."""
    out, errors = [], []
    for n, line in enumerate((text or "").splitlines(), 1):
        line = line.strip().replace("　", " ")
        if not line:
            continue
        if line.endswith("序言"):
            out.append({"law": line[:-2].strip(" 《》").removeprefix("中华人民共和国"), "preamble": True})
            continue
        m = _CITE_RE.match(line)
        if not m or not m.group("art"):
            errors.append(f"出处第{n}行“{line}”无法识别，应写作“行政处罚法 第五十一条”或“行政处罚法 51 2”（第2款）")
            continue
        to_int = lambda s: int(s) if s.isdigit() else cn_numeral_to_int(s)  # noqa: E731
        item = {"law": m.group("law"), "article": to_int(m.group("art"))}
        if m.group("para"):
            item["paragraph"] = to_int(m.group("para"))
        out.append(item)
    return out, errors


def check_question(db: Session, bank_slug: str, raw: dict) -> tuple[QuestionSpec | None, list[Issue]]:
    """Load a question mapping and check it against the law library."""
    spec, issues = load_question(raw, bank_slug)
    if spec is not None:
        lookup = LawLookup(db)
        issues += validate_bank(BankSpec(1, bank_slug, "", "", (spec,)), lookup.article_text,
                                lookup.preamble_text)
    return spec, issues


def next_key(db: Session, bank: Bank) -> str:
    keys = list(db.scalars(select(Question.key).where(Question.bank_id == bank.id)))
    prefix = keys[0].split("-")[0] if keys else re.sub(r"[^a-z]", "", bank.slug)[:8] or "q"
    numbers = [int(k.split("-")[1]) for k in keys if k.startswith(prefix + "-")]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def save_question(db: Session, actor: User, bank: Bank, raw: dict,
                  question: Question | None = None) -> tuple[Question | None, list[Issue]]:
    """Create a question or edit one. Editing a published (or reviewed) question adds a new version that must be
    reviewed again; anything answered keeps pointing at the version that was shown. Nothing is written when
    there is an error."""
    raw = dict(raw)
    raw["key"] = question.key if question else next_key(db, bank)
    raw["status"] = "draft"
    spec, issues = check_question(db, bank.slug, raw)
    if spec is None or any(i.level == "error" for i in issues):
        return None, issues
    if question is None:
        new = _new_question(bank, spec, 1, "curated", "draft")
        action = "question.create"
    elif question.status == "draft" and question.version == 1 and not _is_used(db, question):
        db.delete(question)
        db.flush()
        new = _new_question(bank, spec, 1, question.source, "draft")
        action = "question.edit"
    else:
        question.is_latest = False
        db.flush()
        new = _new_question(bank, spec, question.version + 1, question.source, "draft")
        action = "question.new_version"
    db.add(new)
    db.flush()
    audit.record(db, actor.id, action, "question", new.id, key=new.key, version=new.version)
    db.flush()
    return new, issues


def _is_used(db: Session, question: Question) -> bool:
    """Whether anything points at this version (answers, papers). Filled in as practice and exams arrive."""
    from trainer.banks import usage
    return usage.answer_count(db, question.id) > 0


def review(db: Session, actor: User, question: Question, action: str, comment: str = "") -> Question:
    if action not in REVIEW_ACTIONS:
        raise ReviewError("未知的审核操作。")
    allowed, new_status, label = REVIEW_ACTIONS[action]
    if not question.is_latest:
        raise ReviewError("这是旧版本，只能审核最新版本。")
    if question.status not in allowed:
        raise ReviewError(f"当前状态为“{question.status_label}”，不能执行“{label}”。")
    comment = (comment or "").strip()
    if action == "return" and not comment:
        raise ReviewError("退回时请填写修改意见。")
    if len(comment) > 2000:
        raise ReviewError("意见不能超过 2000 字。")
    old = question.status
    if new_status:
        question.status = new_status
    if action in ("approve", "publish", "confirm"):
        question.needs_review = False
    if action == "promote":
        if question.source != "generated":
            raise ReviewError("只有自动生成的题目需要“允许用于考试”。")
        question.is_promoted = True
    question.review_note = comment or None
    question.reviewed_by_id, question.reviewed_at = actor.id, utcnow()
    question.updated_at = utcnow()
    db.add(QuestionReview(question_id=question.id, reviewer_id=actor.id, action=action, comment=comment))
    audit.record(db, actor.id, f"question.{action}", "question", question.id, key=question.key, old=old,
                 new=question.status, comment=comment)
    db.flush()
    return question


def versions(db: Session, key: str) -> list[Question]:
    return list(db.scalars(select(Question).where(Question.key == key).order_by(Question.version.desc())))


def reviews(db: Session, question_ids: list[int]) -> list[QuestionReview]:
    return list(db.scalars(select(QuestionReview).where(QuestionReview.question_id.in_(question_ids))
                           .order_by(QuestionReview.at.desc())))


def cited_articles(db: Session, question: Question) -> list[tuple[Citation, Article | None, str | None]]:
    """Each citation with the current article text (or the preamble)."""
    out = []
    for c in question.citations:
        law = db.scalar(select(Law).where(Law.short_title == c.law_short_title, Law.status == "current"))
        if c.is_preamble:
            out.append((c, None, law.preamble if law else None))
            continue
        article = db.scalar(select(Article).where(Article.law_id == law.id, Article.number == c.article_number)) \
            if law else None
        out.append((c, article, article.text if article else None))
    return out


def bank_counts(db: Session) -> dict[int, dict[str, int]]:
    rows = db.execute(select(Question.bank_id, Question.status, func.count()).where(Question.is_latest.is_(True))
                      .group_by(Question.bank_id, Question.status))
    out: dict[int, dict[str, int]] = {}
    for bank_id, status, n in rows:
        out.setdefault(bank_id, {})[status] = n
    return out


def flagged_count(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Question).where(Question.is_latest.is_(True),
                                                                      Question.needs_review.is_(True))) or 0


@dataclass
class QuestionForm:
    """Form data in the shape the editor posts; to_raw() gives the bank-format mapping."""
    type: str
    stem: str
    options: str = ""
    answer: str = ""
    explanation: str = ""
    citations: str = ""
    difficulty: int = 2
    tags: str = ""
    references: str = ""
    scoring_points: str = ""
    errors: list[str] = field(default_factory=list)

    def to_raw(self) -> dict:
        options = [o.strip() for o in self.options.splitlines() if o.strip()]
        citations, errors = parse_citation_lines(self.citations)
        self.errors = errors
        raw: dict = {"type": self.type, "stem": self.stem.strip(), "explanation": self.explanation.strip(),
                     "difficulty": self.difficulty, "citations": citations,
                     "tags": [t for t in re.split(r"[,，、;；\s]+", self.tags) if t],
                     "references": [r.strip() for r in self.references.splitlines() if r.strip()]}
        if self.type in ("single", "multiple"):
            raw["options"] = options
            raw["answer"] = self.answer.strip()
        elif self.type == "judge":
            raw["answer"] = {"true": True, "false": False}.get(self.answer.strip(), self.answer.strip())
        elif self.type == "blank":
            raw["answer"] = [[v.strip() for v in re.split(r"[/／]", blank) if v.strip()]
                             for blank in re.split(r"[；;|]", self.answer) if blank.strip()]
        elif self.type == "case":
            raw["answer"] = self.answer.strip()
            points = []
            for line in self.scoring_points.splitlines():
                if line.strip():
                    text, _, score = line.rpartition("|")
                    try:
                        points.append({"point": text.strip(), "score": float(score)})
                    except ValueError:
                        self.errors.append(f"评分要点“{line.strip()}”应写作“要点内容|分值”")
            raw["scoring_points"] = points
        return raw

    @classmethod
    def from_question(cls, q: Question) -> "QuestionForm":
        answer = q.answer_value
        if q.type == "judge":
            answer = "true" if answer else "false"
        elif q.type == "blank":
            answer = "；".join("/".join(v) for v in answer)
        cites = "\n".join(f"{c.law_short_title} 序言" if c.is_preamble else
                          f"{c.law_short_title} {c.article_number}" + (f" 第{c.paragraph}款" if c.paragraph else "")
                          for c in q.citations)
        return cls(type=q.type, stem=q.stem, options="\n".join(q.option_list), answer=str(answer),
                   explanation=q.explanation, citations=cites, difficulty=q.difficulty, tags="，".join(q.tag_list),
                   references="\n".join(q.reference_list),
                   scoring_points="\n".join(f"{p['point']}|{p['score']}" for p in q.scoring_point_list))


