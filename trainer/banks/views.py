"""Question bank pages for administrators: browse, edit with a live preview, review, import, export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trainer import db
from trainer.banks import review as svc
from trainer.banks.forms import QuestionEditForm, ReviewForm
from trainer.banks.models import STATUS_LABELS, TYPE_LABELS, Bank, Question
from trainer.banks.usage import usage_for
from trainer.laws.models import Chapter, Law
from trainer.laws.parser import int_to_cn_numeral
from trainer.laws.services import current_laws
from trainer.security import require_role

bp = Blueprint("banks", __name__, url_prefix="/admin")


@bp.app_template_global()
def answer_text(q: Question) -> str:
    from trainer.banks.types import get_type
    answer = q.answer_value
    if q.type == "blank":
        answer = tuple(tuple(v) for v in answer)
    return get_type(q.type).describe(answer)


@bp.app_template_global()
def reviewer_name(user_id: int | None) -> str:
    from trainer.auth.models import User
    user = db.session.get(User, user_id) if user_id else None
    return user.name if user else "系统"


@bp.app_template_global()
def review_label(action: str) -> str:
    return svc.REVIEW_ACTIONS.get(action, (None, None, action))[2]


def _question_or_404(question_id: int) -> Question:
    return db.session.get(Question, question_id) or abort(404)


@bp.route("/banks/")
@require_role("admin")
def banks():
    from trainer.banks.forms import GenerateForm
    rows = list(db.session.scalars(select(Bank).order_by(Bank.slug)))
    generate_form = GenerateForm()
    generate_form.law.choices = [(law.short_title, law.short_title) for law in current_laws(db.session)]
    return render_template("banks/banks.html", banks=rows, counts=svc.bank_counts(db.session),
                           flagged=svc.flagged_count(db.session), status_labels=STATUS_LABELS,
                           generate_form=generate_form)


@bp.route("/questions/")
@require_role("admin")
def questions():
    args = request.args
    f = svc.BrowseFilter(
        bank_id=args.get("bank", type=int), law=args.get("law") or None, chapter_id=args.get("chapter", type=int),
        article=args.get("article", type=int), type=args.get("type") or None,
        difficulty=args.get("difficulty", type=int), status=args.get("status") or None, tag=args.get("tag") or None,
        q=(args.get("q") or "").strip()[:100] or None, flagged=args.get("flagged") == "1",
        source=args.get("source") or None)
    page = svc.browse(db.session, f, page=max(1, args.get("page", 1, type=int)))
    laws = current_laws(db.session)
    chapters = list(db.session.scalars(select(Chapter).join(Law).where(Law.short_title == f.law,
                                                                        Law.status == "current")
                                       .order_by(Chapter.ordinal))) if f.law else []
    return render_template("banks/questions.html", page=page, f=f, laws=laws, chapters=chapters,
                           banks=list(db.session.scalars(select(Bank).order_by(Bank.slug))),
                           tags=svc.all_tags(db.session), type_labels=TYPE_LABELS, status_labels=STATUS_LABELS,
                           usage=usage_for(db.session, [q.id for q in page.items]))


@bp.route("/questions/<int:question_id>")
@require_role("admin")
def question(question_id: int):
    q = _question_or_404(question_id)
    history = svc.versions(db.session, q.key)
    return render_template("banks/question.html", q=q, cited=svc.cited_articles(db.session, q), history=history,
                           reviews=svc.reviews(db.session, [v.id for v in history]), form=ReviewForm(),
                           usage=usage_for(db.session, [q.id])[q.id])


@bp.route("/questions/<int:question_id>/review", methods=["POST"])
@require_role("admin")
def review_question(question_id: int):
    q = _question_or_404(question_id)
    form = ReviewForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.review(db.session, current_user, q, form.action.data, form.comment.data or "")
    except svc.ReviewError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(f"{q.key}：{svc.REVIEW_ACTIONS[form.action.data][2]}。", "success")
    return redirect(url_for("banks.question", question_id=q.id))


def _editor(bank: Bank, q: Question | None):
    form = QuestionEditForm(obj=svc.QuestionForm.from_question(q) if q is not None else None)
    issues = []
    if form.validate_on_submit():
        data = svc.QuestionForm(type=form.type.data, stem=form.stem.data, options=form.options.data or "",
                                answer=form.answer.data or "", explanation=form.explanation.data,
                                citations=form.citations.data or "", difficulty=form.difficulty.data,
                                tags=form.tags.data or "", references=form.references.data or "",
                                scoring_points=form.scoring_points.data or "")
        raw = data.to_raw()
        if data.errors:
            for e in data.errors:
                flash(e, "danger")
        else:
            saved, issues = svc.save_question(db.session, current_user, bank, raw, q)
            if saved is not None:
                db.session.commit()
                flash(f"{saved.key} 已保存为第 {saved.version} 版（草稿），请审核后发布。", "success")
                for issue in issues:
                    flash(f"提示：{issue.message}", "warning")
                return redirect(url_for("banks.question", question_id=saved.id))
            db.session.rollback()
    return render_template("banks/edit.html", form=form, bank=bank, q=q,
                           errors=[i for i in issues if i.level == "error"])


@bp.route("/banks/<int:bank_id>/questions/new", methods=["GET", "POST"])
@require_role("admin")
def new_question(bank_id: int):
    bank = db.session.get(Bank, bank_id) or abort(404)
    return _editor(bank, None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def edit_question(question_id: int):
    q = _question_or_404(question_id)
    if not q.is_latest:
        flash("这是旧版本，请编辑最新版本。", "warning")
        return redirect(url_for("banks.question", question_id=q.id))
    return _editor(q.bank, q)


@bp.route("/questions/cited-text")
@require_role("admin")
def cited_text():
    """The current text of the citations typed in the editor (for the side panel)."""
    citations, errors = svc.parse_citation_lines(request.args.get("citations", "")[:1000])
    from trainer.banks.services import LawLookup
    lookup = LawLookup(db.session)
    out = []
    for c in citations[:10]:
        if c.get("preamble"):
            text = lookup.preamble_text(c["law"])
            label = f"《{c['law']}》序言"
        else:
            text = lookup.article_text(c["law"], c["article"])
            label = f"《{c['law']}》第{int_to_cn_numeral(c['article'])}条"
        out.append({"label": label, "text": text or "（法规库中没有这一条）"})
    return jsonify(citations=out, errors=errors)


# ---- import, export, generate ------------------------------------------------------------------------

@bp.route("/banks/import", methods=["GET", "POST"])
@db.own_transactions
@require_role("admin")
def import_upload():
    """Upload a bank file: every question is checked and shown; nothing is written until confirmed."""
    from flask import current_app

    from trainer.admin import staging
    from trainer.banks import transfer
    from trainer.banks.forms import BankUploadForm, ConfirmImportForm
    from trainer.uploads import UploadError
    form = BankUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        name = upload.filename or ""
        try:
            preview = transfer.preview_upload(db.session, name, data, form.bank_slug.data.strip())
        except (UploadError, transfer.TransferError) as exc:
            flash(str(exc), "danger")
            return render_template("banks/import.html", form=form)
        token = ""
        if preview.ok:
            suffix = name.rsplit(".", 1)[-1].lower()
            token = staging.stage(current_app.instance_path, data, suffix)
        confirm = ConfirmImportForm(token=token, filename=name, bank_slug=form.bank_slug.data.strip())
        return render_template("banks/import_preview.html", preview=preview, confirm=confirm)
    return render_template("banks/import.html", form=form)


@bp.route("/banks/import/confirm", methods=["POST"])
@require_role("admin")
def import_confirm():
    from flask import current_app

    from trainer.admin import staging
    from trainer.banks import transfer
    from trainer.banks.forms import ConfirmImportForm
    from trainer.uploads import UploadError
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    name = form.filename.data or ""
    suffix = name.rsplit(".", 1)[-1].lower()
    data = staging.load(current_app.instance_path, form.token.data, suffix)
    if data is None:
        flash("预览已过期，请重新上传。", "warning")
        return redirect(url_for("banks.import_upload"))
    try:
        preview = transfer.preview_upload(db.session, name, data, form.bank_slug.data)
    except (UploadError, transfer.TransferError) as exc:
        flash(str(exc), "danger")
        return redirect(url_for("banks.import_upload"))
    if not preview.ok:
        flash("文件校验未通过，未写入任何数据。", "danger")
        return render_template("banks/import_preview.html", preview=preview, confirm=form)
    counts = transfer.confirm_upload(db.session, current_user.id, form.bank_slug.data, form.title.data or "",
                                     None, preview.specs)
    db.session.commit()
    staging.discard(current_app.instance_path, form.token.data, suffix)
    flash(f"已导入为草稿：新增 {counts['created']} 题，更新 {counts['updated']} 题，未变 {counts['unchanged']} 题。"
          "请审核后发布。", "success")
    bank = db.session.scalar(select(Bank).where(Bank.slug == form.bank_slug.data))
    return redirect(url_for("banks.questions", bank=bank.id, status="draft"))


@bp.route("/banks/<int:bank_id>/export/<fmt>")
@require_role("admin")
def export_bank(bank_id: int, fmt: str):
    from io import BytesIO

    from flask import send_file

    from trainer.banks import transfer
    bank = db.session.get(Bank, bank_id) or abort(404)
    try:
        content, mimetype, filename = transfer.export(db.session, bank, fmt)
    except transfer.TransferError:
        abort(404)
    return send_file(BytesIO(content), mimetype=mimetype, as_attachment=True, download_name=filename)


@bp.route("/banks/template.xlsx")
@require_role("admin")
def template():
    from io import BytesIO

    from flask import send_file

    from trainer.banks.importers import build_template_xlsx
    return send_file(BytesIO(build_template_xlsx()), as_attachment=True, download_name="题库导入模板.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/banks/generate", methods=["POST"])
@require_role("admin")
def generate():
    from trainer.banks import transfer
    from trainer.banks.forms import GenerateForm
    form = GenerateForm()
    form.law.choices = [(law.short_title, law.short_title) for law in current_laws(db.session)]
    if not form.validate_on_submit():
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
        return redirect(url_for("banks.banks"))
    try:
        bank, counts, _ = transfer.generate_for_law(db.session, form.law.data, limit=form.limit.data,
                                                    actor_id=current_user.id)
    except transfer.TransferError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("banks.banks"))
    db.session.commit()
    flash(f"《{form.law.data}》：生成练习题新增 {counts['created']} 题，更新 {counts['updated']} 题，未变 "
          f"{counts['unchanged']} 题（仅用于练习，允许后方可用于考试）。", "success")
    return redirect(url_for("banks.questions", bank=bank.id))
