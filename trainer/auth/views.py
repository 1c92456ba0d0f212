from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from trainer import db
from trainer.auth import services
from trainer.auth.forms import ChangePasswordForm, LoginForm
from trainer.security import is_safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@db.own_transactions
def login():
    if current_user.is_authenticated:
        return redirect(url_for("study.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        ok = services.password_matches(db.session, form.login.data, form.password.data)  # slow, read-only
        with db.write_transaction(db.session):  # short: re-read the account and record the outcome
            result = services.record_login(
                db.session, form.login.data, ok, max_failures=current_app.config["LOGIN_MAX_FAILURES"],
                lock_minutes=current_app.config["LOGIN_LOCK_MINUTES"])
        if result.user is None:
            flash(result.error, "danger")
            return render_template("auth/login.html", form=form), 200
        session.clear()  # a fresh session (and session id) at login
        login_user(result.user)
        if result.user.must_change_password:
            flash("首次登录或密码已被重置，请先修改密码。", "info")
            return redirect(url_for("auth.change_password"))
        target = form.next.data
        return redirect(target if is_safe_next(target) else url_for("study.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("auth.login", logged_out=1))


@bp.route("/account/password", methods=["GET", "POST"])
@db.own_transactions
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            new_hash = services.new_own_password_hash(current_user, form.current.data, form.new.data)
            with db.write_transaction(db.session):
                services.set_own_password_hash(db.session, current_user._get_current_object(), new_hash)
        except services.AccountError as exc:
            flash(str(exc), "danger")
        else:
            flash("密码已修改。", "success")
            return redirect(url_for("study.home"))
    return render_template("auth/change_password.html", form=form)


@bp.before_app_request
def _force_password_change():
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in {"auth.change_password", "auth.logout", "static", "bootstrap.static"}):
        return redirect(url_for("auth.change_password"))
