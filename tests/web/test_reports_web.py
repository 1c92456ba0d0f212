"""Report and leaderboard pages through the test client: the access matrix (staff 403, supervisors only their units
and people), every Excel export (opens in openpyxl, bold frozen header, numbers as numbers, nothing of another unit
in a supervisor's file), the leaderboard for staff and its full-screen view, the drive settings form (admin only,
validation) and the print styles. Views use the real clock, so the exam and the drive are placed around now."""
from __future__ import annotations

import functools
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from io import BytesIO
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from support import bank_question_yaml, loaded_bank
from trainer.banks.models import Question
from trainer.banks.services import import_bank
from trainer.banks.types import LETTERS, canonical_to_display
from trainer.contest import services as contest
from trainer.exams import services as exams
from trainer.practice import services as practice
from trainer.practice.models import PracticeItem
from trainer.reports.models import Drive
from trainer.study.models import Course
from trainer.study.services import mark_studied

LOCAL = ZoneInfo("Asia/Shanghai")
LAW = "行政处罚法"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
M = timedelta(minutes=1)
WEIGHT_ERROR = "考试、学习、练习三项权重应为非负数，合计 100。"


# ---- a small bank: five exam questions (tag 报表页面考试) and practice questions on known articles ------------

def _bank_yaml() -> str:
    out = ["format: 1", "bank: report-web", "title: 报表页面测试题库", "course: 行政处罚法", "questions:"]

    def q(key, qtype, stem, answer, article, *, options=None, tags=()):
        bank_question_yaml(out, key, qtype, stem, answer, article, options=options, tags=tags)

    for n in range(1, 5):
        q(f"rwe-{n:04d}", "judge", f"页面报表判断题第{n}题。", "true" if n % 2 else "false", 10, tags=("报表页面考试",))
    q("rwe-0005", "single", "页面报表单选题（ ）。", "C", 10, options=["甲项", "乙项", "丙项", "丁项"], tags=("报表页面考试",))
    for n, article in enumerate([33, 33, 33, 34, 34, 36, 36], 1):
        q(f"rwp-{n:04d}", "judge", f"页面报表练习题第{n}题（第{article}条）。", "true" if n % 2 else "false", article)
    return "\n".join(out) + "\n"


@functools.cache
def _spec():
    return loaded_bank(_bank_yaml(), "report-web.yaml")


SECTIONS = [{"title": "判断题", "type": "judge", "count": 4, "points": 20, "tags": ["报表页面考试"]},
            {"title": "单选题", "type": "single", "count": 1, "points": 20, "tags": ["报表页面考试"]}]
ORDER = ["rwe-0001", "rwe-0002", "rwe-0003", "rwe-0004", "rwe-0005"]


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _response(q: Question, order, ok: bool):
    if q.type == "judge":
        return "true" if q.answer_value == ok else "false"
    canonical = q.answer_value if ok else next(c for c in LETTERS[:len(q.option_list)] if c not in q.answer_value)
    return canonical_to_display(canonical, order) if order else canonical


def sit(dbs, user, exam, n_right: int, at: datetime):
    attempt = exams.start_attempt(dbs, user, exam, now=at)
    for item in attempt.items:
        q = dbs.get(Question, item.question_id)
        exams.save_answer(dbs, user.id, attempt.id, item.position, 1,
                          _response(q, item.order, q.key in ORDER[:n_right]), now=at + M)
    assert exams.submit(dbs, attempt, now=at + 20 * M)
    return attempt


def practise_article(dbs, user, number: int, pattern, at: datetime):
    session = practice.start_article(dbs, user, LAW, number, size=len(pattern), now=at)
    items = list(dbs.scalars(select(PracticeItem).where(PracticeItem.session_id == session.id)
                             .order_by(PracticeItem.position)))
    for item, ok in zip(items, pattern):
        q = dbs.get(Question, item.question_id)
        practice.answer(dbs, user, session.id, item.position, _response(q, item.order, ok), now=at)


# ---- the site: A (with A1) and B, an exam open now, a current drive -------------------------------------------

@pytest.fixture()
def site(dbs, make_unit, make_user):
    import_bank(dbs, _spec())
    dbs.flush()
    now = _now()
    A = make_unit("报表页面甲大队", kind="大队")
    A1 = make_unit("报表页面甲一中队", parent=A)
    B = make_unit("报表页面乙大队", kind="大队")
    s = SimpleNamespace(A=A, A1=A1, B=B)
    s.admin = make_user(role="admin", unit=A, login="rwadmin", name="报表管理员")
    s.sup = make_user(role="supervisor", unit=A, login="rwsup", name="报表主管", supervises=[A])
    s.a1 = make_user(role="staff", unit=A, login="rwa1", name="甲学员一")
    s.a2 = make_user(role="staff", unit=A, login="rwa2", name="甲学员二")
    s.x1 = make_user(role="staff", unit=A1, login="rwx1", name="甲一学员")
    s.y1 = make_user(role="staff", unit=B, login="rwy1", name="乙学员一")
    s.y2 = make_user(role="staff", unit=B, login="rwy2", name="乙学员二")
    s.course = dbs.scalar(select(Course).where(Course.key == LAW))
    for user in (s.a1, s.x1, s.y1):
        mark_studied(dbs, user, s.course.modules[0], now=(now - 5 * 60 * M).replace(tzinfo=None))
    exam, errors, _ = exams.save_exam(dbs, s.admin, exams.ExamData(
        title="报表页面考试", open_at=now - 180 * M, close_at=now + 180 * M, sections=SECTIONS, time_limit_minutes=60,
        pass_mark=60.0, unit_ids=(A.id, B.id)))
    assert exam is not None, errors
    exams.set_status(dbs, s.admin, exam, "published")
    s.exam = exam
    sit(dbs, s.a1, exam, 4, now - 150 * M)        # 80
    sit(dbs, s.x1, exam, 2, now - 140 * M)        # 40
    sit(dbs, s.y1, exam, 3, now - 130 * M)        # 60
    practise_article(dbs, s.a1, 33, [True, False, True], now - 240 * M)
    s.a1_last_activity = now - 240 * M
    practise_article(dbs, s.x1, 34, [False, False], now - 230 * M)
    practise_article(dbs, s.y1, 36, [True, False], now - 220 * M)
    today = now.astimezone(LOCAL).date()
    s.drive = contest.save_drive(dbs, s.admin, contest.DriveData(
        title="报表页面练兵", start_date=today - timedelta(days=10), end_date=today + timedelta(days=10),
        course_ids=[s.course.id], exam_ids=[exam.id]))
    dbs.flush()
    return s


def report_urls(s) -> list[str]:
    return ["/reports/", "/reports/coverage", "/reports/units", "/reports/knowledge", f"/reports/people/{s.a1.id}",
            f"/reports/exams/{s.exam.id}", f"/reports/knowledge?user={s.a1.id}", f"/reports/coverage?unit={s.A1.id}"]


def export_urls(s) -> list[str]:
    return ["/reports/coverage?format=xlsx-units", "/reports/coverage?format=xlsx-people",
            "/reports/coverage?format=xlsx-behind", "/reports/units?format=xlsx", "/reports/knowledge?format=xlsx",
            f"/reports/people/{s.a1.id}?format=xlsx", f"/reports/exams/{s.exam.id}?format=xlsx"]


# ---- access ---------------------------------------------------------------------------------------------

def test_anonymous_is_sent_to_login(client, site):
    """Report pages and the leaderboard need a login."""
    for url in report_urls(site)[:3] + ["/drive/", "/admin/drives/"]:
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], url


def test_staff_get_403_on_every_report_page_and_export(site, client_for):
    """Reports are for supervisors and admins: staff get 403, pages and exports alike."""
    c = client_for(site.a1)
    for url in report_urls(site) + export_urls(site):
        assert c.get(url).status_code == 403, url


def test_supervisor_opens_their_report_pages(site, client_for):
    """A supervisor gets 200 on the reports of their units and people."""
    c = client_for(site.sup)
    for url in report_urls(site) + [f"/reports/people/{site.x1.id}", f"/reports/knowledge?unit={site.A1.id}"]:
        resp = c.get(url)
        assert resp.status_code == 200, url
        assert "乙学员" not in resp.get_data(as_text=True), url


@pytest.mark.parametrize("url", [
    "/reports/coverage?unit={B}", "/reports/knowledge?unit={B}", "/reports/coverage?unit={B}&format=xlsx-people",
    "/reports/people/{y1}", "/reports/people/{y1}?format=xlsx", "/reports/knowledge?user={y1}",
    "/reports/knowledge?user={y1}&format=xlsx",
])
def test_supervisor_gets_403_for_another_unit_and_its_people(site, client_for, url):
    """Another unit via ?unit=, another unit's person's record or knowledge: 403 (exports too)."""
    c = client_for(site.sup)
    assert c.get(url.format(B=site.B.id, y1=site.y1.id)).status_code == 403


def test_supervisor_pages_show_only_their_people(site, client_for):
    """The coverage page of A's supervisor lists A's and A1's people, none of B's, and no B unit."""
    html = client_for(site.sup).get("/reports/coverage").get_data(as_text=True)
    for name in ("甲学员一", "甲学员二", "甲一学员", "报表页面甲大队", "报表页面甲一中队"):
        assert name in html
    for name in ("乙学员一", "乙学员二", "报表页面乙大队"):
        assert name not in html


def test_admin_sees_everyone(site, client_for):
    """An admin's coverage page lists every unit's people."""
    html = client_for(site.admin).get("/reports/coverage").get_data(as_text=True)
    assert "乙学员一" in html and "甲一学员" in html


def test_unknown_exam_or_person(site, client_for):
    """An unknown exam is 404; an unknown person is refused like one out of scope."""
    c = client_for(site.admin)
    assert c.get("/reports/exams/999999").status_code == 404
    assert c.get("/reports/people/99999999").status_code == 403


# ---- exports --------------------------------------------------------------------------------------------

def _workbook(resp):
    assert resp.status_code == 200
    assert resp.mimetype == XLSX
    assert "attachment" in resp.headers.get("Content-Disposition", "")
    wb = load_workbook(BytesIO(resp.data))
    return wb.active


_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?%?\s*$")


def _check_sheet(ws, url):
    rows = list(ws.iter_rows())
    assert rows, url
    header = rows[0]
    assert all(c.value for c in header), url
    assert all(c.font.bold for c in header), url
    assert ws.freeze_panes == "A2", url
    numbers = 0
    for row in rows[1:]:
        for cell in row:
            if isinstance(cell.value, str):
                assert not _NUMBER.match(cell.value), f"{url}: {cell.coordinate} {cell.value!r} is a number as text"
            elif isinstance(cell.value, (int, float)):
                numbers += 1
    return numbers


@pytest.mark.parametrize("who", ["admin", "sup"])
def test_every_export_is_a_proper_workbook(site, client_for, who):
    """Each export opens in openpyxl with a bold, frozen header row and numbers stored as numbers."""
    c = client_for(getattr(site, who))
    for url in export_urls(site):
        ws = _check_sheet(_workbook(c.get(url)), url)
        assert ws > 0, f"{url}: no numeric cell at all"


def _cells(ws) -> list:
    return [c.value for row in ws.iter_rows() for c in row]


def _table(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_people_export_values(site, client_for):
    """人员明细: one row per person, modules studied and exam score as numbers, percentages formatted."""
    c = client_for(site.admin)
    people = {r["工号"]: r for r in _table(_workbook(c.get("/reports/coverage?format=xlsx-people")))}
    assert set(people) == {"rwa1", "rwa2", "rwx1", "rwy1", "rwy2"}
    exam_col = "报表页面考试（成绩）"
    assert people["rwa1"][exam_col] == 80.0 and people["rwy1"][exam_col] == 60.0
    assert people["rwa2"][exam_col] is None
    studied_col = next(k for k in people["rwa1"] if k.startswith(LAW))
    assert people["rwa1"][studied_col] == 1 and people["rwa2"][studied_col] == 0
    ws = _workbook(c.get("/reports/coverage?format=xlsx-units"))
    units = {r["单位"].strip("　"): r for r in _table(ws)}
    a = units["报表页面甲大队"]
    assert (a["人数"], a["参学人数"], a["参考人数"], a["合格人数"]) == (3, 2, 2, 1)
    assert a["参学率"] == pytest.approx(2 / 3, abs=1e-4) and a["平均分"] == pytest.approx(60.0)
    assert ws["D2"].number_format == "0.0%"


def test_exported_last_activity_is_in_local_time(site, client_for):
    """最近学习 in the people export is Shanghai time, as on the page (UTC is only for the database)."""
    c = client_for(site.admin)
    expected = site.a1_last_activity.astimezone(LOCAL).strftime("%Y-%m-%d %H:%M")
    people = {r["工号"]: r for r in _table(_workbook(c.get("/reports/coverage?format=xlsx-people")))}
    assert people["rwa1"]["最近学习"] == expected


def test_export_keeps_text_that_looks_like_a_formula_as_is(site, client_for, make_user):
    """A name starting with = or - is exported as that very text, stored as a string (never a formula)."""
    make_user(role="staff", unit=site.A, login="rwf1", name="=1+2")
    make_user(role="staff", unit=site.A, login="rwf2", name="-李四")
    ws = _workbook(client_for(site.admin).get("/reports/coverage?format=xlsx-people"))
    cells = {row[0].value: row[1] for row in ws.iter_rows(min_row=2)}
    assert cells["rwf1"].data_type == "s" and cells["rwf2"].data_type == "s"
    assert (cells["rwf1"].value, cells["rwf2"].value) == ("=1+2", "-李四")


def test_supervisor_exports_contain_nobody_of_another_unit(site, client_for):
    """No login, name or unit of B appears in any of the supervisor's files."""
    c = client_for(site.sup)
    for url in export_urls(site):
        text = " ".join(str(v) for v in _cells(_workbook(c.get(url))) if v is not None)
        for other in ("rwy1", "rwy2", "乙学员一", "乙学员二", "报表页面乙大队"):
            assert other not in text, f"{url} contains {other}"
    people = _table(_workbook(c.get("/reports/coverage?format=xlsx-people")))
    assert {r["工号"] for r in people} == {"rwa1", "rwa2", "rwx1"}
    behind = _table(_workbook(c.get("/reports/coverage?format=xlsx-behind")))
    assert {r["工号"]: r["需督促"] for r in behind} == {"rwa2": "未学习、未参考", "rwx1": "未合格"}


def test_supervisor_item_analysis_export_counts_their_attempts_only(site, client_for):
    """The supervisor's item analysis is over A's and A1's two attempts; the admin's over all three."""
    sup = _table(_workbook(client_for(site.sup).get(f"/reports/exams/{site.exam.id}?format=xlsx")))
    adm = _table(_workbook(client_for(site.admin).get(f"/reports/exams/{site.exam.id}?format=xlsx")))
    assert {r["试题编号"] for r in sup} == set(ORDER)
    assert {r["作答次数"] for r in sup} == {2} and {r["作答次数"] for r in adm} == {3}


# ---- leaderboard ------------------------------------------------------------------------------------------

def test_staff_leaderboard_shows_my_rank(site, client_for):
    """/drive/ for a staff member: the drive, their rank (我的名次) and unit rank, the boards."""
    resp = client_for(site.a1).get("/drive/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "报表页面练兵" in html and "我的名次" in html and "我所在单位" in html
    assert 'id="people-board"' in html and 'id="unit-board"' in html


def test_supervisor_leaderboard_has_no_personal_rank(site, client_for):
    """A supervisor is not on the board: no 我的名次 card."""
    resp = client_for(site.sup).get("/drive/")
    assert resp.status_code == 200 and "我的名次" not in resp.get_data(as_text=True)


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data") and value:
                self.refs.append(value)


def test_full_screen_leaderboard_has_no_external_references(site, client_for):
    """?full=1 renders a standalone page whose every src/href is local (no CDN, nothing off-site)."""
    resp = client_for(site.a1).get(f"/drive/{site.drive.id}?full=1")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "单位排行" in html and "个人前十" in html and "报表页面练兵" in html
    parser = _Refs()
    parser.feed(html)
    assert parser.refs, "expected local stylesheets"
    for ref in parser.refs:
        assert ref.startswith("/") and not ref.startswith("//"), ref
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html.replace('http-equiv="refresh"', "")), \
        "an absolute URL in the page"
    for ref in parser.refs:
        assert client_for(site.a1).get(ref.split("?")[0]).status_code == 200, ref


def test_staff_see_the_frozen_board_and_supervisors_the_live_one(dbs, site, client_for):
    """After freeze_at staff see the 封榜 notice and scores as of the freeze; supervisors the live board."""
    site.drive.freeze_at = (_now() - 200 * M).replace(tzinfo=None)   # before every attempt
    dbs.flush()
    staff = client_for(site.a1).get("/drive/").get_data(as_text=True)
    assert "封榜" in staff
    live = client_for(site.sup).get("/drive/").get_data(as_text=True)
    assert "封榜" not in live


def test_no_drive_page(client_for, make_user, dbs):
    """Without any drive the leaderboard says so."""
    if dbs.scalar(select(func.count()).select_from(Drive)):
        pytest.skip("a drive exists in this database")
    resp = client_for(make_user(role="staff")).get("/drive/")
    assert resp.status_code == 200 and "还没有设置练兵周期" in resp.get_data(as_text=True)


# ---- drive settings ---------------------------------------------------------------------------------------

def _form(site, **changes) -> dict:
    today = datetime.now(LOCAL).date()
    form = {"title": "报表页面新周期", "start_date": str(today), "end_date": str(today + timedelta(days=30)),
            "exam_weight": "60", "study_weight": "20", "practice_weight": "20", "practice_daily_cap": "20",
            "unit_sort": "average", "courses": [str(site.course.id)], "exams": [str(site.exam.id)], "freeze_at": ""}
    form.update(changes)
    return form


def test_drive_settings_are_admin_only(site, client_for):
    """/admin/drives/ (GET and POST) is for admins: staff and supervisors get 403 and nothing is created."""
    for user in (site.a1, site.sup):
        c = client_for(user)
        assert c.get("/admin/drives/").status_code == 403
        assert c.get(f"/admin/drives/{site.drive.id}").status_code == 403
        assert c.post("/admin/drives/", data=_form(site)).status_code == 403
    c = client_for(site.admin)
    assert c.get("/admin/drives/").status_code == 200
    assert c.get(f"/admin/drives/{site.drive.id}").status_code == 200
    assert c.get("/admin/drives/999999").status_code == 404


def _count(dbs) -> int:
    return dbs.scalar(select(func.count()).select_from(Drive))


def test_drive_with_bad_weights_shows_the_error_and_writes_nothing(dbs, site, client_for):
    """Weights adding up to 110: the Chinese error is shown, no drive is created or changed."""
    before = _count(dbs)
    c = client_for(site.admin)
    resp = c.post("/admin/drives/", data=_form(site, exam_weight="70"))
    assert resp.status_code == 200
    assert WEIGHT_ERROR in resp.get_data(as_text=True)
    assert _count(dbs) == before
    resp = c.post(f"/admin/drives/{site.drive.id}", data=_form(site, title="改名", practice_weight="-20",
                                                               exam_weight="100"))
    assert WEIGHT_ERROR in resp.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Drive, site.drive.id).title == "报表页面练兵"


def test_drive_with_a_malformed_date_shows_the_error(dbs, site, client_for):
    """A date that is not 年-月-日: the form's Chinese error, nothing written."""
    before = _count(dbs)
    resp = client_for(site.admin).post("/admin/drives/", data=_form(site, start_date="2026/03/01"))
    assert resp.status_code == 200 and "日期格式为 年-月-日" in resp.get_data(as_text=True)
    assert _count(dbs) == before


def test_saving_a_drive(dbs, site, client_for):
    """A valid form creates the drive and redirects to its settings page."""
    before = _count(dbs)
    resp = client_for(site.admin).post("/admin/drives/", data=_form(site, freeze_at="2026-03-20T18:30"))
    assert resp.status_code == 302
    assert _count(dbs) == before + 1
    drive = dbs.scalar(select(Drive).where(Drive.title == "报表页面新周期"))
    assert resp.headers["Location"].endswith(f"/admin/drives/{drive.id}")
    assert drive.freeze_at == datetime(2026, 3, 20, 10, 30)      # 18:30 Shanghai in UTC
    assert [c.id for c in drive.courses] == [site.course.id]


# ---- print --------------------------------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Controls(HTMLParser):
    """Finds the page's controls (export links, print buttons, filter forms) and whether each is hidden in print
    (d-print-none on itself or an ancestor)."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.controls: list[tuple[str, bool]] = []
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        hidden = "d-print-none" in (a.get("class") or "").split() or any(h for _, h in self.stack)
        if tag == "link" and a.get("rel") == "stylesheet":
            self.stylesheets.append(a.get("href") or "")
        control = None
        if tag == "a" and "format=" in (a.get("href") or ""):
            control = f"export {a['href']}"
        elif tag == "button" and "print" in (a.get("onclick") or ""):
            control = "print button"
        elif tag == "form" and (a.get("method") or "get").lower() == "get":
            control = "filter form"
        if control:
            self.controls.append((control, hidden))
        if tag not in _VOID:
            self.stack.append((tag, hidden))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break


def test_report_pages_hide_their_controls_in_print(site, client_for):
    """Every report page links the app stylesheet (with its @media print rules) and marks its export links, print
    buttons and filter forms d-print-none."""
    c = client_for(site.admin)
    pages = ["/reports/coverage", "/reports/units", "/reports/knowledge", f"/reports/people/{site.a1.id}",
             f"/reports/exams/{site.exam.id}"]
    for url in pages:
        resp = c.get(url)
        assert resp.status_code == 200, url
        parser = _Controls()
        parser.feed(resp.get_data(as_text=True))
        assert any(h.endswith("css/app.css") for h in parser.stylesheets), url
        assert any(kind.startswith("export") for kind, _ in parser.controls), url
        assert any(kind == "print button" for kind, _ in parser.controls), url
        shown = [kind for kind, hidden in parser.controls if not hidden]
        assert not shown, f"{url}: visible in print: {shown}"
    css = c.get("/static/css/app.css").get_data(as_text=True)
    assert re.search(r"@media print\s*\{[^}]*\.d-print-none", css)
