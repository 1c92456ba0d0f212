"""Demo history: eight weeks of study, practice and mistake-book activity for the demo staff, so every report and
leaderboard has something true to show right after `make run`.

Each demo staff member gets a diligence (a few far ahead, a long tail behind, ~10 % who never opened a course) and a
skill (their unit's level, their own spread, and — when they sat a demo exam — a pull towards that exam's score).
WEAK_UNIT is clearly weaker on WEAK_LAW: every answer of its people to a question citing that law is right with a
probability WEAK_PENALTY lower (about 20 points below the bureau on that law, and otherwise an ordinary unit). Right
or wrong is drawn with a "balanced" chance that keeps each person's accuracy close to their skill, and should the
draw still leave WEAK_UNIT less than WEAK_MIN_GAP below some other unit, the answers are drawn again.

The history is generated in memory, replaying the bookkeeping rules of trainer.practice.services (`_record_articles`,
`_update_card`, `_finish`) and trainer.study.services (visits, reading time, studied), then bulk-inserted with
SQLAlchemy Core executemany on the caller's connection (the caller commits). Deterministic for a given `now` and
`seed`. Idempotent: nothing happens once any demo user has a practice session.
"""
from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from statistics import NormalDist
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from trainer.auth.models import Unit, User
from trainer.banks.models import Citation, Question
from trainer.db import utcnow
from trainer.demo import data
from trainer.practice import scheduling
from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
from trainer.practice.selection import shuffle_for
from trainer.practice.services import RECENT_KEEP, module_condition, practice_pool
from trainer.study.models import Course, ModuleProgress

LOCAL = ZoneInfo("Asia/Shanghai")

WEAK_UNIT = "渣土管理中队"
WEAK_LAW = "行政强制法"
WEAK_PENALTY = 0.24          # lower probability of a right answer to a WEAK_LAW question in WEAK_UNIT
WEAK_MIN_GAP = 0.12          # the history is redrawn (answers only) until WEAK_UNIT is this far below every unit
WEAK_TRIES = 6

DAYS = 56                    # the history covers the last eight weeks
SESSION_SIZE = 10            # PRACTICE_QUIZ_SIZE / PRACTICE_DAILY_SIZE defaults
MODULE_PASS_MARK = 0.8       # PRACTICE_PASS_MARK default
REMOVE_AFTER = 3             # REVIEW_REMOVE_AFTER default: right answers in a row in review that master a card
MIN_QUIZ_QUESTIONS = 8       # module quizzes only for modules with at least this many questions
NEVER_SHARE = 0.10           # staff who never studied nor practised
BROWSER_SHARE = 0.04         # staff who only looked at one course page
AHEAD_SHARE = 0.15           # staff far ahead
STREAK_SHARE = 0.12          # staff (with some diligence) on a run of daily practice ending today or yesterday
BASE_SKILL = 0.70            # probability of a right answer to a question of difficulty 2, before adjustments
PERSON_SD = 0.03             # spread of people's skill within a unit
EXAM_PULL = 0.15             # how much a demo exam's score (above or below 70 %) moves a person's skill
OPEN_SHARE = 0.08            # staff who left their latest random practice half-answered

# law -> weight, for random practice filtered by one law
RANDOM_LAWS = {"行政处罚法": 0.4, WEAK_LAW: 0.35, "行政许可法": 0.15, "宪法": 0.1}
# unit name -> (skill offset, diligence offset); units not listed get (0, 0)
UNIT_PROFILE = {
    "法制股": (0.06, 0.15),
    "综合执法一中队": (0.03, 0.08),
    "综合执法二中队": (0.00, 0.00),
    "综合执法三中队": (-0.02, -0.03),
    WEAK_UNIT: (0.03, -0.02),
    "市容环卫股": (0.00, 0.00),
    "市政设施股": (-0.01, -0.08),
    "办公室": (-0.02, -0.05),
    "环卫所": (-0.03, -0.12),
}


# ---- what can be practised ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Q:
    id: int
    key: str
    type: str
    n_options: int
    answer: object
    difficulty: int
    articles: tuple[tuple[str, int], ...]   # distinct (law, article) cited, as _record_articles counts them
    laws: tuple[str, ...]                    # laws cited


@dataclass(frozen=True)
class _M:
    id: int
    title: str                               # "<course> · <module>", as start_module_quiz names the session
    questions: tuple[int, ...]               # its quiz pool (practice pool ∩ module_condition)


@dataclass
class _Pool:
    questions: dict[int, _Q]
    ids: list[int]
    by_key: dict[str, int]
    courses: list[list[_M]]                  # courses (in course order) whose modules have a quiz
    extras: list[_M]                         # modules without enough questions for a quiz
    by_law: dict[str, list[int]]             # law -> ids of the questions citing it


def _load_pool(db: Session) -> _Pool:
    articles: dict[int, set] = defaultdict(set)
    laws: dict[int, set] = defaultdict(set)
    for qid, law, number in db.execute(select(Citation.question_id, Citation.law_short_title,
                                              Citation.article_number)):
        laws[qid].add(law)
        if number is not None:
            articles[qid].add((law, number))
    questions = {}
    for qid, key, qtype, options, answer, diff in db.execute(
            select(Question.id, Question.key, Question.type, Question.options, Question.answer,
                   Question.difficulty).where(*practice_pool()).order_by(Question.id)):
        questions[qid] = _Q(qid, key, qtype, len(json.loads(options or "[]")), json.loads(answer), diff or 2,
                            tuple(sorted(articles.get(qid, ()))), tuple(sorted(laws.get(qid, ()))))
    courses: list[list[_M]] = []
    extras: list[_M] = []
    for course in db.scalars(select(Course).order_by(Course.ordinal, Course.id)):
        quizzes = []
        for module in course.modules:
            cond = module_condition(db, module)
            ids = () if cond is None else tuple(db.scalars(select(Question.id).where(*practice_pool(), cond)
                                                           .order_by(Question.id)))
            m = _M(module.id, f"{course.title} · {module.title}", ids)
            (quizzes if len(ids) >= MIN_QUIZ_QUESTIONS else extras).append(m)
        if quizzes:
            courses.append(quizzes)
    by_law: dict[str, list[int]] = defaultdict(list)
    for q in questions.values():
        for law in q.laws:
            by_law[law].append(q.id)
    return _Pool(questions, sorted(questions), {q.key: q.id for q in questions.values()}, courses, extras,
                 dict(by_law))


# ---- time --------------------------------------------------------------------------------------------

def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc).replace(tzinfo=None)


def _local_day(dt: datetime) -> date:
    return _aware(dt).astimezone(LOCAL).date()


def _end_of_local_day(dt: datetime) -> datetime:
    return _naive(datetime.combine(_local_day(dt) + timedelta(days=1), time(0), LOCAL))


class _Clock:
    def __init__(self, now: datetime) -> None:
        self.now = _naive(_aware(now))
        self.today = _local_day(self.now)
        local = _aware(self.now).astimezone(LOCAL)
        self.hour_now = local.hour + local.minute / 60

    def at(self, days_ago: int, hour: float) -> datetime:
        """Local day `days_ago` at `hour` (local), as naive UTC; never later than an hour before now (what starts
        then ends before now)."""
        t = _naive(datetime.combine(self.today - timedelta(days=days_ago), time(0), LOCAL) + timedelta(hours=hour))
        limit = self.now - timedelta(hours=1)
        return t if t <= limit else limit - timedelta(minutes=(hour * 997) % 180)


# ---- one person --------------------------------------------------------------------------------------

@dataclass
class _Plan:
    diligence: float
    skill: float
    answers: int                             # target number of answers (sessions × 10)
    last: int                                # days ago of the latest activity
    first: int                               # days ago of the first activity
    streak: int = 0                          # daily practice on the `streak` days ending `streak_end` days ago
    streak_end: int = 0
    leave_open: bool = False


@dataclass
class _History:
    """One person's generated rows (sessions carry their items until ids are known)."""
    user_id: int
    sessions: list[dict] = field(default_factory=list)
    items: list[list[dict]] = field(default_factory=list)     # per session
    stats: dict[tuple[str, int], list] = field(default_factory=dict)
    cards: dict[str, dict] = field(default_factory=dict)
    progress: dict[int, dict] = field(default_factory=dict)


class _Person:
    """Generates one person's eight weeks, replaying the app's bookkeeping rules."""

    def __init__(self, pool: _Pool, clock: _Clock, user_id: int, weak: bool, plan: _Plan, rng: random.Random):
        self.pool, self.clock, self.plan, self.rng, self.weak = pool, clock, plan, rng, weak
        self.h = _History(user_id)
        self.times: dict[str, int] = defaultdict(int)         # answers per question key
        self.deck: list[int] = []
        self.debt: dict[str, float] = defaultdict(float)       # per law: expected minus actual right answers

    # -- study (trainer.study.services) --
    def _visit(self, module_id: int, at: datetime, seconds: int) -> dict:
        p = self.h.progress.get(module_id)
        if p is None:
            p = self.h.progress[module_id] = {"seconds_spent": 0, "first_visited_at": at, "last_visited_at": at,
                                              "studied_at": None, "tested_at": None, "best_score": None}
        p["seconds_spent"] += seconds
        p["first_visited_at"] = min(p["first_visited_at"], at)
        p["last_visited_at"] = max(p["last_visited_at"], at + timedelta(seconds=seconds))
        return p

    def _study(self, module: _M, at: datetime, finish: bool) -> datetime:
        """Read a module (and mark it studied); returns when the reading ended."""
        seconds = self.rng.randrange(300, 1500) if finish else self.rng.randrange(60, 500)
        p = self._visit(module.id, at, seconds)
        end = at + timedelta(seconds=seconds)
        if finish and p["studied_at"] is None:
            p["studied_at"] = end
        return end

    # -- answers (trainer.practice.services) --
    def _record_articles(self, q: _Q, correct: bool, at: datetime) -> None:
        for law, number in q.articles:
            stat = self.h.stats.setdefault((law, number), [0, 0, "", at])
            stat[0] += 1
            stat[1] += 1 if correct else 0
            stat[2] = (stat[2] + ("1" if correct else "0"))[-RECENT_KEEP:]
            stat[3] = at

    def _update_card(self, key: str, correct: bool, at: datetime, is_review: bool) -> None:
        card = self.h.cards.get(key)
        if card is None:
            if correct:
                return
            card_json, due = scheduling.review(None, False, _aware(at))
            self.h.cards[key] = {"card": card_json, "due_at": _naive(due), "right_streak": 0, "lapses": 1,
                                 "added_at": at, "last_reviewed_at": at, "removed_at": None, "removed_reason": None}
            return
        if card["removed_at"] is not None:
            if correct:
                return
            card["removed_at"], card["removed_reason"], card["right_streak"] = None, None, 0
        elif correct and not is_review:
            return
        card["card"], due = scheduling.review(card["card"], correct, _aware(at))
        card["due_at"], card["last_reviewed_at"] = _naive(due), at
        if correct:
            card["right_streak"] += 1
            if card["right_streak"] >= REMOVE_AFTER:
                card["removed_at"], card["removed_reason"] = at, "mastered"
        else:
            card["right_streak"] = 0
            card["lapses"] += 1

    def _p_right(self, q: _Q, bonus: float) -> float:
        p = self.plan.skill - 0.06 * (q.difficulty - 2) + bonus
        if self.times[q.key]:
            p += 0.06                                          # seen it before
        if self.weak and WEAK_LAW in q.laws:
            p -= WEAK_PENALTY
        return max(0.05, min(0.97, p))

    def _response(self, q: _Q, correct: bool):
        """A canonical response (as answer() stores it), right or wrong as asked."""
        if correct:
            return [v[0] for v in q.answer] if q.type == "blank" else q.answer
        if q.type == "judge":
            return not q.answer
        if q.type == "blank":
            return ["不清楚"] * len(q.answer)
        letters = "ABCDEFGH"[:max(q.n_options, 2)]
        if q.type == "single":
            return self.rng.choice([c for c in letters if c != q.answer])
        while True:
            chosen = "".join(c for c in letters if self.rng.random() < 0.5)
            if chosen and chosen != q.answer:
                return chosen

    def _session(self, kind: str, title: str, at: datetime, chosen: list[int], *, module: _M | None = None,
                 params: dict | None = None, review_keys: set[str] = frozenset(), bonus: float = 0.0,
                 answer_only: int | None = None) -> datetime:
        """Answer the chosen questions from `at` on; returns the time of the last answer."""
        t, n_correct, items = at, 0, []
        n_answer = len(chosen) if answer_only is None else answer_only
        for position, qid in enumerate(chosen, start=1):
            q = self.pool.questions[qid]
            item = {"user_id": self.h.user_id, "position": position, "question_id": qid, "question_key": q.key,
                    "n_options": q.n_options, "response": None, "is_correct": None, "answered_at": None}
            if position <= n_answer:
                t = t + timedelta(seconds=self.rng.uniform(15, 70))
                # "balanced" chance: what a person got wrong beyond expectation so far on a law nudges the next
                # answer on it, so accuracies follow skill (and the weakness) without the luck of small numbers;
                # weighted by the articles cited, as the article statistics count an answer once per article
                p, law, w = self._p_right(q, bonus), q.laws[0] if q.laws else "", max(1, len(q.articles))
                correct = self.rng.random() < p + 0.5 * self.debt[law] / w
                self.debt[law] += w * (p - correct)
                n_correct += correct
                item.update(response=json.dumps(self._response(q, correct), ensure_ascii=False),
                            is_correct=correct, answered_at=t)
                self.times[q.key] += 1
                self._record_articles(q, correct, t)
                self._update_card(q.key, correct, t, q.key in review_keys)
            items.append(item)
        total = len(chosen)
        finished = n_answer >= total
        passed = None
        pass_mark = MODULE_PASS_MARK if kind == "module" else None
        if finished and pass_mark is not None:
            score = n_correct / total
            passed = score >= pass_mark
            p = self.h.progress.get(module.id) or self._visit(module.id, t, 0)
            p["best_score"] = max(p["best_score"] or 0.0, score)
            if passed and p["tested_at"] is None:
                p["tested_at"] = t
        self.h.sessions.append({
            "user_id": self.h.user_id, "kind": kind, "title": title, "module_id": module.id if module else None,
            "params": json.dumps(params or {}, ensure_ascii=False), "pass_mark": pass_mark, "total": total,
            "answered": n_answer, "correct": n_correct, "passed": passed, "created_at": at,
            "finished_at": t if finished else None})
        self.h.items.append(items)
        return t

    # -- choosing questions (approximating trainer.practice.selection: never answered first) --
    def _draw(self, n: int, exclude: set[str]) -> list[int]:
        out, keys, refills = [], set(exclude), 0
        while len(out) < n:
            if not self.deck:
                if refills == 2:
                    break
                refills += 1
                self.deck = self.pool.ids[:]
                self.rng.shuffle(self.deck)
            qid = self.deck.pop()
            key = self.pool.questions[qid].key
            if key not in keys and (refills > 1 or not self.times[key]):
                keys.add(key)
                out.append(qid)
        return out

    def _least_answered(self, ids) -> list[int]:
        ordered = sorted(ids, key=lambda q: (self.times[self.pool.questions[q].key], self.rng.random()))
        return ordered[:SESSION_SIZE]

    def _module_pick(self, module: _M) -> list[int]:
        return self._least_answered(module.questions)

    def _due(self, at: datetime) -> list[str]:
        end = _end_of_local_day(at)
        return [k for _, k in sorted((c["due_at"], k) for k, c in self.h.cards.items()
                                     if c["removed_at"] is None and c["due_at"] < end) if k in self.pool.by_key]

    def _module_quiz(self, module: _M, at: datetime, bonus: float) -> datetime:
        return self._session("module", module.title, at, self._module_pick(module), module=module, bonus=bonus)

    def _daily(self, at: datetime) -> None:
        due = self._due(at)[:math.floor(SESSION_SIZE * 0.5 + 0.5)]
        new = self._draw(SESSION_SIZE - len(due), set(due))
        due_ids = [self.pool.by_key[k] for k in due]
        chosen = [x for pair in zip(due_ids, new) for x in pair] + due_ids[len(new):] + new[len(due_ids):]
        day = _local_day(at)
        self._session("daily", f"每日一练 · {day.month}月{day.day}日", at, chosen,
                      params={"day": day.isoformat(), "review_keys": sorted(due)}, review_keys=set(due))

    def _random(self, at: datetime, open_: bool = False) -> None:
        """Random practice, a third of it on one law (行政处罚法 and 行政强制法 most, as the bureau asks)."""
        laws = [law for law in RANDOM_LAWS if self.pool.by_law.get(law)]
        if laws and self.rng.random() < 0.35:
            law = self.rng.choices(laws, [RANDOM_LAWS[law] for law in laws])[0]
            chosen, filters = self._least_answered(self.pool.by_law[law]), [law]
        else:
            chosen, filters = self._draw(SESSION_SIZE, set()), []
        self._session("random", "随机练习", at, chosen,
                      params={"laws": filters, "chapters": [], "types": [], "difficulties": []},
                      answer_only=self.rng.randrange(2, SESSION_SIZE - 1) if open_ else None)

    # -- the eight weeks --
    def _slot(self, day: int, used: dict[int, set[int]]) -> datetime:
        """A start in a free hour (07–22 local) of the day, or of a nearby day when it is full: everything a person
        does in one sitting (reading and the quiz after it, at most ~50 minutes) fits in its hour, so sessions never
        overlap and answers follow each other in time. Today only hours that ended before now."""
        for d in [day] + [x for k in range(1, DAYS) for x in (day + k, day - k) if 0 <= x < DAYS]:
            free = [h for h in range(7, 23) if h not in used[d] and (d > 0 or h + 1.25 <= self.clock.hour_now)]
            if free:
                hour = self.rng.choice(free)
                used[d].add(hour)
                return self.clock.at(d, hour + self.rng.uniform(0, 0.15))
        raise ValueError("no free hour in the whole history")

    def generate(self) -> _History:
        plan, rng, clock = self.plan, self.rng, self.clock
        # study path: courses in order starting at a person's own choice (often 行政处罚法), then the rest
        courses = self.pool.courses
        start = next((i for i, c in enumerate(courses) if c[0].title.startswith("行政处罚法")), 0) \
            if rng.random() < 0.5 else rng.randrange(len(courses)) if courses else 0
        path = [m for c in courses[start:] + courses[:start] for m in c]
        share = min(1.0, plan.diligence * 1.15 + rng.gauss(0, 0.05))
        n_study = max(1, round(len(path) * share)) if path else 0
        studied = path[:n_study]
        extras = []
        if plan.diligence > 0.85 and self.pool.extras:
            extras = rng.sample(self.pool.extras, round(len(self.pool.extras) * (plan.diligence - 0.85) * 2))
        in_progress = path[n_study] if n_study < len(path) and rng.random() < 0.6 else None

        sessions = max(2, plan.answers // SESSION_SIZE)
        daily_days: list[int] = list(range(plan.streak_end, plan.streak_end + plan.streak))
        quiz_budget = max(0, sessions - len(daily_days) - 1)
        quizzes = [m for m in studied if rng.random() < 0.5 + 0.4 * plan.diligence][:min(quiz_budget,
                                                                                          round(sessions * 0.35))]
        others = sessions - len(daily_days) - len(quizzes)
        window = [d for d in range(plan.last, plan.first + 1)
                  if d not in daily_days and (d > 0 or clock.hour_now >= 8.5)]
        n_scatter = min(len(window), round(others * 0.2))
        daily_days += rng.sample(window, n_scatter)
        others -= n_scatter

        # when: study (in path order) spread over the window, the last touch on the day of the latest activity
        reading = studied + extras + ([in_progress] if in_progress else [])
        days = sorted((rng.randint(plan.last, plan.first) for _ in reading), reverse=True)
        if days:
            days[-1] = plan.last
        events: list[tuple[datetime, int, str, object]] = []
        used: dict[int, set[int]] = defaultdict(set)
        for day in daily_days:                             # first: they must keep their day
            events.append((self._slot(day, used), 0, "daily", None))
        for n, (module, day) in enumerate(zip(reading, days)):
            events.append((self._slot(day, used), n, "study", module))
        slot_days = [rng.randint(plan.last, plan.first) for _ in range(others)]
        if slot_days and plan.last not in daily_days:
            slot_days[0] = plan.last
        for day in slot_days:
            events.append((self._slot(day, used), 0, "practice", None))
        events.sort(key=lambda e: (e[0], e[1]))
        quiz_set = {m.id for m in quizzes}
        last_practice = max((i for i, e in enumerate(events) if e[2] == "practice"), default=None)

        for i, (at, _, kind, module) in enumerate(events):
            if kind == "study":
                end = self._study(module, at, finish=module is not in_progress)
                if module.id in quiz_set:                  # the quiz right after reading
                    self._module_quiz(module, end + timedelta(minutes=rng.uniform(1, 10)), bonus=0.04)
            elif kind == "daily":
                self._daily(at)
            elif plan.leave_open and i == last_practice:
                self._random(at, open_=True)
            else:
                due = self._due(at)
                failed = [m for m in quizzes if (p := self.h.progress.get(m.id)) and p["best_score"] is not None
                          and p["tested_at"] is None and p["first_visited_at"] < at]
                if failed and rng.random() < 0.4:         # retake a failed module quiz after re-reading
                    m = rng.choice(failed)
                    seconds = rng.randrange(120, 600)
                    self._visit(m.id, at, seconds)
                    self._module_quiz(m, at + timedelta(seconds=seconds + 60), bonus=0.06)
                elif len(due) >= 5 and rng.random() < 0.45:
                    keys = due[:SESSION_SIZE]
                    self._session("review", "错题复习", at, [self.pool.by_key[k] for k in keys],
                                  params={"review_keys": keys}, review_keys=set(keys))
                else:
                    self._random(at)
        return self.h


# ---- the bureau --------------------------------------------------------------------------------------

def _plans(rng: random.Random, staff: list[tuple[int, str, str]], sat: dict[int, float], clock: _Clock
           ) -> dict[int, _Plan | str | None]:
    """user id -> _Plan (active), "browser" (one page looked at) or None (nothing at all)."""
    ids = [uid for uid, _, _ in staff]
    demo_id = next((uid for uid, login, _ in staff if login == data.DEMO_STAFF_LOGIN), None)
    n_never = round(NEVER_SHARE * len(ids))
    # the people who never studied are mostly those who also skipped the demo exam
    absent = [uid for uid in ids if uid not in sat and uid != demo_id]
    present = [uid for uid in ids if uid in sat and uid != demo_id]
    never = set(rng.sample(absent, min(n_never, len(absent))))
    never |= set(rng.sample(present, min(len(present), n_never - len(never))))
    rest = [uid for uid in ids if uid not in never and uid != demo_id]
    browsers = set(rng.sample(rest, round(BROWSER_SHARE * len(ids))))
    # each person's own spread around the unit's level: stratified normal quantiles, so that a unit's level is its
    # profile and not the luck of its draws; a sat exam pulls a person's skill towards its score (centred per unit)
    spread: dict[int, float] = {}
    units: dict[str, list[int]] = defaultdict(list)
    for uid, _, unit in staff:
        units[unit].append(uid)
    for unit, members in units.items():
        quantiles = [NormalDist(0, PERSON_SD).inv_cdf((k + 0.5) / len(members)) for k in range(len(members))]
        rng.shuffle(quantiles)
        pulls = {uid: EXAM_PULL * (sat[uid] - 0.70) for uid in members if uid in sat}
        centre = sum(pulls.values()) / len(pulls) if pulls else 0.0
        for uid, q in zip(members, quantiles):
            spread[uid] = q + (pulls[uid] - centre if uid in pulls else 0.0)
    out: dict[int, _Plan | str | None] = {}
    for uid, login, unit in staff:
        skill_offset, diligence_offset = UNIT_PROFILE.get(unit, (0.0, 0.0))
        if uid in never:
            out[uid] = None
            continue
        if uid in browsers:
            out[uid] = "browser"
            continue
        if uid == demo_id:
            d = 0.72
        elif rng.random() < AHEAD_SHARE:
            d = rng.uniform(0.75, 1.0)
        else:
            d = rng.betavariate(1.2, 3.0)
        d = max(0.02, min(1.0, d + diligence_offset))
        skill = max(0.45, min(0.92, BASE_SKILL + skill_offset + spread[uid] + 0.04 * (d - 0.35)))
        answers = SESSION_SIZE * round((20 + 180 * d) / SESSION_SIZE)
        # the latest activity: the diligent were here in the last days, the tail weeks ago
        last = min(DAYS - 15, int(rng.expovariate(1 / (1 + 18 * (1 - d) ** 2))))
        first = min(DAYS - 1, last + rng.randint(14, DAYS))
        plan = _Plan(d, skill, answers, last, first)
        sessions = answers // SESSION_SIZE
        streaker = rng.random() < STREAK_SHARE / 0.45
        if uid == demo_id or (d >= 0.3 and sessions >= 6 and streaker):
            # today's daily is still to do for the demo account: its streak ends yesterday
            late = rng.random() < 0.4                      # (drawn always: the same people whatever the hour)
            plan.streak_end = 1 if uid == demo_id or clock.hour_now < 8.5 or late else 0
            plan.streak = min(sessions - 2, 7 if uid == demo_id else rng.randint(3, 18))
            plan.last = plan.streak_end
            plan.first = max(plan.first, plan.streak_end + plan.streak + 7)
        plan.leave_open = rng.random() < OPEN_SHARE and sessions >= 4 and uid != demo_id
        out[uid] = plan
    return out


def _has_history(db: Session) -> bool:
    demo = select(User.id).where(User.is_demo.is_(True))
    return db.scalar(select(func.count()).select_from(PracticeSession)
                     .where(PracticeSession.user_id.in_(demo))) > 0


def seed_history(db: Session, now: datetime | None = None, seed: int = 2026) -> dict[str, int]:
    """Bulk-insert eight weeks of study and practice history for the demo staff; nothing if any demo user
    already has practice sessions (or no questions can be practised). Flushes, never commits."""
    counts = {"people": 0, "active": 0, "browsers": 0, "never": 0, "streaks": 0, "sessions": 0, "answers": 0,
              "article_stats": 0, "review_cards": 0, "review_cards_mastered": 0, "module_progress": 0}
    db.flush()
    if _has_history(db):
        return counts
    staff = [(uid, login, unit or "") for uid, login, unit in db.execute(
        select(User.id, User.login, Unit.name).join(Unit, Unit.id == User.unit_id, isouter=True)
        .where(User.is_demo.is_(True), User.role == "staff", User.active.is_(True)).order_by(User.login))]
    # never overwrite activity someone already has (a demo account used before the history was added)
    ids = [uid for uid, _, _ in staff]
    busy = set()
    for model in (ModuleProgress, ArticleStat, ReviewCard):
        busy |= set(db.scalars(select(model.user_id).where(model.user_id.in_(ids)).distinct()))
    staff = [s for s in staff if s[0] not in busy]
    pool = _load_pool(db)
    if not staff or not pool.ids:
        return counts
    from trainer.exams.models import Attempt
    sat = {}
    for uid, score, max_score in db.execute(select(Attempt.user_id, Attempt.score, Attempt.max_score)
                                            .where(Attempt.submitted_at.is_not(None), Attempt.user_id.in_(ids))
                                            .order_by(Attempt.id)):
        if max_score:
            sat[uid] = (score or 0.0) / max_score
    clock = _Clock(now or utcnow())
    rng = random.Random(seed)
    plans = _plans(rng, staff, sat, clock)
    best: tuple[float, list[_History]] | None = None
    for attempt in range(WEAK_TRIES):
        histories = _generate(pool, clock, staff, plans, f"{seed}:{attempt}" if attempt else str(seed))
        gap = _weak_gap(pool, histories, {uid: unit for uid, _, unit in staff})
        if best is None or gap > best[0]:
            best = (gap, histories)
        if gap >= WEAK_MIN_GAP:
            break
    counts["people"] = len(staff)
    counts["never"] = sum(1 for p in plans.values() if p is None)
    counts["browsers"] = sum(1 for p in plans.values() if p == "browser")
    counts["active"] = sum(1 for p in plans.values() if isinstance(p, _Plan))
    counts["streaks"] = sum(1 for p in plans.values() if isinstance(p, _Plan) and p.streak)
    _insert(db, best[1], counts)
    return counts


def _generate(pool: _Pool, clock: _Clock, staff: list[tuple[int, str, str]], plans: dict, seed: str
              ) -> list[_History]:
    histories: list[_History] = []
    for uid, login, unit in staff:
        plan = plans[uid]
        if plan is None:
            continue
        prng = random.Random(f"{seed}:{login}")
        if plan == "browser":
            h = _History(uid)
            module = prng.choice([m for c in pool.courses for m in c] or pool.extras)
            at = clock.at(prng.randint(3, DAYS - 1), prng.uniform(9, 17))
            seconds = prng.randrange(20, 240)
            h.progress[module.id] = {"seconds_spent": seconds, "first_visited_at": at,
                                     "last_visited_at": at + timedelta(seconds=seconds), "studied_at": None,
                                     "tested_at": None, "best_score": None}
            histories.append(h)
            continue
        histories.append(_Person(pool, clock, uid, unit == WEAK_UNIT, plan, prng).generate())
    return histories


def _weak_gap(pool: _Pool, histories: list[_History], unit_of: dict[int, str]) -> float:
    """How far WEAK_UNIT's accuracy on WEAK_LAW lies below the lowest other unit's, the smaller of two measures:
    per answer to a question citing the law, and per article statistic (1.0: nothing to compare)."""
    answers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    articles: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for h in histories:
        unit = unit_of[h.user_id]
        for items in h.items:
            for item in items:
                if item["answered_at"] is not None and WEAK_LAW in pool.questions[item["question_id"]].laws:
                    answers[unit][0] += 1
                    answers[unit][1] += item["is_correct"]
        for (law, _), (answered, correct, _, _) in h.stats.items():
            if law == WEAK_LAW:
                articles[unit][0] += answered
                articles[unit][1] += correct
    gap = 1.0
    for per_unit in (answers, articles):
        acc = {unit: c / a for unit, (a, c) in per_unit.items() if a}
        if WEAK_UNIT in acc and len(acc) > 1:
            gap = min(gap, min(v for unit, v in acc.items() if unit != WEAK_UNIT) - acc[WEAK_UNIT])
    return gap


def _insert(db: Session, histories: list[_History], counts: dict[str, int]) -> None:
    """Core executemany on the session's connection: sessions first (ids back in order), then the rest."""
    conn = db.connection()
    session_rows = [s for h in histories for s in h.sessions]
    if session_rows:
        table = PracticeSession.__table__
        ids = list(conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                                session_rows).scalars())
        item_rows = []
        it = iter(ids)
        for h in histories:
            for items in h.items:
                sid = next(it)
                for item in items:
                    n = item.pop("n_options")
                    item["session_id"] = sid
                    item["option_order"] = json.dumps(shuffle_for(h.user_id, sid, item["question_key"], n)
                                                      if n else [])
                    item_rows.append(item)
        conn.execute(insert(PracticeItem.__table__), item_rows)
        counts["sessions"] = len(session_rows)
        counts["answers"] = sum(1 for i in item_rows if i["answered_at"] is not None)
    stat_rows = [{"user_id": h.user_id, "law_short_title": law, "article_number": n, "answered": a, "correct": c,
                  "recent": r, "last_seen_at": at} for h in histories for (law, n), (a, c, r, at) in h.stats.items()]
    card_rows = [{"user_id": h.user_id, "question_key": k, **c} for h in histories for k, c in h.cards.items()]
    progress_rows = [{"user_id": h.user_id, "module_id": m, **p} for h in histories for m, p in h.progress.items()]
    for model, rows in ((ArticleStat, stat_rows), (ReviewCard, card_rows), (ModuleProgress, progress_rows)):
        if rows:
            conn.execute(insert(model.__table__), rows)
    counts["article_stats"] = len(stat_rows)
    counts["review_cards"] = sum(1 for c in card_rows if c["removed_at"] is None)
    counts["review_cards_mastered"] = sum(1 for c in card_rows if c["removed_reason"] == "mastered")
    counts["module_progress"] = len(progress_rows)
