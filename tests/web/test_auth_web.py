"""Login, logout, forced password change and CSRF through the test client."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from werkzeug.security import check_password_hash

from support import PASSWORD
from trainer import create_app

NEW_PASSWORD = "Neuer1Pass"


def _path(resp) -> str:
    return unquote(urlsplit(resp.headers["Location"]).path)


def _html(resp) -> str:
    return resp.get_data(as_text=True)


def _post_login(client, login: str, password: str, **extra):
    return client.post("/login", data={"login": login, "password": password, **extra})


# ---- login page and credentials ---------------------------------------------------------------------

def test_login_page_renders(client):
    """GET /login shows the login form to anonymous visitors."""
    resp = client.get("/login")
    assert resp.status_code == 200
    html = _html(resp)
    assert "登录" in html
    assert 'name="login"' in html and 'name="password"' in html


def test_login_page_keeps_next_in_hidden_field(client):
    """The `next` query parameter is carried into the form's hidden field."""
    html = _html(client.get("/login?next=/courses/"))
    assert 'name="next"' in html and 'value="/courses/"' in html


def test_wrong_password_is_refused_with_generic_message(client, make_user):
    """A wrong password re-renders the form (200) with 工号或密码错误 and logs nobody in."""
    user = make_user()
    resp = _post_login(client, user.login, "wrong-Passw0rd")
    assert resp.status_code == 200
    assert "工号或密码错误" in _html(resp)
    assert client.get("/").status_code == 302


def test_unknown_login_gets_the_same_message(client):
    """An unknown 工号 gets the same generic message as a wrong password."""
    resp = _post_login(client, "nobody-here", PASSWORD)
    assert resp.status_code == 200
    assert "工号或密码错误" in _html(resp)


def test_empty_fields_show_chinese_validation(client):
    """Submitting an empty form shows the Chinese required-field messages."""
    resp = client.post("/login", data={"login": "", "password": ""})
    assert resp.status_code == 200
    html = _html(resp)
    assert "请输入工号。" in html and "请输入密码。" in html


def test_five_wrong_passwords_lock_the_account(client, make_user, dbs):
    """After 5 wrong passwords the account is locked and even the right password is refused."""
    user = make_user()
    for _ in range(4):
        resp = _post_login(client, user.login, "wrong-Passw0rd")
        assert resp.status_code == 200
        assert "工号或密码错误" in _html(resp)
    resp = _post_login(client, user.login, "wrong-Passw0rd")
    assert resp.status_code == 200
    assert "账号已锁定" in _html(resp)
    resp = _post_login(client, user.login, PASSWORD)
    assert resp.status_code == 200
    assert "登录失败次数过多，账号已锁定" in _html(resp)
    assert client.get("/").status_code == 302
    dbs.refresh(user)
    assert user.locked_until is not None


def test_successful_login_redirects_home(client, make_user, dbs):
    """The right password redirects to the home page and records the login time."""
    user = make_user()
    resp = _post_login(client, user.login, PASSWORD)
    assert resp.status_code == 302
    assert _path(resp) == "/"
    assert client.get("/").status_code == 200
    dbs.refresh(user)
    assert user.last_login_at is not None and user.failed_logins == 0


def test_login_is_trimmed(client, make_user):
    """Spaces around the 工号 are ignored."""
    user = make_user()
    resp = _post_login(client, f"  {user.login} ", PASSWORD)
    assert resp.status_code == 302 and _path(resp) == "/"


def test_inactive_user_is_refused(client, make_user):
    """A deactivated account cannot log in, even with the right password."""
    user = make_user(active=False)
    resp = _post_login(client, user.login, PASSWORD)
    assert resp.status_code == 200
    assert "该账号已停用" in _html(resp)
    assert client.get("/").status_code == 302


def test_deactivated_user_loses_existing_session(client, make_user, login, dbs):
    """A user deactivated while logged in is logged out on the next request."""
    user = make_user()
    login(user)
    assert client.get("/").status_code == 200
    user.active = False
    dbs.flush()
    resp = client.get("/")
    assert resp.status_code == 302 and _path(resp) == "/login"


@pytest.mark.parametrize("target", ["/courses/", "/laws/search?q=%E7%BD%9A%E6%AC%BE"])
def test_next_local_path_is_honoured(client, make_user, target):
    """A local `next` path is where the user lands after logging in."""
    user = make_user()
    resp = _post_login(client, user.login, PASSWORD, next=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == target


@pytest.mark.parametrize("target", [
    "http://evil.example/", "https://evil.example/courses/", "//evil.example", "//evil.example/courses/",
    "/\\evil", "/\\/evil.example", "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)",
    "courses/", "",
])
def test_next_external_or_odd_target_goes_home(client, make_user, target):
    """A `next` that is not a plain local path is ignored: the user lands on the home page."""
    user = make_user()
    resp = _post_login(client, user.login, PASSWORD, next=target)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_next_with_newline_goes_home(client, make_user):
    """A `next` containing CR/LF is ignored: the user lands on the home page (no 500)."""
    user = make_user()
    resp = _post_login(client, user.login, PASSWORD, next="/courses/\r\nX-Evil: 1")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"


def test_logged_in_user_visiting_login_goes_home(client, make_user, login):
    """A logged-in user who opens /login is sent to the home page."""
    login(make_user())
    resp = client.get("/login?next=http://evil.example/")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_session_is_cleared_at_login(client, make_user):
    """Whatever was in the session before login is gone afterwards (fresh session)."""
    user = make_user()
    with client.session_transaction() as sess:
        sess["planted"] = "value-from-before"
    _post_login(client, user.login, PASSWORD)
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess.get("_user_id") == str(user.id)


# ---- logout ------------------------------------------------------------------------------------------

def test_logout_requires_post(client, make_user, login):
    """GET /logout is not allowed (405) and leaves the user logged in."""
    login(make_user())
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_logout_logs_out(client, make_user, login):
    """POST /logout ends the session and redirects to the login page with a message."""
    login(make_user())
    resp = client.post("/logout")
    assert resp.status_code == 302 and _path(resp) == "/login"
    page = client.get(resp.headers["Location"])
    assert "您已退出登录。" in _html(page)
    resp = client.get("/")
    assert resp.status_code == 302 and _path(resp) == "/login"


# ---- forced password change ----------------------------------------------------------------------------

def test_must_change_password_login_goes_to_change_page(client, make_user):
    """A user who must change the password is sent to /account/password right after login."""
    user = make_user(must_change_password=True)
    resp = _post_login(client, user.login, PASSWORD, next="/courses/")
    assert resp.status_code == 302 and _path(resp) == "/account/password"
    html = _html(client.get("/account/password"))
    assert "首次登录或密码已被重置，请先修改密码。" in html


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_must_change_password_is_enforced_on_every_page(client, make_user, login, role):
    """Until the password is changed, every page redirects to /account/password."""
    user = make_user(role=role, must_change_password=True)
    login(user)
    pages = ["/", "/courses/", "/laws/", "/laws/search?q=x", "/laws/行政处罚法/33", "/login"]
    if role == "admin":
        pages += ["/admin/users", "/admin/units", "/admin/roster", "/admin/laws", "/supervisor/"]
    for page in pages:
        resp = client.get(page)
        assert resp.status_code == 302, page
        assert _path(resp) == "/account/password", page
    assert client.get("/account/password").status_code == 200


def test_change_password_then_pages_open(client, make_user, login, dbs):
    """Changing the password clears the flag; the user lands home and pages open normally."""
    user = make_user(must_change_password=True)
    login(user)
    resp = client.post("/account/password",
                       data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302 and _path(resp) == "/"
    assert "密码已修改。" in _html(client.get("/"))
    assert client.get("/courses/").status_code == 200
    dbs.refresh(user)
    assert user.must_change_password is False
    assert check_password_hash(user.password_hash, NEW_PASSWORD)


def test_change_password_mismatch(client, make_user, login, dbs):
    """Two different new passwords are refused with a Chinese message; nothing changes."""
    user = make_user(must_change_password=True)
    login(user)
    resp = client.post("/account/password",
                       data={"current": PASSWORD, "new": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert resp.status_code == 200
    assert "两次输入的新密码不一致。" in _html(resp)
    dbs.refresh(user)
    assert user.must_change_password is True
    assert check_password_hash(user.password_hash, PASSWORD)


@pytest.mark.parametrize("new, message", [
    ("Ab1", "密码至少需要 8 位。"),
    ("abcdefghij", "密码需同时包含字母和数字。"),
    ("1234567890", "密码需同时包含字母和数字。"),
    (PASSWORD, "新密码不能与当前密码相同。"),
])
def test_change_password_rules(client, make_user, login, dbs, new, message):
    """A new password that breaks a rule is refused with its Chinese message; nothing changes."""
    user = make_user(must_change_password=True)
    login(user)
    resp = client.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert resp.status_code == 200
    assert message in _html(resp)
    dbs.refresh(user)
    assert user.must_change_password is True
    assert check_password_hash(user.password_hash, PASSWORD)


def test_change_password_wrong_current(client, make_user, login, dbs):
    """The current password must be right."""
    user = make_user(must_change_password=True)
    login(user)
    resp = client.post("/account/password",
                       data={"current": "not-the-Passw0rd", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 200
    assert "当前密码不正确。" in _html(resp)
    dbs.refresh(user)
    assert user.must_change_password is True


def test_change_password_requires_login(client):
    """Anonymous visitors are sent to the login page."""
    resp = client.get("/account/password")
    assert resp.status_code == 302 and _path(resp) == "/login"


# ---- CSRF ----------------------------------------------------------------------------------------------

@pytest.fixture()
def csrf_app(base_app):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": base_app.config["DATABASE_URL"]})
    yield app
    app.extensions["trainer.engine"].dispose()


def test_csrf_login_without_token_is_refused(csrf_app):
    """With CSRF on, a login POST without a token gets 400 页面已过期."""
    client = csrf_app.test_client()
    resp = client.post("/login", data={"login": "someone", "password": PASSWORD})
    assert resp.status_code == 400
    assert "页面已过期" in _html(resp)


def test_csrf_login_with_bad_token_is_refused(csrf_app):
    """With CSRF on, a forged token is refused too."""
    client = csrf_app.test_client()
    client.get("/login")
    resp = client.post("/login", data={"login": "someone", "password": PASSWORD, "csrf_token": "forged"})
    assert resp.status_code == 400
    assert "页面已过期" in _html(resp)


def test_csrf_login_with_token_reaches_the_form(csrf_app):
    """With the token from the login page, the POST is processed (wrong credentials → 200 message)."""
    import re
    client = csrf_app.test_client()
    html = _html(client.get("/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"login": "no-such-user-x", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 200
    assert "工号或密码错误" in _html(resp)


def test_csrf_logout_without_token_is_refused(csrf_app):
    """With CSRF on, POST /logout without a token is refused (no forced logout from other sites)."""
    client = csrf_app.test_client()
    resp = client.post("/logout")
    assert resp.status_code == 400
