"""Administrator pages: users, units, roster import/export, law import."""
from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from trainer import db
from trainer.admin import staging
from trainer.auth import roster, services
from trainer.auth.forms import ConfirmForm, ResetPasswordForm, RosterUploadForm, UnitForm, UserForm
from trainer.auth.models import Unit, User
from trainer.laws import services as law_services
from trainer.laws.forms import LawUploadForm
from trainer.laws.parser import LawParseError
from trainer.laws.sources import SourceError, read_file
from trainer.security import require_role
from trainer.study.services import sync_courses
from trainer.uploads import UploadError, check_upload

bp = Blueprint("admin", __name__, url_prefix="/admin")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _unit_choices(blank: str | None = None):
    choices = [(u.id, "　" * depth + u.name) for u, depth in services.unit_tree(db.session)]
    return ([(0, blank)] if blank else []) + choices


@bp.route("/users")
@require_role("admin")
def users():
    q = request.args.get("q", "").strip()
    role = request.args.get("role") or None
    unit = request.args.get("unit", type=int)
    found = services.search_users(db.session, q=q, role=role, unit_ids={unit} if unit else None)
    return render_template("admin/users.html", users=found, q=q, role=role, unit=unit,
                           units=_unit_choices())


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.unit_id.choices = _unit_choices("（无）")
    form.supervised.choices = _unit_choices()
    if user is not None and request.method == "GET":
        form.supervised.data = [u.id for u in user.supervised_units]
        form.unit_id.data = user.unit_id or 0
    return form


@bp.route("/users/new", methods=["GET", "POST"])
@require_role("admin")
def new_user():
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, current_user, login=form.login.data, name=form.name.data, role=form.role.data,
                unit_id=form.unit_id.data or None, phone=form.phone.data, password=form.password.data or "",
                supervised_unit_ids=form.supervised.data)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(f"已创建账号 {user.login}（{user.name}），首次登录需修改密码。", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require_role("admin")
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = _user_form(user)
    reset = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            services.update_user(db.session, current_user, user, name=form.name.data, role=form.role.data,
                                 unit_id=form.unit_id.data or None, phone=form.phone.data,
                                 active=form.active.data, supervised_unit_ids=form.supervised.data)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("已保存。", "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_form.html", form=form, user=user, reset=reset)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@require_role("admin")
def reset_password(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, current_user, user, form.password.data)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(f"已重置 {user.name} 的密码，对方下次登录须修改密码。", "success")
    else:
        flash("请输入新密码。", "danger")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/units", methods=["GET", "POST"])
@require_role("admin")
def units():
    form = UnitForm()
    form.parent_id.choices = _unit_choices("（无，顶级单位）")
    if form.validate_on_submit():
        try:
            services.save_unit(db.session, current_user, name=form.name.data, kind=form.kind.data,
                               parent_id=form.parent_id.data or None)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("单位已添加。", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/units.html", tree=services.unit_tree(db.session), form=form,
                           counts=_unit_counts())


def _unit_counts() -> dict[int, int]:
    from sqlalchemy import func
    return dict(db.session.execute(select(User.unit_id, func.count()).group_by(User.unit_id)).all())


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@require_role("admin")
def edit_unit(unit_id: int):
    unit = db.session.get(Unit, unit_id) or abort(404)
    form = UnitForm(obj=unit)
    form.parent_id.choices = _unit_choices("（无，顶级单位）")
    if request.method == "GET":
        form.parent_id.data = unit.parent_id or 0
    if form.validate_on_submit():
        try:
            if request.form.get("delete"):
                services.delete_unit(db.session, current_user, unit)
            else:
                services.save_unit(db.session, current_user, name=form.name.data, kind=form.kind.data,
                                   parent_id=form.parent_id.data or None, unit=unit)
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("已删除。" if request.form.get("delete") else "已保存。", "success")
            return redirect(url_for("admin.units"))
    return render_template("admin/unit_form.html", form=form, unit=unit)


@bp.route("/roster", methods=["GET", "POST"])
@db.own_transactions
@require_role("admin")
def roster_import():
    """Upload a roster: validate the whole file and show a preview; nothing is written yet."""
    form = RosterUploadForm()
    if form.validate_on_submit():
        data = form.file.data.read()
        try:
            check_upload(form.file.data.filename or "", data, {"xlsx"})
        except UploadError as exc:
            flash(str(exc), "danger")
            return render_template("admin/roster.html", form=form)
        logins = set(db.session.scalars(select(User.login)))
        preview = roster.parse_roster(data, set(db.session.scalars(select(Unit.name))), logins)
        token = staging.stage(current_app.instance_path, data, "xlsx") if preview.ok else ""
        return render_template("admin/roster_preview.html", preview=preview, existing=logins,
                               confirm=ConfirmForm(token=token))
    return render_template("admin/roster.html", form=form)


@bp.route("/roster/confirm", methods=["POST"])
@db.own_transactions
@require_role("admin")
def roster_confirm():
    """Write a previewed roster, all or nothing."""
    form = ConfirmForm()
    data = staging.load(current_app.instance_path, form.token.data, "xlsx")
    if data is None:
        flash("预览已过期，请重新上传花名册。", "warning")
        return redirect(url_for("admin.roster_import"))
    logins = set(db.session.scalars(select(User.login)))
    preview = roster.parse_roster(data, set(db.session.scalars(select(Unit.name))), logins)
    if not form.validate_on_submit() or not preview.ok:
        for errors in form.errors.values():
            for e in errors:
                flash(e, "danger")
        return render_template("admin/roster_preview.html", preview=preview, existing=logins, confirm=form)
    hashes = services.roster_password_hashes(db.session, preview.rows, form.password.data)  # slow, read-only
    try:
        with db.write_transaction(db.session):
            counts = services.apply_roster(db.session, current_user._get_current_object(), preview.rows,
                                           form.password.data, password_hashes=hashes)
    except services.AccountError as exc:
        flash(f"{exc} 未写入任何数据。", "danger")
        return render_template("admin/roster_preview.html", preview=preview, existing=logins, confirm=form)
    staging.discard(current_app.instance_path, form.token.data, "xlsx")
    flash(f"花名册已导入：新建 {counts['created']} 人，更新 {counts['updated']} 人，未变 {counts['unchanged']} 人。"
          "新账号首次登录须修改密码。", "success")
    return redirect(url_for("admin.users"))


@bp.route("/roster/export")
@require_role("admin")
def roster_export():
    data = roster.build_roster_xlsx(services.roster_export_rows(db.session))
    return send_file(BytesIO(data), mimetype=XLSX, as_attachment=True, download_name="花名册.xlsx")


@bp.route("/roster/template")
@require_role("admin")
def roster_template():
    return send_file(BytesIO(roster.roster_template_xlsx()), mimetype=XLSX, as_attachment=True,
                     download_name="花名册模板.xlsx")


@bp.route("/laws", methods=["GET", "POST"])
@require_role("admin")
def laws():
    form = LawUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read() if upload else b""
        try:
            check_upload(getattr(upload, "filename", "") or "", data, {"docx", "txt", "md"})
            parsed = read_file(upload.filename, data)
            result = law_services.import_law(db.session, parsed, source=f"上传：{upload.filename}",
                                              actor_id=current_user.id)
            sync_courses(db.session)
        except (UploadError, LawParseError, SourceError, law_services.LawError) as exc:
            db.session.rollback()
            flash(f"导入失败：{exc}", "danger")
        else:
            db.session.commit()
            flash(result.message, "success")
            return redirect(url_for("admin.laws"))
    return render_template("admin/laws.html", form=form, laws=law_services.all_laws(db.session),
                           counts=law_services.article_counts(db.session))
