import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from trainer.banks import transfer
from trainer.banks.bankfile import load_bank
from trainer.banks.models import Bank, Question
from trainer.banks.services import import_bank
from trainer.uploads import UploadError

HEAD = ["题型", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "知识点", "法律", "条款"]
ROWS = [
    ["单选", "适用简易程序时，对公民当场罚款的上限是？", "五十元", "二百元", "五百元", "一千元", "B",
     "依据《行政处罚法》第五十一条，对公民处以二百元以下罚款的，可以当场作出决定。", "简单", "简易程序", "行政处罚法", "第五十一条"],
    ["判断", "执法人员不得少于两人，法律另有规定的除外。", "", "", "", "", "对",
     "依据《行政处罚法》第四十二条第一款。", 1, "执法人员", "行政处罚法", "42"],
]


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xlsx_upload_previews_then_imports_drafts(dbs, make_user):
    """An Excel upload is checked and previewed without writing; confirming imports drafts from source imported."""
    admin = make_user(role="admin")
    before = dbs.scalar(select(func.count()).select_from(Question))
    preview = transfer.preview_upload(dbs, "题库.xlsx", _xlsx(ROWS), "upload-test")
    assert preview.ok, preview.errors + [e for _, _, es in preview.items for e in es]
    assert dbs.scalar(select(func.count()).select_from(Question)) == before
    counts = transfer.confirm_upload(dbs, admin.id, "upload-test", "上传测试", None, preview.specs)
    assert counts == {"created": 2, "updated": 0, "unchanged": 0}
    qs = dbs.scalars(select(Question).join(Bank).where(Bank.slug == "upload-test")).all()
    assert {(q.status, q.source) for q in qs} == {("draft", "imported")}
    assert sorted(q.key for q in qs) == ["uploadtest-0001", "uploadtest-0002"]


def test_upload_with_a_wrong_amount_citation_is_refused(dbs):
    """A row citing an article that does not exist is reported by row and the whole file is refused."""
    rows = [ROWS[0], ROWS[1][:-1] + ["第九百条"]]
    preview = transfer.preview_upload(dbs, "题库.xlsx", _xlsx(rows), "upload-test")
    assert not preview.ok
    messages = [e for _, _, es in preview.items for e in es]
    assert any(m.startswith("第3行") and "不存在" in m for m in messages)


def test_upload_rejects_zip_bomb_and_wrong_types(dbs):
    """A zip bomb named .xlsx and an unsupported extension are rejected before parsing."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    with pytest.raises(UploadError, match="压缩炸弹"):
        transfer.preview_upload(dbs, "bomb.xlsx", buf.getvalue(), "upload-test")
    with pytest.raises(transfer.TransferError, match="只支持"):
        transfer.preview_upload(dbs, "bank.pdf", b"%PDF-1.4", "upload-test")
    with pytest.raises(transfer.TransferError, match="题库标识"):
        transfer.preview_upload(dbs, "题库.xlsx", _xlsx(ROWS), "中文标识")


@pytest.mark.parametrize("fmt,filename", [("yaml", "x.yaml"), ("xlsx", "x.xlsx"), ("xml", "x.xml")])
def test_export_then_upload_round_trips(dbs, fmt, filename):
    """A shipped bank exported as YAML, Excel or Moodle XML uploads back with no errors and the same content."""
    import_bank(dbs, load_bank(open(transfer.Path(__file__).resolve().parents[2] / "question_banks" /
                                    "xingzheng-qiangzhi.yaml", encoding="utf-8").read(),
                               "xingzheng-qiangzhi.yaml")[0])
    bank = dbs.scalar(select(Bank).where(Bank.slug == "xingzheng-qiangzhi"))
    content, _, _ = transfer.export(dbs, bank, fmt)
    target = "xingzheng-qiangzhi" if fmt == "yaml" else "round-trip"  # YAML keeps its stable keys
    preview = transfer.preview_upload(dbs, filename, content, target)
    assert preview.ok, (preview.errors + [e for _, _, es in preview.items for e in es])[:5]
    original = {q.stem: q for q in transfer.export_bank(dbs, bank).questions}
    assert len(preview.specs) == len(original)
    for spec in preview.specs:
        q = original[spec.stem]
        assert (spec.type, spec.options, spec.answer) == (q.type, q.options, q.answer)
        if fmt != "xml":
            assert spec.citations == q.citations and spec.explanation == q.explanation


def test_generated_questions_are_practice_only_and_idempotent(dbs):
    """Generated questions are published for practice, not usable in exams, and regenerating changes nothing."""
    bank, first, issues = transfer.generate_for_law(dbs, "行政处罚法")
    assert first["created"] >= 40 and not [i for i in issues if i.level == "error"]
    _, second, _ = transfer.generate_for_law(dbs, "行政处罚法")
    assert second == {"created": 0, "updated": 0, "unchanged": first["created"]}
    qs = dbs.scalars(select(Question).where(Question.bank_id == bank.id)).all()
    assert all(q.source == "generated" and q.status == "published" and not q.is_usable_in_exams for q in qs)
    assert any("二百元" in q.answer for q in qs if q.type == "blank")
