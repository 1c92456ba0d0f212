"""Audit log: who changed which result, role or exam, and when. Written by services, never by views."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from trainer.db import Base, utcnow


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def detail_dict(self) -> dict:
        return json.loads(self.detail or "{}")


def record(db: Session, actor_id: int | None, action: str, target_type: str, target_id: int | None,
           **detail) -> AuditLog:
    entry = AuditLog(actor_id=actor_id, action=action, target_type=target_type, target_id=target_id,
                     detail=json.dumps(detail, ensure_ascii=False, default=str))
    db.add(entry)
    return entry
