from dataclasses import replace

from sqlalchemy import func, select

from support import loaded_bank
from trainer.audit import AuditLog
from trainer.banks import services
from trainer.banks.bankdump import dump_bank
from trainer.banks.bankfile import load_bank
from trainer.banks.models import Bank, Question
from trainer.laws.parser import ParsedArticle, ParsedLaw
from trainer.laws.services import current_law, import_law

BANK = """
format: 1
bank: test-bank
title: 测试题库
course: 行政处罚法
questions:
  - key: tb-0001
    type: single
    stem: 当场作出行政处罚决定时，对公民处以多少元以下罚款的，可以适用简易程序？
    options: [五十元, 二百元, 五百元, 一千元]
    answer: B
    explanation: 依据《行政处罚法》第五十一条，对公民处以二百元以下罚款可以当场作出决定。
    citations: [{law: 行政处罚法, article: 51}]
    difficulty: 1
    tags: [简易程序]
    status: published
  - key: tb-0002
    type: judge
    stem: 执法人员不得少于两人，法律另有规定的除外。
    answer: true
    explanation: 依据《行政处罚法》第四十二条第一款。
    citations: [{law: 行政处罚法, article: 42, paragraph: 1}]
    difficulty: 1
    tags: [执法人员]
    status: published
"""


def _spec(text=BANK):
    return loaded_bank(text, "test-bank.yaml")


def test_import_is_idempotent_by_key(dbs):
    """Importing the same bank twice creates the questions once and changes nothing the second time."""
    first = services.import_bank(dbs, _spec())
    second = services.import_bank(dbs, _spec())
    assert first == {"created": 2, "updated": 0, "unchanged": 0}
    assert second == {"created": 0, "updated": 0, "unchanged": 2}
    assert dbs.scalar(select(func.count()).select_from(Question).where(Question.key.like("tb-%"))) == 2


def test_changed_question_gets_a_new_version(dbs):
    """Editing a question in the file keeps the old version (answers point to it) and adds version 2."""
    services.import_bank(dbs, _spec())
    old = dbs.scalar(select(Question).where(Question.key == "tb-0002"))
    result = services.import_bank(dbs, _spec(BANK.replace("第四十二条第一款。", "第四十二条第一款：两人以上。")))
    assert result == {"created": 0, "updated": 1, "unchanged": 1}
    versions = dbs.scalars(select(Question).where(Question.key == "tb-0002").order_by(Question.version)).all()
    assert [(q.version, q.is_latest) for q in versions] == [(1, False), (2, True)]
    assert versions[0].id == old.id
    assert dbs.scalar(select(AuditLog).where(AuditLog.action == "bank.import").order_by(AuditLog.id.desc()))


def test_export_import_round_trip_changes_nothing(dbs):
    """Exporting a bank to YAML and importing it back changes nothing."""
    services.import_bank(dbs, _spec())
    bank = dbs.scalar(select(Bank).where(Bank.slug == "test-bank"))
    exported = dump_bank(services.export_bank(dbs, bank))
    again, issues = load_bank(exported, "test-bank.yaml")
    assert [i for i in issues if i.level == "error"] == []
    assert services.import_bank(dbs, again) == {"created": 0, "updated": 0, "unchanged": 2}
    assert again == _spec()


def test_shipped_banks_validate_without_errors(dbs):
    """Every shipped bank validates against the law library with 0 errors and meets the size targets."""
    banks, issues = services.load_and_validate(dbs, services.bank_files())
    assert [str(i) for i in issues if i.level == "error"] == []
    sizes = {b.slug: len(b.questions) for b in banks}
    assert sizes["xianfa"] >= 150 and sizes["xingzheng-chufa"] >= 200 and sizes["xingzheng-xuke"] >= 150
    assert sizes["xingzheng-qiangzhi"] >= 150 and sizes["chengguan-shiwu"] >= 100


def test_shipped_banks_meet_type_shares(dbs):
    """Per law: ≥ 40% single, ≥ 20% multiple, ≥ 20% judge, some blanks; ≥ 15 cases across the enforcement laws."""
    banks, _ = services.load_and_validate(dbs, services.bank_files())
    cases = 0
    for bank in banks:
        n = len(bank.questions)
        count = {t: sum(1 for q in bank.questions if q.type == t) for t in ("single", "multiple", "judge", "blank",
                                                                          "case")}
        assert count["single"] >= 0.4 * n and count["multiple"] >= 0.2 * n and count["judge"] >= 0.2 * n, bank.slug
        assert count["blank"] > 0, bank.slug
        if bank.slug in ("xingzheng-chufa", "xingzheng-xuke", "xingzheng-qiangzhi"):
            cases += count["case"]
    assert cases >= 15


def test_shipped_banks_cover_every_chapter(dbs):
    """Each law bank cites at least one article of every chapter of its law."""
    banks, _ = services.load_and_validate(dbs, services.bank_files())
    by_slug = {b.slug: b for b in banks}
    for slug, short in (("xianfa", "宪法"), ("xingzheng-chufa", "行政处罚法"), ("xingzheng-xuke", "行政许可法"),
                        ("xingzheng-qiangzhi", "行政强制法")):
        law = current_law(dbs, short)
        cited = {c.article for q in by_slug[slug].questions for c in q.citations if c.law == short and c.article}
        chapters = {a.chapter.title for a in law.articles if a.number in cited and a.chapter}
        assert chapters == {c.title for c in law.chapters}, slug


def test_new_law_version_flags_questions_citing_changed_articles(dbs):
    """When a newer version changes an article, questions citing it are flagged and leave exams until reviewed."""
    services.import_bank(dbs, _spec())
    law = current_law(dbs, "行政处罚法")
    articles = [ParsedArticle(number=a.number, label=a.label,
                              text=a.text + ("（修改）" if a.number == 51 else ""), part=None,
                              chapter=a.chapter.title if a.chapter else None, section=a.section)
                for a in law.articles]
    parsed = ParsedLaw(title=law.title, history=[("2030-01-01", "测试修订")], preamble=None, articles=articles)
    result = import_law(dbs, parsed, source="test")
    assert result.action == "new_version" and result.changes["changed"] == [51]
    q1 = dbs.scalar(select(Question).where(Question.key == "tb-0001", Question.is_latest.is_(True)))
    q2 = dbs.scalar(select(Question).where(Question.key == "tb-0002", Question.is_latest.is_(True)))
    assert q1.needs_review and not q1.is_usable_in_exams
    assert not q2.needs_review and q2.is_usable_in_exams


def test_status_change_alone_is_not_a_new_version(dbs):
    """Retiring a question in the file updates its status without a new version."""
    services.import_bank(dbs, _spec())
    spec = _spec()
    retired = replace(spec, questions=(replace(spec.questions[0], status="retired"), spec.questions[1]))
    assert services.import_bank(dbs, retired) == {"created": 0, "updated": 0, "unchanged": 2}
    q = dbs.scalar(select(Question).where(Question.key == "tb-0001"))
    assert q.status == "retired" and q.version == 1
