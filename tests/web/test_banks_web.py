import re

import pytest
from sqlalchemy import select

from trainer.banks.bankfile import load_bank
from trainer.banks.models import Bank, Question
from trainer.banks.services import import_bank

BANK = """
format: 1
bank: web-bank
title: 网页测试题库
course: 行政处罚法
questions:
  - key: wb-0001
    type: single
    stem: 当场作出处罚决定时，对公民罚款的上限是？
    options: [五十元, 二百元, 一千元]
    answer: B
    explanation: 依据《行政处罚法》第五十一条，对公民处以二百元以下罚款的可以当场作出决定。
    citations: [{law: 行政处罚法, article: 51}]
    difficulty: 1
    tags: [简易程序]
    status: published
"""


@pytest.fixture()
def question(dbs):
    spec, _ = load_bank(BANK, "web-bank.yaml")
    import_bank(dbs, spec)
    dbs.flush()
    return dbs.scalar(select(Question).where(Question.key == "wb-0001"))


@pytest.mark.parametrize("role", ["staff", "supervisor"])
def test_bank_pages_are_admin_only(client, login, make_user, question, role):
    """Staff and supervisors cannot open the bank pages."""
    login(make_user(role=role))
    for url in ("/admin/banks/", "/admin/questions/", f"/admin/questions/{question.id}",
                f"/admin/questions/{question.id}/edit"):
        assert client.get(url).status_code == 403


def test_browse_and_view_question_with_cited_article(client, login, make_user, question):
    """The admin finds a question by text and sees it as staff will, beside the cited article text."""
    login(make_user(role="admin"))
    listing = client.get("/admin/questions/?q=对公民罚款的上限").get_data(as_text=True)
    assert "wb-0001" in listing
    page = client.get(f"/admin/questions/{question.id}").get_data(as_text=True)
    assert "学员看到的样子" in page and "B. 二百元" in page
    assert "违法事实确凿并有法定依据" in page  # the text of 第五十一条


def test_edit_with_error_changes_nothing(client, login, make_user, question, dbs):
    """An edit whose answer letter does not exist shows a Chinese error and writes nothing."""
    login(make_user(role="admin"))
    resp = client.post(f"/admin/questions/{question.id}/edit", data={
        "type": "single", "stem": question.stem, "options": "五十元\n二百元\n一千元", "answer": "E",
        "explanation": question.explanation, "citations": "行政处罚法 51", "difficulty": 1, "tags": "简易程序"})
    assert resp.status_code == 200
    assert "E" in resp.get_data(as_text=True) and "edit-errors" in resp.get_data(as_text=True)
    assert dbs.scalar(select(Question).where(Question.key == "wb-0001", Question.version == 2)) is None


def test_edit_published_question_creates_version_then_review(client, login, make_user, question, dbs):
    """Saving an edit of a published question creates version 2 as a draft; approve and publish it."""
    login(make_user(role="admin"))
    resp = client.post(f"/admin/questions/{question.id}/edit", data={
        "type": "single", "stem": "当场作出行政处罚决定时，对公民罚款的上限是？", "options": "五十元\n二百元\n一千元",
        "answer": "B", "explanation": question.explanation, "citations": "行政处罚法 第五十一条",
        "difficulty": 1, "tags": "简易程序"})
    assert resp.status_code == 302
    v2 = dbs.scalar(select(Question).where(Question.key == "wb-0001", Question.is_latest.is_(True)))
    assert v2.version == 2 and v2.status == "draft"
    client.post(f"/admin/questions/{v2.id}/review", data={"action": "approve"})
    client.post(f"/admin/questions/{v2.id}/review", data={"action": "publish"})
    dbs.expire_all()
    assert dbs.get(Question, v2.id).status == "published"
    page = client.get(f"/admin/questions/{v2.id}").get_data(as_text=True)
    assert "审核通过" in page and "发布" in page


def test_return_without_comment_is_refused(client, login, make_user, question, dbs):
    """Returning a question without a comment shows a message and leaves it published."""
    login(make_user(role="admin"))
    resp = client.post(f"/admin/questions/{question.id}/review", data={"action": "return", "comment": ""},
                       follow_redirects=True)
    assert "退回时请填写修改意见" in resp.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Question, question.id).status == "published"


def test_cited_text_endpoint(client, login, make_user):
    """The editor's side panel gets the current text of the typed citations."""
    login(make_user(role="admin"))
    data = client.get("/admin/questions/cited-text?citations=行政处罚法 第三十三条").get_json()
    assert data["citations"][0]["label"] == "《行政处罚法》第三十三条"
    assert "初次违法" in data["citations"][0]["text"]


def test_banks_overview_counts(client, login, make_user, question):
    """The bank list shows each bank with its published count."""
    login(make_user(role="admin"))
    page = client.get("/admin/banks/").get_data(as_text=True)
    assert "网页测试题库" in page
    row = re.search(r"网页测试题库.*?</tr>", page, re.S).group(0)
    assert ">1<" in row


def _xlsx_bytes() -> bytes:
    import io

    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["题型", "题干", "选项A", "选项B", "选项C", "答案", "解析", "法律", "条款"])
    ws.append(["单选", "当场罚款时对公民的上限是？", "五十元", "二百元", "一千元", "B",
               "依据《行政处罚法》第五十一条。", "行政处罚法", "51"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_upload_preview_then_confirm_imports_drafts(client, login, make_user, dbs):
    """Uploading a bank shows a preview and writes nothing; confirming imports the questions as drafts."""
    import io
    login(make_user(role="admin"))
    resp = client.post("/admin/banks/import", data={"bank_slug": "web-upload",
                                                      "file": (io.BytesIO(_xlsx_bytes()), "题库.xlsx")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert "校验通过" in html
    assert dbs.scalar(select(Bank).where(Bank.slug == "web-upload")) is None
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]+)"', html).group(1)
    resp = client.post("/admin/banks/import/confirm", data={"token": token, "filename": "题库.xlsx",
                                                              "bank_slug": "web-upload", "title": "上传题库"})
    assert resp.status_code == 302
    bank = dbs.scalar(select(Bank).where(Bank.slug == "web-upload"))
    assert bank.title == "上传题库"
    assert [q.status for q in dbs.scalars(select(Question).where(Question.bank_id == bank.id))] == ["draft"]


def test_upload_of_wrong_type_is_refused(client, login, make_user, dbs):
    """A PNG named .xlsx gets a clear message and nothing is written."""
    import io
    login(make_user(role="admin"))
    resp = client.post("/admin/banks/import", data={"bank_slug": "web-upload",
                                                      "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"0" * 100),
                                                               "题库.xlsx")},
                       content_type="multipart/form-data")
    assert "文件内容与扩展名不符" in resp.get_data(as_text=True)
    assert dbs.scalar(select(Bank).where(Bank.slug == "web-upload")) is None


@pytest.mark.parametrize("fmt,mime", [("yaml", "application/x-yaml"), ("xml", "application/xml"),
                                      ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_export_downloads(client, login, make_user, question, fmt, mime):
    """Each bank exports as YAML, Moodle XML and Excel."""
    login(make_user(role="admin"))
    resp = client.get(f"/admin/banks/{question.bank_id}/export/{fmt}")
    assert resp.status_code == 200 and resp.mimetype == mime and len(resp.data) > 100


def test_template_and_generate(client, login, make_user, dbs):
    """The empty template downloads; generating from 行政强制法 creates practice-only questions."""
    login(make_user(role="admin"))
    assert client.get("/admin/banks/template.xlsx").data[:2] == b"PK"
    resp = client.post("/admin/banks/generate", data={"law": "行政强制法", "limit": 10})
    assert resp.status_code == 302
    bank = dbs.scalar(select(Bank).where(Bank.slug == "generated-genxzqz"))
    qs = dbs.scalars(select(Question).where(Question.bank_id == bank.id)).all()
    assert len(qs) == 10 and all(q.source == "generated" for q in qs)
