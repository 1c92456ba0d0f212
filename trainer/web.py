"""Blueprints, template helpers, error pages and security headers."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError

from trainer import db
from trainer.extensions import login_manager


def register_web(app: Flask) -> None:
    from trainer.admin.views import bp as admin_bp
    from trainer.auth.views import bp as auth_bp
    from trainer.banks.views import bp as banks_bp
    from trainer.contest.views import bp as contest_bp
    from trainer.exams.admin_views import bp as exam_admin_bp
    from trainer.reports.views import bp as reports_bp
    from trainer.exams.views import bp as exams_bp
    from trainer.practice.views import bp as practice_bp
    from trainer.laws.views import bp as laws_bp
    from trainer.study.views import bp as study_bp
    from trainer.supervisor.views import bp as supervisor_bp

    for bp in (auth_bp, laws_bp, study_bp, admin_bp, supervisor_bp, banks_bp, practice_bp, exams_bp, exam_admin_bp,
               contest_bp, reports_bp):
        app.register_blueprint(bp)
    db.serialize_views(app)

    @login_manager.user_loader
    def _load_user(user_id: str):
        from trainer.auth.models import User
        try:
            return db.session.get(User, int(user_id))
        except (TypeError, ValueError):
            return None

    from trainer.banks.usage import register_answer_provider
    from trainer.practice.progress import answer_counts
    register_answer_provider(answer_counts)

    tz = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    @app.template_filter("localtime")
    def _localtime(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None:
            return "—"
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(tz).strftime(fmt)

    @app.template_filter("duration")
    def _duration(seconds: int | None) -> str:
        seconds = int(seconds or 0)
        if seconds < 60:
            return f"{seconds} 秒"
        minutes = seconds // 60
        if minutes < 60:
            return f"{minutes} 分钟"
        return f"{minutes // 60} 小时 {minutes % 60} 分钟"

    from trainer.laws.parser import int_to_cn_numeral
    app.add_template_global(int_to_cn_numeral, "cn")

    app.add_template_filter(lambda s: json.loads(s), "fromjson")

    @app.template_global()
    def url_with(**changes) -> str:
        """The current URL with some query arguments replaced (pagination, sorting)."""
        from flask import url_for
        args = request.args.to_dict()
        args.update({k: v for k, v in changes.items()})
        return url_for(request.endpoint, **(request.view_args or {}), **args)

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    def _error(code: int, title: str, message: str):
        def handler(exc):
            if request.accept_mimetypes.best == "application/json":
                return {"error": message}, code
            return render_template("errors/error.html", code=code, title=title, message=message), code
        return handler

    app.register_error_handler(400, _error(400, "请求有误", "请求格式不正确，请返回重试。"))
    app.register_error_handler(403, _error(403, "无权访问", "您没有权限访问此页面。"))
    app.register_error_handler(404, _error(404, "页面不存在", "您要找的页面不存在，可能链接有误或内容已删除。"))
    app.register_error_handler(500, _error(500, "系统错误", "服务器处理请求时出错，请稍后重试；如果反复出现，请联系管理员。"))
    app.register_error_handler(413, _error(413, "文件过大", "上传的文件超过 10 MB 上限。"))
    busy = _error(503, "系统繁忙", "系统繁忙，本次操作没有保存，请稍候几秒再试。")

    def _database_busy(exc):
        # SQLite gave up waiting for its write lock (busy timeout): the transaction was rolled back, so nothing
        # of this request was written. Anything else from the database stays a 500.
        if "database is locked" not in str(exc):
            raise exc
        db.session.rollback()
        response, code = busy(exc)
        return response, code, {"Retry-After": "3"}

    from sqlalchemy.exc import OperationalError
    app.register_error_handler(OperationalError, _database_busy)
    app.register_error_handler(CSRFError, _error(400, "页面已过期", "表单已过期或来源不明，请刷新页面后重试。"))
