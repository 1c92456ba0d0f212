"""Candidate pages: the exam list, taking an exam (answers saved as given), results per the release policy."""
from __future__ import annotations

import json

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from trainer import db
from trainer.banks.models import Question
from trainer.exams import results as exam_results
from trainer.exams import services as svc
from trainer.exams import timing
from trainer.exams.models import Attempt, Exam
from trainer.practice.shown import ShownQuestion

bp = Blueprint("exams", __name__, url_prefix="/exams")


class _ExamItemView(ShownQuestion):
    """An attempt item shown to its candidate: options in the candidate's order, no answer."""


def _finalise_if_due(attempts: list[Attempt]) -> None:
    """Finalise the candidate's attempts past deadline and grace, in a short write transaction (GET pages)."""
    due = [a.id for a in attempts if a.submitted_at is None
           and timing.is_expired(svc.now_utc(), svc.aware(a.deadline_at))]
    if due:
        with db.write_transaction(db.session):
            svc.finalise_expired(db.session, ids=due)


def _attempt_or_404(attempt_id: int) -> Attempt:
    try:
        return svc.attempt_for(db.session, current_user, attempt_id)
    except svc.ExamError:
        abort(404)


@bp.route("/")
@login_required
def index():
    return render_template("exams/index.html", rows=svc.exams_for(db.session, current_user))


@bp.route("/<int:exam_id>")
@login_required
def exam(exam_id: int):
    exam = db.session.get(Exam, exam_id) or abort(404)
    if exam.status != "published" or not svc.is_invited(db.session, exam, current_user):
        abort(404)
    override = svc.override_for(db.session, exam.id, current_user.id)
    open_at, close_at = svc.window(exam, override)
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.exam_id == exam.id,
                                                             Attempt.user_id == current_user.id)
                                       .order_by(Attempt.number)))
    _finalise_if_due(attempts)
    return render_template("exams/exam.html", exam=exam, attempts=attempts, open_at=open_at, close_at=close_at,
                           state=timing.window_state(svc.now_utc(), open_at, close_at),
                           seconds_to_open=timing.seconds_left(svc.now_utc(), svc.aware(open_at)),
                           allowed=svc.attempts_allowed(exam, override),
                           released=exam_results.results_released(db.session, exam),
                           level={a.id: exam_results.review_level(db.session, exam, a) for a in attempts})


@bp.route("/<int:exam_id>/start", methods=["POST"])
@db.own_transactions
@login_required
def start(exam_id: int):
    exam = db.session.get(Exam, exam_id) or abort(404)
    pool = svc.build_pool(db.session)  # read-only, before taking the write lock
    try:
        with db.write_transaction(db.session):
            attempt = svc.start_attempt(db.session, current_user, exam, pool=pool)
    except svc.ExamError as exc:
        flash(str(exc), "warning")
        visible = exam.status == "published" and svc.is_invited(db.session, exam, current_user)
        return redirect(url_for("exams.exam", exam_id=exam_id) if visible else url_for("exams.index"))
    return redirect(url_for("exams.take", attempt_id=attempt.id))


@bp.route("/a/<int:attempt_id>")
@login_required
def take(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    exam = db.session.get(Exam, attempt.exam_id)
    _finalise_if_due([attempt])
    if attempt.submitted_at is not None:
        return redirect(url_for("exams.result", attempt_id=attempt.id))
    questions = {q.id: q for q in db.session.scalars(select(Question).where(
        Question.id.in_([i.question_id for i in attempt.items])))}
    shown = [(item, _ExamItemView(item, questions[item.question_id])) for item in attempt.items]
    sections = svc.template_of(exam).sections
    state = {str(i.position): {"seq": i.seq, "flagged": i.flagged,
                               "response": _display_response(v, i.response)} for i, v in shown}
    return render_template("exams/take.html", attempt=attempt, exam=exam, shown=shown, sections=sections,
                           seconds_left=timing.seconds_left(svc.now_utc(), svc.aware(attempt.deadline_at)),
                           state=state)


def _display_response(view: ShownQuestion, stored: str | None):
    if stored is None:
        return None
    value = json.loads(stored)
    if view.type in ("single", "multiple"):
        return view.to_display(value)
    if view.type == "judge":
        return "true" if value else "false"
    return value


def _json_error(message: str, status: int):
    return jsonify(error=message), status


@bp.route("/a/<int:attempt_id>/save", methods=["POST"])
@db.own_transactions
@login_required
def save(attempt_id: int):
    """Save one answer: {"position": n, "seq": k, "response": ..., "flagged": bool?}."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("position"), int) \
            or not isinstance(data.get("seq"), int):
        return _json_error("请求格式不正确。", 400)
    user_id = current_user.id
    try:
        with db.write_transaction(db.session):
            result = svc.save_answer(db.session, user_id, attempt_id, data["position"], data["seq"],
                                     data["response"] if "response" in data else ...,
                                     flagged=data.get("flagged") if isinstance(data.get("flagged"), bool) else None)
    except svc.SaveRejected as exc:
        with db.write_transaction(db.session):
            attempt = db.session.get(Attempt, attempt_id)
            if attempt is not None and attempt.user_id == user_id:
                svc.finalise_if_expired(db.session, attempt)
        return _json_error(str(exc), 409)
    except svc.ExamError as exc:
        return _json_error(str(exc), 400)
    return jsonify(result)


@bp.route("/a/<int:attempt_id>/focus", methods=["POST"])
@login_required
def focus(attempt_id: int):
    data = request.get_json(silent=True) or {}
    try:
        result = svc.record_focus(db.session, current_user, attempt_id, str(data.get("kind", "")))
    except svc.SaveRejected as exc:
        db.session.rollback()
        return _json_error(str(exc), 409)
    except svc.ExamError as exc:
        db.session.rollback()
        return _json_error(str(exc), 400)
    db.session.commit()
    return jsonify(result)


@bp.route("/a/<int:attempt_id>/submit", methods=["POST"])
@login_required
def submit(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    with db.write_transaction(db.session):
        svc.submit(db.session, attempt, by="candidate")
    if request.accept_mimetypes.best == "application/json":
        return jsonify(submitted=True, result=url_for("exams.result", attempt_id=attempt.id))
    flash("答卷已提交。", "success")
    return redirect(url_for("exams.result", attempt_id=attempt.id))


@bp.route("/a/<int:attempt_id>/result")
@login_required
def result(attempt_id: int):
    attempt = _attempt_or_404(attempt_id)
    exam = db.session.get(Exam, attempt.exam_id)
    if attempt.submitted_at is None and svc.now_utc() >= svc.aware(attempt.deadline_at):
        # The page's countdown reached zero and sent the candidate here after its last saves: finalise now
        # rather than wait for the grace period (which only serves saves still in flight).
        with db.write_transaction(db.session):
            svc.submit(db.session, attempt, by="timeout")
    if attempt.submitted_at is None:
        return redirect(url_for("exams.take", attempt_id=attempt.id))
    level = exam_results.review_level(db.session, exam, attempt)
    details = []
    sections = []
    if level in ("right_wrong", "full"):
        questions = {q.id: q for q in db.session.scalars(select(Question).where(
            Question.id.in_([i.question_id for i in attempt.items])))}
        details = [(i, _ExamItemView(i, questions[i.question_id])) for i in attempt.items]
    if level:
        from trainer.exams import scoring
        titles = [s.title for s in svc.template_of(exam).sections]
        sections = scoring.section_totals([scoring.ItemResult(i.position, i.section, i.points, i.earned)
                                           for i in attempt.items], titles)
    return render_template("exams/result.html", attempt=attempt, exam=exam, level=level, details=details,
                           sections=sections)
