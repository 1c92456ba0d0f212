"""Moving questions in and out: uploads in the formats bureaus have (preview first, write after confirm),
exports (YAML bank format, our Excel template, Moodle XML), and generated practice questions."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.banks.bankdump import dump_bank
from trainer.banks.bankfile import BankSpec, Issue, QuestionSpec, load_bank
from trainer.banks.validation import validate_bank
from trainer.banks.models import Bank, Question
from trainer.banks.services import LawLookup, export_bank, import_bank
from trainer.laws.models import Law
from trainer.uploads import check_upload, decode_text

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
# Key prefixes of the default laws' generated banks; others get "g" + letters for the law id.
GENERATED_PREFIX = {"宪法": "genxf", "行政处罚法": "genxzcf", "行政许可法": "genxzxk", "行政强制法": "genxzqz"}


class TransferError(ValueError):
    """str() is a Chinese message."""


@dataclass
class UploadPreview:
    items: list[tuple[str, QuestionSpec | None, list[str]]] = field(default_factory=list)  # (ref, spec, errors)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and all(not errs for _, _, errs in self.items) and bool(self.items)

    @property
    def specs(self) -> list[QuestionSpec]:
        return [spec for _, spec, _ in self.items if spec is not None]


def key_prefix(db: Session, slug: str) -> tuple[str, int]:
    """The key prefix of a bank and the next free number (a new bank gets letters from its slug)."""
    bank = db.scalar(select(Bank).where(Bank.slug == slug))
    keys = list(db.scalars(select(Question.key).where(Question.bank_id == bank.id))) if bank else []
    prefix = keys[0].split("-")[0] if keys else (re.sub(r"[^a-z]", "", slug)[:12] or "imp")
    numbers = [int(k.split("-")[1]) for k in keys if k.startswith(prefix + "-")]
    return prefix, max(numbers, default=0) + 1


def preview_upload(db: Session, filename: str, data: bytes, slug: str) -> UploadPreview:
    """Parse an uploaded bank file and check every question against the law library. Writes nothing.
    Raises UploadError for rejected files (size, type, zip bombs)."""
    if not SLUG_RE.match(slug or ""):
        raise TransferError("题库标识只能用小写字母、数字和连字符，以字母开头，如 xingzheng-chufa。")
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext in ("xlsx", "docx"):
        check_upload(filename, data, {ext})
    else:
        ext = _check_text(filename, data)
    prefix, start = key_prefix(db, slug)
    out = UploadPreview()
    if ext == "xlsx":
        from trainer.banks.importers import parse_xlsx
        parsed = parse_xlsx(data, prefix, start)
    elif ext == "docx":
        from trainer.banks.importers import parse_docx
        parsed = parse_docx(data, prefix, start)
    elif ext == "xml":
        from trainer.banks.moodle import parse_moodle_xml
        parsed = parse_moodle_xml(data, prefix, start)
    else:
        text = decode_text(data)
        declared = _declared_slug(text) or slug
        if declared != slug:
            out.warnings.append(f"文件中的题库标识为“{declared}”，将导入到“{slug}”。")
        spec, issues = load_bank(text, f"{declared}.yaml", strict=False)
        if spec is None:
            out.errors = [i.message for i in issues if i.level == "error"] or ["无法读取题库文件。"]
            return out
        bad = {i.key for i in issues if i.level == "error"}
        out.items = [(q.key, q, []) for q in spec.questions] + \
                    [(key, None, [i.message for i in issues if i.key == key and i.level == "error"])
                     for key in sorted(k for k in bad if k)]
        out.errors = [i.message for i in issues if i.level == "error" and not i.key]
        return _check_against_law(db, slug, out)
    out.errors = list(parsed.errors)
    out.items = [(item.ref, item.spec, list(item.errors)) for item in parsed.items]
    return _check_against_law(db, slug, out)


def _declared_slug(text: str) -> str | None:
    import yaml
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return data.get("bank") if isinstance(data, dict) and isinstance(data.get("bank"), str) else None


def _check_text(filename: str, data: bytes) -> str:
    ext = Path(filename).suffix.lower().lstrip(".")
    if ext not in ("yaml", "yml", "xml"):
        raise TransferError("只支持 .xlsx、.docx、.yaml 和 Moodle .xml 文件。")
    check_upload(filename.rsplit(".", 1)[0] + ".txt", data, {"txt"})  # size, emptiness, encoding
    return "xml" if ext == "xml" else "yaml"


def _check_against_law(db: Session, slug: str, out: UploadPreview) -> UploadPreview:
    lookup = LawLookup(db)
    owners = dict(db.execute(select(Question.key, Bank.slug).join(Bank).where(
        Question.key.in_([spec.key for _, spec, _ in out.items if spec is not None]))).all())
    items = []
    for ref, spec, errors in out.items:
        if spec is not None and owners.get(spec.key, slug) != slug:
            errors = errors + [f"{ref}：试题编号 {spec.key} 已属于题库“{owners[spec.key]}”"]
        if spec is not None:
            issues = validate_bank(BankSpec(1, slug, "", "", (spec,)), lookup.article_text, lookup.preamble_text)
            errors = errors + [f"{ref}：{i.message}" for i in issues if i.level == "error"]
            out.warnings += [f"{ref}：{i.message}" for i in issues if i.level == "warning"]
            if errors:
                spec = None
        items.append((ref, spec, errors))
    out.items = items
    return out


def confirm_upload(db: Session, actor_id: int, slug: str, title: str, course: str | None,
                   specs: list[QuestionSpec]) -> dict[str, int]:
    """Write a previewed upload: imported questions start as drafts awaiting review."""
    bank = db.scalar(select(Bank).where(Bank.slug == slug))
    spec = BankSpec(1, slug, bank.title if bank else (title or slug), bank.course_key if bank else (course or ""),
                    tuple(specs))
    return import_bank(db, spec, source="imported", actor_id=actor_id, status_override="draft")


# ---- export ------------------------------------------------------------------------------------------

def export(db: Session, bank: Bank, fmt: str) -> tuple[bytes, str, str]:
    """(content, mimetype, filename) of a bank in the YAML bank format, our Excel template or Moodle XML."""
    spec = export_bank(db, bank)
    if fmt == "yaml":
        return dump_bank(spec).encode("utf-8"), "application/x-yaml", f"{bank.slug}.yaml"
    if fmt == "xlsx":
        from trainer.banks.importers import export_xlsx
        return (export_xlsx(list(spec.questions)),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{bank.slug}.xlsx")
    if fmt == "xml":
        from trainer.banks.moodle import export_moodle_xml
        return export_moodle_xml(list(spec.questions), bank.title), "application/xml", f"{bank.slug}-moodle.xml"
    raise TransferError("不支持的导出格式。")


# ---- generated practice questions --------------------------------------------------------------------

def generate_for_law(db: Session, short_title: str, *, limit: int | None = None,
                     actor_id: int | None = None) -> tuple[Bank, dict[str, int], list[Issue]]:
    """Build practice questions from a law's text into its own bank, marked generated (practice only
    until promoted). Idempotent: regenerating the same text changes nothing."""
    from trainer.banks.generator import generate
    law = db.scalar(select(Law).where(Law.short_title == short_title, Law.status == "current"))
    if law is None:
        raise TransferError(f"法规库中没有《{short_title}》。")
    prefix = GENERATED_PREFIX.get(short_title) or "g" + "".join(chr(97 + int(d)) for d in str(law.id))
    specs = generate(short_title, [(a.number, a.text) for a in law.articles], key_prefix=prefix, limit=limit)
    specs = [_published(s) for s in specs]
    lookup = LawLookup(db)
    slug = f"generated-{prefix}"
    bank_spec = BankSpec(1, slug, f"《{short_title}》自动生成练习题", short_title, tuple(specs))
    issues = validate_bank(bank_spec, lookup.article_text, lookup.preamble_text)
    bad = {i.key for i in issues if i.level == "error"}
    bank_spec = BankSpec(1, slug, bank_spec.title, short_title, tuple(s for s in specs if s.key not in bad))
    counts = import_bank(db, bank_spec, source="generated", actor_id=actor_id)
    return db.scalar(select(Bank).where(Bank.slug == slug)), counts, issues


def _published(spec: QuestionSpec) -> QuestionSpec:
    from dataclasses import replace
    return replace(spec, status="published")
