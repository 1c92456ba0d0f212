"""Exams (trainer.exams.services) against a real database: setting up, starting and drawing papers, deadlines,
answer saves, submitting and scoring, manual grading, release and review policies, focus events, invigilation and
make-ups. Every service gets a fixed clock (`now=`, timezone-aware UTC)."""
from __future__ import annotations

import functools
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from support import attempt_items, loaded_bank, right_answer, wrong_answer
from trainer.audit import AuditLog
from trainer.banks.models import Question
from trainer.banks.services import import_bank
from trainer.banks.types import canonical_to_display, display_to_canonical
from trainer.exams import invigilation
from trainer.exams import results as exam_results
from trainer.exams import services as svc
from trainer.exams.models import Attempt, AttemptItem, Exam, ExamOverride, FocusEvent
from trainer.security import visible_unit_ids

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)          # 10:00 in Shanghai
H = timedelta(hours=1)
M = timedelta(minutes=1)
S = timedelta(seconds=1)

# ---- a small bank whose every answer the tests know (keys cannot clash with the shipped banks) -----------

MULTIPLE_ANSWERS = ["ABD", "BC", "ACE", "ABCD", "CD", "AE"]


def _bank_yaml() -> str:
    out = ["format: 1", "bank: exam-test", "title: 考试测试题库", "course: 行政处罚法", "questions:"]

    def q(key, qtype, stem, answer, explanation, *, options=None, extra="", status="published"):
        out.append(f"  - key: {key}")
        out.append(f"    type: {qtype}")
        out.append(f"    stem: \"{stem}\"")
        if options:
            out.append("    options:")
            out.extend(f"      - \"{o}\"" for o in options)
        out.append(f"    answer: {answer}")
        out.append(f"    explanation: \"{explanation}\"")
        out.append(extra) if extra else None
        out.append("    citations:\n      - {law: 行政处罚法, article: 10}")
        out.append("    difficulty: 2")
        out.append(f"    status: {status}")

    for n in range(1, 11):
        q(f"ext-{n:04d}", "single", f"考试单选题第{n}题（ ）。", "ABCD"[n % 4],
          f"单选解析标记{n}号说明", options=[f"单选{n}选项{c}" for c in "甲乙丙丁"])
    for n, answer in enumerate(MULTIPLE_ANSWERS, 11):
        q(f"ext-{n:04d}", "multiple", f"考试多选题第{n}题（ ）。", answer,
          f"多选解析标记{n}号说明", options=[f"多选{n}选项{c}" for c in "甲乙丙丁戊"])
    for n in range(21, 27):
        q(f"ext-{n:04d}", "judge", f"考试判断题第{n}题。", "true" if n % 2 else "false", f"判断解析标记{n}号说明")
    for n in range(31, 35):
        q(f"ext-{n:04d}", "blank", f"考试填空题第{n}题：____，____。",
          f"\n      - [\"黄河{n}号\", \"黄河{n}号段\"]\n      - [\"长江{n}段\"]", f"填空解析标记{n}号说明")
    for n in range(41, 44):
        q(f"ext-{n:04d}", "case", f"考试案例题第{n}题，请分析。", f"\"案例参考答案标记{n}号全文\"",
          f"案例解析标记{n}号说明",
          extra=f"    scoring_points:\n      - {{point: \"案例评分要点标记{n}号\", score: 10}}")
    q("ext-0050", "single", "草稿单选题（ ）。", "A", "草稿解析", options=["甲", "乙"], status="draft")
    return "\n".join(out) + "\n"


@functools.cache
def _spec():
    return loaded_bank(_bank_yaml(), "exam-test.yaml")


STANDARD = [  # 100 points
    {"title": "一、单选题", "type": "single", "count": 4, "points": 10},
    {"title": "二、多选题", "type": "multiple", "count": 2, "points": 10},
    {"title": "三、判断题", "type": "judge", "count": 2, "points": 10},
    {"title": "四、填空题", "type": "blank", "count": 2, "points": 10},
]
SCORING = [  # 100 points, two items per section
    {"title": "单选", "type": "single", "count": 2, "points": 10},
    {"title": "多选", "type": "multiple", "count": 2, "points": 10},
    {"title": "判断", "type": "judge", "count": 2, "points": 10},
    {"title": "填空", "type": "blank", "count": 2, "points": 20},
]
WITH_CASE = [  # 100 points
    {"title": "单选", "type": "single", "count": 2, "points": 20},
    {"title": "案例分析", "type": "case", "count": 1, "points": 60},
]


@pytest.fixture()
def bank(dbs):
    import_bank(dbs, _spec())
    dbs.flush()


@pytest.fixture()
def candidate(make_user):
    return make_user(role="staff")


def exam_data(*, sections=None, users=(), units=(), now=T0, **kw) -> svc.ExamData:
    fields = dict(title="法律知识测试", open_at=now - H, close_at=now + 24 * H, time_limit_minutes=60)
    fields.update(kw)
    return svc.ExamData(sections=list(STANDARD if sections is None else sections), user_ids=tuple(u.id for u in users),
                        unit_ids=tuple(u.id for u in units), **fields)


@pytest.fixture()
def make_exam(dbs, bank, admin):
    def factory(*, publish=True, **kw) -> Exam:
        exam, errors, _ = svc.save_exam(dbs, admin, exam_data(**kw))
        assert exam is not None, errors
        if publish:
            svc.set_status(dbs, admin, exam, "published")
        return exam
    return factory


@pytest.fixture()
def exam(make_exam, candidate):
    return make_exam(users=[candidate])


# ---- helpers -----------------------------------------------------------------------------------------

def items_of(dbs, attempt: Attempt) -> list[tuple[AttemptItem, Question]]:
    return attempt_items(dbs, attempt.id)


right, wrong = right_answer, wrong_answer


def subset(q: Question, item: AttemptItem) -> str:
    """A strict, non-empty subset of a multiple-choice answer, in displayed letters."""
    return canonical_to_display(q.answer_value[:-1], item.order)


def audit_rows(dbs, action: str, target_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
    if target_id is not None:
        stmt = stmt.where(AuditLog.target_id == target_id)
    return list(dbs.scalars(stmt))


def stored(dbs, item: AttemptItem) -> tuple:
    dbs.expire(item)
    return item.response, item.seq, item.flagged


def attempt_count(dbs, exam: Exam, user=None) -> int:
    stmt = select(func.count()).select_from(Attempt).where(Attempt.exam_id == exam.id)
    if user is not None:
        stmt = stmt.where(Attempt.user_id == user.id)
    return dbs.scalar(stmt)


def answer_all(dbs, user, attempt, responses: dict[int, object], now=T0 + M):
    for pos, raw in responses.items():
        result = svc.save_answer(dbs, user.id, attempt.id, pos, 1, raw, now=now)
        assert result["saved"], (pos, raw)


# ---- setting up ------------------------------------------------------------------------------------------

def test_save_exam_refuses_close_before_open(dbs, bank, admin, candidate):
    """An exam whose end is not after its start is refused with a Chinese message and nothing is created."""
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], open_at=T0, close_at=T0))
    assert exam is None
    assert "结束时间必须晚于开始时间。" in errors
    assert dbs.scalar(select(func.count()).select_from(Exam)) == 0


def test_save_exam_refuses_bad_time_limit_and_pass_mark(dbs, bank, admin, candidate):
    """A time limit outside 1–600 minutes and a pass mark outside 0–100 are refused."""
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], time_limit_minutes=0, pass_mark=120))
    assert exam is None
    assert "考试时长应在 1–600 分钟之间。" in errors
    assert "及格分应在 0–100 之间。" in errors


def test_save_exam_refuses_pool_that_cannot_fill_a_section(dbs, bank, admin, candidate):
    """A section asking for more questions than the pool holds is refused; the message names the section."""
    sections = STANDARD[:1] + [{"title": "二、多选题", "type": "multiple", "count": 7, "points": 5}]
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], sections=sections))
    assert exam is None
    assert any("第2部分“二、多选题”需要 7 题" in e and "符合条件的只有 6 题" in e for e in errors), errors
    assert not any("第1部分" in e for e in errors)


def test_save_exam_refuses_section_with_empty_pool(dbs, bank, admin, candidate):
    """A section whose filters match nothing says so in Chinese, naming the section."""
    sections = [{"title": "宪法单选", "type": "single", "count": 2, "points": 50, "laws": ["宪法"]}]
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], sections=sections))
    assert exam is None
    assert any("第1部分“宪法单选”" in e and "没有符合条件的试题" in e for e in errors), errors


def test_draft_questions_are_not_in_the_pool(dbs, bank):
    """Only published questions are drawn: the draft question of the bank is not in the pool."""
    keys = {q.key for q in svc.build_pool(dbs)}
    assert "ext-0001" in keys and "ext-0050" not in keys
    assert len([k for k in keys if k.startswith("ext-")]) == 29


def test_save_exam_requires_invitees(dbs, bank, admin):
    """An exam nobody is invited to is refused."""
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data())
    assert exam is None
    assert "请至少选择一个参考单位或人员。" in errors


def test_save_exam_requires_sections(dbs, bank, admin, candidate):
    """An exam without any paper section is refused."""
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], sections=[]))
    assert exam is None
    assert "组卷规则至少需要一个部分。" in errors


def test_save_exam_warns_when_total_is_not_100(dbs, bank, admin, candidate):
    """A paper worth other than 100 points is saved with a warning."""
    exam, errors, warnings = svc.save_exam(dbs, admin, exam_data(users=[candidate], sections=STANDARD[:1]))
    assert exam is not None and errors == []
    assert any("不是 100 分" in w for w in warnings)


def test_save_exam_creates_draft_with_invites_and_audit(dbs, bank, admin, candidate, make_unit):
    """A valid exam is saved as a draft with its invites, and the creation is audited."""
    unit = make_unit()
    exam, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], units=[unit], title="  一季度考试 "))
    assert errors == []
    assert exam.status == "draft" and exam.title == "一季度考试" and exam.created_by_id == admin.id
    assert {(i.unit_id, i.user_id) for i in exam.invites} == {(unit.id, None), (None, candidate.id)}
    assert svc.open_attempt(dbs, exam.id, candidate.id) is None
    [row] = audit_rows(dbs, "exam.create", exam.id)
    assert row.actor_id == admin.id and row.target_type == "exam" and row.detail_dict["title"] == "一季度考试"


def test_save_exam_update_and_status_are_audited(dbs, make_exam, admin, candidate):
    """Editing an exam and changing its status each leave an audit row (old and new status)."""
    exam = make_exam(users=[candidate], publish=False)
    saved, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], title="改名后"), exam)
    assert errors == [] and saved.id == exam.id and exam.title == "改名后"
    assert len(audit_rows(dbs, "exam.update", exam.id)) == 1
    svc.set_status(dbs, admin, exam, "published")
    [row] = audit_rows(dbs, "exam.status", exam.id)
    assert row.detail_dict == {"old": "draft", "new": "published"}
    with pytest.raises(svc.ExamError):
        svc.set_status(dbs, admin, exam, "deleted")


def test_editing_refused_once_attempts_exist(dbs, exam, admin, candidate):
    """Once somebody started, the paper and invitees can no longer be changed."""
    svc.start_attempt(dbs, candidate, exam, now=T0)
    saved, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[candidate], title="改了", sections=SCORING), exam)
    assert saved is None
    assert errors and "已有人开始作答" in errors[0]
    dbs.refresh(exam)
    assert exam.title == "法律知识测试" and exam.template_dict["sections"] == STANDARD
    assert audit_rows(dbs, "exam.update", exam.id) == []


# ---- starting --------------------------------------------------------------------------------------------

def test_start_refused_when_not_invited(dbs, exam, make_user):
    """Somebody not on the list cannot start, and no attempt is created."""
    outsider = make_user()
    with pytest.raises(svc.ExamError, match="不在本场考试的参考名单中"):
        svc.start_attempt(dbs, outsider, exam, now=T0)
    assert attempt_count(dbs, exam) == 0


def test_start_allowed_for_member_of_invited_subunit(dbs, make_exam, make_unit, make_user):
    """Inviting a unit invites the people of its sub-units too."""
    parent = make_unit(kind="大队")
    child = make_unit(parent=parent)
    member = make_user(unit=child)
    exam = make_exam(units=[parent])
    assert svc.is_invited(dbs, exam, member)
    assert svc.start_attempt(dbs, member, exam, now=T0).user_id == member.id


def test_start_refused_when_not_published(dbs, make_exam, candidate):
    """A draft exam cannot be started."""
    exam = make_exam(users=[candidate], publish=False)
    with pytest.raises(svc.ExamError, match="考试尚未发布"):
        svc.start_attempt(dbs, candidate, exam, now=T0)
    assert attempt_count(dbs, exam) == 0


def test_start_refused_before_open_and_after_close(dbs, exam, candidate):
    """Before the window opens and from its close on, starting is refused."""
    with pytest.raises(svc.ExamError, match="考试尚未开始"):
        svc.start_attempt(dbs, candidate, exam, now=T0 - 2 * H)
    with pytest.raises(svc.ExamError, match="考试已经结束"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 24 * H)
    assert attempt_count(dbs, exam) == 0
    assert svc.start_attempt(dbs, candidate, exam, now=T0 - H).number == 1  # open_at itself is inside


def test_start_refused_when_attempts_used_up(dbs, exam, candidate):
    """With one attempt allowed, a second start after submitting is refused."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert svc.submit(dbs, attempt, now=T0 + M)
    with pytest.raises(svc.ExamError, match="作答次数已用完"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 2 * M)
    assert attempt_count(dbs, exam) == 1


def test_double_start_returns_the_same_attempt(dbs, exam, candidate):
    """Pressing start twice resumes the open attempt instead of creating another."""
    first = svc.start_attempt(dbs, candidate, exam, now=T0)
    second = svc.start_attempt(dbs, candidate, exam, now=T0 + 5 * M)
    assert second.id == first.id
    assert attempt_count(dbs, exam) == 1
    assert svc.aware(second.deadline_at) == T0 + 60 * M  # the deadline is not restarted


def test_start_race_loser_resumes_the_winner(dbs, app, exam, candidate, monkeypatch):
    """Two starts racing: when another worker inserts attempt 1 between the count and the insert, the unique
    constraint decides and start_attempt returns the winner's attempt instead of failing or duplicating."""
    original = svc.paper.draw
    rival: dict = {}

    def draw_while_another_worker_starts(*args, **kwargs):
        drawn = original(*args, **kwargs)
        other = app.extensions["trainer.sessionmaker"]()
        winner = Attempt(exam_id=exam.id, user_id=candidate.id, number=1, started_at=svc.naive(T0),
                         deadline_at=svc.naive(T0 + H), max_score=100.0)
        other.add(winner)
        other.commit()
        rival["id"] = winner.id
        other.close()
        return drawn

    monkeypatch.setattr(svc.paper, "draw", draw_while_another_worker_starts)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert attempt.id == rival["id"]
    assert attempt_count(dbs, exam, candidate) == 1
    assert dbs.scalar(select(func.count()).select_from(AttemptItem)
                      .where(AttemptItem.attempt_id == attempt.id)) == 0  # the loser's paper was rolled back
    monkeypatch.undo()
    assert svc.start_attempt(dbs, candidate, exam, now=T0).id == rival["id"]  # the session is still usable


def test_paper_follows_the_template(dbs, exam, candidate):
    """The drawn paper has each section's count and points, no question twice, and option orders that are
    permutations (none for types without options)."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    rows = items_of(dbs, attempt)
    assert [i.position for i, _ in rows] == list(range(1, 11))
    per_section = {}
    for item, q in rows:
        section = STANDARD[item.section]
        assert q.type == section["type"] and item.points == section["points"]
        per_section[item.section] = per_section.get(item.section, 0) + 1
        if q.type in ("single", "multiple"):
            assert sorted(item.order) == list(range(len(q.option_list)))
        else:
            assert item.order == []
        assert item.response is None and item.seq == 0 and not item.flagged
    assert per_section == {i: s["count"] for i, s in enumerate(STANDARD)}
    keys = [q.key for _, q in rows]
    assert len(keys) == len(set(keys))
    assert attempt.max_score == 100.0


def test_paper_is_the_same_on_reload(dbs, exam, candidate):
    """Reloading (resuming) shows exactly the same items: questions, positions and option orders."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    before = [(i.position, i.section, i.question_id, i.option_order) for i, _ in items_of(dbs, attempt)]
    dbs.expire_all()
    again = svc.start_attempt(dbs, candidate, exam, now=T0 + 10 * M)
    after = [(i.position, i.section, i.question_id, i.option_order) for i, _ in items_of(dbs, again)]
    assert after == before


def test_different_candidates_get_different_papers(dbs, make_exam, make_user):
    """Each candidate draws their own paper: the questions or their order or option orders differ."""
    people = [make_user() for _ in range(3)]
    exam = make_exam(users=people)
    papers = []
    for person in people:
        attempt = svc.start_attempt(dbs, person, exam, now=T0)
        papers.append(tuple((i.question_id, i.option_order) for i, _ in items_of(dbs, attempt)))
    assert len(set(papers)) == 3
    orders = [tuple(i.option_order for i, q in items_of(dbs, a) if q.type == "single")
              for a in dbs.scalars(select(Attempt).where(Attempt.exam_id == exam.id))]
    assert len(set(orders)) > 1


def test_start_when_pool_shrank_after_publishing_is_a_clear_refusal(dbs, exam, candidate):
    """If questions were retired after publishing so the paper cannot be drawn, start is refused with an ExamError
    (a Chinese message the start page can flash) and no attempt is created."""
    for q in dbs.scalars(select(Question).where(Question.type == "blank")):
        q.status = "retired"
    dbs.flush()
    with pytest.raises(svc.ExamError, match="试卷无法生成.*第4部分“四、填空题”"):
        svc.start_attempt(dbs, candidate, exam, now=T0)
    assert attempt_count(dbs, exam) == 0


# ---- deadlines -------------------------------------------------------------------------------------------

def test_deadline_is_start_plus_limit(dbs, exam, candidate):
    """The deadline is the start plus the time limit."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0 + 7 * M)
    assert svc.aware(attempt.deadline_at) == T0 + 67 * M
    assert svc.aware(attempt.started_at) == T0 + 7 * M


def test_deadline_capped_by_close(dbs, make_exam, candidate):
    """Starting late, the deadline is the exam's close, not start plus limit."""
    exam = make_exam(users=[candidate], close_at=T0 + 30 * M)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert svc.aware(attempt.deadline_at) == T0 + 30 * M


def test_deadline_without_limit_is_close(dbs, make_exam, candidate):
    """Without a time limit the attempt runs until the exam closes."""
    exam = make_exam(users=[candidate], time_limit_minutes=None, close_at=T0 + 3 * H)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert svc.aware(attempt.deadline_at) == T0 + 3 * H


def test_override_extra_minutes_lengthen_the_deadline(dbs, exam, admin, candidate, make_user):
    """A per-candidate override adds extra minutes for that candidate only, and is audited."""
    other = make_user()
    exam.invites.append(svc.ExamInvite(user_id=other.id))
    dbs.flush()
    override = invigilation.set_override(dbs, admin, exam, candidate.id, extra_minutes=15, open_at=None, close_at=None)
    assert override.extra_minutes == 15
    assert svc.aware(svc.start_attempt(dbs, candidate, exam, now=T0).deadline_at) == T0 + 75 * M
    assert svc.aware(svc.start_attempt(dbs, other, exam, now=T0).deadline_at) == T0 + 60 * M
    [row] = audit_rows(dbs, "exam.override", exam.id)
    assert row.actor_id == admin.id and row.detail_dict["extra_minutes"] == 15
    assert row.detail_dict["user"] == candidate.id


def test_extend_time_moves_the_deadline_and_is_audited(dbs, exam, admin, candidate):
    """An invigilator's extension moves the stored deadline and leaves an audit row with old and new."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    invigilation.extend_time(dbs, admin, attempt, 10)
    dbs.expire(attempt)
    assert svc.aware(attempt.deadline_at) == T0 + 70 * M
    [row] = audit_rows(dbs, "attempt.extend", attempt.id)
    assert row.actor_id == admin.id and row.detail_dict["minutes"] == 10
    assert row.detail_dict["user"] == candidate.id
    assert row.detail_dict["old"].startswith("2026-03-02 03:00") and row.detail_dict["new"].startswith(
        "2026-03-02 03:10")
    # a save after the old deadline but before the new one is accepted
    assert svc.save_answer(dbs, candidate.id, attempt.id, 1, 1, "A", now=T0 + 65 * M)["saved"]


def test_extend_time_bounds_and_finished_attempts(dbs, exam, admin, candidate):
    """Extensions must be 1–240 minutes and are refused for a submitted attempt."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    for minutes in (0, 241):
        with pytest.raises(svc.ExamError, match="1–240"):
            invigilation.extend_time(dbs, admin, attempt, minutes)
    svc.submit(dbs, attempt, now=T0 + M)
    with pytest.raises(svc.ExamError, match="已经提交"):
        invigilation.extend_time(dbs, admin, attempt, 10)
    assert audit_rows(dbs, "attempt.extend", attempt.id) == []


# ---- saving answers -------------------------------------------------------------------------------------

@pytest.fixture()
def started(dbs, exam, candidate):
    return svc.start_attempt(dbs, candidate, exam, now=T0)


def test_save_stores_canonical_response(dbs, started, candidate):
    """A saved choice is stored in canonical letters (mapped back from the shuffled display order)."""
    (item, q), = [r for r in items_of(dbs, started) if r[1].type == "multiple"][:1]
    result = svc.save_answer(dbs, candidate.id, started.id, item.position, 1, right(q, item), now=T0 + M)
    assert result == {"saved": True, "seq": 1, "seconds_left": 59 * 60}
    assert json.loads(stored(dbs, item)[0]) == q.answer_value
    dbs.expire(started)
    assert svc.aware(started.last_saved_at) == T0 + M


def test_newer_seq_wins_stale_and_replayed_ignored(dbs, started, candidate):
    """Saves are ordered by seq: a newer one overwrites, a stale or replayed one is acknowledged but ignored."""
    item, _ = items_of(dbs, started)[0]
    assert svc.save_answer(dbs, candidate.id, started.id, 1, 2, "B", now=T0 + M)["saved"]
    stale = svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=T0 + 2 * M)
    assert stale["saved"] is False and stale["seq"] == 2
    replay = svc.save_answer(dbs, candidate.id, started.id, 1, 2, "C", now=T0 + 3 * M)
    assert replay["saved"] is False and replay["seq"] == 2
    q = dbs.get(Question, item.question_id)
    assert json.loads(stored(dbs, item)[0]) == display_to_canonical("B", item.order)
    newer = svc.save_answer(dbs, candidate.id, started.id, 1, 5, "D", now=T0 + 4 * M)
    assert newer["saved"] and newer["seq"] == 5
    assert stored(dbs, item)[:2] == (json.dumps(display_to_canonical("D", item.order)), 5)
    assert q.type == "single"


def test_flag_only_save_keeps_the_answer(dbs, started, candidate):
    """A save with only a flag marks the item and leaves the answer; clearing the answer stores None."""
    item, _ = items_of(dbs, started)[0]
    svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=T0 + M)
    svc.save_answer(dbs, candidate.id, started.id, 1, 2, ..., flagged=True, now=T0 + M)
    response, seq, flagged = stored(dbs, item)
    assert response is not None and seq == 2 and flagged is True
    svc.save_answer(dbs, candidate.id, started.id, 1, 3, None, now=T0 + M)
    assert stored(dbs, item) == (None, 3, True)


@pytest.mark.parametrize("qtype,raw", [
    ("single", "Z"), ("single", "AB"), ("single", 7), ("multiple", {"A": 1}), ("multiple", "AZ"),
    ("judge", "maybe"), ("judge", 1), ("blank", ["只填了一个空"]), ("blank", 12), ("blank", ["x" * 201, "y"]),
    ("single", ["A", "B"]),
])
def test_malformed_response_is_refused_and_nothing_stored(dbs, started, candidate, qtype, raw):
    """A malformed response raises ExamError with a Chinese message and stores nothing."""
    item, _ = next(r for r in items_of(dbs, started) if r[1].type == qtype)
    with pytest.raises(svc.ExamError, match="答案格式不正确"):
        svc.save_answer(dbs, candidate.id, started.id, item.position, 1, raw, now=T0 + M)
    assert stored(dbs, item) == (None, 0, False)


def test_save_refuses_bad_seq(dbs, started, candidate):
    """A sequence number below 1 is refused."""
    with pytest.raises(svc.ExamError, match="保存序号无效"):
        svc.save_answer(dbs, candidate.id, started.id, 1, 0, "A", now=T0 + M)


def test_save_refuses_position_not_in_paper(dbs, started, candidate):
    """A position outside the paper is refused."""
    with pytest.raises(svc.ExamError, match="这道题不在您的试卷中"):
        svc.save_answer(dbs, candidate.id, started.id, 99, 1, "A", now=T0 + M)


def test_save_refuses_another_users_attempt(dbs, started, make_user):
    """Nobody can save into somebody else's attempt (nor an attempt that does not exist)."""
    intruder = make_user()
    with pytest.raises(svc.ExamError, match="不是您的答卷"):
        svc.save_answer(dbs, intruder.id, started.id, 1, 1, "A", now=T0 + M)
    with pytest.raises(svc.ExamError, match="不是您的答卷"):
        svc.attempt_for(dbs, intruder, started.id)
    with pytest.raises(svc.ExamError):
        svc.save_answer(dbs, intruder.id, started.id + 100_000, 1, 1, "A", now=T0 + M)
    assert items_of(dbs, started)[0][0].response is None


def test_save_within_grace_after_deadline_is_accepted(dbs, started, candidate):
    """A save arriving up to 30 s after the deadline (inclusive) is still stored."""
    deadline = svc.aware(started.deadline_at)
    result = svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=deadline + 30 * S)
    assert result["saved"] and result["seconds_left"] == 0


def test_save_after_grace_is_rejected(dbs, started, candidate):
    """A save 31 s after the deadline gets SaveRejected with the Chinese message, and stores nothing."""
    item, _ = items_of(dbs, started)[0]
    deadline = svc.aware(started.deadline_at)
    with pytest.raises(svc.SaveRejected, match="考试时间已到"):
        svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=deadline + 31 * S)
    assert stored(dbs, item) == (None, 0, False)


def test_save_after_submit_is_rejected(dbs, started, candidate):
    """After submitting, saves are rejected (409) and the stored answer stays."""
    item, _ = items_of(dbs, started)[0]
    svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=T0 + M)
    assert svc.submit(dbs, started, now=T0 + 2 * M)
    with pytest.raises(svc.SaveRejected, match="答卷已经提交"):
        svc.save_answer(dbs, candidate.id, started.id, 1, 2, "B", now=T0 + 3 * M)
    assert stored(dbs, item)[1] == 1


# ---- submitting and scoring -----------------------------------------------------------------------------

def _scoring_attempt(dbs, make_exam, candidate, policy: str, **kw) -> Attempt:
    """Answers: single right/wrong, multiple exact/strict subset, judge right/blank, blank fully right (with
    full-width digits, spaces and a full stop) / half right."""
    exam = make_exam(users=[candidate], sections=SCORING, multiple_policy=policy, **kw)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    rows = items_of(dbs, attempt)
    (s1, qs1), (s2, qs2), (m1, qm1), (m2, qm2), (j1, qj1), (j2, qj2), (b1, qb1), (b2, qb2) = rows
    assert [q.type for _, q in rows] == ["single"] * 2 + ["multiple"] * 2 + ["judge"] * 2 + ["blank"] * 2
    first, second = right(qb1, b1)
    fancy = first.replace(str(int(qb1.key[-2:])), str(int(qb1.key[-2:])).translate(
        {ord(d): ord(d) + 0xFEE0 for d in "0123456789"}))
    answer_all(dbs, candidate, attempt, {
        1: right(qs1, s1), 2: wrong(qs2, s2), 3: right(qm1, m1), 4: subset(qm2, m2), 5: right(qj1, j1),
        7: [f" {fancy} ", second + "。"], 8: [qb2.answer_value[0][1], "不知道"],
    })
    assert svc.submit(dbs, attempt, now=T0 + 10 * M)
    return attempt


def test_scores_all_or_nothing_and_pass_at_exactly_60(dbs, make_exam, candidate):
    """All-or-nothing multiple choice: a strict subset earns 0; blanks earn per blank (variants, width, spaces and
    a trailing full stop are tolerated); 60 of 100 passes."""
    attempt = _scoring_attempt(dbs, make_exam, candidate, "all_or_nothing")
    earned = [i.earned for i, _ in items_of(dbs, attempt)]
    assert earned == [10, 0, 10, 0, 10, 0, 20, 10]
    assert attempt.score == 60 and attempt.max_score == 100 and attempt.score_100 == 60.0
    assert attempt.passed is True and attempt.pending_manual == 0 and attempt.finalised_by == "candidate"


def test_scores_partial_multiple_policy(dbs, make_exam, candidate):
    """With the partial policy a strict subset of a multiple-choice answer earns half its points."""
    attempt = _scoring_attempt(dbs, make_exam, candidate, "partial")
    assert [i.earned for i, _ in items_of(dbs, attempt)][2:4] == [10, 5]
    assert attempt.score == 65 and attempt.passed is True


def test_below_pass_mark_fails(dbs, make_exam, candidate):
    """The same 60 points fail when the pass mark is 61."""
    attempt = _scoring_attempt(dbs, make_exam, candidate, "all_or_nothing", pass_mark=61)
    assert attempt.score == 60 and attempt.passed is False


def test_wrong_choice_in_multiple_earns_nothing_even_when_partial(dbs, make_exam, candidate):
    """A multiple-choice answer with a wrong option earns 0 under the partial policy too; blank paper fails."""
    exam = make_exam(users=[candidate], sections=SCORING, multiple_policy="partial")
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    item, q = items_of(dbs, attempt)[2]
    svc.save_answer(dbs, candidate.id, attempt.id, item.position, 1, right(q, item) + wrong(q, item), now=T0 + M)
    svc.submit(dbs, attempt, now=T0 + 2 * M)
    assert [i.earned for i, _ in items_of(dbs, attempt)] == [0.0] * 8
    assert attempt.score == 0 and attempt.passed is False


def test_submit_twice_gives_one_result(dbs, started, candidate):
    """A second submit returns False and changes nothing (one result, the first submission time)."""
    svc.save_answer(dbs, candidate.id, started.id, 1, 1, "A", now=T0 + M)
    assert svc.submit(dbs, started, now=T0 + 2 * M) is True
    score = started.score
    assert svc.submit(dbs, started, now=T0 + 3 * M, by="invigilator") is False
    dbs.expire(started)
    assert svc.aware(started.submitted_at) == T0 + 2 * M and started.finalised_by == "candidate"
    assert started.score == score
    assert audit_rows(dbs, "attempt.force_submit") == []


def test_finalise_expired_only_finalises_expired_attempts_once(dbs, make_exam, make_user):
    """The periodic job finalises attempts past deadline + grace (as timeout), leaves the others, and a second run
    finalises nothing."""
    late, in_grace, running, done = (make_user() for _ in range(4))
    exam = make_exam(users=[late, in_grace, running, done])
    a_late = svc.start_attempt(dbs, late, exam, now=T0)                       # deadline T0+60
    a_grace = svc.start_attempt(dbs, in_grace, exam, now=T0 + 10 * M)         # deadline T0+70
    a_running = svc.start_attempt(dbs, running, exam, now=T0 + 30 * M)
    a_done = svc.start_attempt(dbs, done, exam, now=T0)
    svc.save_answer(dbs, late.id, a_late.id, 1, 1, "A", now=T0 + M)
    svc.submit(dbs, a_done, now=T0 + 5 * M)
    now = T0 + 70 * M + 20 * S
    assert svc.finalise_expired(dbs, now=now) == 1
    for a in (a_late, a_grace, a_running, a_done):
        dbs.refresh(a)
    assert a_late.finalised_by == "timeout" and svc.aware(a_late.submitted_at) == now
    assert a_late.score is not None and a_late.max_score == 100
    assert a_grace.submitted_at is None and a_running.submitted_at is None
    assert a_done.finalised_by == "candidate" and svc.aware(a_done.submitted_at) == T0 + 5 * M
    assert svc.finalise_expired(dbs, now=now + S) == 0
    assert svc.finalise_expired(dbs, now=T0 + 71 * M) == 1
    dbs.refresh(a_grace)
    assert a_grace.finalised_by == "timeout"


def test_expired_attempt_is_finalised_on_resume_and_counts_as_used(dbs, exam, candidate):
    """Starting again after the deadline finalises the old attempt (timeout) and, with one attempt allowed,
    refuses a new one."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    with pytest.raises(svc.ExamError, match="作答次数已用完"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 2 * H)
    dbs.refresh(attempt)
    assert attempt.finalised_by == "timeout"


def test_no_save_changes_the_response_after_submit(dbs, started, candidate):
    """Racing save and submit: once submitted, no save (newer seq, flag, clearing) changes what was graded."""
    item, q = items_of(dbs, started)[0]
    svc.save_answer(dbs, candidate.id, started.id, 1, 3, right(q, item), now=T0 + M)
    before = stored(dbs, item)
    assert svc.submit(dbs, started, now=T0 + 2 * M)
    score = started.score
    for seq, raw, flag in ((4, wrong(q, item), None), (99, None, None), (100, ..., True)):
        with pytest.raises(svc.SaveRejected):
            svc.save_answer(dbs, candidate.id, started.id, 1, seq, raw, flagged=flag, now=T0 + 2 * M)
    assert stored(dbs, item) == before
    dbs.refresh(started)
    assert started.score == score == 10


# ---- manual grading --------------------------------------------------------------------------------------

@pytest.fixture()
def case_attempt(dbs, make_exam, candidate):
    exam = make_exam(users=[candidate], sections=WITH_CASE, review_after_close=False, review_policy="full")
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    rows = items_of(dbs, attempt)
    answer_all(dbs, candidate, attempt, {1: right(*rows[0][::-1]), 2: right(*rows[1][::-1]),
                                         3: "  依据第五十一条，可以适用简易程序。\r\n理由如下。 "})
    svc.submit(dbs, attempt, now=T0 + 5 * M)
    return attempt


def test_case_answer_withholds_the_result(dbs, case_attempt):
    """A case answer waits for a person: the result is withheld (no pass/fail, no review level, not counted)."""
    exam = dbs.get(Exam, case_attempt.exam_id)
    item, q = items_of(dbs, case_attempt)[2]
    assert q.type == "case" and item.earned is None
    assert json.loads(item.response) == "依据第五十一条，可以适用简易程序。\n理由如下。"
    assert case_attempt.pending_manual == 1 and case_attempt.passed is None and case_attempt.score == 40
    assert exam_results.review_level(dbs, exam, case_attempt, now=T0 + 6 * M) is None
    assert exam_results.counted_attempt(dbs, exam, case_attempt.user_id) is None


def test_grade_item_bounds(dbs, case_attempt, admin):
    """A grade must be within 0 and the item's points; refused grades change nothing and are not audited."""
    item, _ = items_of(dbs, case_attempt)[2]
    for points in (-1, 60.5):
        with pytest.raises(svc.ExamError, match="得分应在 0–60 之间"):
            exam_results.grade_item(dbs, admin, item, points)
    assert item.earned is None and item.graded_by_id is None
    assert audit_rows(dbs, "attempt.grade") == []


def test_grade_item_completes_the_result_and_is_audited(dbs, case_attempt, admin):
    """Grading the case answer completes the attempt (score, pass/fail, review level) and is audited; a regrade
    records old and new."""
    exam = dbs.get(Exam, case_attempt.exam_id)
    item, _ = items_of(dbs, case_attempt)[2]
    exam_results.grade_item(dbs, admin, item, 15, "  要点不全 ")
    assert item.earned == 15 and item.graded_by_id == admin.id and item.grader_comment == "要点不全"
    assert case_attempt.pending_manual == 0 and case_attempt.score == 55 and case_attempt.passed is False
    assert exam_results.review_level(dbs, exam, case_attempt, now=T0 + 6 * M) == "full"
    assert exam_results.counted_attempt(dbs, exam, case_attempt.user_id).id == case_attempt.id
    exam_results.grade_item(dbs, admin, item, 30)
    assert case_attempt.score == 70 and case_attempt.passed is True
    rows = audit_rows(dbs, "attempt.grade", case_attempt.id)
    assert [(r.detail_dict["old"], r.detail_dict["new"]) for r in rows] == [(None, 15.0), (15.0, 30.0)]
    assert all(r.actor_id == admin.id and r.detail_dict["position"] == 3 for r in rows)


def test_person_grade_survives_regrading(dbs, case_attempt, admin):
    """Regrading the whole attempt keeps a person's grade."""
    item, _ = items_of(dbs, case_attempt)[2]
    exam_results.grade_item(dbs, admin, item, 42)
    svc.grade(dbs, case_attempt)
    assert item.earned == 42 and case_attempt.score == 82


def test_grade_item_refuses_automatically_graded_items(dbs, case_attempt, admin):
    """Only case answers are graded by a person: a grade for a choice item is refused and changes nothing."""
    item, q = items_of(dbs, case_attempt)[0]
    assert q.type == "single"
    before = (item.earned, case_attempt.score)
    with pytest.raises(svc.ExamError, match="只有案例分析题需要人工评分"):
        exam_results.grade_item(dbs, admin, item, 0)
    assert (item.earned, case_attempt.score) == before and item.graded_by_id is None
    assert audit_rows(dbs, "attempt.grade") == []


def test_grade_item_refused_before_submit(dbs, make_exam, candidate, admin):
    """An open attempt cannot be graded."""
    exam = make_exam(users=[candidate], sections=WITH_CASE)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    item, _ = items_of(dbs, attempt)[2]
    with pytest.raises(svc.ExamError, match="尚未提交"):
        exam_results.grade_item(dbs, admin, item, 10)


def test_empty_case_answer_earns_zero_without_grading(dbs, make_exam, candidate):
    """An unanswered case question earns 0 and does not wait for a person."""
    exam = make_exam(users=[candidate], sections=WITH_CASE)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    svc.submit(dbs, attempt, now=T0 + M)
    assert attempt.pending_manual == 0 and attempt.score == 0 and attempt.passed is False
    assert items_of(dbs, attempt)[2][0].earned == 0


# ---- release and review ----------------------------------------------------------------------------------

def _submitted(dbs, make_exam, candidate, **kw) -> tuple[Exam, Attempt]:
    exam = make_exam(users=[candidate], close_at=T0 + 2 * H, **kw)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    svc.submit(dbs, attempt, now=T0 + 10 * M)
    return exam, attempt


DURING, AFTER = T0 + 20 * M, T0 + 3 * H


@pytest.mark.parametrize("review,after_close,during,after", [
    ("full", True, "score", "full"),
    ("full", False, "full", "full"),
    ("right_wrong", True, "score", "right_wrong"),
    ("right_wrong", False, "right_wrong", "right_wrong"),
    ("score", False, "score", "score"),
])
def test_release_immediate_review_levels(dbs, make_exam, candidate, review, after_close, during, after):
    """Immediate release: the score at once; right/wrong or full review only after close when so configured."""
    exam, attempt = _submitted(dbs, make_exam, candidate, release_policy="immediate", review_policy=review,
                               review_after_close=after_close)
    assert exam_results.results_released(dbs, exam, now=DURING)
    assert exam_results.review_level(dbs, exam, attempt, now=DURING) == during
    assert exam_results.review_level(dbs, exam, attempt, now=AFTER) == after


def test_release_after_close(dbs, make_exam, candidate):
    """After-close release: nothing before the exam closes, the configured level afterwards."""
    exam, attempt = _submitted(dbs, make_exam, candidate, release_policy="after_close", review_policy="full")
    assert not exam_results.results_released(dbs, exam, now=DURING)
    assert exam_results.review_level(dbs, exam, attempt, now=DURING) is None
    assert exam_results.review_level(dbs, exam, attempt, now=T0 + 2 * H) == "full"


def test_release_manual_is_audited(dbs, make_exam, candidate, admin):
    """Manual release: nothing until an admin releases (audited), even after close; then the configured level."""
    exam, attempt = _submitted(dbs, make_exam, candidate, release_policy="manual", review_policy="right_wrong",
                               review_after_close=False)
    assert exam_results.review_level(dbs, exam, attempt, now=AFTER) is None
    exam_results.release(dbs, admin, exam, now=DURING)
    assert svc.aware(exam.released_at) == DURING
    assert exam_results.review_level(dbs, exam, attempt, now=DURING) == "right_wrong"
    [row] = audit_rows(dbs, "exam.release", exam.id)
    assert row.actor_id == admin.id


def test_answers_stay_hidden_while_someone_may_still_sit(dbs, make_exam, candidate, make_user, admin):
    """With review after close, answers stay hidden while a candidate's personal window (override) is still open."""
    late = make_user()
    exam = make_exam(users=[candidate, late], close_at=T0 + 2 * H, review_policy="full")
    invigilation.set_override(dbs, admin, exam, late.id, extra_minutes=0, open_at=T0 + 24 * H, close_at=T0 + 26 * H)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    svc.submit(dbs, attempt, now=T0 + 10 * M)
    assert svc.start_attempt(dbs, late, exam, now=T0 + 24 * H + M).submitted_at is None  # still sitting
    assert exam_results.review_level(dbs, exam, attempt, now=T0 + 24 * H + 2 * M) == "score"


def test_open_attempt_has_no_review_level(dbs, make_exam, candidate):
    """While an attempt is open the candidate sees nothing of its result."""
    exam = make_exam(users=[candidate], review_after_close=False, review_policy="full")
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert exam_results.review_level(dbs, exam, attempt, now=T0 + M) is None


# ---- focus ------------------------------------------------------------------------------------------------

def test_focus_record_policy(dbs, make_exam, candidate):
    """Record only: every event is stored and counted, the action stays "record"."""
    exam = make_exam(users=[candidate], focus_policy="record", focus_limit=1)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    for n in (1, 2, 3):
        assert svc.record_focus(dbs, candidate, attempt.id, "hidden", now=T0 + n * M) == {
            "count": n, "limit": 1, "action": "record"}
    assert attempt.submitted_at is None
    assert dbs.scalar(select(func.count()).select_from(FocusEvent).where(FocusEvent.attempt_id == attempt.id)) == 3


def test_focus_warn_policy(dbs, make_exam, candidate):
    """Warn: each event asks the page to warn, the attempt stays open past the limit."""
    exam = make_exam(users=[candidate], focus_policy="warn", focus_limit=1)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert svc.record_focus(dbs, candidate, attempt.id, "blur", now=T0 + M)["action"] == "warn"
    assert svc.record_focus(dbs, candidate, attempt.id, "hidden", now=T0 + 2 * M)["action"] == "warn"
    assert attempt.submitted_at is None and attempt.focus_events == 2


def test_focus_submit_after_limit(dbs, make_exam, candidate):
    """Submit after N: warned below the limit, submitted (audited) at the limit, and further events are refused."""
    exam = make_exam(users=[candidate], focus_policy="submit", focus_limit=2)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    assert svc.record_focus(dbs, candidate, attempt.id, "hidden", now=T0 + M)["action"] == "warn"
    assert svc.record_focus(dbs, candidate, attempt.id, "hidden", now=T0 + 2 * M) == {
        "count": 2, "limit": 2, "action": "submitted"}
    assert attempt.finalised_by == "focus" and svc.aware(attempt.submitted_at) == T0 + 2 * M
    [row] = audit_rows(dbs, "attempt.focus_submit", attempt.id)
    assert row.detail_dict["user"] == candidate.id
    with pytest.raises(svc.SaveRejected):
        svc.record_focus(dbs, candidate, attempt.id, "hidden", now=T0 + 3 * M)


def test_focus_refuses_bad_kind_and_other_users(dbs, started, candidate, make_user):
    """Unknown event kinds and other people's attempts are refused, nothing recorded."""
    with pytest.raises(svc.ExamError, match="事件类型无效"):
        svc.record_focus(dbs, candidate, started.id, "scroll", now=T0 + M)
    with pytest.raises(svc.ExamError, match="不是您的答卷"):
        svc.record_focus(dbs, make_user(), started.id, "hidden", now=T0 + M)
    assert dbs.scalar(select(func.count()).select_from(FocusEvent)) == 0


# ---- invigilation, scores and make-ups --------------------------------------------------------------------

def test_monitor_rows_and_supervisor_scope(dbs, make_exam, make_unit, make_user):
    """The monitor lists every invited candidate with state, progress and time left; a supervisor sees only the
    people of the units they oversee."""
    unit_a, unit_b = make_unit(), make_unit()
    a1, a2 = make_user(unit=unit_a, login="a1"), make_user(unit=unit_a, login="a2")
    b1 = make_user(unit=unit_b, login="b1")
    supervisor = make_user(role="supervisor", unit=unit_a, supervises=[unit_a], login="sup")
    exam = make_exam(units=[unit_a, unit_b])
    att_a1 = svc.start_attempt(dbs, a1, exam, now=T0)
    answer_all(dbs, a1, att_a1, {1: "A", 2: "B"})
    att_b1 = svc.start_attempt(dbs, b1, exam, now=T0)
    svc.submit(dbs, att_b1, now=T0 + 5 * M)

    rows = invigilation.monitor(dbs, exam, None, now=T0 + 20 * M)
    by_login = {r.user.login: r for r in rows}
    assert set(by_login) == {"a1", "a2", "b1", "sup"}  # the supervisor is in unit A too
    assert (by_login["a1"].state, by_login["a1"].answered, by_login["a1"].total) == ("in_progress", 2, 10)
    assert by_login["a1"].seconds_left == 40 * 60 and by_login["a1"].attempt.id == att_a1.id
    assert (by_login["a2"].state, by_login["a2"].attempt, by_login["a2"].seconds_left) == ("not_started", None, None)
    assert (by_login["b1"].state, by_login["b1"].total, by_login["b1"].seconds_left) == ("submitted", 10, None)

    scoped = invigilation.monitor(dbs, exam, visible_unit_ids(dbs, supervisor), now=T0 + 20 * M)
    assert {r.user.login for r in scoped} == {"a1", "a2", "sup"}
    assert invigilation.monitor(dbs, exam, visible_unit_ids(dbs, a2), now=T0 + 20 * M) == []


def test_monitor_finalises_expired_attempts(dbs, exam, candidate):
    """Opening the monitor after a deadline finalises the attempt, shown as submitted."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    [row] = invigilation.monitor(dbs, exam, None, now=T0 + 2 * H)
    assert row.state == "submitted"
    dbs.refresh(attempt)
    assert attempt.finalised_by == "timeout"


def test_allow_another_attempt(dbs, exam, candidate, admin):
    """An extra attempt lets a candidate who used up theirs start again (number 2), and is audited."""
    first = svc.start_attempt(dbs, candidate, exam, now=T0)
    svc.submit(dbs, first, now=T0 + M)
    invigilation.allow_another_attempt(dbs, admin, exam, candidate.id, extra_minutes=5)
    override = svc.override_for(dbs, exam.id, candidate.id)
    assert (override.extra_attempts, override.extra_minutes) == (1, 5)
    second = svc.start_attempt(dbs, candidate, exam, now=T0 + 2 * M)
    assert second.number == 2 and second.id != first.id
    assert svc.aware(second.deadline_at) == T0 + 67 * M
    svc.submit(dbs, second, now=T0 + 3 * M)
    with pytest.raises(svc.ExamError, match="作答次数已用完"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 4 * M)
    [row] = audit_rows(dbs, "exam.extra_attempt", exam.id)
    assert row.detail_dict == {"user": candidate.id, "extra_attempts": 1}


def test_set_override_window(dbs, make_exam, candidate, admin):
    """A personal window replaces the exam's: a candidate can start after the exam closed, within their window."""
    exam = make_exam(users=[candidate], close_at=T0 + H)
    with pytest.raises(svc.ExamError, match="考试已经结束"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 25 * H)
    invigilation.set_override(dbs, admin, exam, candidate.id, extra_minutes=0, open_at=T0 + 24 * H, close_at=T0 + 26 * H)
    with pytest.raises(svc.ExamError, match="考试尚未开始"):
        svc.start_attempt(dbs, candidate, exam, now=T0 + 23 * H)
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0 + 25 * H + 30 * M)
    assert svc.aware(attempt.deadline_at) == T0 + 26 * H  # capped by the personal close
    assert dbs.scalar(select(func.count()).select_from(ExamOverride)) == 1


def test_set_override_validation(dbs, exam, candidate, admin):
    """Overrides refuse extra time outside 0–240 minutes and a personal window that ends before it starts."""
    with pytest.raises(svc.ExamError, match="0–240"):
        invigilation.set_override(dbs, admin, exam, candidate.id, extra_minutes=241, open_at=None, close_at=None)
    with pytest.raises(svc.ExamError, match="结束时间必须晚于开始时间"):
        invigilation.set_override(dbs, admin, exam, candidate.id, extra_minutes=0, open_at=T0 + H, close_at=T0)
    assert svc.override_for(dbs, exam.id, candidate.id) is None
    assert audit_rows(dbs, "exam.override") == []


def _two_attempts(dbs, make_exam, candidate, counting: str) -> tuple[Exam, Attempt, Attempt]:
    exam = make_exam(users=[candidate], max_attempts=2, counting=counting, sections=SCORING)
    first = svc.start_attempt(dbs, candidate, exam, now=T0)
    rows = items_of(dbs, first)
    answer_all(dbs, candidate, first, {p: right(q, i) for p, (i, q) in enumerate(rows, 1)})
    svc.submit(dbs, first, now=T0 + 5 * M)
    second = svc.start_attempt(dbs, candidate, exam, now=T0 + 6 * M)
    svc.submit(dbs, second, now=T0 + 7 * M)
    assert (first.score, second.score) == (100, 0)
    return exam, first, second


def test_counted_attempt_best(dbs, make_exam, candidate):
    """Counting "best": the higher score counts even if it was the earlier attempt."""
    exam, first, _ = _two_attempts(dbs, make_exam, candidate, "best")
    assert exam_results.counted_attempt(dbs, exam, candidate.id).id == first.id


def test_counted_attempt_last(dbs, make_exam, candidate):
    """Counting "last": the latest attempt counts even if it scored lower."""
    exam, _, second = _two_attempts(dbs, make_exam, candidate, "last")
    assert exam_results.counted_attempt(dbs, exam, candidate.id).id == second.id


def test_counted_attempt_ignores_open_attempts(dbs, exam, candidate):
    """An attempt still in progress is not counted."""
    svc.start_attempt(dbs, candidate, exam, now=T0)
    assert exam_results.counted_attempt(dbs, exam, candidate.id) is None


def test_missed_or_failed_for_makeup(dbs, make_exam, make_user, admin):
    """The make-up list holds invited people who failed or did not sit, not those who passed; a make-up exam
    links to the original."""
    passer, failer, absent = make_user(), make_user(), make_user()
    exam = make_exam(users=[passer, failer, absent], sections=SCORING)
    a = svc.start_attempt(dbs, passer, exam, now=T0)
    answer_all(dbs, passer, a, {p: right(q, i) for p, (i, q) in enumerate(items_of(dbs, a), 1)})
    svc.submit(dbs, a, now=T0 + 5 * M)
    svc.submit(dbs, svc.start_attempt(dbs, failer, exam, now=T0), now=T0 + 5 * M)
    missed = exam_results.missed_or_failed(dbs, exam)
    assert missed == sorted([failer.id, absent.id])
    makeup, errors, _ = svc.save_exam(dbs, admin, exam_data(users=[dbs.get(type(admin), i) for i in missed],
                                                            makeup_of_id=exam.id, title="补考"))
    assert errors == [] and makeup.makeup_of_id == exam.id
    assert svc.invited_user_ids(dbs, makeup) == set(missed)


def test_exams_for_lists_published_invited_exams(dbs, make_exam, candidate, make_user):
    """A candidate's exam list holds the published exams they are invited to, with window state and attempts."""
    shown = make_exam(users=[candidate], title="可见的考试")
    make_exam(users=[candidate], title="草稿考试", publish=False)
    make_exam(users=[make_user()], title="别人的考试")
    attempt = svc.start_attempt(dbs, candidate, shown, now=T0)
    rows = svc.exams_for(dbs, candidate, now=T0 + M)
    assert [(e.title, state, [a.id for a in attempts]) for e, state, attempts in rows] == [
        ("可见的考试", "open", [attempt.id])]
    assert svc.exams_for(dbs, candidate, now=T0 - 2 * H)[0][1] == "upcoming"


def test_finalise_in_batches_commits_every_expired_attempt_once(app, dbs, make_exam, make_user):
    """The server's job finalises expired attempts a few per write transaction: all of them, each once, only
    those of the exam asked for, and none that is still running."""
    from trainer import db
    from trainer.exams.jobs import finalise_expired_in_batches
    people = [make_user() for _ in range(13)]
    exam, other = make_exam(users=people[:12]), make_exam(users=[people[12]])
    expired = [svc.start_attempt(dbs, u, exam, now=T0) for u in people[:11]]
    running = svc.start_attempt(dbs, people[11], exam, now=T0 + 50 * M)
    elsewhere = svc.start_attempt(dbs, people[12], other, now=T0)
    dbs.commit()
    now = T0 + 75 * M
    with app.app_context():
        assert svc.expired_attempt_ids(db.session, now=now, exam_id=exam.id) == [a.id for a in expired]
        assert finalise_expired_in_batches(exam_id=exam.id, batch=4, now=now) == 11
        assert finalise_expired_in_batches(exam_id=exam.id, batch=4, now=now) == 0
        db.session.remove()
    for a in (*expired, running, elsewhere):
        dbs.refresh(a)
    assert {a.finalised_by for a in expired} == {"timeout"} and all(a.score is not None for a in expired)
    assert running.submitted_at is None and elsewhere.submitted_at is None
    with app.app_context():
        assert finalise_expired_in_batches(now=now) == 1  # every exam: the other one's attempt
        db.session.remove()
    dbs.refresh(elsewhere)
    assert elsewhere.finalised_by == "timeout"


def test_focus_events_are_counted_in_the_database(dbs, exam, candidate):
    """Each focus event increments the stored count (an SQL increment, not a stale read-modify-write)."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    dbs.execute(Attempt.__table__.update().where(Attempt.id == attempt.id).values(focus_events=5))
    result = svc.record_focus(dbs, candidate, attempt.id, "blur", now=T0 + M)
    assert result["count"] == 6 and attempt.focus_events == 6
    assert dbs.scalar(select(func.count()).select_from(FocusEvent).where(FocusEvent.attempt_id == attempt.id)) == 1


def test_monitor_lists_the_latest_focus_events_with_times(dbs, exam, candidate):
    """Invigilators see when a candidate left the page: the latest events (up to 5) in time order, and the count."""
    attempt = svc.start_attempt(dbs, candidate, exam, now=T0)
    for n in range(7):
        svc.record_focus(dbs, candidate, attempt.id, "hidden" if n % 2 else "blur", now=T0 + (n + 1) * M)
    [row] = invigilation.monitor(dbs, exam, None, now=T0 + 10 * M)
    assert row.attempt.focus_events == 7
    assert [(svc.aware(at), kind) for at, kind in row.focus] == [
        (T0 + 3 * M, "blur"), (T0 + 4 * M, "hidden"), (T0 + 5 * M, "blur"), (T0 + 6 * M, "hidden"), (T0 + 7 * M, "blur")]
