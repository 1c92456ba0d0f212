"""Exam pages through the test client: the access matrix, nothing of the answers or the score leaks while an attempt
is open, the JSON save endpoint (400/409/CSRF), the admin flow (create via the form, publish, start, monitor,
force submit, result per release policy) and the supervisor's scope. Views use the real clock, so exams here
are open around the real now."""
from __future__ import annotations

import functools
import html as htmllib
import json
import re
from datetime import timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from support import PASSWORD, attempt_items, loaded_bank, location_path, page_text, right_answer, wrong_answer
from trainer import create_app
from trainer.audit import AuditLog
from trainer.banks.bankfile import load_bank
from trainer.banks.models import Question
from trainer.banks.services import import_bank
from trainer.exams import services as svc
from trainer.exams.models import Attempt, AttemptItem, Exam, FocusEvent

LOCAL = ZoneInfo("Asia/Shanghai")
M = timedelta(minutes=1)
BANKS = Path(__file__).resolve().parents[2] / "question_banks"


# ---- a bank whose every answer, explanation and scoring point carries a unique marker ----------------------

def _bank_yaml() -> str:
    out = ["format: 1", "bank: exam-web", "title: 考试页面测试题库", "course: 行政处罚法", "questions:"]

    def q(key, qtype, stem, answer, explanation, *, options=None, extra=""):
        out.extend([f"  - key: {key}", f"    type: {qtype}", f"    stem: \"{stem}\""])
        if options:
            out.append("    options:")
            out.extend(f"      - \"{o}\"" for o in options)
        out.extend([f"    answer: {answer}", f"    explanation: \"{explanation}\""])
        if extra:
            out.append(extra)
        out.extend(["    citations:\n      - {law: 行政处罚法, article: 10}", "    difficulty: 2",
                    "    status: published"])

    for n in range(1, 9):
        q(f"exw-{n:04d}", "single", f"页面单选题第{n}题（ ）。", "ABCD"[n % 4], f"秘密解析单选{n}号内容",
          options=[f"单选{n}项{c}" for c in "甲乙丙丁"])
    for n, answer in enumerate(["ABD", "BC", "ACE", "ABCD"], 11):
        q(f"exw-{n:04d}", "multiple", f"页面多选题第{n}题（ ）。", answer, f"秘密解析多选{n}号内容",
          options=[f"多选{n}项{c}" for c in "甲乙丙丁戊"])
    for n in range(21, 25):
        q(f"exw-{n:04d}", "judge", f"页面判断题第{n}题。", "true" if n % 2 else "false", f"秘密解析判断{n}号内容")
    for n in range(31, 34):
        q(f"exw-{n:04d}", "blank", f"页面填空题第{n}题：____和____。",
          f"\n      - [\"隐藏答案甲{n}\", \"隐藏答案甲{n}号\"]\n      - [\"隐藏答案乙{n}\"]", f"秘密解析填空{n}号内容")
    for n in range(41, 43):
        q(f"exw-{n:04d}", "case", f"页面案例题第{n}题，请分析。", f"\"秘密参考答案案例{n}号\"", f"秘密解析案例{n}号内容",
          extra=f"    scoring_points:\n      - {{point: \"秘密评分要点{n}号\", score: 10}}")
    return "\n".join(out) + "\n"


@functools.cache
def _spec():
    return loaded_bank(_bank_yaml(), "exam-web.yaml")


@functools.cache
def _shipped_spec(name: str):
    spec, issues = load_bank((BANKS / f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")
    assert spec is not None, issues
    return spec


SECTIONS = [  # 100 points
    {"title": "一、单选题", "type": "single", "count": 3, "points": 10},
    {"title": "二、多选题", "type": "multiple", "count": 2, "points": 10},
    {"title": "三、判断题", "type": "judge", "count": 2, "points": 10},
    {"title": "四、填空题", "type": "blank", "count": 1, "points": 10},
    {"title": "五、案例分析题", "type": "case", "count": 1, "points": 20},
]
AUTO_ONLY = [  # 100 points, no manual grading
    {"title": "一、单选题", "type": "single", "count": 4, "points": 10},
    {"title": "二、多选题", "type": "multiple", "count": 2, "points": 15},
    {"title": "三、判断题", "type": "judge", "count": 2, "points": 15},
]
LEAK_LABELS = ("正确答案", "解析")


@pytest.fixture()
def bank(dbs):
    import_bank(dbs, _spec())
    dbs.flush()


@pytest.fixture()
def admin(make_user):
    return make_user(role="admin", login="wadmin")


@pytest.fixture()
def candidate(make_user):
    return make_user(role="staff", login="wcand")


@pytest.fixture()
def make_exam(dbs, bank, admin):
    def factory(*, users=(), units=(), sections=None, publish=True, **kw) -> Exam:
        now = svc.now_utc()
        fields = dict(title="页面测试考试", open_at=now - 2 * M, close_at=now + 24 * 60 * M, time_limit_minutes=60)
        fields.update(kw)
        exam, errors, _ = svc.save_exam(dbs, admin, svc.ExamData(
            sections=list(sections or SECTIONS), user_ids=tuple(u.id for u in users),
            unit_ids=tuple(u.id for u in units), **fields))
        assert exam is not None, errors
        if publish:
            svc.set_status(dbs, admin, exam, "published")
        dbs.commit()
        return exam
    return factory


@pytest.fixture()
def exam(make_exam, candidate):
    return make_exam(users=[candidate])


def _html(resp) -> str:
    return resp.get_data(as_text=True)


_text, _path = page_text, location_path


def _start(c, exam) -> int:
    resp = c.post(f"/exams/{exam.id}/start")
    assert resp.status_code == 302, _html(resp)[:300]
    match = re.fullmatch(r"/exams/a/(\d+)", _path(resp))
    assert match, _path(resp)
    return int(match.group(1))


_items, _right, _other = attempt_items, right_answer, wrong_answer


def _save(c, attempt_id: int, body, **kw):
    return c.post(f"/exams/a/{attempt_id}/save", json=body, headers={"Accept": "application/json"}, **kw)


def _secrets(questions) -> list[str]:
    """Everything a candidate must not see while the attempt is open."""
    out = []
    for q in questions:
        out.append(q.explanation)
        if q.type == "blank":
            out.extend(v for variants in q.answer_value for v in variants)
        if q.type == "case":
            out.append(q.answer_value)
            out.extend(p["point"] for p in q.scoring_point_list)
    return out


def _assert_nothing_leaked(body: str, secrets: list[str], where: str) -> None:
    text = htmllib.unescape(body)
    try:  # JSON bodies: also check decoded strings
        text += json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        pass
    for secret in secrets:
        assert secret not in text, f"{where} leaks {secret!r}"
    for label in LEAK_LABELS:
        assert label not in text, f"{where} shows the label {label!r}"
    for score in ("result-score", "合格", "分数", '"score"', '"earned"', '"passed"', '"answer"'):
        assert score not in text, f"{where} shows {score!r}"


# ---- access ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,url", [
    ("get", "/exams/"), ("get", "/exams/1"), ("post", "/exams/1/start"), ("get", "/exams/a/1"),
    ("post", "/exams/a/1/save"), ("post", "/exams/a/1/submit"), ("post", "/exams/a/1/focus"),
    ("get", "/exams/a/1/result"), ("get", "/admin/exams/"), ("get", "/admin/exams/1/monitor"),
])
def test_anonymous_is_sent_to_login(client, method, url):
    """Every exam page and endpoint sends anonymous visitors to the login page."""
    resp = getattr(client, method)(url)
    assert resp.status_code == 302 and _path(resp) == "/login"


def test_candidate_cannot_use_another_candidates_attempt(dbs, make_exam, make_user, client_for):
    """Another candidate's attempt is 404 for pages and 400 for the JSON endpoints; nothing changes."""
    owner, intruder = make_user(login="wowner"), make_user(login="wintruder")
    exam = make_exam(users=[owner, intruder])
    attempt_id = _start(client_for(owner), exam)
    c = client_for(intruder)
    assert c.get(f"/exams/a/{attempt_id}").status_code == 404
    assert c.get(f"/exams/a/{attempt_id}/result").status_code == 404
    assert c.post(f"/exams/a/{attempt_id}/submit").status_code == 404
    resp = _save(c, attempt_id, {"position": 1, "seq": 1, "response": "A"})
    assert resp.status_code == 400 and resp.get_json() == {"error": "答卷不存在，或不是您的答卷。"}
    resp = c.post(f"/exams/a/{attempt_id}/focus", json={"kind": "hidden"})
    assert resp.status_code == 400
    assert c.get("/exams/a/999999").status_code == 404
    dbs.expire_all()
    attempt = dbs.get(Attempt, attempt_id)
    assert attempt.submitted_at is None and attempt.focus_events == 0
    assert all(i.response is None for i, _ in _items(dbs, attempt_id))


def test_uninvited_user_cannot_start(dbs, exam, make_user, client_for):
    """Somebody not invited gets the Chinese refusal, no attempt, and does not see the exam at all."""
    outsider = make_user(login="woutsider")
    c = client_for(outsider)
    resp = c.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "您不在本场考试的参考名单中。" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) == 0
    assert c.get(f"/exams/{exam.id}").status_code == 404
    assert exam.title not in _text(c.get("/exams/"))


def test_draft_exam_is_invisible_and_cannot_be_started(dbs, make_exam, candidate, client_for):
    """A draft exam is 404 for its candidates and cannot be started."""
    exam = make_exam(users=[candidate], publish=False)
    c = client_for(candidate)
    assert c.get(f"/exams/{exam.id}").status_code == 404
    resp = c.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "考试尚未发布。" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) == 0


@pytest.mark.parametrize("method,path", [
    ("get", "/admin/exams/"), ("get", "/admin/exams/new"), ("post", "/admin/exams/new"), ("get", "/admin/exams/{id}"),
    ("get", "/admin/exams/{id}/edit"), ("post", "/admin/exams/{id}/status"), ("get", "/admin/exams/{id}/monitor"),
    ("get", "/admin/exams/{id}/grading"), ("post", "/admin/exams/{id}/grading"), ("get", "/admin/exams/{id}/scores"),
    ("post", "/admin/exams/{id}/release"), ("post", "/admin/exams/{id}/override"),
    ("post", "/admin/exams/attempts/{attempt}/force-submit"), ("post", "/admin/exams/attempts/{attempt}/extend"),
])
def test_staff_cannot_open_exam_admin(dbs, exam, candidate, client_for, method, path):
    """Staff get 403 on every exam administration page and action."""
    attempt = svc.start_attempt(dbs, candidate, exam)
    dbs.commit()
    c = client_for(candidate)
    resp = getattr(c, method)(path.format(id=exam.id, attempt=attempt.id), data={"status": "archived"})
    assert resp.status_code == 403
    dbs.expire_all()
    assert dbs.get(Exam, exam.id).status == "published" and dbs.get(Attempt, attempt.id).submitted_at is None


@pytest.mark.parametrize("method,path", [
    ("get", "/admin/exams/new"), ("get", "/admin/exams/{id}/edit"), ("post", "/admin/exams/{id}/status"),
    ("post", "/admin/exams/{id}/release"), ("post", "/admin/exams/{id}/override"),
])
def test_supervisor_cannot_set_up_exams(exam, make_user, client_for, method, path):
    """Setting up, publishing and releasing are for admins: a supervisor gets 403."""
    supervisor = make_user(role="supervisor", login="wsup")
    resp = getattr(client_for(supervisor), method)(path.format(id=exam.id), data={"status": "archived"})
    assert resp.status_code == 403


@pytest.fixture()
def two_units(dbs, make_unit, make_user, make_exam):
    """Units A and B with one candidate each (case answers submitted) and a supervisor of A."""
    unit_a, unit_b = make_unit(name="甲中队"), make_unit(name="乙中队")
    a1 = make_user(unit=unit_a, login="wa1", name="甲队员")
    b1 = make_user(unit=unit_b, login="wb1", name="乙队员")
    supervisor = make_user(role="supervisor", unit=unit_a, supervises=[unit_a], login="wsupa")
    exam = make_exam(units=[unit_a, unit_b])
    attempts = {}
    for person in (a1, b1):
        attempt = svc.start_attempt(dbs, person, exam)
        case = next(i for i, q in _items(dbs, attempt.id) if q.type == "case")
        svc.save_answer(dbs, person.id, attempt.id, case.position, 1, f"{person.name}的案例作答")
        svc.submit(dbs, attempt)
        attempts[person.login] = attempt
    dbs.commit()
    return exam, supervisor, attempts


def test_supervisor_sees_only_their_units(dbs, two_units, client_for):
    """The monitor, the score sheet and the grading page show a supervisor only the people of their units, and
    actions on others' attempts are 403."""
    exam, supervisor, attempts = two_units
    c = client_for(supervisor)
    for page in ("monitor", "scores", "grading"):
        text = _text(c.get(f"/admin/exams/{exam.id}/{page}"))
        assert "wa1" in text and "wb1" not in text and "乙队员" not in text, page
    assert "甲队员的案例作答" in _text(c.get(f"/admin/exams/{exam.id}/grading"))
    b_item = next(i for i, q in _items(dbs, attempts["wb1"].id) if q.type == "case")
    assert c.post(f"/admin/exams/{exam.id}/grading", data={"item": b_item.id, "points": "10"}).status_code == 403
    assert c.post(f"/admin/exams/attempts/{attempts['wb1'].id}/another").status_code == 403
    dbs.expire_all()
    assert dbs.get(AttemptItem, b_item.id).earned is None
    assert svc.override_for(dbs, exam.id, attempts["wb1"].user_id) is None


def test_supervisor_grades_a_case_answer_in_their_unit(dbs, two_units, client_for):
    """A supervisor grades a case answer of their unit: the result is completed and the grade audited."""
    exam, supervisor, attempts = two_units
    item = next(i for i, q in _items(dbs, attempts["wa1"].id) if q.type == "case")
    c = client_for(supervisor)
    resp = c.post(f"/admin/exams/{exam.id}/grading", data={"item": item.id, "points": "12.5", "comment": "尚可"})
    assert resp.status_code == 302
    assert "已评分。" in _text(c.get(_path(resp)))
    dbs.expire_all()
    graded = dbs.get(AttemptItem, item.id)
    assert (graded.earned, graded.graded_by_id, graded.grader_comment) == (12.5, supervisor.id, "尚可")
    assert dbs.get(Attempt, attempts["wa1"].id).pending_manual == 0
    assert dbs.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "attempt.grade", AuditLog.target_id == attempts["wa1"].id)) == 1
    resp = c.post(f"/admin/exams/{exam.id}/grading", data={"item": item.id, "points": "99"}, follow_redirects=True)
    assert "得分应在 0–20 之间。" in _text(resp)


def test_grading_without_points_is_refused(dbs, two_units, client_for):
    """Pressing 评分 with an empty score field is refused; it does not record 0 points and complete the result."""
    exam, supervisor, attempts = two_units
    item = next(i for i, q in _items(dbs, attempts["wa1"].id) if q.type == "case")
    client_for(supervisor).post(f"/admin/exams/{exam.id}/grading", data={"item": item.id, "points": ""})
    dbs.expire_all()
    assert dbs.get(AttemptItem, item.id).graded_by_id is None
    assert dbs.get(Attempt, attempts["wa1"].id).pending_manual == 1


def test_grading_refuses_automatically_graded_items(dbs, two_units, client_for):
    """Only case answers are graded by a person: posting a grade for a single-choice item changes nothing."""
    exam, supervisor, attempts = two_units
    item = next(i for i, q in _items(dbs, attempts["wa1"].id) if q.type == "single")
    before = item.earned
    resp = client_for(supervisor).post(f"/admin/exams/{exam.id}/grading", data={"item": item.id, "points": "10"},
                                       follow_redirects=True)
    assert "只有案例分析题需要人工评分" in _text(resp)
    dbs.expire_all()
    assert dbs.get(AttemptItem, item.id).earned == before
    assert dbs.get(AttemptItem, item.id).graded_by_id is None


# ---- nothing leaks while the attempt is open --------------------------------------------------------------

def _walk_open_attempt(dbs, c, exam) -> tuple[list[tuple[str, str]], int]:
    """Every page and API response a candidate can reach during an attempt: (where, body)."""
    seen = [("/exams/", _html(c.get("/exams/"))), ("/exams/<id> before", _html(c.get(f"/exams/{exam.id}")))]
    start = c.post(f"/exams/{exam.id}/start")
    seen.append(("start redirect", _html(start)))
    attempt_id = int(_path(start).rsplit("/", 1)[1])
    seen.append(("take page", _html(c.get(f"/exams/a/{attempt_id}"))))
    for n, (item, q) in enumerate(_items(dbs, attempt_id), 1):
        resp = _save(c, attempt_id, {"position": item.position, "seq": 1, "response": _other(q, item)})
        assert resp.status_code == 200, _html(resp)
        seen.append((f"save {item.position}", _html(resp)))
        resp = _save(c, attempt_id, {"position": item.position, "seq": 1, "response": _other(q, item)})
        seen.append((f"replayed save {item.position}", _html(resp)))
    resp = _save(c, attempt_id, {"position": 1, "seq": 2, "flagged": True})
    seen.append(("flag", _html(resp)))
    bad = next(i for i, q in _items(dbs, attempt_id) if q.type == "single")
    seen.append(("malformed save", _html(_save(c, attempt_id, {"position": bad.position, "seq": 9, "response": "Z"}))))
    seen.append(("focus", _html(c.post(f"/exams/a/{attempt_id}/focus", json={"kind": "hidden"}))))
    seen.append(("take page after saves", _html(c.get(f"/exams/a/{attempt_id}"))))
    seen.append(("/exams/<id> during", _html(c.get(f"/exams/{exam.id}"))))
    seen.append(("/exams/ during", _html(c.get("/exams/"))))
    result = c.get(f"/exams/a/{attempt_id}/result")
    assert result.status_code == 302 and _path(result) == f"/exams/a/{attempt_id}"
    seen.append(("result redirect", _html(result)))
    seen.append(("result followed", _html(c.get(f"/exams/a/{attempt_id}/result", follow_redirects=True))))
    return seen, attempt_id


def test_nothing_leaks_while_attempt_is_open(dbs, exam, candidate, client_for):
    """While an attempt is open no page or JSON the candidate reaches shows an explanation, a blank's accepted
    answers, a case's reference answer or scoring points, the 正确答案/解析 labels, or any score."""
    c = client_for(candidate)
    seen, attempt_id = _walk_open_attempt(dbs, c, exam)
    secrets = _secrets(dbs.scalars(select(Question).where(Question.key.like("exw-%"))))
    assert len(secrets) > 20
    for where, body in seen:
        _assert_nothing_leaked(body, secrets, where)
    # the pages did show the paper itself
    take = dict(seen)["take page after saves"]
    for _, q in _items(dbs, attempt_id):
        assert htmllib.escape(q.stem, quote=False) in take or q.stem in htmllib.unescape(take)
    assert dbs.get(Attempt, attempt_id).submitted_at is None


def test_nothing_leaks_with_the_shipped_bank(dbs, make_user, admin, client_for):
    """The same holds with a curated bank: no explanation, case reference answer or scoring point appears, and no
    blank answer appears beyond what the paper's own questions say."""
    import_bank(dbs, _shipped_spec("xingzheng-chufa"))
    candidate = make_user(login="wship")
    now = svc.now_utc()
    exam, errors, _ = svc.save_exam(dbs, admin, svc.ExamData(
        title="行政处罚法测试", open_at=now - M, close_at=now + 600 * M, user_ids=(candidate.id,), sections=[
            {"title": "单选", "type": "single", "count": 10, "points": 4},
            {"title": "多选", "type": "multiple", "count": 5, "points": 6},
            {"title": "判断", "type": "judge", "count": 5, "points": 4},
            {"title": "填空", "type": "blank", "count": 5, "points": 2},
            {"title": "案例", "type": "case", "count": 1, "points": 0.5}]))
    assert exam is not None, errors
    svc.set_status(dbs, admin, exam, "published")
    dbs.commit()
    c = client_for(candidate)
    seen, attempt_id = _walk_open_attempt(dbs, c, exam)
    paper = [q for _, q in _items(dbs, attempt_id)]
    shown = " ".join([q.stem for q in paper] + [o for q in paper for o in q.option_list])
    secrets = [s for s in _secrets(paper) if s not in shown]
    for where, body in seen:
        _assert_nothing_leaked(body, secrets, where)


# ---- the JSON save endpoint -------------------------------------------------------------------------------

@pytest.fixture()
def attempt_id(exam, candidate, client_for):
    c = client_for(candidate)
    return c, _start(c, exam)


def test_save_json_happy_path(dbs, attempt_id):
    """A well-formed save answers {saved, seq, seconds_left} and stores the answer."""
    c, aid = attempt_id
    resp = _save(c, aid, {"position": 1, "seq": 1, "response": "A"})
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["saved"] is True and data["seq"] == 1 and 3500 < data["seconds_left"] <= 3600
    assert _items(dbs, aid)[0][0].response is not None


@pytest.mark.parametrize("kwargs", [
    {"data": "not json", "content_type": "text/plain"},
    {"data": "{broken", "content_type": "application/json"},
    {"json": [1, 2, 3]},
    {"json": {"position": 1, "response": "A"}},
    {"json": {"position": "1", "seq": 1, "response": "A"}},
    {"json": {"position": 1, "seq": "1", "response": "A"}},
    {"json": {"position": 1.0, "seq": 1, "response": "A"}},
])
def test_save_json_malformed_body_is_400(dbs, attempt_id, kwargs):
    """A body that is not a JSON object with integer position and seq gets 400 and stores nothing."""
    c, aid = attempt_id
    resp = c.post(f"/exams/a/{aid}/save", headers={"Accept": "application/json"}, **kwargs)
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "请求格式不正确。"}
    assert all(i.response is None and i.seq == 0 for i, _ in _items(dbs, aid))


def test_save_json_malformed_response_is_400_with_message(dbs, attempt_id):
    """A malformed answer gets 400 with the Chinese reason; a position outside the paper too."""
    c, aid = attempt_id
    item = next(i for i, q in _items(dbs, aid) if q.type == "single")
    resp = _save(c, aid, {"position": item.position, "seq": 1, "response": "Z"})
    assert resp.status_code == 400 and resp.get_json()["error"].startswith("答案格式不正确")
    resp = _save(c, aid, {"position": 999, "seq": 1, "response": "A"})
    assert resp.status_code == 400 and resp.get_json() == {"error": "这道题不在您的试卷中。"}
    dbs.expire_all()
    assert dbs.get(AttemptItem, item.id).response is None


def test_save_json_after_deadline_is_409_and_finalises(dbs, attempt_id):
    """A save past the deadline and its grace gets 409 with the Chinese message and the attempt is finalised."""
    c, aid = attempt_id
    attempt = dbs.get(Attempt, aid)
    attempt.deadline_at = svc.naive(svc.now_utc() - 2 * M)
    dbs.commit()
    resp = _save(c, aid, {"position": 1, "seq": 1, "response": "A"})
    assert resp.status_code == 409
    assert resp.get_json() == {"error": "考试时间已到，答卷已自动提交，此后的修改未能保存。"}
    dbs.expire_all()
    attempt = dbs.get(Attempt, aid)
    assert attempt.finalised_by == "timeout" and attempt.submitted_at is not None
    assert _items(dbs, aid)[0][0].response is None
    assert c.get(f"/exams/a/{aid}").status_code == 302  # the take page now sends to the result


def test_save_json_after_submit_is_409(dbs, attempt_id):
    """After submitting, a save gets 409 答卷已经提交."""
    c, aid = attempt_id
    assert c.post(f"/exams/a/{aid}/submit").status_code == 302
    resp = _save(c, aid, {"position": 1, "seq": 5, "response": "A"})
    assert resp.status_code == 409 and resp.get_json() == {"error": "答卷已经提交，不能再修改。"}


def test_submit_as_json(dbs, attempt_id):
    """The submit endpoint answers JSON with the result URL when asked for JSON."""
    c, aid = attempt_id
    resp = c.post(f"/exams/a/{aid}/submit", headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.get_json() == {"submitted": True, "result": f"/exams/a/{aid}/result"}
    dbs.expire_all()
    assert dbs.get(Attempt, aid).finalised_by == "candidate"


def test_result_after_deadline_does_not_bounce_back_to_the_exam(dbs, attempt_id):
    """Once the time is up (even within the save grace), the result URL the page goes to finalises the attempt
    instead of sending the candidate back to the exam page (which would send them straight back: a loop)."""
    c, aid = attempt_id
    attempt = dbs.get(Attempt, aid)
    attempt.deadline_at = svc.naive(svc.now_utc() - 5 * timedelta(seconds=1))
    dbs.commit()
    take = c.get(f"/exams/a/{aid}")
    if take.status_code == 200:
        assert 'data-seconds-left="0"' in _html(take)  # exam.js navigates to the result URL at once
    resp = c.get(f"/exams/a/{aid}/result")
    assert not (resp.status_code == 302 and _path(resp) == f"/exams/a/{aid}")
    assert resp.status_code == 200 and "（到时自动交卷）" in _text(resp)
    dbs.expire_all()
    assert dbs.get(Attempt, aid).finalised_by == "timeout"


@pytest.fixture()
def csrf_app(base_app, connection):
    """The app with CSRF protection on, on the test's connection (so it sees the test's data)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "csrf-secret", "DATABASE_URL": base_app.config["DATABASE_URL"]})
    engine = app.extensions["trainer.engine"]
    app.extensions["trainer.sessionmaker"] = sessionmaker(bind=connection, expire_on_commit=False,
                                                          join_transaction_mode="create_savepoint")
    yield app
    engine.dispose()


def test_save_json_requires_csrf_token_when_enabled(dbs, csrf_app, exam, candidate):
    """With CSRF on, a save without the page's token is refused (400) and stores nothing; with the X-CSRFToken
    header from the exam page it is stored."""
    c = csrf_app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', _html(c.get("/login"))).group(1)
    login = c.post("/login", data={"login": candidate.login, "password": PASSWORD, "csrf_token": token})
    assert login.status_code == 302
    exam_page = _html(c.get(f"/exams/{exam.id}"))
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', exam_page).group(1)
    assert c.post(f"/exams/{exam.id}/start").status_code == 400  # the start form needs its token too
    start = c.post(f"/exams/{exam.id}/start", data={"csrf_token": form_token})
    assert start.status_code == 302
    aid = int(_path(start).rsplit("/", 1)[1])
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', _html(c.get(f"/exams/a/{aid}"))).group(1)
    body = {"position": 1, "seq": 1, "response": "A"}
    resp = c.post(f"/exams/a/{aid}/save", json=body, headers={"Accept": "application/json"})
    assert resp.status_code == 400 and "error" in resp.get_json()
    resp = c.post(f"/exams/a/{aid}/save", json=body, headers={"Accept": "application/json", "X-CSRFToken": "forged"})
    assert resp.status_code == 400
    assert _items(dbs, aid)[0][0].response is None
    resp = c.post(f"/exams/a/{aid}/save", json=body, headers={"Accept": "application/json", "X-CSRFToken": meta})
    assert resp.status_code == 200 and resp.get_json()["saved"] is True
    assert c.post(f"/exams/a/{aid}/submit").status_code == 400
    dbs.expire_all()
    assert dbs.get(Attempt, aid).submitted_at is None


# ---- the admin flow --------------------------------------------------------------------------------------

def _local(dt) -> str:
    return dt.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def _exam_form(title: str, unit_id: int, sections, **overrides) -> dict:
    now = svc.now_utc()
    data = {"title": title, "instructions": "闭卷作答。", "open_at": _local(now - 5 * M),
            "close_at": _local(now + 600 * M), "time_limit_minutes": "45", "pass_mark": "60", "max_attempts": "1",
            "counting": "best", "release_policy": "immediate", "review_policy": "score",
            "multiple_policy": "all_or_nothing", "focus_policy": "record", "focus_limit": "3", "units": str(unit_id),
            "logins": ""}
    for n, s in enumerate(sections):
        data.update({f"sections-{n}-title": s["title"], f"sections-{n}-type": s["type"],
                     f"sections-{n}-count": str(s["count"]), f"sections-{n}-points": str(s["points"])})
    for n in range(len(sections), 5):
        data[f"sections-{n}-type"] = ""
    data.update(overrides)
    return data


def test_admin_form_rejects_pool_that_cannot_fill(dbs, bank, admin, candidate, client_for):
    """The form re-renders with the Chinese error naming the section that the pool cannot fill; nothing saved."""
    c = client_for(admin)
    form = _exam_form("表单校验考试", candidate.unit_id, [{"title": "单选大题", "type": "single", "count": 50,
                                                          "points": 2}])
    resp = c.post("/admin/exams/new", data=form)
    assert resp.status_code == 200
    text = _text(resp)
    assert "第1部分“单选大题”需要 50 题" in text and "符合条件的只有 8 题" in text
    assert dbs.scalar(select(func.count()).select_from(Exam).where(Exam.title == "表单校验考试")) == 0


@pytest.mark.parametrize("release", ["immediate", "after_close", "manual"])
def test_admin_creates_publishes_monitors_and_force_submits(dbs, bank, admin, candidate, client_for, release):
    """Admin creates an exam with the form, publishes it; the candidate starts; the monitor shows the attempt in
    progress; force submit finalises it (audited); the result page follows the release policy."""
    a = client_for(admin)
    assert a.get("/admin/exams/new").status_code == 200
    resp = a.post("/admin/exams/new", data=_exam_form(f"表单考试-{release}", candidate.unit_id, AUTO_ONLY,
                                                      release_policy=release))
    assert resp.status_code == 302, _text(resp)[:2000]
    exam = dbs.scalar(select(Exam).where(Exam.title == f"表单考试-{release}"))
    assert _path(resp) == f"/admin/exams/{exam.id}"
    assert exam.status == "draft" and exam.time_limit_minutes == 45 and exam.release_policy == release
    assert [s["count"] for s in exam.template_dict["sections"]] == [4, 2, 2]
    assert [i.unit_id for i in exam.invites] == [candidate.unit_id]

    cand = client_for(candidate)
    assert cand.get(f"/exams/{exam.id}").status_code == 404  # not published yet
    resp = a.post(f"/admin/exams/{exam.id}/status", data={"status": "published"})
    assert resp.status_code == 302 and "考试已发布。" in _text(a.get(_path(resp)))

    assert f"表单考试-{release}" in _text(cand.get("/exams/"))
    aid = _start(cand, exam)
    take = cand.get(f"/exams/a/{aid}")
    assert take.status_code == 200 and len(re.findall(r'class="exam-q ', _html(take))) == 8
    item, q = _items(dbs, aid)[0]
    assert _save(cand, aid, {"position": 1, "seq": 1, "response": _right(q, item)}).get_json()["saved"]

    monitor = a.get(f"/admin/exams/{exam.id}/monitor")
    row = re.search(rf'<tr data-login="{candidate.login}">(.*?)</tr>', _html(monitor), re.S).group(1)
    assert "作答中" in row and "1/8" in row
    assert re.search(r'id="count-in-progress">1<', _html(monitor))

    resp = a.post(f"/admin/exams/attempts/{aid}/force-submit")
    assert resp.status_code == 302 and _path(resp) == f"/admin/exams/{exam.id}/monitor"
    assert "已收卷。" in _text(a.get(_path(resp)))
    dbs.expire_all()
    attempt = dbs.get(Attempt, aid)
    assert attempt.finalised_by == "invigilator" and attempt.score == 10
    assert dbs.scalar(select(AuditLog.actor_id).where(AuditLog.action == "attempt.force_submit",
                                                      AuditLog.target_id == aid)) == admin.id

    result = cand.get(f"/exams/a/{aid}/result")
    assert result.status_code == 200
    text = _text(result)
    assert "（监考收卷）" in text
    if release == "immediate":
        assert "10.0 分" in text and "不合格" in text and "正确答案" not in text
    else:
        assert "result-score" not in _html(result) and "10.0 分" not in text
        assert ("在考试结束后" if release == "after_close" else "由考务人员") in text
    if release == "manual":
        assert a.post(f"/admin/exams/{exam.id}/release").status_code == 302
        text = _text(cand.get(f"/exams/a/{aid}/result"))
        assert "10.0 分" in text and "不合格" in text


def test_force_submit_twice_says_already_submitted(dbs, exam, candidate, admin, client_for):
    """A second force submit flashes 答卷已经提交 and leaves the first result."""
    attempt = svc.start_attempt(dbs, candidate, exam)
    dbs.commit()
    a = client_for(admin)
    a.post(f"/admin/exams/attempts/{attempt.id}/force-submit")
    resp = a.post(f"/admin/exams/attempts/{attempt.id}/force-submit", follow_redirects=True)
    assert "答卷已经提交。" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "attempt.force_submit", AuditLog.target_id == attempt.id)) == 1


def test_invigilator_extends_time_from_the_monitor(dbs, exam, candidate, admin, client_for):
    """The monitor's 延时 button moves the deadline by 10 minutes."""
    attempt = svc.start_attempt(dbs, candidate, exam)
    dbs.commit()
    before = attempt.deadline_at
    resp = client_for(admin).post(f"/admin/exams/attempts/{attempt.id}/extend", data={"minutes": "10"},
                                  follow_redirects=True)
    assert "已延长作答时间。" in _text(resp)
    dbs.expire_all()
    assert dbs.get(Attempt, attempt.id).deadline_at == before + 10 * M


@pytest.mark.parametrize("review,after_close,shows_answers", [
    ("full", False, True), ("full", True, False), ("right_wrong", False, False), ("score", False, False),
])
def test_result_page_review_levels(dbs, make_exam, candidate, client_for, review, after_close, shows_answers):
    """After submitting, the result page shows the score; per-question details and the right answers only as the
    review policy allows (never before close when review_after_close)."""
    exam = make_exam(users=[candidate], sections=AUTO_ONLY, review_policy=review, review_after_close=after_close)
    c = client_for(candidate)
    aid = _start(c, exam)
    rows = _items(dbs, aid)
    for item, q in rows:
        _save(c, aid, {"position": item.position, "seq": 1, "response": _right(q, item)})
    c.post(f"/exams/a/{aid}/submit")
    text = _text(c.get(f"/exams/a/{aid}/result"))
    assert "100.0 分" in text and "合格" in text
    level = "full" if shows_answers else (review if not after_close and review != "full" else "score")
    assert ("正确答案" in text) is shows_answers
    assert ("秘密解析" in text) is shows_answers
    assert ("您的答案" in text) is (level in ("right_wrong", "full"))
    exam_page = _text(c.get(f"/exams/{exam.id}"))
    assert "100.0 分" in exam_page and "作答次数已用完。" in exam_page


def test_start_when_pool_shrank_flashes_a_message(dbs, exam, candidate, client_for):
    """If the published paper can no longer be drawn, pressing 开始考试 shows a message instead of a server error."""
    for q in dbs.scalars(select(Question).where(Question.type == "case")):
        q.status = "retired"
    dbs.commit()
    c = client_for(candidate)
    resp = c.post(f"/exams/{exam.id}/start")
    assert resp.status_code == 302 and _path(resp) == f"/exams/{exam.id}"
    assert "试卷无法生成，请联系考务人员" in _text(c.get(_path(resp)))
    assert dbs.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) == 0


def test_upcoming_exam_page_is_a_waiting_room(dbs, make_exam, candidate, client_for):
    """Before the exam opens its page counts down from the server's time to the opening (the page reloads
    itself then) and offers no start button; starting early is refused with a message."""
    exam = make_exam(users=[candidate], open_at=svc.now_utc() + 10 * M)
    c = client_for(candidate)
    html = _html(c.get(f"/exams/{exam.id}"))
    seconds = int(re.search(r'id="waiting-room" data-seconds="(\d+)"', html).group(1))
    assert 10 * 60 - 5 <= seconds <= 10 * 60
    assert "距开考还有" in html and "9 分钟" in html and 'id="start-exam"' not in html
    resp = c.post(f"/exams/{exam.id}/start", follow_redirects=True)
    assert "考试尚未开始。" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)) == 0


def test_admin_form_limits_sections_by_chapter_and_bank(dbs, bank, admin, candidate, client_for):
    """Sections can be limited to chapters and banks (besides laws and difficulty): the limits are stored, the
    exam page lists them in Chinese, and a chapter the pool has no questions in is refused by name."""
    c = client_for(admin)
    page = _html(c.get("/admin/exams/new"))
    assert 'value="行政处罚法|2"' in page and "行政处罚法 第二章 行政处罚的种类和设定" in page
    assert 'value="exam-web"' in page
    form = _exam_form("限定章节考试", candidate.unit_id, [{"title": "第二章单选", "type": "single", "count": 3,
                                                          "points": 20}, {"title": "判断", "type": "judge",
                                                                          "count": 2, "points": 20}])
    form.update({"sections-0-chapters": ["行政处罚法|2"], "sections-0-banks": ["exam-web"]})
    resp = c.post("/admin/exams/new", data=form)
    assert resp.status_code == 302, _text(resp)[:2000]
    exam = dbs.scalar(select(Exam).where(Exam.title == "限定章节考试"))
    first = exam.template_dict["sections"][0]
    assert first["chapters"] == [["行政处罚法", 2]] and first["banks"] == ["exam-web"]
    assert "第二章单选：3 题 × 20.0 分（行政处罚法第二章；题库 exam-web）" in _text(c.get(f"/admin/exams/{exam.id}"))

    form.update({"title": "第五章考试", "sections-0-chapters": ["行政处罚法|5"]})
    resp = c.post("/admin/exams/new", data=form)
    assert resp.status_code == 200 and "第1部分“第二章单选”需要 3 题" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(Exam).where(Exam.title == "第五章考试")) == 0


def test_admin_sets_a_fixed_paper_by_question_keys(dbs, bank, admin, candidate, client_for):
    """A fixed paper: the admin lists question keys; the counts per type follow from the list, sections without
    listed questions are dropped, every candidate gets exactly those questions. An unknown key is refused and
    nothing is saved."""
    c = client_for(admin)
    sections = [{"title": "单选", "type": "single", "count": "", "points": 20},
                {"title": "多选", "type": "multiple", "count": "", "points": 30},
                {"title": "判断", "type": "judge", "count": "", "points": 30},
                {"title": "填空", "type": "blank", "count": "", "points": 10}]
    keys = ["exw-0001", "exw-0002", "exw-0011", "exw-0021"]
    form = _exam_form("固定试卷考试", candidate.unit_id, sections, fixed_keys="\n".join(keys + ["nope-0001"]))
    resp = c.post("/admin/exams/new", data=form)
    assert resp.status_code == 200 and "题目编号 nope-0001 不存在" in _text(resp)
    assert dbs.scalar(select(func.count()).select_from(Exam).where(Exam.title == "固定试卷考试")) == 0

    form["fixed_keys"] = "\n".join(keys)
    resp = c.post("/admin/exams/new", data=form)
    assert resp.status_code == 302, _text(resp)[:2000]
    exam = dbs.scalar(select(Exam).where(Exam.title == "固定试卷考试"))
    template = svc.template_of(exam)
    assert [(s.type, s.count) for s in template.sections] == [("single", 2), ("multiple", 1), ("judge", 1)]
    assert template.total_points == 100
    ids = {dbs.scalar(select(Question.id).where(Question.key == k, Question.is_latest.is_(True))) for k in keys}
    assert set(template.fixed) == ids
    edit = _html(c.get(f"/admin/exams/{exam.id}/edit"))
    assert "exw-0001\nexw-0002\nexw-0011\nexw-0021" in edit
    assert "固定试卷（4 题，所有考生同一套题）" in _text(c.get(f"/admin/exams/{exam.id}"))
    assert c.post(f"/admin/exams/{exam.id}/status", data={"status": "published"}).status_code == 302
    aid = _start(client_for(candidate), exam)
    assert {q.id for _, q in _items(dbs, aid)} == ids


def test_monitor_shows_when_a_candidate_left_the_page(dbs, exam, candidate, admin, client_for):
    """Focus events sent by the exam page appear on the monitor with their local times."""
    cand = client_for(candidate)
    aid = _start(cand, exam)
    for kind in ("hidden", "blur"):
        resp = cand.post(f"/exams/a/{aid}/focus", json={"kind": kind}, headers={"Accept": "application/json"})
        assert resp.status_code == 200 and resp.get_json()["action"] == "record"
    times = [at.replace(tzinfo=timezone.utc).astimezone(LOCAL).strftime("%H:%M:%S")
             for at in dbs.scalars(select(FocusEvent.at).where(FocusEvent.attempt_id == aid).order_by(FocusEvent.at))]
    html = _html(client_for(admin).get(f"/admin/exams/{exam.id}/monitor"))
    row = re.search(rf'<tr data-login="{candidate.login}">(.*?)</tr>', html, re.S).group(1)
    cell = htmllib.unescape(re.sub(r"<[^>]+>", " ", re.search(r'class="focus-cell">(.*?)</td>', row, re.S).group(1)))
    assert cell.split() == ["2", times[0], "切出页面", times[1], "窗口失焦"]


def test_monitor_filters_candidates_by_state(dbs, make_exam, make_user, admin, client_for):
    """The monitor's 作答中 / 未开始 / 已交卷 tabs list only those candidates; the counts stay for everyone."""
    started, waiting, done = (make_user(role="staff") for _ in range(3))
    exam = make_exam(users=[started, waiting, done])
    svc.start_attempt(dbs, started, exam)
    svc.submit(dbs, svc.start_attempt(dbs, done, exam))
    dbs.commit()
    a = client_for(admin)

    def listed(state=None):
        html = _html(a.get(f"/admin/exams/{exam.id}/monitor" + (f"?state={state}" if state else "")))
        assert re.search(r'id="count-in-progress">1<', html) and re.search(r'id="count-submitted">1<', html)
        return re.findall(r'<tr data-login="([^"]+)">', html)

    assert listed() == sorted([started.login, waiting.login, done.login])
    assert listed("in_progress") == [started.login]
    assert listed("not_started") == [waiting.login]
    assert listed("submitted") == [done.login]
    assert len(listed("nonsense")) == 3


def test_score_sheet_page_and_excel_export(dbs, make_exam, make_user, admin, client_for):
    """The score sheet lists every invited candidate with the counted score and 合格 / 不合格 / 缺考 / 作答中;
    the Excel export has the same rows with scores as numbers."""
    from io import BytesIO

    from openpyxl import load_workbook
    good, poor, absent, busy = (make_user(role="staff", login=f"sc{n}") for n in range(1, 5))
    exam = make_exam(users=[good, poor, absent, busy], sections=AUTO_ONLY)
    for user, answer in ((good, _right), (poor, _other)):
        c = client_for(user)
        aid = _start(c, exam)
        for item, q in _items(dbs, aid):
            assert _save(c, aid, {"position": item.position, "seq": 1, "response": answer(q, item)}).status_code == 200
        c.post(f"/exams/a/{aid}/submit")
    _start(client_for(busy), exam)
    a = client_for(admin)
    text = " ".join(_text(a.get(f"/admin/exams/{exam.id}/scores")).split())
    assert re.search(r"sc1 .*? 100\.0 合格", text) and re.search(r"sc2 .*? 0\.0 不合格", text)
    assert re.search(r"sc3 .*? 缺考", text) and re.search(r"sc4 .*? 作答中", text)
    resp = a.get(f"/admin/exams/{exam.id}/scores?format=xlsx")
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(BytesIO(resp.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:6] == ["序号", "工号", "姓名", "单位", "成绩", "结果"]
    by_login = {r[1]: r for r in rows[1:]}
    assert by_login["sc1"][4:6] == [100.0, "合格"] and by_login["sc2"][4:6] == [0.0, "不合格"]
    assert by_login["sc3"][4:6] == [None, "缺考"] and by_login["sc4"][4:6] == [None, "作答中"]
    assert isinstance(by_login["sc1"][7], (int, float)) and by_login["sc1"][6]
