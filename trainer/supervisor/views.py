from flask import Blueprint, render_template, request
from flask_login import current_user

from trainer import db
from trainer.auth.models import Unit
from trainer.security import require_role, visible_unit_ids
from trainer.study.services import list_courses, staff_overview

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")

SORT_KEYS = {
    "login": lambda r: r.user.login,
    "name": lambda r: r.user.name,
    "unit": lambda r: (r.user.unit.name if r.user.unit else "", r.user.login),
    "studied": lambda r: (sum(r.studied.values()), r.user.login),
    "time": lambda r: (r.seconds, r.user.login),
    "last": lambda r: (r.last_activity is not None, r.last_activity or 0, r.user.login),
}


@bp.route("/")
@require_role("supervisor")
def overview():
    """Staff of the supervisor's units (admins: everyone) with modules studied per course."""
    unit_ids = visible_unit_ids(db.session, current_user)
    rows = staff_overview(db.session, unit_ids)
    unit_filter = request.args.get("unit", type=int)
    if unit_filter and (unit_ids is None or unit_filter in unit_ids):
        rows = [r for r in rows if r.user.unit_id == unit_filter]
    sort = request.args.get("sort", "unit")
    desc = request.args.get("dir") == "desc"
    rows.sort(key=SORT_KEYS.get(sort, SORT_KEYS["unit"]), reverse=desc)
    units = [u for u in db.session.query(Unit).order_by(Unit.sort_order, Unit.id)
             if unit_ids is None or u.id in unit_ids]
    courses = list_courses(db.session)
    return render_template("supervisor/overview.html", rows=rows, courses=courses, units=units,
                           unit_filter=unit_filter, sort=sort, desc=desc,
                           totals={c.id: len(c.modules) for c in courses})
