"""The drive's leaderboards: individual and unit, on a phone and full screen on a projector."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from trainer import db
from trainer.contest import services as svc
from trainer.exams.models import Exam
from trainer.reports.models import UNIT_SORT_LABELS, Drive
from trainer.security import require_role
from trainer.study.models import Course

bp = Blueprint("contest", __name__)


def _standings(drive: Drive):
    # Staff see the standings as of the freeze; supervisors and admins see live ones.
    return svc.standings(db.session, drive, frozen_view=current_user.role == "staff")


@bp.route("/drive/")
@bp.route("/drive/<int:drive_id>")
@login_required
def leaderboard(drive_id: int | None = None):
    drive = db.session.get(Drive, drive_id) if drive_id else svc.current_drive(db.session)
    if drive is None:
        if drive_id:
            abort(404)
        return render_template("contest/none.html")
    s = _standings(drive)
    mine = next(((r, p) for r, p in s.people if p.user_id == current_user.id), None)
    my_unit = next(((r, u) for r, u in s.units if u.unit_id == current_user.unit_id), None)
    full = request.args.get("full") == "1"
    return render_template("contest/leaderboard_full.html" if full else "contest/leaderboard.html", s=s, mine=mine,
                           my_unit=my_unit, sort_labels=UNIT_SORT_LABELS,
                           drives=list(db.session.scalars(select(Drive).order_by(Drive.start_date.desc()))))


@bp.route("/admin/drives/", methods=["GET", "POST"])
@bp.route("/admin/drives/<int:drive_id>", methods=["GET", "POST"])
@require_role("admin")
def edit_drive(drive_id: int | None = None):
    drive = db.session.get(Drive, drive_id) if drive_id else None
    if drive_id and drive is None:
        abort(404)
    courses = list(db.session.scalars(select(Course).order_by(Course.ordinal)))
    exams = list(db.session.scalars(select(Exam).order_by(Exam.open_at.desc())))
    if request.method == "POST":
        f = request.form
        try:
            freeze = f.get("freeze_at") or None
            data = svc.DriveData(
                title=f.get("title", ""), start_date=datetime.strptime(f["start_date"], "%Y-%m-%d").date(),
                end_date=datetime.strptime(f["end_date"], "%Y-%m-%d").date(),
                course_ids=[int(x) for x in f.getlist("courses")], exam_ids=[int(x) for x in f.getlist("exams")],
                exam_weight=float(f.get("exam_weight", 60)), study_weight=float(f.get("study_weight", 20)),
                practice_weight=float(f.get("practice_weight", 20)),
                practice_daily_cap=int(f.get("practice_daily_cap", 20)), unit_sort=f.get("unit_sort", "average"),
                freeze_at=_local_to_utc(freeze) if freeze else None)
        except (KeyError, ValueError):
            flash("请完整、正确地填写各项（日期格式为 年-月-日，权重为数字）。", "danger")
            return render_template("contest/drive_form.html", drive=drive, courses=courses, exams=exams,
                                   sort_labels=UNIT_SORT_LABELS)
        try:
            drive = svc.save_drive(db.session, current_user, data, drive)
        except svc.DriveError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("练兵周期已保存。", "success")
            return redirect(url_for("contest.edit_drive", drive_id=drive.id))
    return render_template("contest/drive_form.html", drive=drive, courses=courses, exams=exams,
                           sort_labels=UNIT_SORT_LABELS)


def _local_to_utc(value: str) -> datetime:
    from zoneinfo import ZoneInfo
    local = datetime.strptime(value, "%Y-%m-%dT%H:%M").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    return local.astimezone(timezone.utc).replace(tzinfo=None)
