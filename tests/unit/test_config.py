import os
import stat

import pytest

from trainer import create_app
from trainer.config import ensure_secret_key


def test_refuses_to_start_without_secret_key(tmp_path, monkeypatch):
    """Outside testing the app refuses to start without a secret key; there is no built-in fallback."""
    monkeypatch.delenv("TRAINER_SECRET_KEY", raising=False)
    monkeypatch.setenv("TRAINER_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_secret_key_file_is_private_and_stable(tmp_path):
    """The generated SECRET_KEY file has mode 600 and is not regenerated on the next run."""
    path = ensure_secret_key(str(tmp_path))
    first = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(first) == 64
    ensure_secret_key(str(tmp_path))
    assert path.read_text() == first


def test_environment_overrides(tmp_path, monkeypatch):
    """TRAINER_* environment variables configure the app, e.g. the database URL."""
    monkeypatch.setenv("TRAINER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TRAINER_SECRET_KEY", "from-env")
    monkeypatch.setenv("TRAINER_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("TRAINER_LOGIN_MAX_FAILURES", "7")
    app = create_app()
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["DATABASE_URL"].endswith("/x.db")
    assert app.config["LOGIN_MAX_FAILURES"] == 7
    app.extensions["trainer.engine"].dispose()


def test_factory_does_no_database_work(tmp_path):
    """create_app only wires things: it creates no database file."""
    db_file = tmp_path / "never.db"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{db_file}"})
    assert not db_file.exists()
    app.extensions["trainer.engine"].dispose()
