"""Seed and clear the demo bureau (units, 180 staff, 3 supervisors, 1 admin)."""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from trainer.auth.models import Unit, User
from trainer.auth.services import hash_password
from trainer.demo import data


def seed(db: Session) -> dict[str, int]:
    """Create the demo units and people that do not exist yet. Idempotent."""
    units = {u.name: u for u in db.scalars(select(Unit))}
    for order, (name, kind, parent) in enumerate(data.UNITS):
        if name not in units:
            unit = Unit(name=name, kind=kind, parent_id=units[parent].id if parent else None, sort_order=order,
                        is_demo=True)
            db.add(unit)
            db.flush()
            units[name] = unit
    existing = set(db.scalars(select(User.login)))
    # One hash for everyone: scrypt is deliberately slow and every demo account shares the password.
    pw = hash_password(data.DEMO_PASSWORD)
    created = 0

    def add(login, name, unit, role):
        nonlocal created
        if login in existing:
            return None
        user = User(login=login, name=name, unit_id=units[unit].id, role=role, password_hash=pw,
                    must_change_password=False, is_demo=True)
        db.add(user)
        created += 1
        return user

    for login, name, unit in data.staff_people():
        add(login, name, unit, "staff")
    for login, name, unit, scope in data.SUPERVISORS:
        user = add(login, name, unit, "supervisor")
        if user is not None:
            user.supervised_units = [units[n] for n in scope]
    add(data.ADMIN[0], data.ADMIN[1], data.ADMIN[2], "admin")
    db.flush()
    return {"units": len(units), "users_created": created}


def clear(db: Session) -> dict[str, int]:
    """Remove what `seed` created (flagged is_demo), never accounts or units that existed before."""
    users = list(db.scalars(select(User).where(User.is_demo.is_(True))))
    for user in users:
        user.supervised_units = []
    db.flush()
    db.execute(delete(User).where(User.is_demo.is_(True)))
    removed_units = 0
    for name, _, _ in reversed(data.UNITS):
        unit = db.scalar(select(Unit).where(Unit.name == name, Unit.is_demo.is_(True)))
        if unit is not None and not db.scalar(select(func.count()).select_from(User).where(User.unit_id == unit.id)) \
                and not db.scalar(select(func.count()).select_from(Unit).where(Unit.parent_id == unit.id)):
            db.delete(unit)
            db.flush()
            removed_units += 1
    return {"users_removed": len(users), "units_removed": removed_units}
