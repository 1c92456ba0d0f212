"""Bank operations: import bank files (idempotent by stable key, versioned), export, validate against the law
library, and flag questions whose cited articles changed."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from trainer import audit
from trainer.banks.bankfile import (BankSpec, Citation as CitationSpec, Issue, QuestionSpec, ScoringPoint,
                                    load_bank)
from trainer.banks.validation import validate_bank, validate_banks
from trainer.banks.models import Bank, Citation, Question
from trainer.db import utcnow
from trainer.laws.models import Article, Law

BANKS_DIR = Path(__file__).resolve().parent.parent.parent / "question_banks"


# ---- law lookups -------------------------------------------------------------------------------------

class LawLookup:
    """Article texts of the current law versions, loaded once (banks cite hundreds of articles)."""

    def __init__(self, db: Session) -> None:
        self.articles: dict[tuple[str, int], str] = {}
        self.preambles: dict[str, str] = {}
        rows = db.execute(select(Law.short_title, Article.number, Article.text).join(Article)
                          .where(Law.status == "current"))
        for short, number, text in rows:
            self.articles[(short, number)] = text
        for short, preamble in db.execute(select(Law.short_title, Law.preamble).where(Law.status == "current")):
            if preamble:
                self.preambles[short] = preamble

    def article_text(self, law: str, number: int) -> str | None:
        return self.articles.get((law, number))

    def preamble_text(self, law: str) -> str | None:
        return self.preambles.get(law)


# ---- files -------------------------------------------------------------------------------------------

def bank_files(paths: list[str] | None = None) -> list[Path]:
    if paths:
        out: list[Path] = []
        for p in map(Path, paths):
            out.extend(sorted(p.glob("*.yaml")) if p.is_dir() else [p])
        return out
    return sorted(BANKS_DIR.glob("*.yaml"))


def load_and_validate(db: Session, files: list[Path]) -> tuple[list[BankSpec], list[Issue]]:
    """Parse every file and check it against the law library. Returns the banks that parsed and all issues."""
    lookup = LawLookup(db)
    banks, issues = [], []
    for path in files:
        spec, file_issues = load_bank(path.read_text(encoding="utf-8"), path.name)
        issues.extend(file_issues)
        if spec is not None:
            banks.append(spec)
            issues.extend(validate_bank(spec, lookup.article_text, lookup.preamble_text))
    issues.extend(validate_banks(banks))
    return banks, issues


# ---- import ------------------------------------------------------------------------------------------

def _answer_json(spec: QuestionSpec) -> str:
    answer = spec.answer
    if spec.type == "blank":
        answer = [list(v) for v in answer]
    return json.dumps(answer, ensure_ascii=False)


def _content(spec: QuestionSpec) -> dict:
    """The fields whose change makes a new version."""
    return {
        "type": spec.type, "stem": spec.stem, "options": list(spec.options), "answer": json.loads(_answer_json(spec)),
        "explanation": spec.explanation, "difficulty": spec.difficulty, "tags": list(spec.tags),
        "references": list(spec.references),
        "scoring_points": [{"point": p.point, "score": p.score} for p in spec.scoring_points],
        "citations": [[c.law, c.article, c.paragraph, c.preamble] for c in spec.citations],
    }


def _content_of(q: Question) -> dict:
    return {
        "type": q.type, "stem": q.stem, "options": q.option_list, "answer": q.answer_value,
        "explanation": q.explanation, "difficulty": q.difficulty, "tags": q.tag_list, "references": q.reference_list,
        "scoring_points": q.scoring_point_list,
        "citations": [[c.law_short_title, c.article_number, c.paragraph, c.is_preamble] for c in q.citations],
    }


def _new_question(bank: Bank, spec: QuestionSpec, version: int, source: str, status: str) -> Question:
    q = Question(
        key=spec.key, version=version, is_latest=True, bank=bank, type=spec.type, stem=spec.stem,
        options=json.dumps(list(spec.options), ensure_ascii=False), answer=_answer_json(spec),
        explanation=spec.explanation, difficulty=spec.difficulty,
        tags=json.dumps(list(spec.tags), ensure_ascii=False),
        references=json.dumps(list(spec.references), ensure_ascii=False),
        scoring_points=json.dumps([{"point": p.point, "score": p.score} for p in spec.scoring_points],
                                  ensure_ascii=False),
        source=source, status=status)
    for c in spec.citations:
        q.citations.append(Citation(law_short_title=c.law, article_number=c.article, paragraph=c.paragraph,
                                    is_preamble=c.preamble))
    return q


def latest_by_key(db: Session, keys: list[str]) -> dict[str, Question]:
    if not keys:
        return {}
    rows = db.scalars(select(Question).where(Question.key.in_(keys), Question.is_latest.is_(True))
                      .options(selectinload(Question.citations)))
    return {q.key: q for q in rows}


def import_bank(db: Session, spec: BankSpec, *, source: str = "curated", actor_id: int | None = None,
                status_override: str | None = None) -> dict[str, int]:
    """Create or update a bank from a parsed file. Idempotent by key: unchanged questions stay as they are,
    changed ones get a new version (the old one is kept for answers that point to it)."""
    bank = db.scalar(select(Bank).where(Bank.slug == spec.slug))
    if bank is None:
        bank = Bank(slug=spec.slug, title=spec.title, course_key=spec.course, source=source)
        db.add(bank)
    else:
        bank.title, bank.course_key = spec.title, spec.course
    db.flush()
    existing = latest_by_key(db, [q.key for q in spec.questions])
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for qspec in spec.questions:
        status = status_override or qspec.status
        old = existing.get(qspec.key)
        if old is None:
            db.add(_new_question(bank, qspec, 1, source, status))
            counts["created"] += 1
        elif _content_of(old) != _content(qspec) or old.bank_id != bank.id:
            old.is_latest = False
            db.flush()
            db.add(_new_question(bank, qspec, old.version + 1, old.source, status))
            counts["updated"] += 1
        else:
            if old.status != status and status_override is None:
                old.status = status
                old.updated_at = utcnow()
            counts["unchanged"] += 1
    db.flush()
    if counts["created"] or counts["updated"]:
        audit.record(db, actor_id, "bank.import", "bank", bank.id, slug=bank.slug, **counts)
        db.flush()
    return counts


def import_files(db: Session, files: list[Path], *, actor_id: int | None = None) -> tuple[dict, list[Issue]]:
    """Validate, then import every bank file that has no errors. Returns per-bank counts and the issues."""
    banks, issues = load_and_validate(db, files)
    bad = {i.bank for i in issues if i.level == "error"}
    results = {}
    for spec in banks:
        if spec.slug in bad:
            continue
        results[spec.slug] = import_bank(db, spec, actor_id=actor_id)
    return results, issues


# ---- export ------------------------------------------------------------------------------------------

def spec_of(q: Question) -> QuestionSpec:
    answer = q.answer_value
    if q.type == "blank":
        answer = tuple(tuple(v) for v in answer)
    return QuestionSpec(
        key=q.key, type=q.type, stem=q.stem, options=tuple(q.option_list), answer=answer,
        explanation=q.explanation,
        citations=tuple(CitationSpec(law=c.law_short_title, article=c.article_number, paragraph=c.paragraph,
                                     preamble=c.is_preamble) for c in q.citations),
        difficulty=q.difficulty, tags=tuple(q.tag_list), references=tuple(q.reference_list), status=q.status,
        scoring_points=tuple(ScoringPoint(point=p["point"], score=p["score"]) for p in q.scoring_point_list))


def export_bank(db: Session, bank: Bank) -> BankSpec:
    questions = db.scalars(select(Question).where(Question.bank_id == bank.id, Question.is_latest.is_(True))
                           .options(selectinload(Question.citations)).order_by(Question.key))
    return BankSpec(format=1, slug=bank.slug, title=bank.title, course=bank.course_key or "",
                    questions=tuple(spec_of(q) for q in questions))


# ---- law amendments ----------------------------------------------------------------------------------

def flag_for_law_changes(db: Session, short_title: str, changed_articles: list[int],
                         actor_id: int | None = None) -> int:
    """Questions citing changed or removed articles need review; until then they are withdrawn from exams."""
    if not changed_articles:
        return 0
    qs = list(db.scalars(
        select(Question).join(Citation).where(Question.is_latest.is_(True),
                                              Citation.law_short_title == short_title,
                                              Citation.article_number.in_(changed_articles)).distinct()))
    for q in qs:
        q.needs_review = True
        q.review_note = f"《{short_title}》有新版本，所引条文已修改或删除，请复核。"
    if qs:
        audit.record(db, actor_id, "bank.flag", "law", None, law=short_title, questions=len(qs))
    db.flush()
    return len(qs)
