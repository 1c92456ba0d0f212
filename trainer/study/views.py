from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markdown import markdown
from markupsafe import Markup
from sqlalchemy import select

from trainer import db
from trainer.study import services
from trainer.study.models import Course, Module

bp = Blueprint("study", __name__)


def _course_or_404(course_key: str) -> Course:
    return db.session.scalar(select(Course).where(Course.key == course_key)) or abort(404)


def _module_or_404(course: Course, ordinal: int) -> Module:
    return db.session.scalar(select(Module).where(Module.course_id == course.id, Module.ordinal == ordinal)) \
        or abort(404)


@bp.app_template_filter("markdown")
def _markdown(text: str | None) -> Markup:
    # Pages are our own repository content; raw HTML in them is escaped anyway.
    return Markup(markdown((text or "").replace("<", "&lt;"), extensions=["tables", "sane_lists"]))


@bp.route("/")
@login_required
def home():
    if current_user.role == "supervisor":
        return redirect(url_for("supervisor.overview"))
    from trainer.exams.services import exams_for
    from trainer.practice import progress as practice_progress
    courses = services.list_courses(db.session)
    series = practice_progress.accuracy_by_day(db.session, current_user.id, days=30)
    return render_template("study/home.html", courses=courses,
                           progress=services.course_progress(db.session, current_user.id),
                           resume=services.continue_module(db.session, current_user.id),
                           due=practice_progress.due_count(db.session, current_user.id),
                           streak=practice_progress.daily_streak(db.session, current_user.id),
                           series=series, practised=sum(a for _, a, _ in series),
                           exams=[(e, state, attempts) for e, state, attempts in exams_for(db.session, current_user)
                                  if state != "closed"])


@bp.route("/courses/")
@login_required
def courses():
    return render_template("study/courses.html", courses=services.list_courses(db.session),
                           progress=services.course_progress(db.session, current_user.id))


@bp.route("/courses/<course_key>/")
@login_required
def course(course_key: str):
    course = _course_or_404(course_key)
    return render_template("study/course.html", course=course, law=services.course_law(db.session, course),
                           mine=services.user_progress(db.session, current_user.id),
                           progress=services.course_progress(db.session, current_user.id).get(course.id, (0, 0)))


@bp.route("/courses/<course_key>/<int:ordinal>")
@login_required
def module(course_key: str, ordinal: int):
    course = _course_or_404(course_key)
    module = _module_or_404(course, ordinal)
    with db.write_transaction(db.session):
        services.record_visit(db.session, current_user, module)
    modules = course.modules
    idx = modules.index(module)
    law = services.course_law(db.session, course)
    from trainer.practice.progress import article_mastery
    return render_template(
        "study/module.html", course=course, module=module, law=law,
        mastery=article_mastery(db.session, current_user.id, law.short_title) if law else {},
        articles=services.module_articles(db.session, module),
        progress=services.user_progress(db.session, current_user.id).get(module.id),
        prev=modules[idx - 1] if idx > 0 else None, next=modules[idx + 1] if idx + 1 < len(modules) else None)


@bp.route("/courses/<course_key>/<int:ordinal>/studied", methods=["POST"])
@login_required
def mark_studied(course_key: str, ordinal: int):
    module = _module_or_404(_course_or_404(course_key), ordinal)
    studied = request.form.get("studied", "1") == "1"
    services.mark_studied(db.session, current_user, module, studied)
    db.session.commit()
    flash(f"已将“{module.title}”标记为已学习。" if studied else f"已取消“{module.title}”的已学习标记。", "success")
    return redirect(url_for("study.module", course_key=course_key, ordinal=ordinal))


@bp.route("/courses/<course_key>/<int:ordinal>/heartbeat", methods=["POST"])
@login_required
def heartbeat(course_key: str, ordinal: int):
    module = _module_or_404(_course_or_404(course_key), ordinal)
    seconds = request.form.get("seconds", type=int)
    try:
        p = services.record_reading_time(db.session, current_user, module, seconds)
    except services.StudyError as exc:
        db.session.rollback()
        return jsonify(error=str(exc)), 400
    db.session.commit()
    return jsonify(seconds_spent=p.seconds_spent)
