"""Practice pages: start a quiz of any mode, answer one question at a time with immediate feedback."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from trainer import db
from trainer.banks.models import Bank
from trainer.laws.services import current_laws
from trainer.practice import progress as practice_progress
from trainer.practice.shown import is_empty_response
from trainer.practice import services as svc
from trainer.study.models import Course, Module

bp = Blueprint("practice", __name__, url_prefix="/practice")


def _cfg(name: str, default):
    return current_app.config.get(name, default)


def _go(session):
    return redirect(url_for("practice.session", session_id=session.id))


def _fail(exc: Exception, fallback: str):
    db.session.rollback()
    flash(str(exc), "warning")
    return redirect(fallback)


@bp.route("/")
@login_required
def index():
    laws = current_laws(db.session)
    banks = list(db.session.scalars(select(Bank).order_by(Bank.slug)))
    return render_template(
        "practice/index.html", laws=laws, banks=banks,
        due=practice_progress.due_count(db.session, current_user.id), streak=practice_progress.daily_streak(db.session, current_user.id),
        weakest=practice_progress.weakest_articles(db.session, current_user.id),
        cursors={b.slug: svc.cursor_position(db.session, current_user.id, f"bank:{b.slug}") for b in banks},
        recent=practice_progress.recent_sessions(db.session, current_user.id))


@bp.route("/module/<course_key>/<int:ordinal>", methods=["POST"])
@login_required
def start_module(course_key: str, ordinal: int):
    course = db.session.scalar(select(Course).where(Course.key == course_key)) or abort(404)
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.ordinal == ordinal)) \
        or abort(404)
    try:
        s = svc.start_module_quiz(db.session, current_user, module, size=_cfg("PRACTICE_QUIZ_SIZE", 10),
                                  pass_mark=_cfg("PRACTICE_PASS_MARK", 0.8))
    except svc.PracticeError as exc:
        return _fail(exc, url_for("study.module", course_key=course_key, ordinal=ordinal))
    db.session.commit()
    return _go(s)


@bp.route("/random", methods=["POST"])
@login_required
def start_random():
    f = request.form
    try:
        types = [t for t in f.getlist("type") if t in ("single", "multiple", "judge", "blank")]
        difficulties = [int(d) for d in f.getlist("difficulty") if d in ("1", "2", "3")]
        size = min(max(int(f.get("size") or 10), 1), 50)
    except ValueError:
        flash("筛选条件不正确。", "warning")
        return redirect(url_for("practice.index"))
    try:
        s = svc.start_random(db.session, current_user, laws=f.getlist("law"), types=types,
                             difficulties=difficulties, size=size)
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.index"))
    db.session.commit()
    return _go(s)


@bp.route("/sequential", methods=["POST"])
@login_required
def start_sequential():
    scope = request.form.get("scope", "")
    try:
        s = svc.start_sequential(db.session, current_user, scope, size=_cfg("PRACTICE_QUIZ_SIZE", 10),
                                 restart=request.form.get("restart") == "1")
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.index"))
    db.session.commit()
    return _go(s)


@bp.route("/article/<law>/<int:number>", methods=["POST"])
@login_required
def start_article(law: str, number: int):
    try:
        s = svc.start_article(db.session, current_user, law, number, size=_cfg("PRACTICE_QUIZ_SIZE", 10))
    except svc.PracticeError as exc:
        return _fail(exc, url_for("laws.show_article", short_title=law, number=number))
    db.session.commit()
    return _go(s)


@bp.route("/daily", methods=["POST"])
@login_required
def start_daily():
    try:
        s = svc.start_daily(db.session, current_user, size=_cfg("PRACTICE_DAILY_SIZE", 10))
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.index"))
    db.session.commit()
    return _go(s)


@bp.route("/review", methods=["POST"])
@login_required
def start_review():
    try:
        s = svc.start_review(db.session, current_user, only_due=request.form.get("all") != "1")
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.mistakes"))
    db.session.commit()
    return _go(s)


@bp.route("/s/<int:session_id>")
@login_required
def session(session_id: int):
    """The next unanswered question, or the summary when all are answered."""
    try:
        s = svc.session_for(db.session, current_user, session_id)
    except svc.PracticeError:
        abort(404)
    nxt = next((i for i in s.items if i.answered_at is None), None)
    if nxt is None:
        return render_template("practice/summary.html", s=s, items=[svc.shown(db.session, i) for i in s.items])
    return redirect(url_for("practice.item", session_id=s.id, position=nxt.position))


@bp.route("/s/<int:session_id>/<int:position>")
@login_required
def item(session_id: int, position: int):
    try:
        s = svc.session_for(db.session, current_user, session_id)
    except svc.PracticeError:
        abort(404)
    it = next((i for i in s.items if i.position == position), None) or abort(404)
    q = svc.shown(db.session, it)
    return render_template("practice/item.html", s=s, q=q, position=position,
                           is_favorite=bool(practice_progress.favorite_keys(db.session, current_user.id, [it.question_key])))


@bp.route("/s/<int:session_id>/<int:position>", methods=["POST"])
@login_required
def answer(session_id: int, position: int):
    raw = request.form.getlist("response")
    q_type = request.form.get("type")
    value = raw if q_type in ("multiple", "blank") else (raw[0] if raw else None)
    if is_empty_response(value):
        flash("请先作答再提交。", "warning")
        return redirect(url_for("practice.item", session_id=session_id, position=position))
    try:
        with db.write_transaction(db.session):
            svc.answer(db.session, current_user, session_id, position, value,
                       remove_after=_cfg("REVIEW_REMOVE_AFTER", 3))
    except svc.PracticeError as exc:
        if request.accept_mimetypes.best == "application/json":
            return jsonify(error=str(exc)), 400
        flash(str(exc), "warning")
        return redirect(url_for("practice.item", session_id=session_id, position=position)), 303
    return redirect(url_for("practice.item", session_id=session_id, position=position))


@bp.route("/mistakes")
@login_required
def mistakes():
    return render_template("practice/mistakes.html", cards=practice_progress.mistake_book(db.session, current_user.id),
                           due=practice_progress.due_count(db.session, current_user.id))


@bp.route("/mistakes/<key>/remove", methods=["POST"])
@login_required
def remove_mistake(key: str):
    try:
        practice_progress.remove_card(db.session, current_user, key)
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.mistakes"))
    db.session.commit()
    flash("已移出错题本。", "success")
    return redirect(url_for("practice.mistakes"))


@bp.route("/favorites")
@login_required
def favorites():
    return render_template("practice/favorites.html", questions=practice_progress.favorites(db.session, current_user.id))


@bp.route("/favorites/<key>", methods=["POST"])
@login_required
def toggle_favorite(key: str):
    try:
        added = practice_progress.toggle_favorite(db.session, current_user, key)
    except svc.PracticeError as exc:
        return _fail(exc, url_for("practice.index"))
    db.session.commit()
    flash("已收藏。" if added else "已取消收藏。", "success")
    target = request.form.get("next", "")
    from trainer.security import is_safe_next
    return redirect(target if is_safe_next(target) else url_for("practice.favorites"))
