"""Reports (trainer.reports.services) and drive standings (trainer.contest.services) against a real database: roster
coverage and its four rates rolled up the unit tree, the 催学 list, supervisor scope in every report, knowledge by
article, individual records, exam item analysis, drive standings (live and frozen) and drive validation.

The data is made with the app's own services (save_exam / start_attempt / save_answer / submit, start_random /
start_article / answer, mark_studied), each with a fixed clock, from a small bank whose answers the tests know."""
from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from support import bank_question_yaml, loaded_bank
from trainer.audit import AuditLog
from trainer.banks.models import Question
from trainer.banks.services import import_bank
from trainer.banks.types import LETTERS, canonical_to_display
from trainer.contest import services as contest
from trainer.exams import services as exams
from trainer.exams.models import AttemptItem
from trainer.practice import services as practice
from trainer.practice.models import PracticeItem
from trainer.reports import services as svc
from trainer.reports.models import Drive
from trainer.reports.statistics import FLAG_NEGATIVE_DISCRIMINATION, UNANSWERED
from trainer.study.models import Course
from trainer.study.services import mark_studied

LOCAL = ZoneInfo("Asia/Shanghai")
LAW = "行政处罚法"
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=timezone.utc)          # Monday 2 March 2026, 10:00 in Shanghai
H = timedelta(hours=1)
M = timedelta(minutes=1)
EXAM_TAG = "报表考试"


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL)


def naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


# ---- a bank whose answers and citations the tests know --------------------------------------------------
# Exam questions (tag 报表考试): rpe-0001..0004 judge, rpe-0005 single (answer B). Exams draw exactly these five
# (judge 4 × 20 + single 1 × 20 = 100 points), so every candidate gets the same paper in a seeded order.
# Practice questions: rpp-* judge, citing the articles listed (10 is in chapter 2, 33–36 in chapter 4).

PRACTICE_CITES = [10, 33, 33, 33, 34, 34, 35, 35, 36]


def _bank_yaml() -> str:
    out = ["format: 1", "bank: report-test", "title: 报表测试题库", "course: 行政处罚法", "questions:"]

    def q(key, qtype, stem, answer, article, *, options=None, tags=()):
        bank_question_yaml(out, key, qtype, stem, answer, article, options=options, tags=tags)

    for n in range(1, 5):
        q(f"rpe-{n:04d}", "judge", f"报表考试判断题第{n}题。", "true" if n % 2 else "false", 10, tags=(EXAM_TAG,))
    q("rpe-0005", "single", "报表考试单选题（ ）。", "B", 10, options=["甲项", "乙项", "丙项", "丁项"], tags=(EXAM_TAG,))
    for n, article in enumerate(PRACTICE_CITES, 1):
        q(f"rpp-{n:04d}", "judge", f"报表练习判断题第{n}题（第{article}条）。", "true" if n % 2 else "false", article)
    return "\n".join(out) + "\n"


@functools.cache
def _spec():
    return loaded_bank(_bank_yaml(), "report-test.yaml")


SECTIONS = [{"title": "判断题", "type": "judge", "count": 4, "points": 20, "tags": [EXAM_TAG]},
            {"title": "单选题", "type": "single", "count": 1, "points": 20, "tags": [EXAM_TAG]}]
GOOD = ["rpe-0001", "rpe-0002", "rpe-0003", "rpe-0005"]


@pytest.fixture()
def bank(dbs):
    import_bank(dbs, _spec())
    dbs.flush()


@pytest.fixture()
def course(dbs) -> Course:
    return dbs.scalar(select(Course).where(Course.key == LAW))


# ---- helpers: exams, study, practice ---------------------------------------------------------------------

def make_exam(dbs, admin, *, units=(), users=(), open_at=T0 - H, close_at=T0 + 24 * H, title="报表测试考试",
              **kw):
    data = exams.ExamData(title=title, open_at=open_at, close_at=close_at, sections=SECTIONS,
                          time_limit_minutes=60, pass_mark=60.0, unit_ids=tuple(u.id for u in units),
                          user_ids=tuple(u.id for u in users), **kw)
    exam, errors, _ = exams.save_exam(dbs, admin, data)
    assert exam is not None, errors
    exams.set_status(dbs, admin, exam, "published")
    return exam


def _exam_response(q: Question, item: AttemptItem, ok: bool | None):
    """The answer as the page would send it (displayed letters for a choice); None leaves it unanswered."""
    if ok is None:
        return None
    if q.type == "judge":
        return "true" if q.answer_value == ok else "false"
    canonical = q.answer_value if ok else next(c for c in LETTERS[:len(q.option_list)] if c not in q.answer_value)
    return canonical_to_display(canonical, item.order)


def sit(dbs, user, exam, right, *, at=T0, minutes=30, unanswered=()):
    """Start, answer (the keys in `right` right, the others wrong, `unanswered` left blank) and submit."""
    attempt = exams.start_attempt(dbs, user, exam, now=at)
    for item in attempt.items:
        q = dbs.get(Question, item.question_id)
        raw = _exam_response(q, item, None if q.key in unanswered else q.key in right)
        if raw is not None:
            exams.save_answer(dbs, user.id, attempt.id, item.position, 1, raw, now=at + M)
    assert exams.submit(dbs, attempt, now=at + minutes * M)
    dbs.refresh(attempt)
    return attempt


def right_keys(n: int) -> set[str]:
    """The first n exam questions: n × 20 points."""
    return set(["rpe-0001", "rpe-0002", "rpe-0003", "rpe-0004", "rpe-0005"][:n])


def study(dbs, user, module, at=T0 - 48 * H):
    mark_studied(dbs, user, module, now=naive_utc(at))


def _practice_response(q: Question, item: PracticeItem, ok: bool):
    if q.type == "judge":
        return "true" if q.answer_value == ok else "false"
    canonical = q.answer_value if ok else next(c for c in LETTERS[:len(q.option_list)] if c not in q.answer_value)
    return canonical_to_display(canonical, item.order) if item.order else canonical


def answer_session(dbs, user, session, pattern, at):
    items = list(dbs.scalars(select(PracticeItem).where(PracticeItem.session_id == session.id)
                             .order_by(PracticeItem.position)))
    assert len(items) == len(pattern)
    for i, (item, ok) in enumerate(zip(items, pattern)):
        q = dbs.get(Question, item.question_id)
        practice.answer(dbs, user, session.id, item.position, _practice_response(q, item, ok),
                        now=at + i * timedelta(seconds=10))


def practise(dbs, user, at, right=0, wrong=0):
    """A random practice session at `at` with `right` right and `wrong` wrong answers."""
    session = practice.start_random(dbs, user, size=right + wrong, now=at)
    answer_session(dbs, user, session, [True] * right + [False] * wrong, at)


def practise_article(dbs, user, number, pattern, at=T0 - 24 * H):
    """Practice on one article of 行政处罚法; pattern[i] True answers right."""
    session = practice.start_article(dbs, user, LAW, number, size=len(pattern), now=at)
    answer_session(dbs, user, session, pattern, at)


# ---- the hand-made bureau ---------------------------------------------------------------------------------
#
#   A (大队)  a1 studied, sat 80 (passed) · a2 studied · a3 started the exam but never submitted
#   └ A1 (中队) x1 sat 40 (failed) · x2 studied 2 modules, sat 100 (passed)
#   B (大队)  y1 studied, sat 60 (passed: the mark reached exactly) · y2 nothing
#   also: the supervisor of A (not staff: not counted), an inactive staff member in A, an admin in B.

@pytest.fixture()
def bureau(dbs, bank, make_unit, make_user, admin, course):
    A = make_unit("报表测试甲大队", kind="大队")
    A1 = make_unit("报表测试甲一中队", kind="中队", parent=A)
    B = make_unit("报表测试乙大队", kind="大队")
    p = SimpleNamespace(A=A, A1=A1, B=B, admin=admin, course=course)
    for name, unit in [("a1", A), ("a2", A), ("a3", A), ("x1", A1), ("x2", A1), ("y1", B), ("y2", B)]:
        setattr(p, name, make_user(role="staff", unit=unit, login=f"rp{name}", name=f"报表{name}"))
    p.sup = make_user(role="supervisor", unit=A, login="rpsup", supervises=[A])
    p.gone = make_user(role="staff", unit=A, login="rpgone", active=False)
    p.b_admin = make_user(role="admin", unit=B, login="rpadm")
    m0, m1 = course.modules[0], course.modules[1]
    for user, modules in [(p.a1, [m0]), (p.a2, [m1]), (p.x2, [m0, m1]), (p.y1, [m0]), (p.gone, [m0])]:
        for m in modules:
            study(dbs, user, m)
    p.exam = make_exam(dbs, admin, units=(A, B))
    p.attempts = {
        "a1": sit(dbs, p.a1, p.exam, right_keys(4), at=T0),
        "x1": sit(dbs, p.x1, p.exam, right_keys(2), at=T0 + 1 * H),
        "x2": sit(dbs, p.x2, p.exam, right_keys(5), at=T0 + 2 * H, minutes=20),
        "y1": sit(dbs, p.y1, p.exam, right_keys(3), at=T0 + 3 * H),
    }
    p.open_attempt = exams.start_attempt(dbs, p.a3, p.exam, now=T0 + 4 * H)
    dbs.flush()
    return p


def _by_unit(unit_rows) -> dict[int, svc.UnitRates]:
    return {r.unit.id: r for r in unit_rows}


def _logins(rows) -> set[str]:
    return {r.user.login for r in rows}


# ---- coverage ---------------------------------------------------------------------------------------------

def test_the_exam_scores_of_the_bureau(bureau):
    """The scenario's attempts score as designed (20 points a question; 60 of 100 reaches the pass mark)."""
    got = {k: (a.score_100, a.passed) for k, a in bureau.attempts.items()}
    assert got == {"a1": (80.0, True), "x1": (40.0, False), "x2": (100.0, True), "y1": (60.0, True)}


def test_coverage_counts_per_unit_rolled_up_the_tree(dbs, bureau):
    """Members, studied, sat, passed and the score sum per unit; A includes its sub-unit A1. Only active staff count,
    an attempt never submitted is not sat."""
    rows, units = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam])
    assert _logins(rows) == {"rpa1", "rpa2", "rpa3", "rpx1", "rpx2", "rpy1", "rpy2"}
    u = _by_unit(units)
    counts = {name: (u[unit.id].members, u[unit.id].studied, u[unit.id].sat, u[unit.id].passed, u[unit.id].score_sum)
              for name, unit in [("A", bureau.A), ("A1", bureau.A1), ("B", bureau.B)]}
    assert counts == {"A": (5, 3, 3, 2, 220.0), "A1": (2, 1, 2, 1, 140.0), "B": (2, 1, 1, 1, 60.0)}


def test_coverage_rates_computed_by_hand(dbs, bureau):
    """参学率 studied/members, 参考率 sat/members, 合格率 passed/sat, 平均分 = mean score of those who sat."""
    _, units = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam])
    u = _by_unit(units)
    expected = {
        bureau.A.id: {"study_rate": 3 / 5, "sit_rate": 3 / 5, "pass_rate": 2 / 3, "mean_score": (80 + 40 + 100) / 3},
        bureau.A1.id: {"study_rate": 1 / 2, "sit_rate": 2 / 2, "pass_rate": 1 / 2, "mean_score": (40 + 100) / 2},
        bureau.B.id: {"study_rate": 1 / 2, "sit_rate": 1 / 2, "pass_rate": 1 / 1, "mean_score": 60.0},
    }
    for unit_id, rates in expected.items():
        assert u[unit_id].rates == pytest.approx(rates), u[unit_id].unit.name


def test_coverage_rows_per_person(dbs, bureau):
    """Per person: modules studied per course, the counted attempt per exam (None when not sat)."""
    rows, _ = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam])
    by = {r.user.login: r for r in rows}
    assert by["rpx2"].studied == {bureau.course.id: 2}
    assert by["rpa3"].studied == {}
    assert by["rpa1"].exams[bureau.exam.id].id == bureau.attempts["a1"].id
    assert by["rpa3"].exams[bureau.exam.id] is None      # open attempt only
    assert by["rpy2"].exams[bureau.exam.id] is None
    assert by["rpa1"].last_activity is not None and by["rpy2"].last_activity is None


def test_coverage_of_one_unit_is_that_subtree(dbs, bureau):
    """unit_id=A1: only A1's people and A1's rates."""
    rows, units = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam], unit_id=bureau.A1.id)
    assert _logins(rows) == {"rpx1", "rpx2"}
    assert [r.unit.id for r in units] == [bureau.A1.id]
    rows, units = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam], unit_id=bureau.A.id)
    assert _logins(rows) == {"rpa1", "rpa2", "rpa3", "rpx1", "rpx2"}
    assert {r.unit.id for r in units} == {bureau.A.id, bureau.A1.id}


def test_sitting_any_selected_exam_counts_once_with_the_best_score(dbs, bureau, admin):
    """With two exams selected a person who sat either counts once as sat; 平均分 takes their best score."""
    second = make_exam(dbs, admin, units=(bureau.A,), title="报表测试补充考试")
    sit(dbs, bureau.a2, second, right_keys(1), at=T0 + 5 * H)      # 20: sat, failed
    sit(dbs, bureau.a1, second, right_keys(5), at=T0 + 5 * H)      # 100, better than 80
    _, units = svc.coverage(dbs, admin, [bureau.course], [bureau.exam, second])
    a = _by_unit(units)[bureau.A.id]
    assert (a.members, a.sat, a.passed, a.score_sum) == (5, 4, 2, 100 + 20 + 40 + 100)


def test_behind_lists_who_has_not_studied_sat_or_passed(dbs, bureau):
    """催学名单: 未学习 (no module of the courses), 未参考 (no counted attempt), 未合格 (sat, never passed)."""
    rows, _ = svc.coverage(dbs, bureau.admin, [bureau.course], [bureau.exam])
    reasons = {r.user.login: why for r, why in svc.behind(rows, [bureau.course], [bureau.exam])}
    assert reasons == {"rpa2": "未参考", "rpa3": "未学习、未参考", "rpx1": "未学习、未合格", "rpy2": "未学习、未参考"}


def test_behind_without_exams_only_checks_study(dbs, bureau):
    """No exam selected: only 未学习 can be a reason."""
    rows, _ = svc.coverage(dbs, bureau.admin, [bureau.course], [])
    reasons = {r.user.login: why for r, why in svc.behind(rows, [bureau.course], [])}
    assert reasons == {"rpa3": "未学习", "rpx1": "未学习", "rpy2": "未学习"}


# ---- supervisor scope -------------------------------------------------------------------------------------

def test_supervisor_coverage_has_their_units_and_people_only(dbs, bureau):
    """A supervisor of A sees A and A1 (depth from their root) and their people; B and B's people are absent."""
    rows, units = svc.coverage(dbs, bureau.sup, [bureau.course], [bureau.exam])
    assert _logins(rows) == {"rpa1", "rpa2", "rpa3", "rpx1", "rpx2"}
    assert [(r.unit.id, r.depth) for r in units] == [(bureau.A.id, 0), (bureau.A1.id, 1)]
    a = _by_unit(units)[bureau.A.id]
    assert (a.members, a.studied, a.sat, a.passed, a.score_sum) == (5, 3, 3, 2, 220.0)
    assert [u.id for u, _ in svc.scoped_units(dbs, bureau.sup)] == [bureau.A.id, bureau.A1.id]


def test_supervisor_cannot_ask_for_another_units_coverage(dbs, bureau):
    """Asking for B's coverage is refused with a Chinese message."""
    with pytest.raises(svc.ReportError, match="无权"):
        svc.coverage(dbs, bureau.sup, [bureau.course], [bureau.exam], unit_id=bureau.B.id)


def test_user_in_scope_refuses_people_of_other_units(dbs, bureau):
    """A supervisor may open the records of A's and A1's people, not of B's; an admin anyone's."""
    assert svc.user_in_scope(dbs, bureau.sup, bureau.x1.id) is bureau.x1
    for other in (bureau.y1, bureau.y2):
        with pytest.raises(svc.ReportError):
            svc.user_in_scope(dbs, bureau.sup, other.id)
    with pytest.raises(svc.ReportError):
        svc.user_in_scope(dbs, bureau.sup, 10 ** 8)
    assert svc.user_in_scope(dbs, bureau.admin, bureau.y1.id) is bureau.y1


def test_staff_in_scope(dbs, bureau):
    """Active staff of the viewer's units; a staff member's scope is empty."""
    assert {u.login for u in svc.staff_in_scope(dbs, bureau.sup)} == {"rpa1", "rpa2", "rpa3", "rpx1", "rpx2"}
    assert svc.staff_in_scope(dbs, bureau.a1) == []


def test_record_of_a_person(dbs, bureau):
    """The individual record: modules with progress, practice totals, attempts, mistakes."""
    practise_article(dbs, bureau.x2, 33, [True, False, True])
    rec = svc.record(dbs, bureau.x2)
    studied = [(c.id, m.id) for c, m, p in rec.modules if p and p.studied_at]
    assert studied == [(bureau.course.id, bureau.course.modules[0].id), (bureau.course.id, bureau.course.modules[1].id)]
    assert (rec.practice_answered, rec.practice_correct, rec.mistakes, rec.sessions) == (3, 2, 1, 1)
    assert [a.id for a in rec.attempts] == [bureau.attempts["x2"].id]


# ---- knowledge --------------------------------------------------------------------------------------------

@pytest.fixture()
def knowledge_data(dbs, bureau):
    practise_article(dbs, bureau.a1, 33, [True, False, False])      # 33: 1/3
    practise_article(dbs, bureau.a1, 34, [True, True])              # 34: 2/2
    practise_article(dbs, bureau.x1, 33, [True, True, True])        # 33: 3/3
    practise_article(dbs, bureau.x1, 35, [False, False])            # 35: 0/2
    practise_article(dbs, bureau.y1, 36, [False])                   # 36: 0/1 (B only)
    practise_article(dbs, bureau.y1, 33, [False, False, False])     # 33: 0/3
    return bureau


def _acc(rows) -> dict[int, tuple[int, int]]:
    return {r.article: (r.answered, r.correct) for r in rows if r.law == LAW}


def test_knowledge_per_article_over_the_supervisors_people(dbs, knowledge_data):
    """Accuracy per article summed over A's and A1's people; B's answers (article 36, 33) are not in it."""
    b = knowledge_data
    rows = svc.knowledge(dbs, [u.id for u in svc.staff_in_scope(dbs, b.sup)])
    assert _acc(rows) == {33: (6, 4), 34: (2, 2), 35: (2, 0)}
    row33 = next(r for r in rows if r.article == 33)
    assert row33.accuracy == pytest.approx(4 / 6)
    assert row33.chapter == "第四章 行政处罚的管辖和适用"


def test_knowledge_for_everyone_and_for_one_person(dbs, knowledge_data):
    """An admin's knowledge covers all; one person's covers only their answers."""
    b = knowledge_data
    assert _acc(svc.knowledge(dbs, [u.id for u in svc.staff_in_scope(dbs, b.admin)])) == \
        {33: (9, 4), 34: (2, 2), 35: (2, 0), 36: (1, 0)}
    assert _acc(svc.knowledge(dbs, [b.x1.id])) == {33: (3, 3), 35: (2, 0)}
    assert svc.knowledge(dbs, []) == []
    assert svc.knowledge(dbs, [b.x1.id], law="宪法") == []
    assert _acc(svc.knowledge(dbs, [b.x1.id], law=LAW)) == {33: (3, 3), 35: (2, 0)}


def test_weakest_articles_order(dbs, knowledge_data):
    """Weakest first (lowest accuracy), articles with too few answers left out."""
    b = knowledge_data
    rows = svc.knowledge(dbs, [u.id for u in svc.staff_in_scope(dbs, b.admin)])
    assert [r.article for r in svc.weakest(rows, min_answered=2)] == [35, 33, 34]
    assert [r.article for r in svc.weakest(rows, min_answered=1)] == [35, 36, 33, 34]   # 0/2 before 0/1
    assert [r.article for r in svc.weakest(rows)] == [33]                               # default: ≥ 5 answers
    assert [r.article for r in svc.weakest(rows, limit=1, min_answered=1)] == [35]


def test_weakest_breaks_accuracy_ties_by_more_answers():
    """Same accuracy: the article answered more often is listed first."""
    rows = [svc.ArticleAccuracy(LAW, 1, 10, 5), svc.ArticleAccuracy(LAW, 2, 40, 20), svc.ArticleAccuracy(LAW, 3, 6, 1)]
    assert [r.article for r in svc.weakest(rows)] == [3, 2, 1]


def test_knowledge_by_chapter(dbs, knowledge_data):
    """Per chapter totals add the chapter's articles."""
    b = knowledge_data
    chapters = svc.by_chapter(svc.knowledge(dbs, [b.a1.id, b.x1.id]))
    assert chapters == [(LAW, "第四章 行政处罚的管辖和适用", 10, 6)]


# ---- exam analysis ----------------------------------------------------------------------------------------

def test_exam_analysis_is_over_the_viewers_units_only(dbs, bureau):
    """A supervisor's analysis counts only their people's finished attempts (a1, x1, x2), an admin's all four."""
    mine = svc.exam_analysis(dbs, bureau.sup, bureau.exam)
    assert mine.test.n == 3
    assert mine.test.mean == pytest.approx((80 + 40 + 100) / 3)
    assert all(n == 3 for _, _, _, n in mine.items)
    everyone = svc.exam_analysis(dbs, bureau.admin, bureau.exam)
    assert everyone.test.n == 4
    assert sum(count for _, count in everyone.histogram) == 4
    assert dict(everyone.histogram)["60–69"] == 1 and dict(everyone.histogram)["90–100"] == 1


def test_exam_analysis_without_finished_attempts(dbs, bureau, admin):
    """An exam nobody finished has no statistics, and nothing fails."""
    other = make_exam(dbs, admin, units=(bureau.A,), title="报表测试空考试")
    a = svc.exam_analysis(dbs, bureau.sup, other)
    assert (a.test, a.histogram, a.items) == (None, [], [])


# Good candidates get rpe-0004 wrong and weak ones get it right: its discrimination must come out negative.
#            rpe-0001 rpe-0002 rpe-0003 rpe-0005 | rpe-0004
PATTERNS = [(1, 1, 1, 1, 0),
            (1, 1, 1, 0, 0),
            (1, 1, 0, 0, 0),
            (1, 0, 0, 0, 1),
            (0, 0, 0, None, 1),      # rpe-0005 left unanswered
            (0, 1, 0, 0, 1)]


@pytest.fixture()
def flagged_exam(dbs, bank, make_unit, make_user, admin):
    unit = make_unit("报表测试分析中队")
    exam = make_exam(dbs, admin, units=(unit,), title="报表测试试题分析")
    people = [make_user(role="staff", unit=unit) for _ in PATTERNS]
    for i, (user, pattern) in enumerate(zip(people, PATTERNS)):
        keys = GOOD + ["rpe-0004"]
        right = {k for k, ok in zip(keys, pattern) if ok}
        blank = {k for k, ok in zip(keys, pattern) if ok is None}
        sit(dbs, user, exam, right, at=T0 + i * M, unanswered=blank)
    return exam


def test_item_statistics_exist_for_every_question_drawn(dbs, flagged_exam, admin):
    """One row per question on the papers, each analysed over the attempts that contained it."""
    a = svc.exam_analysis(dbs, admin, flagged_exam)
    drawn = set(dbs.scalars(select(Question.key).join(AttemptItem, AttemptItem.question_id == Question.id)
                            .where(AttemptItem.attempt_id.in_(
                                select(exams.Attempt.id).where(exams.Attempt.exam_id == flagged_exam.id)))))
    assert {q.key for q, _, _, _ in a.items} == drawn == set(GOOD) | {"rpe-0004"}
    assert all(n == len(PATTERNS) for _, _, _, n in a.items)
    facility = {q.key: st.facility for q, st, _, _ in a.items}
    assert facility == pytest.approx({"rpe-0001": 4 / 6, "rpe-0002": 4 / 6, "rpe-0003": 2 / 6, "rpe-0005": 1 / 6,
                                      "rpe-0004": 3 / 6})
    assert a.test.n == len(PATTERNS)


def test_item_analysis_flags_a_question_good_candidates_get_wrong(dbs, flagged_exam, admin):
    """rpe-0004 (right only for the weak candidates) has negative discrimination, is flagged and listed first; the
    sound question rpe-0001 discriminates positively."""
    a = svc.exam_analysis(dbs, admin, flagged_exam)
    q, st, _, _ = a.items[0]
    assert q.key == "rpe-0004"
    assert st.flagged and FLAG_NEGATIVE_DISCRIMINATION in st.flags
    assert st.discrimination < 0
    stats = {q.key: st for q, st, _, _ in a.items}
    assert stats["rpe-0001"].discrimination > 0
    assert FLAG_NEGATIVE_DISCRIMINATION not in stats["rpe-0001"].flags


def test_item_analysis_counts_the_options_chosen(dbs, flagged_exam, admin):
    """Distractor counts are of canonical options (whatever order each candidate saw), blanks as 未作答."""
    a = svc.exam_analysis(dbs, admin, flagged_exam)
    dist = {q.key: d for q, _, d, _ in a.items}
    assert dist["rpe-0005"] == {"A": 4, "B": 1, "C": 0, "D": 0, UNANSWERED: 1}
    assert dist["rpe-0001"] == {}          # judge questions have no options


# ---- drive standings ----------------------------------------------------------------------------------------
#
# Drive 2–15 March 2026, weights 50/25/25, at most 5 right practice answers a day, frozen at 10:00 on 6 March.
# P (unit U1): studies 2 modules on 3 March and 1 more at 12:00 on 6 March (after the freeze); practises 7 right on
#   2 March (5 count), 3 right + 2 wrong on 3 March, 5 right at 14:00 on 6 March (after the freeze); sits the exam
#   on 5 March: 80, 30 minutes.
# Q (unit U2): only sits the exam at 14:00 on 6 March (after the freeze): 100.
# R (unit U1): nothing.

FREEZE = local(2026, 3, 6, 10)
AS_OF = local(2026, 3, 7, 12)


@pytest.fixture()
def drive_data(dbs, bank, make_unit, make_user, admin, course):
    U1, U2 = make_unit("报表测试榜一中队"), make_unit("报表测试榜二中队")
    P = make_user(role="staff", unit=U1, login="rpbp")
    Q = make_user(role="staff", unit=U2, login="rpbq")
    R = make_user(role="staff", unit=U1, login="rpbr")
    exam = make_exam(dbs, admin, units=(U1, U2), open_at=local(2026, 3, 5), close_at=local(2026, 3, 7),
                     title="报表测试练兵考试")
    study(dbs, P, course.modules[0], at=local(2026, 3, 3, 9))
    study(dbs, P, course.modules[1], at=local(2026, 3, 3, 9, 30))
    study(dbs, P, course.modules[2], at=local(2026, 3, 6, 12))
    practise(dbs, P, local(2026, 3, 2, 9), right=7)
    practise(dbs, P, local(2026, 3, 3, 20), right=3, wrong=2)
    practise(dbs, P, local(2026, 3, 6, 14), right=5)
    sit(dbs, P, exam, right_keys(4), at=local(2026, 3, 5, 10), minutes=30)
    sit(dbs, Q, exam, right_keys(5), at=local(2026, 3, 6, 14), minutes=20)
    drive = contest.save_drive(dbs, admin, contest.DriveData(
        title="报表测试练兵", start_date=date(2026, 3, 2), end_date=date(2026, 3, 15), course_ids=[course.id],
        exam_ids=[exam.id], exam_weight=50, study_weight=25, practice_weight=25, practice_daily_cap=5,
        freeze_at=naive_utc(FREEZE)))
    return SimpleNamespace(drive=drive, exam=exam, P=P, Q=Q, R=R, U1=U1, U2=U2, modules=len(course.modules))


def _people(s) -> dict[int, tuple[int, object]]:
    return {p.user_id: (r, p) for r, p in s.people}


def test_live_standings_score_everything_up_to_now(dbs, drive_data):
    """Live view (supervisors, admins): all data up to as_of; 6 days of the drive so far."""
    d = drive_data
    s = contest.standings(dbs, d.drive, as_of=AS_OF)
    assert s.frozen is False
    people = _people(s)
    _, p = people[d.P.id]
    assert (p.exam, p.study, p.practice) == (80.0, round(100 * 3 / d.modules, 2), round(100 * 13 / 30, 2))
    assert p.total == round((50 * 80 + 25 * 100 * 3 / d.modules + 25 * 100 * 13 / 30) / 100, 2)
    assert p.time_used_seconds == 30 * 60 and p.participated
    _, q = people[d.Q.id]
    assert (q.exam, q.study, q.practice, q.total) == (100.0, 0.0, 0.0, 50.0)
    _, r = people[d.R.id]
    assert (r.total, r.participated) == (0.0, False)
    assert [(rank, p.user_id) for rank, p in s.people] == [(1, d.P.id), (2, d.Q.id), (3, d.R.id)]


def test_live_unit_standings(dbs, drive_data):
    """Unit board: 全员平均练兵分 over all members (R counts 0), rates of the unit's people."""
    d = drive_data
    s = contest.standings(dbs, d.drive, as_of=AS_OF)
    units = {u.unit_id: u for _, u in s.units}
    p_total = _people(s)[d.P.id][1].total
    u1 = units[d.U1.id]
    assert (u1.members, u1.average) == (2, round(p_total / 2, 2))
    assert (u1.study_rate, u1.sit_rate, u1.pass_rate, u1.mean_score) == (0.5, 0.5, 1.0, 80.0)
    u2 = units[d.U2.id]
    assert (u2.members, u2.average, u2.sit_rate, u2.mean_score) == (1, 50.0, 1.0, 100.0)
    assert s.unit_names[d.U1.id] == "报表测试榜一中队"


def test_frozen_standings_ignore_everything_after_the_freeze(dbs, drive_data):
    """Frozen view (staff after freeze_at): study, practice and exams after the freeze do not count, and the days of
    the drive stop at the freeze (5 days)."""
    d = drive_data
    s = contest.standings(dbs, d.drive, as_of=AS_OF, frozen_view=True)
    assert s.frozen is True
    assert s.as_of == naive_utc(FREEZE)
    people = _people(s)
    _, p = people[d.P.id]
    assert (p.exam, p.study, p.practice) == (80.0, round(100 * 2 / d.modules, 2), round(100 * 8 / 25, 2))
    assert p.total == round((50 * 80 + 25 * 100 * 2 / d.modules + 25 * 100 * 8 / 25) / 100, 2)
    _, q = people[d.Q.id]
    assert (q.exam, q.total, q.participated) == (0.0, 0.0, False)
    units = {u.unit_id: u for _, u in s.units}
    assert (units[d.U2.id].sit_rate, units[d.U2.id].mean_score) == (0.0, None)


def test_frozen_view_before_the_freeze_is_live(dbs, drive_data):
    """Before freeze_at a staff member's view is not frozen: as_of is the cutoff."""
    d = drive_data
    before = local(2026, 3, 4, 12)
    s = contest.standings(dbs, d.drive, as_of=before, frozen_view=True)
    assert s.frozen is False
    _, p = _people(s)[d.P.id]
    assert (p.exam, p.study, p.practice) == (0.0, round(100 * 2 / d.modules, 2), round(100 * 8 / 15, 2))


def test_standings_stop_at_the_end_of_the_drive(dbs, drive_data):
    """After end_date nothing more counts and the days stop at the drive's length (14)."""
    d = drive_data
    later = local(2026, 4, 30, 12)
    practise(dbs, d.P, local(2026, 4, 1, 10), right=5)          # after the drive
    s = contest.standings(dbs, d.drive, as_of=later)
    _, p = _people(s)[d.P.id]
    assert p.practice == round(100 * 13 / (5 * 14), 2)


def test_weekly_trend_counts_people_and_answers_per_local_week(dbs, drive_data, admin):
    """Per Shanghai week (from Monday): people who studied or practised, and practice answers; sitting an exam alone
    is not activity here. 06:00 on Monday 9 March (still Sunday in UTC) belongs to the week of 9 March."""
    d = drive_data
    practise(dbs, d.R, local(2026, 3, 9, 6), right=1, wrong=1)
    trend = svc.weekly_trend(dbs, admin, date(2026, 3, 4), weeks=3)
    assert trend == [(date(2026, 3, 2), 1, 17), (date(2026, 3, 9), 1, 2), (date(2026, 3, 16), 0, 0)]
    mine = svc.weekly_trend(dbs, d.P, date(2026, 3, 4), weeks=1)       # staff: nobody in scope
    assert mine == [(date(2026, 3, 2), 0, 0)]


def test_frozen_view_counts_the_best_attempt_made_before_the_freeze(dbs, bank, make_unit, make_user, admin, course):
    """Two attempts allowed (best counts): 60 before the freeze, 100 after. The frozen board shows 60, not 0."""
    unit = make_unit("报表测试封榜中队")
    P = make_user(role="staff", unit=unit)
    exam = make_exam(dbs, admin, units=(unit,), open_at=local(2026, 3, 5), close_at=local(2026, 3, 8),
                     title="报表测试两次考试", max_attempts=2, counting="best")
    sit(dbs, P, exam, right_keys(3), at=local(2026, 3, 5, 10))
    sit(dbs, P, exam, right_keys(5), at=local(2026, 3, 6, 14))
    drive = contest.save_drive(dbs, admin, contest.DriveData(
        title="报表测试封榜", start_date=date(2026, 3, 2), end_date=date(2026, 3, 15), course_ids=[],
        exam_ids=[exam.id], freeze_at=naive_utc(FREEZE)))
    live = _people(contest.standings(dbs, drive, as_of=AS_OF))[P.id][1]
    assert live.exam == 100.0
    frozen = _people(contest.standings(dbs, drive, as_of=AS_OF, frozen_view=True))[P.id][1]
    assert frozen.exam == 60.0


def test_days_so_far_are_counted_in_local_time(dbs, bank, make_unit, make_user, admin):
    """At 07:00 on the drive's 2nd day (Shanghai), 2 days have begun: 5 right answers on day 1 (cap 5) give 50."""
    P = make_user(role="staff", unit=make_unit("报表测试时区中队"))
    practise(dbs, P, local(2026, 3, 2, 10), right=5)
    drive = contest.save_drive(dbs, admin, contest.DriveData(
        title="报表测试时区", start_date=date(2026, 3, 2), end_date=date(2026, 3, 15), course_ids=[], exam_ids=[],
        practice_daily_cap=5))
    early = _people(contest.standings(dbs, drive, as_of=local(2026, 3, 3, 7)))[P.id][1]
    noon = _people(contest.standings(dbs, drive, as_of=local(2026, 3, 3, 12)))[P.id][1]
    assert noon.practice == 50.0
    assert early.practice == 50.0


def test_current_drive_prefers_the_one_running_today(dbs, admin):
    """current_drive: the drive whose period includes today, else the latest one."""
    today = datetime.now(LOCAL).date()
    old = contest.save_drive(dbs, admin, contest.DriveData("报表测试旧周期", today - timedelta(days=90),
                                                           today - timedelta(days=60), [], []))
    assert contest.current_drive(dbs) == old
    running = contest.save_drive(dbs, admin, contest.DriveData("报表测试当前周期", today - timedelta(days=3),
                                                               today + timedelta(days=3), [], []))
    contest.save_drive(dbs, admin, contest.DriveData("报表测试未来周期", today + timedelta(days=1),
                                                     today + timedelta(days=30), [], []))
    assert contest.current_drive(dbs) == running


# ---- save_drive validation ---------------------------------------------------------------------------------

def _drive(**kw) -> contest.DriveData:
    fields = dict(title="报表测试周期", start_date=date(2026, 3, 1), end_date=date(2026, 3, 31), course_ids=[],
                  exam_ids=[])
    fields.update(kw)
    return contest.DriveData(**fields)


@pytest.mark.parametrize("changes, message", [
    (dict(exam_weight=50, study_weight=30, practice_weight=30), "合计 100"),
    (dict(exam_weight=60, study_weight=20, practice_weight=19), "合计 100"),
    (dict(exam_weight=120, study_weight=-10, practice_weight=-10), "非负数"),
    (dict(end_date=date(2026, 2, 28)), "结束日期不能早于开始日期"),
    (dict(title="   "), "名称"),
    (dict(practice_daily_cap=0), "上限"),
    (dict(practice_daily_cap=501), "上限"),
    (dict(unit_sort="members"), "排序"),
], ids=["sum-110", "sum-99", "negative", "dates", "title", "cap-0", "cap-501", "sort"])
def test_save_drive_refuses_bad_settings_and_writes_nothing(dbs, admin, changes, message):
    """Weights must be non-negative and add up to 100, the end not before the start, the cap 1–500; a refused drive
    writes nothing (no drive, no audit entry)."""
    before = (dbs.scalar(select(func.count()).select_from(Drive)),
              dbs.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "drive.save")))
    with pytest.raises(contest.DriveError, match=message):
        contest.save_drive(dbs, admin, _drive(**changes))
    dbs.flush()
    after = (dbs.scalar(select(func.count()).select_from(Drive)),
             dbs.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "drive.save")))
    assert after == before


def test_save_drive_stores_the_settings_and_audits(dbs, bank, admin, course):
    """A valid drive is stored with its courses, exams and settings (one-day drives and weights within 0.01 of 100
    are fine), and audited."""
    exam = make_exam(dbs, admin, users=(admin,))
    drive = contest.save_drive(dbs, admin, _drive(
        start_date=date(2026, 3, 1), end_date=date(2026, 3, 1), course_ids=[course.id], exam_ids=[exam.id],
        exam_weight=33.334, study_weight=33.333, practice_weight=33.333, practice_daily_cap=30, unit_sort="pass_rate",
        freeze_at=datetime(2026, 3, 1, 4, 0)))
    dbs.expire_all()
    drive = dbs.get(Drive, drive.id)
    assert [c.id for c in drive.courses] == [course.id] and [e.id for e in drive.exams] == [exam.id]
    assert (drive.practice_daily_cap, drive.unit_sort, drive.freeze_at) == (30, "pass_rate", datetime(2026, 3, 1, 4))
    entry = dbs.scalar(select(AuditLog).where(AuditLog.action == "drive.save", AuditLog.target_id == drive.id))
    assert entry is not None and entry.actor_id == admin.id
