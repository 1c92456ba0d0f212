import pytest
from sqlalchemy import select

from trainer.audit import AuditLog
from trainer.banks import review
from trainer.banks.bankfile import load_bank
from trainer.banks.models import Bank, Question, QuestionReview
from trainer.banks.services import import_bank

BANK = """
format: 1
bank: rv-bank
title: 审核测试
course: 行政处罚法
questions:
  - key: rv-0001
    type: judge
    stem: 执法人员不得少于两人，法律另有规定的除外。
    answer: true
    explanation: 依据《行政处罚法》第四十二条第一款。
    citations: [{law: 行政处罚法, article: 42, paragraph: 1}]
    difficulty: 1
    tags: [执法人员]
    status: published
"""

RAW = {"type": "single", "stem": "当场处罚对公民罚款的上限是多少？", "options": ["五十元", "二百元", "一千元"],
       "answer": "B", "explanation": "依据《行政处罚法》第五十一条。",
       "citations": [{"law": "行政处罚法", "article": 51}], "difficulty": 1, "tags": ["简易程序"]}


@pytest.fixture()
def bank(dbs):
    spec, issues = load_bank(BANK, "rv-bank.yaml")
    import_bank(dbs, spec)
    return dbs.scalar(select(Bank).where(Bank.slug == "rv-bank"))


def test_new_question_starts_as_draft_with_next_key(dbs, bank, make_user):
    """A question written in the editor is a draft with the bank's next key, audited."""
    admin = make_user(role="admin")
    q, issues = review.save_question(dbs, admin, bank, RAW)
    assert q.key == "rv-0002" and q.status == "draft" and q.version == 1
    assert dbs.scalar(select(AuditLog).where(AuditLog.action == "question.create", AuditLog.target_id == q.id))


def test_invalid_question_is_not_saved(dbs, bank, make_user):
    """An answer letter outside the options, or a citation that does not exist, saves nothing."""
    admin = make_user(role="admin")
    before = dbs.scalar(select(Question.id).order_by(Question.id.desc()).limit(1))
    q, issues = review.save_question(dbs, admin, bank, {**RAW, "answer": "E"})
    assert q is None and any(i.level == "error" for i in issues)
    q, issues = review.save_question(dbs, admin, bank, {**RAW, "citations": [{"law": "行政处罚法", "article": 999}]})
    assert q is None and any("不存在" in i.message for i in issues)
    assert dbs.scalar(select(Question.id).order_by(Question.id.desc()).limit(1)) == before


def test_editing_published_question_makes_new_version(dbs, bank, make_user):
    """Editing a published question keeps version 1 and adds version 2 as a draft to be reviewed."""
    admin = make_user(role="admin")
    v1 = dbs.scalar(select(Question).where(Question.key == "rv-0001"))
    raw = review.QuestionForm.from_question(v1)
    raw.explanation = "依据《行政处罚法》第四十二条第一款：执法人员不得少于两人。"
    v2, _ = review.save_question(dbs, admin, bank, raw.to_raw(), v1)
    assert (v1.version, v1.is_latest, v1.status) == (1, False, "published")
    assert (v2.version, v2.is_latest, v2.status, v2.key) == (2, True, "draft", "rv-0001")


def test_review_workflow_records_reviewer_and_time(dbs, bank, make_user):
    """Draft → approve → publish; return needs a comment; each step records reviewer, time and an audit row."""
    admin = make_user(role="admin")
    q, _ = review.save_question(dbs, admin, bank, RAW)
    with pytest.raises(review.ReviewError, match="修改意见"):
        review.review(dbs, admin, q, "return", "")
    with pytest.raises(review.ReviewError, match="不能执行"):
        review.review(dbs, admin, q, "publish")
    review.review(dbs, admin, q, "approve", "条文核对无误")
    assert q.status == "reviewed" and q.reviewed_by_id == admin.id and q.reviewed_at is not None
    review.review(dbs, admin, q, "publish")
    assert q.status == "published"
    review.review(dbs, admin, q, "return", "选项表述不清")
    assert q.status == "draft" and q.review_note == "选项表述不清"
    actions = [r.action for r in dbs.scalars(select(QuestionReview).where(QuestionReview.question_id == q.id)
                                             .order_by(QuestionReview.id))]
    assert actions == ["approve", "publish", "return"]
    assert dbs.scalar(select(AuditLog).where(AuditLog.action == "question.return", AuditLog.target_id == q.id))


def test_confirm_clears_law_change_flag(dbs, bank, make_user):
    """A question flagged after a law amendment returns to exams once a reviewer confirms it."""
    admin = make_user(role="admin")
    q = dbs.scalar(select(Question).where(Question.key == "rv-0001"))
    q.needs_review = True
    assert not q.is_usable_in_exams
    review.review(dbs, admin, q, "confirm", "新旧条文含义一致")
    assert q.is_usable_in_exams


def test_generated_question_needs_promotion_for_exams(dbs, bank, make_user):
    """Generated questions are for practice only until an admin promotes them."""
    admin = make_user(role="admin")
    q = dbs.scalar(select(Question).where(Question.key == "rv-0001"))
    q.source = "generated"
    assert not q.is_usable_in_exams
    review.review(dbs, admin, q, "promote")
    assert q.is_usable_in_exams


@pytest.mark.parametrize("line,expected", [
    ("行政处罚法 第五十一条", {"law": "行政处罚法", "article": 51}),
    ("《中华人民共和国行政处罚法》第42条第1款", {"law": "行政处罚法", "article": 42, "paragraph": 1}),
    ("行政处罚法 42 第2款", {"law": "行政处罚法", "article": 42, "paragraph": 2}),
    ("宪法 序言", {"law": "宪法", "preamble": True}),
])
def test_citation_lines(line, expected):
    """The editor's citation lines are read in the common ways people write them."""
    assert review.parse_citation_lines(line) == ([expected], [])


def test_bad_citation_line_is_reported():
    """An unreadable citation line gives a Chinese message naming the line."""
    cites, errors = review.parse_citation_lines("第五十一条")
    assert cites == [] and "第1行" in errors[0]


def test_browse_filters(dbs, bank):
    """Browsing filters by law, article, type and full text."""
    page = review.browse(dbs, review.BrowseFilter(law="行政处罚法", article=42))
    assert any(q.key == "rv-0001" for q in page.items)
    assert all(any(c.article_number == 42 for c in q.citations) for q in page.items)
    assert review.browse(dbs, review.BrowseFilter(q="不得少于两人", type="judge")).total >= 1
    assert review.browse(dbs, review.BrowseFilter(q="不存在的文字xyz")).total == 0
