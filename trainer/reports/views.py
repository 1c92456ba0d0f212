"""Report pages for supervisors (their units) and admins (everyone); every table exports to .xlsx."""
from __future__ import annotations

from datetime import timedelta
from io import BytesIO

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user
from sqlalchemy import select

from trainer import db
from trainer.contest.services import current_drive, standings
from trainer.exams.models import Exam
from trainer.laws.services import current_laws
from trainer.reports import services as svc
from trainer.reports.xlsx import DECIMAL, PERCENT, table_xlsx
from trainer.security import require_role
from trainer.study.models import Course

bp = Blueprint("reports", __name__, url_prefix="/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(name: str, title: str, headers, rows, formats=None):
    return send_file(BytesIO(table_xlsx(title, headers, rows, formats)), mimetype=XLSX, as_attachment=True,
                     download_name=f"{name}.xlsx")


def _unit_arg() -> int | None:
    unit_id = request.args.get("unit", type=int)
    if unit_id is not None:
        allowed = {u.id for u, _ in svc.scoped_units(db.session, current_user)}
        if unit_id not in allowed:
            abort(403)
    return unit_id


def _selection():
    """The courses and exams a coverage report is about: the drive's by default, or one chosen."""
    drive = current_drive(db.session)
    courses = list(db.session.scalars(select(Course).order_by(Course.ordinal)))
    exams = svc.exams_in_scope(db.session)
    course_id, exam_id = request.args.get("course", type=int), request.args.get("exam", type=int)
    chosen_courses = [c for c in courses if c.id == course_id] if course_id else (
        list(drive.courses) if drive and drive.courses else courses[:5])
    chosen_exams = [e for e in exams if e.id == exam_id] if exam_id else (
        list(drive.exams) if drive and drive.exams else exams[:1])
    return courses, exams, chosen_courses, chosen_exams


def _local(moment) -> str:
    """A stored UTC time as shown on screen (Asia/Shanghai)."""
    if moment is None:
        return ""
    from datetime import timezone
    from zoneinfo import ZoneInfo
    return moment.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def _pct(v):
    return None if v is None else round(v, 4)


@bp.route("/")
@require_role("supervisor")
def index():
    return render_template("reports/index.html", exams=svc.exams_in_scope(db.session))


@bp.route("/coverage")
@require_role("supervisor")
def coverage():
    unit_id = _unit_arg()
    courses, exams, chosen_courses, chosen_exams = _selection()
    rows, units = svc.coverage(db.session, current_user, chosen_courses, chosen_exams, unit_id)
    behind = svc.behind(rows, chosen_courses, chosen_exams)
    fmt = request.args.get("format")
    totals = {c.id: len(c.modules) for c in chosen_courses}
    if fmt == "xlsx-units":
        return _xlsx("单位参学参考情况", "单位", ["单位", "人数", "参学人数", "参学率", "参考人数", "参考率", "合格人数", "合格率", "平均分"],
                     [["　" * u.depth + u.unit.name, u.members, u.studied, _pct(u.rates["study_rate"]), u.sat,
                       _pct(u.rates["sit_rate"]), u.passed, _pct(u.rates["pass_rate"]),
                       u.rates["mean_score"]] for u in units], {3: PERCENT, 5: PERCENT, 7: PERCENT, 8: DECIMAL})
    if fmt in ("xlsx-people", "xlsx-behind"):
        people = rows if fmt == "xlsx-people" else [r for r, _ in behind]
        reasons = {r.user.id: why for r, why in behind}
        headers = ["工号", "姓名", "单位"] + [f"{c.title}（已学模块/{totals[c.id]}）" for c in chosen_courses] + \
            [f"{e.title}（成绩）" for e in chosen_exams] + ["最近学习", "需督促"]
        data = [[r.user.login, r.user.name, r.user.unit.name if r.user.unit else ""]
                + [r.studied.get(c.id, 0) for c in chosen_courses]
                + [(r.exams[e.id].score_100 if r.exams.get(e.id) else None) for e in chosen_exams]
                + [_local(r.last_activity), reasons.get(r.user.id, "")]
                for r in people]
        return _xlsx("催学名单" if fmt == "xlsx-behind" else "人员学习考试情况", "人员", headers, data)
    return render_template("reports/coverage.html", rows=rows, units=units, behind=behind, courses=courses,
                           exams=exams, chosen_courses=chosen_courses, chosen_exams=chosen_exams, totals=totals,
                           unit_id=unit_id, scope=svc.scoped_units(db.session, current_user))


@bp.route("/units")
@require_role("supervisor")
def units():
    courses, exams, chosen_courses, chosen_exams = _selection()
    _, unit_rows = svc.coverage(db.session, current_user, chosen_courses, chosen_exams)
    drive = current_drive(db.session)
    drive_scores = {}
    if drive is not None:  # the all-member average drive score of each unit, rolled up the unit tree
        s = standings(db.session, drive)
        per_unit: dict[int, tuple] = {}
        for _, p in s.people:
            if p.unit_id is not None:
                n, total = per_unit.get(p.unit_id, (0, 0.0))
                per_unit[p.unit_id] = (n + 1, total + p.total)
        from trainer.reports.statistics import rollup
        tree = {u.unit.id: u.unit.parent_id for u in unit_rows}
        rolled = rollup(tree, {k: (n, total, 0, 0, 0.0) for k, (n, total) in per_unit.items()})
        drive_scores = {uid: round(c[1] / c[0], 2) for uid, c in rolled.items() if c[0]}
    from trainer.contest.services import LOCAL
    from datetime import datetime
    since = drive.start_date if drive else datetime.now(LOCAL).date() - timedelta(weeks=7)
    trend = svc.weekly_trend(db.session, current_user, since)
    if request.args.get("format") == "xlsx":
        return _xlsx("单位对比", "单位对比", ["单位", "人数", "参学率", "参考率", "合格率", "平均分", "全员平均练兵分"],
                     [["　" * u.depth + u.unit.name, u.members, _pct(u.rates["study_rate"]), _pct(u.rates["sit_rate"]),
                       _pct(u.rates["pass_rate"]), u.rates["mean_score"], drive_scores.get(u.unit.id)]
                      for u in unit_rows], {2: PERCENT, 3: PERCENT, 4: PERCENT, 5: DECIMAL, 6: DECIMAL})
    leaf = [u for u in unit_rows if u.members]

    def series(key):
        return [(u.unit.name, None if u.rates[key] is None else 100 * u.rates[key]) for u in leaf]
    charts = [("参学率（%）", series("study_rate")), ("参考率（%）", series("sit_rate")), ("合格率（%）", series("pass_rate"))]
    charts.append(("全员平均练兵分", [(u.unit.name, drive_scores.get(u.unit.id)) for u in leaf]) if drive
                  else ("平均分", [(u.unit.name, u.rates["mean_score"]) for u in leaf]))
    return render_template("reports/units.html", units=unit_rows, drive=drive, drive_scores=drive_scores,
                           trend=trend, charts=charts, trend_bars=[(str(w), a) for w, a, _ in trend],
                           trend_max=max([a for _, a, _ in trend] + [1]))


@bp.route("/knowledge")
@require_role("supervisor")
def knowledge():
    unit_id = _unit_arg()
    person_id = request.args.get("user", type=int)
    law = request.args.get("law") or None
    if person_id:
        try:
            people = [svc.user_in_scope(db.session, current_user, person_id)]
        except svc.ReportError:
            abort(403)
    else:
        people = svc.staff_in_scope(db.session, current_user, unit_id)
    rows = svc.knowledge(db.session, [u.id for u in people], law)
    weakest = svc.weakest(rows)
    if request.args.get("format") == "xlsx":
        return _xlsx("条文正确率", "条文", ["法律", "章", "条", "作答次数", "答对次数", "正确率"],
                     [[r.law, r.chapter or "", r.article, r.answered, r.correct, _pct(r.accuracy)] for r in rows],
                     {5: PERCENT})
    return render_template("reports/knowledge.html", rows=rows, weakest=weakest, chapters=svc.by_chapter(rows),
                           laws=current_laws(db.session), law=law, unit_id=unit_id, person=people[0] if person_id
                           else None, scope=svc.scoped_units(db.session, current_user))


@bp.route("/people/<int:user_id>")
@require_role("supervisor")
def person(user_id: int):
    try:
        user = svc.user_in_scope(db.session, current_user, user_id)
    except svc.ReportError:
        abort(403)
    rec = svc.record(db.session, user)
    if request.args.get("format") == "xlsx":
        rows = [[c.title, m.title, "是" if p and p.studied_at else "否", round((p.seconds_spent if p else 0) / 60, 1),
                 round(100 * p.best_score, 1) if p and p.best_score is not None else None] for c, m, p in rec.modules]
        return _xlsx(f"学习档案_{user.login}", "学习档案", ["课程", "模块", "已学习", "阅读分钟", "测验最好成绩"], rows)
    return render_template("reports/person.html", rec=rec)


@bp.route("/exams/<int:exam_id>")
@require_role("supervisor")
def exam(exam_id: int):
    exam = db.session.get(Exam, exam_id) or abort(404)
    analysis = svc.exam_analysis(db.session, current_user, exam)
    if request.args.get("format") == "xlsx":
        return _xlsx("试题分析", "试题分析", ["试题编号", "题型", "作答次数", "难度系数（正确率）", "标准差", "区分度", "区分效率", "存疑"],
                     [[q.key, q.type_label, n, _pct(st.facility), st.sd, st.discrimination, st.efficiency,
                       "、".join(st.flags)] for q, st, dist, n in analysis.items], {3: PERCENT})
    return render_template("reports/exam.html", a=analysis)
