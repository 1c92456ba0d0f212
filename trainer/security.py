"""Access rules in one place: role decorators, supervisor scope, password rules."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session

from trainer.auth.models import Unit, User

MIN_PASSWORD_LENGTH = 8


def require_role(*roles: str):
    """View decorator: the user must be logged in with one of `roles` (admin passes every check)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles and current_user.role != "admin":
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def password_problem(password: str, login: str | None = None) -> str | None:
    """Return a Chinese message if the password is not acceptable, else None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少需要 {MIN_PASSWORD_LENGTH} 位。"
    if password.isdigit() or password.isalpha():
        return "密码需同时包含字母和数字。"
    if login and password == login:
        return "密码不能与工号相同。"
    return None


def is_safe_next(target: str | None) -> bool:
    """Only local paths are allowed as a post-login redirect."""
    if not target:
        return False
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//") \
        and "\\" not in target


def unit_subtree_ids(db: Session, root_ids: list[int]) -> set[int]:
    """All unit ids at or below the given units."""
    rows = db.execute(select(Unit.id, Unit.parent_id)).all()
    children: dict[int | None, list[int]] = {}
    for uid, parent in rows:
        children.setdefault(parent, []).append(uid)
    seen: set[int] = set()
    stack = list(root_ids)
    while stack:
        uid = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        stack.extend(children.get(uid, []))
    return seen


def visible_unit_ids(db: Session, user: User) -> set[int] | None:
    """Units whose people `user` may see: None means all (admin); supervisors see their subtrees only."""
    if user.role == "admin":
        return None
    if user.role == "supervisor":
        return unit_subtree_ids(db, [u.id for u in user.supervised_units])
    return set()


def can_see_user(db: Session, viewer: User, target: User) -> bool:
    if viewer.id == target.id:
        return True
    allowed = visible_unit_ids(db, viewer)
    return allowed is None or (target.unit_id in allowed)
