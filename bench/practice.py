"""Practice benchmark: server time of the home page, a quiz page and an answer submission on a full database.

Fills a fresh database the way `make run` prepares one (migrations, default law library, courses, the shipped
question banks plus the generated practice questions, the demo bureau with its 180 staff), then bulk-inserts a
year of practice history: --users × --answers recorded answers (default 180 × 2,000 = 360,000) in sessions of
10 questions (module quizzes, random practice, daily practice), with the article statistics, mistake-book cards
(FSRS, replayed with the app's own rules) and module progress those answers imply.

It then measures, in-process with the Flask test client (the WSGI app's handling, no network), the median,
p95 and max of
  home    GET  /                              (logged-in staff member, rotating over many users)
  quiz    GET  /practice/s/<id>/<position>    (an unanswered question of an open module quiz)
  answer  POST /practice/s/<id>/<position>    (a fresh unanswered question each time, ~70 % right)
The target is a median under 50 ms for each. Nothing is asserted; the exit code is 0 when the run completes.
The last line of output is one JSON object: {"home_ms": x, "quiz_ms": x, "answer_ms": x} (medians).

    .venv/bin/python bench/practice.py                     # a fresh SQLite file in a temporary directory
    .venv/bin/python bench/practice.py --postgres          # a throw-away PostgreSQL server (tests/pg.py)
    .venv/bin/python bench/practice.py --database-url URL  # an empty database of your own
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LOCAL = ZoneInfo("Asia/Shanghai")
SESSION_SIZE = 10
CHUNK_USERS = 20            # users per bulk-insert transaction
KIND_WEIGHTS = (("module", 0.6), ("random", 0.4))  # of the non-daily sessions
DAILY_SHARE = 0.2           # of all sessions
BUDGET_MS = 50.0


def log(msg: str = "") -> None:
    print(msg, flush=True)


# ---- arguments ---------------------------------------------------------------------------------------

def add_database_args(p: argparse.ArgumentParser) -> None:
    """--database-url | --postgres (see bench_database)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an empty database to fill (default: a fresh SQLite file in a "
                                              "temporary directory, removed afterwards)")
    where.add_argument("--postgres", action="store_true",
                       help="start a throw-away PostgreSQL server (tests/pg.py) and use a database 'bench' on it")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_database_args(p)
    p.add_argument("--users", type=int, default=180, help="staff members with a practice history (default 180)")
    p.add_argument("--answers", type=int, default=2000, help="recorded answers per user (default 2000)")
    p.add_argument("--samples", type=int, default=200, help="timed requests per measurement (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests before each measurement (default 20)")
    p.add_argument("--clients", type=int, default=24, help="users logged in for the measurements (default 24)")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the generated history")
    p.add_argument("--reuse", action="store_true",
                   help="with --database-url: if the database already holds practice history, skip the fill")
    p.add_argument("--keep", action="store_true", help="keep the temporary SQLite file / PostgreSQL server data")
    p.add_argument("--top-queries", type=int, default=8, help="slowest SQL statements to list (0: none)")
    args = p.parse_args(argv)
    for name in ("users", "answers", "samples", "clients"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must not be negative")
    if args.reuse and not args.database_url:
        p.error("--reuse only makes sense with --database-url")
    return args


# ---- preparation (what `make run` does on a new database) --------------------------------------------

def prepare(url: str):
    from trainer import create_app, db
    from trainer.migrate import upgrade

    t0 = time.perf_counter()
    upgrade(url)
    # TESTING only so that create_app does not look for the instance SECRET_KEY.
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True, "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from trainer.banks.services import bank_files, import_files
        from trainer.banks.transfer import GENERATED_PREFIX, generate_for_law
        from trainer.demo.services import seed
        from trainer.laws.services import import_default
        from trainer.study.services import sync_courses

        laws = import_default(db.session)
        sync_courses(db.session)
        banks, issues = import_files(db.session, bank_files())
        errors = [i for i in issues if i.level == "error"]
        for issue in errors:
            log(f"  bank error: {issue}")
        for short in GENERATED_PREFIX:  # as trainer.setup does: practice-only questions from the law texts
            _, counts, _ = generate_for_law(db.session, short)
            banks[f"generated-{short}"] = counts
        people = seed(db.session)
        db.session.commit()
    n_questions = sum(sum(c.values()) for c in banks.values())
    log(f"  migrated; {len(laws)} laws, {len(banks)} banks ({n_questions} questions), "
        f"{people['users_created']} demo accounts created  [{time.perf_counter() - t0:.1f} s]")
    return app


# ---- filling the practice history --------------------------------------------------------------------

def _local_to_utc(day, hour: float) -> datetime:
    local = datetime.combine(day, dtime(0), LOCAL) + timedelta(hours=hour)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc)


class Bank:
    """The practice pool and what the fill needs to know about each question."""

    def __init__(self, app) -> None:
        from sqlalchemy import select

        from trainer import db
        from trainer.banks.models import Citation, Question
        from trainer.practice.services import module_condition, practice_pool
        from trainer.study.models import Course, Module

        with app.app_context():
            s = db.session
            self.questions = {}  # id -> (key, type, n_options, answer value, difficulty)
            for qid, key, qtype, options, answer, diff in s.execute(
                    select(Question.id, Question.key, Question.type, Question.options, Question.answer,
                           Question.difficulty).where(*practice_pool())):
                self.questions[qid] = (key, qtype, len(json.loads(options or "[]")), json.loads(answer), diff)
            self.ids = sorted(self.questions)
            self.by_key = {q[0]: qid for qid, q in self.questions.items()}
            self.citations = defaultdict(list)  # question id -> [(law, article)]
            for qid, law, number in s.execute(select(Citation.question_id, Citation.law_short_title,
                                                     Citation.article_number)
                                              .where(Citation.article_number.is_not(None))
                                              .order_by(Citation.id)):
                if qid in self.questions:
                    self.citations[qid].append((law, number))
            self.modules = []  # (module id, course key, ordinal, [question ids], title) of modules with a quiz
            self.all_module_ids = []
            for module in s.scalars(select(Module).join(Course).order_by(Course.ordinal, Module.ordinal)):
                self.all_module_ids.append(module.id)
                cond = module_condition(s, module)
                if cond is None:
                    continue
                ids = list(s.scalars(select(Question.id).where(*practice_pool(), cond).order_by(Question.id)))
                if ids:
                    self.modules.append((module.id, module.course.key, module.ordinal, ids,
                                         f"{module.course.title} · {module.title}"))
            s.rollback()
        # Quizzes the app can fill completely (used for the quiz/answer measurements and most history).
        self.full_modules = [m for m in self.modules if len(m[3]) >= SESSION_SIZE]


def _response(rng: random.Random, qtype: str, n_options: int, answer, correct: bool):
    """A canonical response (as the app stores it) that is right or wrong as requested."""
    if correct:
        if qtype == "blank":
            return [v[0] for v in answer]
        return answer
    if qtype == "judge":
        return not answer
    if qtype == "blank":
        return ["不知道"] * len(answer)
    letters = "ABCDEFGH"[:max(n_options, 2)]
    if qtype == "single":
        return rng.choice([c for c in letters if c != answer])
    while True:  # multiple
        chosen = "".join(sorted(c for c in letters if rng.random() < 0.5))
        if chosen and chosen != answer:
            return chosen


class UserHistory:
    """Generates one user's year of practice, replaying the app's bookkeeping rules
    (trainer.practice.services: _record_articles, _update_card, _finish)."""

    def __init__(self, bank: Bank, user_id: int, n_answers: int, now: datetime, seed: int) -> None:
        self.bank, self.user_id, self.now = bank, user_id, now
        self.rng = random.Random(f"{seed}:{user_id}")
        self.n_answers = n_answers
        self.skill = self.rng.uniform(0.54, 0.80)  # ~70 % right overall
        self.times: dict[str, int] = defaultdict(int)  # answers per question key
        self.deck: list[int] = []
        self.cards: dict[str, dict] = {}
        self.stats: dict[tuple[str, int], list] = {}
        self.progress: dict[int, dict] = {}
        self.sessions: list[dict] = []
        self.items: list[dict] = []

    # which questions ---------------------------------------------------------------------------
    def _draw(self, n: int, exclude: set[str]) -> list[int]:
        """From a shuffled deck of the whole pool: roughly 'least answered first' as the app's pick() does."""
        out: list[int] = []
        keys = set(exclude)
        guard = 0
        while len(out) < n and guard < 3 * len(self.bank.ids) + n:
            guard += 1
            if not self.deck:
                self.deck = self.bank.ids[:]
                self.rng.shuffle(self.deck)
            qid = self.deck.pop()
            key = self.bank.questions[qid][0]
            if key not in keys:
                keys.add(key)
                out.append(qid)
        return out

    def _module_pick(self, ids: list[int]) -> list[int]:
        ordered = sorted(ids, key=lambda q: (self.times[self.bank.questions[q][0]], self.rng.random()))
        out, keys = [], set()
        for qid in ordered:
            key = self.bank.questions[qid][0]
            if key not in keys:
                keys.add(key)
                out.append(qid)
            if len(out) == SESSION_SIZE:
                break
        return out

    # when ---------------------------------------------------------------------------------------
    def _schedule(self) -> list[tuple[datetime, str]]:
        n_sessions = math.ceil(self.n_answers / SESSION_SIZE)
        today = _aware(self.now).astimezone(LOCAL).date()
        n_daily = round(n_sessions * DAILY_SHARE)
        streak = min(n_daily, self.rng.choice((0, 0, 1, 2, 3, 5, 8, 13, 21)))
        daily_days = set(range(streak))  # days ago
        past = list(range(streak + 1, 365))
        daily_days.update(self.rng.sample(past, min(len(past), n_daily - streak)))
        plan = [(d, "daily") for d in daily_days]
        kinds, weights = zip(*KIND_WEIGHTS)
        for _ in range(n_sessions - len(plan)):
            plan.append((self.rng.randrange(365), self.rng.choices(kinds, weights)[0]))
        latest = self.now - timedelta(minutes=30)
        out = []
        for days_ago, kind in plan:
            at = _local_to_utc(today - timedelta(days=days_ago), self.rng.uniform(8.0, 21.5))
            if at > latest:
                at = latest - timedelta(minutes=self.rng.uniform(0, 300))
            out.append((at, kind))
        out.sort()
        return out

    # bookkeeping (mirrors trainer.practice.services) ---------------------------------------------
    def _update_card(self, key: str, correct: bool, at: datetime, is_review: bool) -> None:
        from trainer.practice import scheduling
        card = self.cards.get(key)
        if card is None:
            if correct:
                return
            card_json, due = scheduling.review(None, False, _aware(at))
            self.cards[key] = {"card": card_json, "due_at": due.replace(tzinfo=None), "right_streak": 0,
                               "lapses": 1, "added_at": at, "last_reviewed_at": at, "removed_at": None,
                               "removed_reason": None}
            return
        if card["removed_at"] is not None:
            if correct:
                return
            card["removed_at"], card["removed_reason"], card["right_streak"] = None, None, 0
        elif correct and not is_review:
            return
        card["card"], due = scheduling.review(card["card"], correct, _aware(at))
        card["due_at"], card["last_reviewed_at"] = due.replace(tzinfo=None), at
        if correct:
            card["right_streak"] += 1
            if card["right_streak"] >= 3:  # REVIEW_REMOVE_AFTER
                card["removed_at"], card["removed_reason"] = at, "mastered"
        else:
            card["right_streak"] = 0
            card["lapses"] += 1

    def _record_articles(self, qid: int, correct: bool, at: datetime) -> None:
        for law, number in sorted(set(self.bank.citations.get(qid, ()))):  # once per article, as the service
            stat = self.stats.setdefault((law, number), [0, 0, "", at])
            stat[0] += 1
            stat[1] += 1 if correct else 0
            stat[2] = (stat[2] + ("1" if correct else "0"))[-10:]  # RECENT_KEEP
            stat[3] = at

    def _visit(self, module_id: int, at: datetime, seconds: int) -> dict:
        p = self.progress.get(module_id)
        if p is None:
            p = self.progress[module_id] = {"seconds_spent": 0, "first_visited_at": at, "last_visited_at": at,
                                            "studied_at": None, "tested_at": None, "best_score": None}
        p["seconds_spent"] += seconds
        p["first_visited_at"] = min(p["first_visited_at"], at)
        p["last_visited_at"] = max(p["last_visited_at"], at)
        return p

    # the whole year ----------------------------------------------------------------------------
    def generate(self, next_session_id: int) -> int:
        from trainer.practice.selection import shuffle_for
        bank, rng = self.bank, self.rng
        left = self.n_answers
        for at, kind in self._schedule():
            size = min(SESSION_SIZE, left)
            if size <= 0:
                break
            params: dict = {}
            module = None
            pass_mark = None
            review_keys: list[str] = []
            if kind == "module" and bank.modules:
                module = rng.choice(bank.full_modules or bank.modules)
                chosen = self._module_pick(module[3])[:size]
                title = module[4]
                pass_mark = 0.8
                # reading the module page before the quiz
                self._visit(module[0], at - timedelta(minutes=rng.uniform(2, 30)), rng.randrange(60, 900))
            elif kind == "daily":
                due = sorted((c["due_at"], k) for k, c in self.cards.items()
                             if c["removed_at"] is None and c["due_at"] <= at)
                want_due = min(len(due), math.floor(size * 0.5 + 0.5))
                due_ids = [bank.by_key[k] for _, k in due[:want_due] if k in bank.by_key]
                review_keys = [bank.questions[q][0] for q in due_ids]
                new_ids = self._draw(size - len(due_ids), set(review_keys))
                chosen = [x for pair in zip(due_ids, new_ids) for x in pair]
                chosen += due_ids[len(new_ids):] + new_ids[len(due_ids):]
                day = _aware(at).astimezone(LOCAL).date()
                title = f"每日一练 · {day.month}月{day.day}日"
                params = {"day": day.isoformat(), "review_keys": sorted(review_keys)}
            else:
                kind = "random"
                chosen = self._draw(size, set())
                title = "随机练习"
                params = {"laws": [], "chapters": [], "types": [], "difficulties": []}
            sid = next_session_id
            next_session_id += 1
            t = at
            n_correct = 0
            review_set = set(review_keys)
            for position, qid in enumerate(chosen, start=1):
                key, qtype, n_options, answer, diff = bank.questions[qid]
                t = t + timedelta(seconds=rng.uniform(12, 75))
                p_right = self.skill - 0.07 * (diff - 2) + (0.06 if self.times[key] else 0.0)
                correct = rng.random() < max(0.05, min(0.97, p_right))
                n_correct += correct
                order = shuffle_for(self.user_id, sid, key, n_options) if n_options else []
                self.items.append({
                    "session_id": sid, "user_id": self.user_id, "position": position, "question_id": qid,
                    "question_key": key, "option_order": json.dumps(order),
                    "response": json.dumps(_response(rng, qtype, n_options, answer, correct), ensure_ascii=False),
                    "is_correct": correct, "answered_at": t})
                self.times[key] += 1
                self._record_articles(qid, correct, t)
                self._update_card(key, correct, t, key in review_set)
            total = len(chosen)
            passed = None
            if pass_mark is not None:
                score = n_correct / total if total else 0.0
                passed = score >= pass_mark
                p = self._visit(module[0], t, 0)
                p["best_score"] = max(p["best_score"] or 0.0, score)
                if passed and p["tested_at"] is None:
                    p["tested_at"] = t
            self.sessions.append({
                "id": sid, "user_id": self.user_id, "kind": kind, "title": title,
                "module_id": module[0] if module else None, "params": json.dumps(params, ensure_ascii=False),
                "pass_mark": pass_mark, "total": total, "answered": total, "correct": n_correct, "passed": passed,
                "created_at": at, "finished_at": t})
            left -= total
        # Reading progress of other modules (course pages visited, some marked studied).
        for module_id in rng.sample(bank.all_module_ids, rng.randrange(len(bank.all_module_ids) // 3,
                                                                        len(bank.all_module_ids) + 1)):
            at = self.now - timedelta(days=rng.uniform(0.1, 365))
            self._visit(module_id, at, rng.randrange(30, 1800))
        for p in self.progress.values():
            if rng.random() < 0.6:
                p["studied_at"] = p["last_visited_at"]
        return next_session_id

    def rows(self) -> dict[str, list[dict]]:
        uid = self.user_id
        return {
            "sessions": self.sessions,
            "items": self.items,
            "stats": [{"user_id": uid, "law_short_title": law, "article_number": n, "answered": a, "correct": c,
                       "recent": r, "last_seen_at": at} for (law, n), (a, c, r, at) in self.stats.items()],
            "cards": [{"user_id": uid, "question_key": k, **c} for k, c in self.cards.items()],
            "progress": [{"user_id": uid, "module_id": m, **p} for m, p in self.progress.items()],
        }


def staff_ids(app, n: int) -> list[tuple[int, str]]:
    """(id, login) of n staff members: the demo staff, plus extra accounts if more are asked for."""
    from sqlalchemy import insert, select

    from trainer.auth.models import User
    engine = app.extensions["trainer.engine"]
    with engine.begin() as conn:
        staff = conn.execute(select(User.id, User.login).where(User.role == "staff", User.active.is_(True))
                             .order_by(User.login)).all()
        if len(staff) < n:
            template = conn.execute(select(User.unit_id, User.password_hash)
                                    .where(User.role == "staff").limit(1)).one()
            taken = set(conn.scalars(select(User.login)))
            extra, i = [], 0
            while len(staff) + len(extra) < n:
                i += 1
                login = f"b{i:05d}"
                if login not in taken:
                    extra.append({"login": login, "name": f"压测学员{i}", "unit_id": template.unit_id,
                                  "role": "staff", "password_hash": template.password_hash,
                                  "must_change_password": False, "active": True, "is_demo": True})
            conn.execute(insert(User), extra)
            staff = conn.execute(select(User.id, User.login).where(User.role == "staff", User.active.is_(True))
                                 .order_by(User.login)).all()
    return [(r.id, r.login) for r in staff[:n]]


def count_rows(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
    from trainer.study.models import ModuleProgress
    engine = app.extensions["trainer.engine"]
    with engine.connect() as conn:
        def n(model, *where):
            return conn.scalar(select(func.count()).select_from(model).where(*where))
        return {"practice_sessions": n(PracticeSession), "practice_items": n(PracticeItem),
                "answered_items": n(PracticeItem, PracticeItem.answered_at.is_not(None)),
                "correct_items": n(PracticeItem, PracticeItem.is_correct.is_(True)),
                "article_stats": n(ArticleStat), "review_cards": n(ReviewCard),
                "review_cards_active": n(ReviewCard, ReviewCard.removed_at.is_(None)),
                "module_progress": n(ModuleProgress)}


def fill(app, args) -> tuple[float, list[tuple[int, str]], Bank]:
    from sqlalchemy import func, insert, select, text

    from trainer.db import utcnow
    from trainer.practice.models import ArticleStat, PracticeItem, PracticeSession, ReviewCard
    from trainer.study.models import ModuleProgress

    engine = app.extensions["trainer.engine"]
    t0 = time.perf_counter()
    users = staff_ids(app, args.users)
    bank = Bank(app)
    log(f"  practice pool: {len(bank.ids)} questions, {len(bank.modules)} modules with a quiz "
        f"({len(bank.full_modules)} with ≥{SESSION_SIZE} questions)")
    with engine.connect() as conn:
        next_sid = (conn.scalar(select(func.max(PracticeSession.id))) or 0) + 1
    now = utcnow()
    gen_s = ins_s = 0.0
    for start in range(0, len(users), CHUNK_USERS):
        chunk = users[start:start + CHUNK_USERS]
        tg = time.perf_counter()
        rows: dict[str, list[dict]] = defaultdict(list)
        for uid, _login in chunk:
            h = UserHistory(bank, uid, args.answers, now, args.seed)
            next_sid = h.generate(next_sid)
            for name, part in h.rows().items():
                rows[name].extend(part)
        ti = time.perf_counter()
        gen_s += ti - tg
        with engine.begin() as conn:  # SQLAlchemy Core executemany, one transaction per chunk
            conn.execute(insert(PracticeSession), rows["sessions"])
            conn.execute(insert(PracticeItem), rows["items"])
            conn.execute(insert(ArticleStat), rows["stats"])
            if rows["cards"]:
                conn.execute(insert(ReviewCard), rows["cards"])
            conn.execute(insert(ModuleProgress), rows["progress"])
        ins_s += time.perf_counter() - ti
        done = start + len(chunk)
        log(f"  {done:4d}/{len(users)} users  {len(rows['items']):7d} answers in this chunk  "
            f"[{time.perf_counter() - t0:5.1f} s]")
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # explicit ids were inserted: move the sequence past them
            conn.execute(text("SELECT setval(pg_get_serial_sequence('practice_sessions', 'id'), "
                              "(SELECT max(id) FROM practice_sessions))"))
    # After a bulk load PostgreSQL's autovacuum would ANALYZE these tables on its own, maybe in the middle of
    # the measurements: do it now. SQLite is left as `make run` leaves it (the app never runs ANALYZE).
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    elif engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elapsed = time.perf_counter() - t0
    log(f"  fill: {elapsed:.1f} s (generate {gen_s:.1f} s, insert {ins_s:.1f} s)")
    return elapsed, users, bank


# ---- measuring ---------------------------------------------------------------------------------------

class QueryLog:
    """Counts and times SQL statements (per request kind), to point at slow queries."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event
        self.kind: str | None = None
        self.count: dict[str, int] = defaultdict(int)
        self.by_sql: dict[tuple[str, str], list[float]] = defaultdict(list)

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            if self.kind is None:
                return
            self.count[self.kind] += 1
            self.by_sql[(self.kind, statement)].append(time.perf_counter() - conn.info.pop("bench_t0"))


def _location_id(resp) -> int:
    m = re.search(r"/practice/s/(\d+)", resp.headers.get("Location", ""))
    if not m:
        raise SystemExit(f"starting a quiz did not redirect to a session: {resp.status_code} "
                         f"{resp.headers.get('Location')!r} {resp.get_data(as_text=True)[:300]}")
    return int(m.group(1))


def _form_for(rng: random.Random, qtype: str, order: list[int], answer, right: bool) -> dict:
    """What the quiz page's form posts: displayed letters (options are shuffled per session), true/false,
    or the blanks' texts."""
    from trainer.banks.types import canonical_to_display
    if qtype in ("single", "multiple"):
        n = len(order)
        canonical = answer if right else _response(rng, qtype, n, answer, False)
        shown = canonical_to_display(canonical, order) if order else canonical
        return {"type": qtype, "response": list(shown)}
    if qtype == "judge":
        return {"type": qtype, "response": "true" if (answer if right else not answer) else "false"}
    texts = [v[0] for v in answer] if right else ["不知道"] * len(answer)
    return {"type": qtype, "response": texts}


def summarise(values: list[float]) -> dict[str, float]:
    ms = sorted(v * 1000 for v in values)
    if not ms:
        return {"n": 0, "median": float("nan"), "p95": float("nan"), "max": float("nan"), "mean": float("nan")}
    p95 = ms[min(len(ms) - 1, math.ceil(0.95 * len(ms)) - 1)]
    return {"n": len(ms), "median": statistics.median(ms), "p95": p95, "max": ms[-1], "mean": statistics.fmean(ms)}


def measure(app, args, users: list[tuple[int, str]], bank: Bank) -> dict[str, dict]:
    from sqlalchemy import select

    from trainer.banks.models import Question
    from trainer.demo.data import DEMO_PASSWORD
    from trainer.practice.models import PracticeItem

    rng = random.Random(args.seed)
    engine = app.extensions["trainer.engine"]
    qlog = QueryLog(engine)
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)

    def timed(kind: str, call, expect: tuple[int, ...], keep: bool):
        qlog.kind = kind if keep else None
        t = time.perf_counter()
        resp = call()
        dt = time.perf_counter() - t
        qlog.kind = None
        if resp.status_code not in expect:
            errors[kind] += 1
            if errors[kind] <= 3:
                log(f"  ! {kind}: HTTP {resp.status_code} {resp.headers.get('Location', '')} "
                    f"{resp.get_data(as_text=True)[:200]!r}")
        if keep:
            timings[kind].append(dt)
        return resp

    # Log in as a sample of users, each with its own client (cookie jar).
    t0 = time.perf_counter()
    sample = rng.sample(users, min(args.clients, len(users)))
    clients = []
    for _uid, login in sample:
        c = app.test_client()
        r = c.post("/login", data={"login": login, "password": DEMO_PASSWORD})
        if r.status_code != 302 or "/login" in r.headers.get("Location", ""):
            raise SystemExit(f"login as {login} failed: HTTP {r.status_code} {r.get_data(as_text=True)[:300]}")
        clients.append(c)
    log(f"  logged in {len(clients)} users  [{time.perf_counter() - t0:.1f} s]")

    # Home page, rotating over the users.
    t0 = time.perf_counter()
    for i in range(args.warmup + args.samples):
        c = clients[i % len(clients)]
        timed("home", lambda: c.get("/"), (200,), keep=i >= args.warmup)
    log(f"  home: {args.samples} timed requests  [{time.perf_counter() - t0:.1f} s]")

    # Open module quizzes (POST /practice/module/<course>/<ordinal>), one per user in turn.
    t0 = time.perf_counter()
    need = args.warmup + args.samples
    n_quizzes = math.ceil(need / SESSION_SIZE)
    modules = bank.full_modules or bank.modules
    quizzes = []  # (client, session id)
    for j in range(n_quizzes):
        c = clients[j % len(clients)]
        course_key, ordinal = rng.choice(modules)[1:3]
        url = f"/practice/module/{quote(course_key)}/{ordinal}"
        r = timed("start", lambda: c.post(url), (302,), keep=True)
        quizzes.append((c, _location_id(r)))
    with engine.connect() as conn:
        rows = conn.execute(select(PracticeItem.session_id, PracticeItem.position, PracticeItem.option_order,
                                   Question.type, Question.answer)
                            .join(Question, Question.id == PracticeItem.question_id)
                            .where(PracticeItem.session_id.in_([sid for _, sid in quizzes]))).all()
    items = {(r.session_id, r.position): (r.type, json.loads(r.option_order or "[]"), json.loads(r.answer))
             for r in rows}
    log(f"  started {len(quizzes)} module quizzes  [{time.perf_counter() - t0:.1f} s]")

    # Quiz page and answer: every question of every open quiz, quizzes in turn (a different user each request).
    t0 = time.perf_counter()
    n = 0
    for position in range(1, SESSION_SIZE + 1):
        for c, sid in quizzes:
            if n >= need or (sid, position) not in items:
                continue
            keep = n >= args.warmup
            qtype, order, answer = items[(sid, position)]
            path = f"/practice/s/{sid}/{position}"
            timed("quiz", lambda: c.get(path), (200,), keep)
            form = _form_for(rng, qtype, order, answer, rng.random() < 0.7)
            timed("answer", lambda: c.post(path, data=form), (302,), keep)
            n += 1
    log(f"  quiz + answer: {len(timings['answer'])} timed pairs  [{time.perf_counter() - t0:.1f} s]")

    results = {kind: summarise(timings[kind]) for kind in ("home", "quiz", "answer", "start")}
    for kind, r in results.items():
        r["queries"] = qlog.count[kind] / r["n"] if r["n"] else 0
        r["errors"] = errors[kind]
    results["_slowest"] = sorted(((sum(ts) / len(ts), len(ts), kind, sql) for (kind, sql), ts in qlog.by_sql.items()),
                                 reverse=True)
    return results


def report(results: dict, backend: str, fill_s: float | None, counts: dict[str, int], top: int) -> None:
    log()
    log(f"Server time per request ({backend}; in-process Flask test client, ms)")
    log(f"  {'request':<34} {'n':>4} {'median':>8} {'p95':>8} {'max':>8} {'mean':>8} {'SQL/req':>8}  budget")
    labels = {"home": "home    GET  /", "quiz": "quiz    GET  /practice/s/<id>/<pos>",
              "answer": "answer  POST /practice/s/<id>/<pos>", "start": "(start  POST /practice/module/…)"}
    for kind, label in labels.items():
        r = results[kind]
        verdict = "" if kind == "start" else ("ok" if r["median"] < BUDGET_MS else "OVER 50 ms")
        errs = f"  ({r['errors']} errors)" if r["errors"] else ""
        log(f"  {label:<34} {r['n']:>4} {r['median']:>8.1f} {r['p95']:>8.1f} {r['max']:>8.1f} {r['mean']:>8.1f} "
            f"{r['queries']:>8.1f}  {verdict}{errs}")
    if fill_s is not None:
        log(f"  fill time: {fill_s:.1f} s; " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if top:
        log()
        log("Slowest SQL statements during the timed requests (mean cursor.execute time in ms, excluding "
            "fetching rows; executions; request):")
        for mean, calls, kind, sql in results["_slowest"][:top]:
            one_line = " ".join(sql.split())
            log(f"  {mean * 1000:7.2f} ms ×{calls:<4} {kind:<6} {one_line[:150]}")


@dataclass
class BenchDatabase:
    url: str
    backend: str
    tmpdir: str | None

    def log_size(self) -> None:
        if self.tmpdir:
            size = sum(p.stat().st_size for p in Path(self.tmpdir).iterdir())
            log(f"  SQLite files: {size / 1e6:.0f} MB")


@contextmanager
def bench_database(args):
    """The database a benchmark fills: a throw-away PostgreSQL server (--postgres), the --database-url given,
    or a fresh SQLite file in a temporary directory; removed afterwards unless --keep."""
    tmpdir = server = None
    try:
        if args.postgres:
            sys.path.insert(0, str(ROOT / "tests"))
            from pg import PostgresServer
            log("Starting a throw-away PostgreSQL server (tests/pg.py) …")
            server = PostgresServer().start()
            url = server.create_database("bench")
        elif args.database_url:
            url = args.database_url
        else:
            tmpdir = tempfile.mkdtemp(prefix="trainer-bench-")
            url = "sqlite:///" + os.path.join(tmpdir, "trainer.db")
        log("Database: " + re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url))
        yield BenchDatabase(url, url.split(":", 1)[0].split("+", 1)[0], tmpdir)
        if args.keep and server is not None:
            log(f"(PostgreSQL left running: {url}, data in {server.dir}; stop it with "
                f"pg_ctl -D {server.data} stop)")
        if args.keep and tmpdir:
            log(f"(SQLite database kept in {tmpdir})")
    finally:
        if server is not None and not args.keep:
            server.stop()
        if tmpdir and not args.keep:
            shutil.rmtree(tmpdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    with bench_database(args) as database:
        url, backend = database.url, database.backend
        log("Preparing (migrations, laws, courses, banks, demo bureau) …")
        app = prepare(url)
        counts_before = count_rows(app)
        fill_s = None
        if counts_before["practice_items"]:
            if not args.reuse:
                raise SystemExit("the database already holds practice history: use an empty database, "
                                 "or --reuse to measure it as it is")
            log(f"Reusing the existing practice history ({counts_before['practice_items']:,} items).")
            users = staff_ids(app, args.users)
            bank = Bank(app)
        else:
            log(f"Filling {args.users} users × {args.answers} answers …")
            fill_s, users, bank = fill(app, args)
        counts = count_rows(app)
        log("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        database.log_size()

        log("Measuring …")
        results = measure(app, args, users, bank)
        app.extensions["trainer.engine"].dispose()
        report(results, backend, fill_s, counts, args.top_queries)
        log(f"\nTotal run time: {time.perf_counter() - started:.0f} s")
    log(json.dumps({"home_ms": round(results["home"]["median"], 2), "quiz_ms": round(results["quiz"]["median"], 2),
                    "answer_ms": round(results["answer"]["median"], 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
