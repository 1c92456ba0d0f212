"""No CDN, ever: templates and static files reference only local URLs, and Bootstrap is served locally."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import trainer

PACKAGE = Path(trainer.__file__).parent
SCANNED = sorted(p for folder in ("templates", "static") for p in (PACKAGE / folder).rglob("*")
                 if p.is_file() and p.suffix in {".html", ".css", ".js", ".svg", ".txt", ".json", ".map"})

# src=, href=, action=, url( and @import followed by an absolute or protocol-relative URL.
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?|url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""",
    re.IGNORECASE)
ASSET_TAGS = re.compile(r"""<(?:link|script)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def test_files_were_found():
    """The scan covers the app's templates and its own css/js."""
    names = {p.relative_to(PACKAGE).as_posix() for p in SCANNED}
    assert "templates/base.html" in names
    assert "static/css/app.css" in names and "static/js/reading.js" in names


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_external_urls(path):
    """No template or static file references an external (http://, https:// or //) URL."""
    text = path.read_text(encoding="utf-8", errors="replace")
    hits = [m.group(0) for m in EXTERNAL.finditer(text)]
    assert not hits, f"{path.name} references external URLs: {hits}"


def test_the_pattern_catches_external_urls():
    """Sanity check of the regex on known-bad snippets (and a known-good one)."""
    for bad in ('<script src="https://cdn.example/x.js">', "<link href='//cdn.example/x.css'>",
                "background: url(http://x.example/a.png)", 'url("//x.example/a.png")', "@import 'https://x/y.css';"):
        assert EXTERNAL.search(bad), bad
    assert not EXTERNAL.search('<a href="/laws/">法规库</a> <link href="{{ url_for(\'static\', filename=\'a.css\') }}">')


def _asset_urls(html: str) -> list[str]:
    return ASSET_TAGS.findall(html)


def test_login_page_assets_are_local(client):
    """Every stylesheet and script on the login page is a local URL that answers 200."""
    html = client.get("/login").get_data(as_text=True)
    urls = _asset_urls(html)
    assert any("bootstrap" in u and u.split("?")[0].endswith(".css") for u in urls), urls
    assert any("bootstrap" in u and u.split("?")[0].endswith(".js") for u in urls), urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        resp = client.get(url)
        try:
            assert resp.status_code == 200, url
            assert len(resp.data) > 0, url
        finally:
            resp.close()


def test_bootstrap_css_is_real(client):
    """The locally served Bootstrap CSS is the real stylesheet (not an empty placeholder)."""
    html = client.get("/login").get_data(as_text=True)
    css = next(u for u in _asset_urls(html) if "bootstrap" in u and u.split("?")[0].endswith(".css"))
    resp = client.get(css)
    try:
        assert resp.status_code == 200
        assert "text/css" in resp.headers["Content-Type"]
        assert b"Bootstrap" in resp.data[:2000] and len(resp.data) > 100_000
    finally:
        resp.close()


def test_module_page_assets_are_local(client, make_user, login):
    """A logged-in page with its own script (a study module) loads only local assets."""
    login(make_user())
    html = client.get("/courses/行政处罚法/1").get_data(as_text=True)
    urls = _asset_urls(html)
    assert "/static/js/reading.js" in urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        resp = client.get(url)
        try:
            assert resp.status_code == 200, url
        finally:
            resp.close()


def test_must_change_password_user_still_gets_assets(client, make_user, login):
    """Static files are not caught by the forced password change redirect."""
    login(make_user(must_change_password=True))
    html = client.get("/account/password").get_data(as_text=True)
    for url in _asset_urls(html):
        resp = client.get(url)
        try:
            assert resp.status_code == 200, url
        finally:
            resp.close()


def test_security_headers(client):
    """Pages carry the basic security headers."""
    resp = client.get("/login")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert resp.headers["Referrer-Policy"] == "same-origin"
