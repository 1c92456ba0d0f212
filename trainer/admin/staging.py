"""Uploads waiting for confirmation (preview first, write after confirm), kept in instance/uploads so any
worker process can finish what another one previewed."""
from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

MAX_AGE_SECONDS = 3600


def _folder(instance_path: str) -> Path:
    folder = Path(instance_path) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def stage(instance_path: str, data: bytes, suffix: str) -> str:
    folder = _folder(instance_path)
    for old in folder.iterdir():
        if old.stat().st_mtime < time.time() - MAX_AGE_SECONDS:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.{suffix}").write_bytes(data)
    return token


def load(instance_path: str, token: str, suffix: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        return None
    path = _folder(instance_path) / f"{token}.{suffix}"
    return path.read_bytes() if path.exists() else None


def discard(instance_path: str, token: str, suffix: str) -> None:
    if re.fullmatch(r"[0-9a-f]{32}", token or ""):
        (_folder(instance_path) / f"{token}.{suffix}").unlink(missing_ok=True)
