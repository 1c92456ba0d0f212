"""Access matrix per route and role, and the supervisor's unit scope."""
from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

import pytest

PUBLIC_TO_STAFF = ["/", "/courses/", "/laws/", "/laws/search", "/laws/search?q=罚款"]
SUPERVISOR_PAGES = ["/supervisor/"]
ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/units", "/admin/roster", "/admin/laws",
               "/admin/roster/export", "/admin/roster/template"]
ALL_PAGES = PUBLIC_TO_STAFF + SUPERVISOR_PAGES + ADMIN_PAGES


def _html(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("url", ALL_PAGES)
def test_anonymous_is_sent_to_login(client, url):
    """Anonymous visitors of any page are redirected to /login with `next` pointing back."""
    resp = client.get(url)
    assert resp.status_code == 302
    loc = urlsplit(resp.headers["Location"])
    assert loc.path == "/login"
    assert unquote(parse_qs(loc.query)["next"][0]).startswith(urlsplit(url).path)


@pytest.mark.parametrize("url", ["/admin/users/new", "/admin/units", "/admin/roster", "/admin/roster/confirm",
                                  "/admin/laws", "/logout", "/account/password"])
def test_anonymous_post_is_not_processed(client, url):
    """Anonymous POSTs to protected forms are redirected to /login (or refused), never processed."""
    resp = client.post(url, data={})
    assert resp.status_code in (302, 401, 403)
    if resp.status_code == 302:
        assert urlsplit(resp.headers["Location"]).path == "/login"


@pytest.mark.parametrize("url", PUBLIC_TO_STAFF)
def test_staff_can_open_study_pages(client, make_user, login, url):
    """Staff can open the study and law pages."""
    login(make_user(role="staff"))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", SUPERVISOR_PAGES + ADMIN_PAGES)
def test_staff_is_forbidden_elsewhere(client, make_user, login, url):
    """Staff get 403 (无权访问) on supervisor and admin pages."""
    login(make_user(role="staff"))
    resp = client.get(url)
    assert resp.status_code == 403
    assert "无权访问" in _html(resp)


@pytest.mark.parametrize("url", ["/admin/users/new", "/admin/units", "/admin/roster", "/admin/roster/confirm",
                                  "/admin/laws"])
@pytest.mark.parametrize("role", ["staff", "supervisor"])
def test_non_admin_posts_to_admin_forms_are_forbidden(client, make_user, login, dbs, url, role):
    """POSTs to admin forms by staff or supervisors get 403 and create nothing."""
    from sqlalchemy import func, select
    from trainer.auth.models import Unit, User
    login(make_user(role=role))
    before = (dbs.scalar(select(func.count()).select_from(User)), dbs.scalar(select(func.count()).select_from(Unit)))
    resp = client.post(url, data={"login": "hacker1", "name": "黑客单位", "kind": "中队", "parent_id": "0",
                                   "role": "admin", "unit_id": "0", "password": "Passw0rd!x"})
    assert resp.status_code == 403
    after = (dbs.scalar(select(func.count()).select_from(User)), dbs.scalar(select(func.count()).select_from(Unit)))
    assert after == before


def test_staff_cannot_edit_users(client, make_user, login, dbs):
    """Staff cannot open or post another user's edit page or reset a password."""
    target = make_user(role="staff")
    login(make_user(role="staff"))
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    assert client.post(f"/admin/users/{target.id}", data={"name": "x", "role": "admin"}).status_code == 403
    assert client.post(f"/admin/users/{target.id}/password", data={"reset-password": "Hacked123"}).status_code == 403
    dbs.refresh(target)
    assert target.role == "staff"


@pytest.mark.parametrize("url", SUPERVISOR_PAGES)
def test_supervisor_can_open_overview(client, make_user, make_unit, login, url):
    """Supervisors can open the supervisor overview."""
    login(make_user(role="supervisor", supervises=[make_unit()]))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", PUBLIC_TO_STAFF[1:])
def test_supervisor_can_open_study_pages(client, make_user, make_unit, login, url):
    """Supervisors can read courses and laws too."""
    login(make_user(role="supervisor", supervises=[make_unit()]))
    assert client.get(url).status_code == 200


def test_supervisor_home_redirects_to_overview(client, make_user, make_unit, login):
    """The home page of a supervisor is the supervisor overview."""
    login(make_user(role="supervisor", supervises=[make_unit()]))
    resp = client.get("/")
    assert resp.status_code == 302 and urlsplit(resp.headers["Location"]).path == "/supervisor/"


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_supervisor_is_forbidden_on_admin_pages(client, make_user, make_unit, login, url):
    """Supervisors get 403 on every admin page."""
    login(make_user(role="supervisor", supervises=[make_unit()]))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", ALL_PAGES)
def test_admin_can_open_everything(client, make_user, login, url):
    """Admins get 200 on every page."""
    login(make_user(role="admin"))
    assert client.get(url).status_code == 200


def test_admin_edit_pages_open(client, make_user, make_unit, login):
    """Admins can open a user's and a unit's edit page; unknown ids give 404."""
    unit = make_unit()
    user = make_user(unit=unit)
    login(make_user(role="admin"))
    assert client.get(f"/admin/users/{user.id}").status_code == 200
    assert client.get(f"/admin/units/{unit.id}").status_code == 200
    assert client.get("/admin/users/999999").status_code == 404
    assert client.get("/admin/units/999999").status_code == 404


# ---- supervisor scope --------------------------------------------------------------------------------

@pytest.fixture()
def scope(make_unit, make_user):
    unit_a = make_unit("甲大队", kind="大队")
    unit_a1 = make_unit("甲大队一中队", parent=unit_a)
    unit_b = make_unit("乙大队", kind="大队")
    people = {
        "a": make_user(unit=unit_a, login="scope-a-01", name="甲队员工"),
        "a1": make_user(unit=unit_a1, login="scope-a1-01", name="甲一中队员工"),
        "b": make_user(unit=unit_b, login="scope-b-01", name="乙队员工"),
    }
    sup = make_user(role="supervisor", unit=unit_a, login="scope-sup", name="甲队主管", supervises=[unit_a])
    return {"A": unit_a, "A1": unit_a1, "B": unit_b, "people": people, "sup": sup}


def test_supervisor_sees_own_subtree_only(client, login, scope):
    """A supervisor of unit A sees staff of A and its child A1 but nobody from unit B."""
    login(scope["sup"])
    html = _html(client.get("/supervisor/"))
    for key in ("a", "a1"):
        assert scope["people"][key].login in html
        assert scope["people"][key].name in html
    assert scope["people"]["b"].login not in html
    assert scope["people"]["b"].name not in html
    assert "乙大队" not in html


def test_supervisor_cannot_filter_into_other_unit(client, login, scope):
    """?unit=<B id> does not reveal unit B's staff to a supervisor of A."""
    login(scope["sup"])
    resp = client.get(f"/supervisor/?unit={scope['B'].id}")
    assert resp.status_code == 200
    html = _html(resp)
    assert scope["people"]["b"].login not in html
    assert scope["people"]["b"].name not in html


def test_supervisor_filter_within_scope(client, login, scope):
    """?unit=<A1 id> narrows the list to A1's staff."""
    login(scope["sup"])
    html = _html(client.get(f"/supervisor/?unit={scope['A1'].id}"))
    assert scope["people"]["a1"].login in html
    assert scope["people"]["a"].login not in html


@pytest.mark.parametrize("sort", ["login", "name", "unit", "studied", "time", "last", "bogus"])
def test_supervisor_sorting_keeps_scope(client, login, scope, sort):
    """Every sort order works (200) and still hides unit B."""
    login(scope["sup"])
    for direction in ("asc", "desc"):
        resp = client.get(f"/supervisor/?sort={sort}&dir={direction}")
        assert resp.status_code == 200
        html = _html(resp)
        assert scope["people"]["a1"].login in html
        assert scope["people"]["b"].login not in html


def test_supervisor_without_units_sees_nobody(client, make_user, login, scope):
    """A supervisor who oversees no unit sees no staff at all."""
    login(make_user(role="supervisor", unit=scope["A"]))
    html = _html(client.get("/supervisor/"))
    assert "没有人员。" in html
    for person in scope["people"].values():
        assert person.login not in html


def test_admin_sees_everyone(client, make_user, login, scope):
    """On /supervisor/ an admin sees the staff of every unit."""
    login(make_user(role="admin"))
    html = _html(client.get("/supervisor/"))
    for person in scope["people"].values():
        assert person.login in html and person.name in html
    html = _html(client.get(f"/supervisor/?unit={scope['B'].id}"))
    assert scope["people"]["b"].login in html
    assert scope["people"]["a"].login not in html
