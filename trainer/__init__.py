"""trainer: legal training and quizzes for a city-management bureau."""
from __future__ import annotations


import os

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app. Wiring only: no database work, no I/O beyond reading the instance folder."""
    # TRAINER_INSTANCE_PATH moves the instance folder (database, SECRET_KEY, config.py) elsewhere.
    app = Flask(__name__, instance_relative_config=True,
                instance_path=os.environ.get("TRAINER_INSTANCE_PATH") or None)
    from trainer.config import load_config
    load_config(app, test_config)

    from trainer import db
    from trainer.uploads import harden_xml
    harden_xml()  # defusedxml for every XML parser the stdlib offers (uploads are .xlsx/.docx)
    from trainer.extensions import bootstrap, csrf, login_manager
    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    bootstrap.init_app(app)

    from trainer.web import register_web
    register_web(app)

    from trainer.cli import register_cli
    register_cli(app)
    return app


__all__ = ["create_app"]
