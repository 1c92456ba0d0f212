"""Configuration: safe defaults, then instance/config.py, then TRAINER_* environment variables."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path


class Defaults:
    SECRET_KEY: str | None = None
    DATABASE_URL: str | None = None  # None -> sqlite:///<instance>/trainer.db
    SQLITE_BUSY_TIMEOUT_MS = 5000
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024 + 64 * 1024  # 10 MB uploads plus form overhead
    WTF_I18N_ENABLED = False  # use WTForms' own zh translations (trainer.forms.Form), no Flask-Babel
    WTF_CSRF_TIME_LIMIT = None  # tokens bound to the session; exams can run for hours
    BOOTSTRAP_SERVE_LOCAL = True
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_MINUTES = 15
    DISPLAY_TIMEZONE = "Asia/Shanghai"
    PRACTICE_QUIZ_SIZE = 10       # questions per module quiz / practice set
    PRACTICE_PASS_MARK = 0.8      # module quiz pass mark: the module counts as "tested"
    PRACTICE_DAILY_SIZE = 10      # 每日一练
    REVIEW_REMOVE_AFTER = 3       # right answers in a row in review that take a question out of the mistake book


def _coerce(value: str):
    """Turn an environment string into a Python value where it is clearly one."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def load_config(app, test_config: dict | None) -> None:
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        for key, value in os.environ.items():
            if key.startswith("TRAINER_") and key not in ("TRAINER_TEST_DATABASE_URL", "TRAINER_INSTANCE_PATH"):
                app.config[key[len("TRAINER_"):]] = value if key.endswith("_URL") else _coerce(value)
        if not app.config.get("SECRET_KEY"):
            key_file = Path(app.instance_path) / "SECRET_KEY"
            if key_file.exists():
                app.config["SECRET_KEY"] = key_file.read_text().strip()
    else:
        app.config.update(test_config)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = "sqlite:///" + str(Path(app.instance_path) / "trainer.db")
    if not app.config.get("SECRET_KEY") and not app.config.get("TESTING"):
        raise RuntimeError(
            "No SECRET_KEY: run `flask --app trainer instance init` (make run does it) or set TRAINER_SECRET_KEY."
        )


def ensure_secret_key(instance_path: str) -> Path:
    """Create instance/SECRET_KEY (mode 600) if it does not exist; return its path."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "SECRET_KEY"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    os.chmod(key_file, 0o600)
    return key_file
