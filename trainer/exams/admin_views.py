"""Exam administration: set up exams, the live monitor, grading case answers, releasing results, score sheets."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from io import BytesIO
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from trainer import db
from trainer.auth.models import User
from trainer.auth.services import unit_tree
from trainer.banks.models import Question
from trainer.exams import invigilation
from trainer.exams import results as exam_results
from trainer.exams import services as svc
from trainer.exams.jobs import finalise_expired_in_batches
from trainer.exams.forms import ExamForm, OverrideForm
from trainer.exams.models import Attempt, AttemptItem, Exam
from trainer.laws.services import current_laws
from trainer.reports.xlsx import DECIMAL, table_xlsx
from trainer.security import require_role, visible_unit_ids

bp = Blueprint("exam_admin", __name__, url_prefix="/admin/exams")


def _tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])


def _to_utc(local: datetime | None) -> datetime | None:
    return local.replace(tzinfo=_tz()).astimezone(timezone.utc) if local else None


def _to_local(utc: datetime | None) -> datetime | None:
    return svc.aware(utc).astimezone(_tz()).replace(tzinfo=None) if utc else None


def _exam_or_404(exam_id: int) -> Exam:
    return db.session.get(Exam, exam_id) or abort(404)


def _form(exam: Exam | None = None) -> ExamForm:
    form = ExamForm()
    form.units.choices = [(u.id, "　" * depth + u.name) for u, depth in unit_tree(db.session)]
    laws = current_laws(db.session)
    chapters = [(f"{law.short_title}|{c.ordinal}", f"{law.short_title} {c.title}")
                for law in laws for c in sorted(law.chapters, key=lambda c: c.ordinal)]
    from trainer.banks.models import Bank
    from trainer.banks.review import all_tags
    banks = [(b.slug, b.title) for b in db.session.scalars(select(Bank).order_by(Bank.id))]
    tags = [(t, t) for t in all_tags(db.session)]
    for entry in form.sections:
        entry.form.laws.choices = [(law.short_title, law.short_title) for law in laws]
        entry.form.chapters.choices, entry.form.tags.choices, entry.form.banks.choices = chapters, tags, banks
    if exam is not None and request.method == "GET":
        for name in ("title", "instructions", "time_limit_minutes", "pass_mark", "max_attempts", "counting",
                     "release_policy", "review_policy", "review_after_close", "multiple_policy", "focus_policy",
                     "focus_limit"):
            getattr(form, name).data = getattr(exam, name)
        form.open_at.data, form.close_at.data = _to_local(exam.open_at), _to_local(exam.close_at)
        form.units.data = [i.unit_id for i in exam.invites if i.unit_id]
        ids = [i.user_id for i in exam.invites if i.user_id]
        form.logins.data = "\n".join(db.session.scalars(select(User.login).where(User.id.in_(ids)))) if ids else ""
        for entry, section in zip(form.sections, exam.template_dict.get("sections", [])):
            entry.form.title.data = section.get("title")
            entry.form.type.data = section.get("type")
            entry.form.count.data = section.get("count")
            entry.form.points.data = section.get("points")
            entry.form.laws.data = section.get("laws") or []
            entry.form.difficulties.data = [str(d) for d in section.get("difficulties") or []]
            entry.form.chapters.data = [f"{law}|{ordinal}" for law, ordinal in section.get("chapters") or []]
            entry.form.tags.data = section.get("tags") or []
            entry.form.banks.data = section.get("banks") or []
        fixed = exam.template_dict.get("fixed") or []
        if fixed:
            key_of = dict(db.session.execute(select(Question.id, Question.key).where(Question.id.in_(fixed))).all())
            form.fixed_keys.data = "\n".join(key_of.get(i, f"#{i}") for i in fixed)
    elif exam is None and request.method == "GET":
        start = datetime.now(_tz()).replace(second=0, microsecond=0, tzinfo=None) + timedelta(hours=1)
        form.open_at.data, form.close_at.data = start, start + timedelta(days=1)
        form.time_limit_minutes.data = 60
        defaults = [("一、单项选择题", "single", 30, 2), ("二、多项选择题", "multiple", 10, 2), ("三、判断题", "judge", 10, 2)]
        for entry, (title, qtype, count, points) in zip(form.sections, defaults):
            entry.form.title.data, entry.form.type.data = title, qtype
            entry.form.count.data, entry.form.points.data = count, points
    return form


def _data(form: ExamForm) -> tuple[svc.ExamData, list[str]]:
    errors = []
    logins = [x.strip() for x in (form.logins.data or "").split() if x.strip()]
    users = dict(db.session.execute(select(User.login, User.id).where(User.login.in_(logins))).all()) if logins else {}
    missing = [x for x in logins if x not in users]
    if missing:
        errors.append("以下工号不存在：" + "、".join(missing[:20]))
    keys = [k for k in (form.fixed_keys.data or "").replace("，", " ").replace(",", " ").split() if k]
    fixed, per_type, key_errors = svc.fixed_ids_for_keys(db.session, list(dict.fromkeys(keys)))
    errors.extend(key_errors[:20])
    sections = []
    for i, entry in enumerate(form.sections, 1):
        f = entry.form
        if not f.type.data:
            continue
        if keys:  # a fixed paper: each type's section gives the points; its count is what the list holds
            if f.type.data not in per_type:
                continue
            f.count.data = per_type[f.type.data]
        if not f.count.data or not f.points.data:
            errors.append(f"第{i}部分请填写题数和每题分值。")
            continue
        chapters = []
        for value in f.chapters.data or []:
            law, _, ordinal = value.rpartition("|")
            if law and ordinal.isdigit():
                chapters.append([law, int(ordinal)])
        sections.append({"title": f.title.data or dict(f.type.choices)[f.type.data], "type": f.type.data,
                         "count": f.count.data, "points": f.points.data, "laws": f.laws.data or [],
                         "difficulties": [int(d) for d in f.difficulties.data or []],
                         **({"chapters": chapters} if chapters else {}),
                         **({"tags": list(f.tags.data)} if f.tags.data else {}),
                         **({"banks": list(f.banks.data)} if f.banks.data else {})})
    data = svc.ExamData(
        title=form.title.data or "", instructions=form.instructions.data or "", open_at=_to_utc(form.open_at.data),
        close_at=_to_utc(form.close_at.data), time_limit_minutes=form.time_limit_minutes.data,
        pass_mark=form.pass_mark.data, max_attempts=form.max_attempts.data, counting=form.counting.data,
        release_policy=form.release_policy.data, review_policy=form.review_policy.data,
        review_after_close=form.review_after_close.data, multiple_policy=form.multiple_policy.data,
        focus_policy=form.focus_policy.data, focus_limit=form.focus_limit.data,
        unit_ids=tuple(form.units.data or ()), user_ids=tuple(users.values()), sections=sections, fixed=tuple(fixed))
    return data, errors


@bp.route("/")
@require_role("supervisor")
def index():
    exams = list(db.session.scalars(select(Exam).order_by(Exam.open_at.desc())))
    return render_template("exams/admin_index.html", exams=exams)


def _edit(exam: Exam | None, makeup_of: Exam | None = None):
    form = _form(exam)
    if makeup_of is not None and request.method == "GET":
        form.title.data = f"{makeup_of.title}（补考）"
        for entry, section in zip(form.sections, makeup_of.template_dict.get("sections", [])):
            entry.form.title.data, entry.form.type.data = section.get("title"), section.get("type")
            entry.form.count.data, entry.form.points.data = section.get("count"), section.get("points")
            entry.form.laws.data = section.get("laws") or []
        ids = exam_results.missed_or_failed(db.session, makeup_of)
        form.logins.data = "\n".join(db.session.scalars(select(User.login).where(User.id.in_(ids)))) if ids else ""
        form.units.data = []
    errors, warnings = [], []
    if form.validate_on_submit():
        data, errors = _data(form)
        if makeup_of is not None or (exam is not None and exam.makeup_of_id):
            data.makeup_of_id = makeup_of.id if makeup_of else exam.makeup_of_id
        if not errors:
            saved, errors, warnings = svc.save_exam(db.session, current_user, data, exam)
            if saved is not None:
                db.session.commit()
                flash("考试已保存。" + ("；".join(warnings) if warnings else ""), "success")
                return redirect(url_for("exam_admin.detail", exam_id=saved.id))
            db.session.rollback()
    return render_template("exams/admin_form.html", form=form, exam=exam, errors=errors, warnings=warnings,
                           makeup_of=makeup_of)


@bp.route("/new", methods=["GET", "POST"])
@require_role("admin")
def new():
    makeup = request.args.get("makeup", type=int)
    return _edit(None, _exam_or_404(makeup) if makeup else None)


@bp.route("/<int:exam_id>/edit", methods=["GET", "POST"])
@require_role("admin")
def edit(exam_id: int):
    return _edit(_exam_or_404(exam_id))


@bp.route("/<int:exam_id>")
@require_role("supervisor")
def detail(exam_id: int):
    exam = _exam_or_404(exam_id)
    pool = svc.build_pool(db.session)
    from trainer.exams import paper
    errors, warnings = paper.check_template(svc.template_of(exam), pool)
    return render_template("exams/admin_detail.html", exam=exam, errors=errors, warnings=warnings,
                           invited=len(svc.invited_user_ids(db.session, exam)), override=OverrideForm(),
                           template=svc.template_of(exam))


@bp.route("/<int:exam_id>/status", methods=["POST"])
@require_role("admin")
def set_status(exam_id: int):
    exam = _exam_or_404(exam_id)
    status = request.form.get("status", "")
    if status == "published":
        from trainer.exams import paper
        errors, _ = paper.check_template(svc.template_of(exam), svc.build_pool(db.session))
        if errors:
            flash("组卷规则无法满足，不能发布：" + "；".join(errors), "danger")
            return redirect(url_for("exam_admin.detail", exam_id=exam.id))
    try:
        svc.set_status(db.session, current_user, exam, status)
    except svc.ExamError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash({"published": "考试已发布。", "draft": "考试已撤回为草稿。", "archived": "考试已归档。"}[status], "success")
    return redirect(url_for("exam_admin.detail", exam_id=exam.id))


@bp.route("/<int:exam_id>/monitor")
@require_role("supervisor")
def monitor(exam_id: int):
    exam = _exam_or_404(exam_id)
    finalise_expired_in_batches(exam_id=exam.id)
    rows = invigilation.monitor(db.session, exam, visible_unit_ids(db.session, current_user), finalise=False)
    counts = {s: sum(1 for r in rows if r.state == s) for s in ("not_started", "in_progress", "submitted")}
    state = request.args.get("state", "")
    if state in counts:
        rows = [r for r in rows if r.state == state]
    return render_template("exams/monitor.html", exam=exam, rows=rows, counts=counts,
                           state=state if state in counts else "")


def _scoped_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id) or abort(404)
    allowed = visible_unit_ids(db.session, current_user)
    if allowed is not None and db.session.get(User, attempt.user_id).unit_id not in allowed:
        abort(403)
    return attempt


@bp.route("/attempts/<int:attempt_id>/<action>", methods=["POST"])
@require_role("supervisor")
def attempt_action(attempt_id: int, action: str):
    attempt = _scoped_attempt(attempt_id)
    exam = db.session.get(Exam, attempt.exam_id)
    try:
        if action == "extend":
            invigilation.extend_time(db.session, current_user, attempt, request.form.get("minutes", type=int) or 0)
            message = "已延长作答时间。"
        elif action == "force-submit":
            if not svc.submit(db.session, attempt, by="invigilator", actor_id=current_user.id):
                raise svc.ExamError("答卷已经提交。")
            message = "已收卷。"
        elif action == "another":
            invigilation.allow_another_attempt(db.session, current_user, exam, attempt.user_id)
            message = "已允许再考一次。"
        else:
            abort(404)
    except svc.ExamError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("exam_admin.monitor", exam_id=exam.id))


@bp.route("/<int:exam_id>/override", methods=["POST"])
@require_role("admin")
def override(exam_id: int):
    exam = _exam_or_404(exam_id)
    form = OverrideForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.login == form.login.data.strip()))
        try:
            if user is None:
                raise svc.ExamError("工号不存在。")
            invigilation.set_override(db.session, current_user, exam, user.id, extra_minutes=form.extra_minutes.data or 0,
                             open_at=_to_utc(form.open_at.data), close_at=_to_utc(form.close_at.data))
        except svc.ExamError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(f"已为 {user.name} 设置个别安排。", "success")
    else:
        flash("；".join(e for errs in form.errors.values() for e in errs), "danger")
    return redirect(url_for("exam_admin.detail", exam_id=exam.id))


@bp.route("/<int:exam_id>/grading", methods=["GET", "POST"])
@require_role("supervisor")
def grading(exam_id: int):
    exam = _exam_or_404(exam_id)
    if request.method == "POST":
        item = db.session.get(AttemptItem, request.form.get("item", type=int) or 0) or abort(404)
        attempt = _scoped_attempt(item.attempt_id)
        if attempt.exam_id != exam.id:
            abort(404)
        points = request.form.get("points", type=float)
        try:
            if points is None:
                raise svc.ExamError("请填写得分（数字）。")
            exam_results.grade_item(db.session, current_user, item, points, request.form.get("comment", ""))
        except svc.ExamError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("已评分。", "success")
        return redirect(url_for("exam_admin.grading", exam_id=exam.id))
    allowed = visible_unit_ids(db.session, current_user)
    rows = db.session.execute(
        select(AttemptItem, Attempt, User, Question).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .join(User, User.id == Attempt.user_id).join(Question, Question.id == AttemptItem.question_id)
        .where(Attempt.exam_id == exam.id, Attempt.submitted_at.is_not(None), Question.type == "case")
        .order_by(AttemptItem.graded_by_id.is_not(None), User.login, AttemptItem.position)).all()
    rows = [r for r in rows if allowed is None or r[2].unit_id in allowed]
    return render_template("exams/grading.html", exam=exam, rows=rows)


@bp.route("/<int:exam_id>/release", methods=["POST"])
@require_role("admin")
def release(exam_id: int):
    exam = _exam_or_404(exam_id)
    exam_results.release(db.session, current_user, exam)
    db.session.commit()
    flash("成绩已公布。", "success")
    return redirect(url_for("exam_admin.detail", exam_id=exam.id))


@bp.route("/<int:exam_id>/scores")
@require_role("supervisor")
def scores(exam_id: int):
    """A printable score sheet: each invited candidate's counted attempt."""
    exam = _exam_or_404(exam_id)
    finalise_expired_in_batches(exam_id=exam.id)
    rows = invigilation.monitor(db.session, exam, visible_unit_ids(db.session, current_user), finalise=False)
    sheet = exam_results.score_sheet(db.session, exam, rows)
    if request.args.get("format") != "xlsx":
        return render_template("exams/scores.html", exam=exam, sheet=sheet)
    data = [[n, s.user.login, s.user.name, s.user.unit.name if s.user.unit else "",
             s.counted.score_100 if s.counted else None, s.result,
             _to_local(s.counted.submitted_at).strftime("%Y-%m-%d %H:%M") if s.counted else "", s.minutes_used,
             s.counted.focus_events if s.counted else None] for n, s in enumerate(sheet, 1)]
    body = table_xlsx("成绩单", ["序号", "工号", "姓名", "单位", "成绩", "结果", "交卷时间", "用时（分钟）", "切屏次数"],
                      data, {4: DECIMAL, 7: DECIMAL})
    return send_file(BytesIO(body), as_attachment=True, download_name=f"成绩单_{exam.title}.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
