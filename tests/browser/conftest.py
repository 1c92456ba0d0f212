"""Real-browser tests: Playwright drives Debian's /usr/bin/chromium against a live server in a thread."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from trainer import create_app, db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 375, "height": 667}
_LIVE: dict = {}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def live_server(make_database, tmp_path_factory):
    """A live server on its own database with the law library and the demo bureau."""
    url = make_database("trainer_browser")
    _LIVE["url"] = url
    app = create_app({"TESTING": True, "SECRET_KEY": "browser-secret", "DATABASE_URL": url})
    app.instance_path = str(tmp_path_factory.mktemp("browser-instance"))
    with app.app_context():
        from trainer.banks.services import bank_files, import_files
        from trainer.demo.services import seed
        seed(db.session)
        import_files(db.session, bank_files())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["trainer.engine"].dispose()


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server


@pytest.fixture(scope="session")
def live_db(live_server, make_database):
    """A session on the live server's database, to look up what the browser was shown."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session
    engine = create_engine(_LIVE["url"])
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture()
def phone_page(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()
