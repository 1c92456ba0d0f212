"""Account operations. Services take a session and plain data, flush, and never commit."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from trainer import audit
from trainer.auth.models import ROLES, UNIT_KINDS, Unit, User
from trainer.db import utcnow
from trainer.security import password_problem


class AccountError(ValueError):
    """A rule was broken; str() is a Chinese message for the user."""


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


# A real hash of a random string, so unknown logins cost as much time as wrong passwords.
_DUMMY_HASH = generate_password_hash("no-such-user-7f3a", method="scrypt")


@dataclass
class LoginResult:
    user: User | None
    error: str | None


def password_matches(db: Session, login: str, password: str) -> bool:
    """The slow part of a login (scrypt, ~70 ms of CPU), read-only: run it outside any write transaction.
    Unknown logins cost as much time as wrong passwords."""
    hashed = db.scalar(select(User.password_hash).where(User.login == login.strip()))
    if not hashed:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(hashed, password)


def record_login(db: Session, login: str, password_ok: bool, *, max_failures: int = 5, lock_minutes: int = 15,
                 now: datetime | None = None) -> LoginResult:
    """Apply a checked password to the account: the per-account lock stored in the database, failure counts,
    last login. Short; run it in a write transaction (it re-reads the account)."""
    now = now or utcnow()
    generic = "工号或密码错误。"
    user = db.scalar(select(User).where(User.login == login.strip()).execution_options(populate_existing=True))
    if user is None:
        return LoginResult(None, generic)
    if user.locked_until and user.locked_until > now:
        minutes = max(1, math.ceil((user.locked_until - now).total_seconds() / 60))
        return LoginResult(None, f"登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试或联系管理员。")
    if not password_ok:
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lock_minutes)
            user.failed_logins = 0
            db.flush()
            return LoginResult(None, f"连续 {max_failures} 次密码错误，账号已锁定 {lock_minutes} 分钟。")
        db.flush()
        return LoginResult(None, generic)
    if not user.active:
        return LoginResult(None, "该账号已停用，请联系管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    db.flush()
    return LoginResult(user, None)


def authenticate(db: Session, login: str, password: str, *, max_failures: int = 5,
                 lock_minutes: int = 15, now: datetime | None = None) -> LoginResult:
    """Check credentials with a per-account lock stored in the database (password_matches + record_login)."""
    return record_login(db, login, password_matches(db, login, password), max_failures=max_failures,
                        lock_minutes=lock_minutes, now=now)


def new_own_password_hash(user: User, current: str, new: str) -> str:
    """Check a password change (scrypt, slow: keep it outside write transactions) and return the new hash."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("当前密码不正确。")
    problem = password_problem(new, user.login)
    if problem:
        raise AccountError(problem)
    if check_password_hash(user.password_hash, new):
        raise AccountError("新密码不能与当前密码相同。")
    return hash_password(new)


def set_own_password_hash(db: Session, user: User, new_hash: str) -> None:
    user.password_hash = new_hash
    user.must_change_password = False
    db.flush()


def change_own_password(db: Session, user: User, current: str, new: str) -> None:
    set_own_password_hash(db, user, new_own_password_hash(user, current, new))


def _validate_user_fields(db: Session, login: str, name: str, role: str, unit_id: int | None,
                          exclude_id: int | None = None) -> None:
    import re
    if not re.fullmatch(r"[A-Za-z0-9_-]{2,32}", login or ""):
        raise AccountError("工号只能由 2–32 位字母、数字、下划线或连字符组成。")
    if not name or len(name) > 50:
        raise AccountError("姓名不能为空且不超过 50 个字。")
    if role not in ROLES:
        raise AccountError("角色无效。")
    if unit_id is not None and db.get(Unit, unit_id) is None:
        raise AccountError("所选单位不存在。")
    clash = db.scalar(select(User.id).where(User.login == login))
    if clash is not None and clash != exclude_id:
        raise AccountError(f"工号 {login} 已存在。")


def create_user(db: Session, actor: User | None, *, login: str, name: str, role: str = "staff",
                unit_id: int | None = None, phone: str | None = None, password: str,
                supervised_unit_ids: list[int] | None = None, must_change_password: bool = True,
                password_hash: str | None = None) -> User:
    """`password_hash`: the password already hashed (hash_password), so a bulk import can hash outside its
    write transaction; `password` is still checked against the rules."""
    login, name = login.strip(), name.strip()
    _validate_user_fields(db, login, name, role, unit_id)
    problem = password_problem(password, login)
    if problem:
        raise AccountError(problem)
    user = User(login=login, name=name, role=role, unit_id=unit_id, phone=phone or None,
                password_hash=password_hash or hash_password(password), must_change_password=must_change_password)
    db.add(user)
    db.flush()
    if role == "supervisor" and supervised_unit_ids:
        user.supervised_units = list(db.scalars(select(Unit).where(Unit.id.in_(supervised_unit_ids))))
    audit.record(db, actor.id if actor else None, "user.create", "user", user.id, login=login, role=role)
    db.flush()
    return user


def update_user(db: Session, actor: User, user: User, *, name: str, role: str, unit_id: int | None,
                phone: str | None, active: bool, supervised_unit_ids: list[int]) -> User:
    name = name.strip()
    _validate_user_fields(db, user.login, name, role, unit_id, exclude_id=user.id)
    if user.id == actor.id and not active:
        raise AccountError("不能停用自己的账号。")
    _check_role_change(db, actor, user, role if active else "inactive")
    old_role, old_active = user.role, user.active
    old_scope = sorted(u.id for u in user.supervised_units)
    user.name, user.role, user.unit_id, user.phone, user.active = name, role, unit_id, phone or None, active
    new_scope = sorted(supervised_unit_ids) if role == "supervisor" else []
    user.supervised_units = list(db.scalars(select(Unit).where(Unit.id.in_(new_scope)))) if new_scope else []
    if old_role != role or old_scope != new_scope:
        audit.record(db, actor.id, "user.role", "user", user.id, old_role=old_role, new_role=role,
                     old_units=old_scope, new_units=new_scope)
    if old_active != active:
        audit.record(db, actor.id, "user.activate" if active else "user.deactivate", "user", user.id)
    db.flush()
    return user


def _check_role_change(db: Session, actor: User | None, user: User, new_role: str, row: int | None = None) -> None:
    """Nobody changes their own role, and one active administrator always remains."""
    where = f"第{row}行：" if row else ""
    if new_role == user.role:
        return
    if actor is not None and user.id == actor.id:
        raise AccountError(f"{where}不能修改自己的角色。")
    if user.role == "admin" and user.active:
        others = db.scalar(select(func.count()).select_from(User).where(
            User.role == "admin", User.active.is_(True), User.id != user.id))
        if not others:
            raise AccountError(f"{where}系统至少需要保留一名启用的管理员。")


def reset_password(db: Session, actor: User, user: User, new_password: str) -> None:
    problem = password_problem(new_password, user.login)
    if problem:
        raise AccountError(problem)
    user.password_hash = hash_password(new_password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record(db, actor.id, "user.reset_password", "user", user.id)
    db.flush()


def search_users(db: Session, *, q: str = "", unit_ids: set[int] | None = None, role: str | None = None,
                 include_inactive: bool = True, limit: int = 500) -> list[User]:
    stmt = select(User).order_by(User.login)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(User.login.like(like), User.name.like(like)))
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids))
    if role:
        stmt = stmt.where(User.role == role)
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    return list(db.scalars(stmt.limit(limit)))


# ---- units -------------------------------------------------------------------------------------------

def save_unit(db: Session, actor: User, *, name: str, kind: str, parent_id: int | None,
              unit: Unit | None = None) -> Unit:
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise AccountError("单位名称不能为空且不超过 64 个字。")
    if kind not in UNIT_KINDS:
        raise AccountError("单位类型无效。")
    clash = db.scalar(select(Unit.id).where(Unit.name == name))
    if clash is not None and (unit is None or clash != unit.id):
        raise AccountError(f"单位“{name}”已存在。")
    if parent_id is not None:
        parent = db.get(Unit, parent_id)
        if parent is None:
            raise AccountError("上级单位不存在。")
        if unit is not None:
            from trainer.security import unit_subtree_ids
            if parent_id in unit_subtree_ids(db, [unit.id]):
                raise AccountError("上级单位不能是本单位或其下级单位。")
    if unit is None:
        unit = Unit(name=name, kind=kind, parent_id=parent_id)
        db.add(unit)
        action = "unit.create"
    else:
        unit.name, unit.kind, unit.parent_id = name, kind, parent_id
        action = "unit.update"
    db.flush()
    audit.record(db, actor.id if actor else None, action, "unit", unit.id, name=name, parent_id=parent_id)
    db.flush()
    return unit


def delete_unit(db: Session, actor: User, unit: Unit) -> None:
    if unit.children:
        raise AccountError("该单位下还有下级单位，不能删除。")
    if db.scalar(select(func.count()).select_from(User).where(User.unit_id == unit.id)):
        raise AccountError("该单位下还有人员，不能删除。")
    audit.record(db, actor.id, "unit.delete", "unit", unit.id, name=unit.name)
    db.delete(unit)
    db.flush()


def unit_tree(db: Session) -> list[tuple[Unit, int]]:
    """Units in tree order with their depth."""
    units = list(db.scalars(select(Unit).order_by(Unit.sort_order, Unit.id)))
    by_parent: dict[int | None, list[Unit]] = {}
    for u in units:
        by_parent.setdefault(u.parent_id, []).append(u)
    out: list[tuple[Unit, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for u in by_parent.get(parent, []):
            out.append((u, depth))
            walk(u.id, depth + 1)
    walk(None, 0)
    return out


# ---- roster ------------------------------------------------------------------------------------------

def roster_password_hashes(db: Session, rows, default_password: str) -> dict[str, str]:
    """The initial password hashed for each new 工号 of a roster (scrypt, ~70 ms each, read-only): a web import
    does this before its write transaction, so 180 new accounts do not hold the database for 13 s."""
    existing = set(db.scalars(select(User.login)))
    return {row.login: hash_password(default_password) for row in rows if row.login not in existing}


def apply_roster(db: Session, actor: User | None, rows, default_password: str,
                 password_hashes: dict[str, str] | None = None) -> dict[str, int]:
    """Create or update users from validated roster rows (see auth.roster.parse_roster). All or nothing:
    the caller commits only if this returns. `password_hashes` (roster_password_hashes) saves hashing here."""
    units = {u.name: u for u in db.scalars(select(Unit))}
    existing = {u.login: u for u in db.scalars(select(User))}
    created = updated = 0
    for row in rows:
        unit = units.get(row.unit)
        if unit is None:
            raise AccountError(f"第{row.row}行：单位“{row.unit}”不存在。")
        user = existing.get(row.login)
        if user is None:
            user = create_user(db, actor, login=row.login, name=row.name, role=row.role, unit_id=unit.id,
                               phone=row.phone, password=default_password,
                               password_hash=(password_hashes or {}).get(row.login))
            existing[row.login] = user
            created += 1
        else:
            changed = (user.name, user.unit_id, user.role, user.phone) != (row.name, unit.id, row.role,
                                                                        row.phone or None)
            if changed:
                if user.role != row.role:
                    _check_role_change(db, actor, user, row.role, row=row.row)
                    audit.record(db, actor.id if actor else None, "user.role", "user", user.id,
                                 old_role=user.role, new_role=row.role, via="roster")
                    if row.role != "supervisor":
                        user.supervised_units = []
                user.name, user.unit_id, user.role, user.phone = row.name, unit.id, row.role, row.phone or None
                db.flush()
                updated += 1
    db.flush()
    return {"created": created, "updated": updated, "unchanged": len(rows) - created - updated}


def roster_export_rows(db: Session, unit_ids: set[int] | None = None) -> list[dict]:
    stmt = select(User).order_by(User.login)
    if unit_ids is not None:
        stmt = stmt.where(User.unit_id.in_(unit_ids))
    return [{"login": u.login, "name": u.name, "unit": u.unit.name if u.unit else "", "role": u.role,
             "phone": u.phone or "", "is_active": u.active} for u in db.scalars(stmt)]
