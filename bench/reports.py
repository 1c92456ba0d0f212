"""Reports benchmark: server time of the report pages, the leaderboard, an exam's item analysis and an Excel export
on a database holding a year of a 180-person bureau's training.

Fills a fresh database the way bench/practice.py does (migrations, default law library, courses, the shipped banks
plus the generated practice questions, the demo bureau with its 180 staff, then --users × --answers recorded practice
answers over the last 365 days with their article statistics, mistake-book cards and module progress; default
180 × 2,200 = 396,000), then bulk-inserts --exams (10) exams spread over the year, each sat by every staff member:
one attempt of 50 drawn questions (30 single, 10 multiple, 10 judge choice; 2 points each) with its attempt items,
responses and scores from a simple item-response model (ability per person, easiness per question, a few faulty
questions that the better candidates get wrong). Finally a drive (练兵周期) over the whole year with the first four
courses and all the exams, so the leaderboards and the default report selection cover everything.

It then measures, in-process with the Flask test client (the WSGI app's handling, no network), logged in as the
admin (the whole bureau) and as the supervisor of the 综合行政执法大队 (116 staff), the median, p95 and max of

  coverage   GET /reports/coverage
  units      GET /reports/units
  knowledge  GET /reports/knowledge
  person     GET /reports/people/<id>           (rotating over the staff in scope)
  drive      GET /drive/                        (the leaderboard)
  item       GET /reports/exams/<id>            (item analysis of the latest exam)
  export     GET /reports/coverage?format=xlsx-people

Targets: every report page ≤ 500 ms, the item analysis ≤ 300 ms, an export ≤ 2 s (medians). Nothing is asserted; the
exit code is 0 when the run completes. The last line of output is one JSON object with the admin's medians
(the heaviest scope) and, under "supervisor_ms", the supervisor's:
{"report_ms": {"coverage": x, "units": x, "knowledge": x, "person": x, "drive": x}, "item_analysis_ms": x,
 "export_ms": x, "supervisor_ms": {...}}

    .venv/bin/python bench/reports.py                     # a fresh SQLite file in a temporary directory
    .venv/bin/python bench/reports.py --postgres          # a throw-away PostgreSQL server (tests/pg.py)
    .venv/bin/python bench/reports.py --database-url URL  # an empty database of your own
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import pstats
import random
import re
import sys
import time
from collections import defaultdict
from datetime import datetime, time as dtime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import practice as practice_bench  # noqa: E402  (bench/practice.py: importing it has no side effects)

LOCAL = ZoneInfo("Asia/Shanghai")
SECTIONS = [
    {"title": "一、单项选择题", "type": "single", "count": 30, "points": 2},
    {"title": "二、多项选择题", "type": "multiple", "count": 10, "points": 2},
    {"title": "三、判断题", "type": "judge", "count": 10, "points": 2},
]
TARGET_MS = {"coverage": 500.0, "units": 500.0, "knowledge": 500.0, "person": 500.0, "drive": 500.0,
             "item": 300.0, "export": 2000.0}
LABELS = {"coverage": "GET /reports/coverage", "units": "GET /reports/units", "knowledge": "GET /reports/knowledge",
          "person": "GET /reports/people/<id>", "drive": "GET /drive/", "item": "GET /reports/exams/<id>",
          "export": "GET /reports/coverage?format=xlsx-people"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUPERVISOR = "zg01"   # the demo supervisor of 综合行政执法大队

log = practice_bench.log


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    practice_bench.add_database_args(p)
    p.add_argument("--users", type=int, default=180, help="staff members with a history (default 180)")
    p.add_argument("--answers", type=int, default=2200, help="practice answers per user (default 2200)")
    p.add_argument("--exams", type=int, default=10, help="exams over the year, each sat by every user (default 10)")
    p.add_argument("--samples", type=int, default=15, help="timed requests per page and role (default 15)")
    p.add_argument("--warmup", type=int, default=2, help="untimed requests before each measurement (default 2)")
    p.add_argument("--seed", type=int, default=2026, help="random seed of the generated history")
    p.add_argument("--keep", action="store_true", help="keep the temporary SQLite file / PostgreSQL server data")
    p.add_argument("--top-queries", type=int, default=10, help="slowest SQL statements to list (0: none)")
    p.add_argument("--profile", action="store_true",
                   help="profile one request of each page over its target and list the costliest app functions")
    p.add_argument("--explain", action="store_true", help="show the query plan of the slowest statements")
    args = p.parse_args(argv)
    for name in ("users", "answers", "exams", "samples"):
        if getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        p.error("--warmup must not be negative")
    return args


# ---- exams: created with the app's service, attempts bulk-inserted --------------------------------------------

def _local_to_utc(day, hour: float) -> datetime:
    return (datetime.combine(day, dtime(0), LOCAL) + timedelta(hours=hour)).astimezone(timezone.utc) \
        .replace(tzinfo=None)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _wrong(rng: random.Random, qtype: str, n_options: int, answer):
    letters = "ABCDEFGH"[:max(n_options, 2)]
    if qtype == "judge":
        return not answer
    if qtype == "single":
        return rng.choice([c for c in letters if c != answer])
    while True:  # multiple: a missing or an extra letter, as people really get them wrong
        chosen = set(answer)
        if rng.random() < 0.6 and len(chosen) > 1:
            chosen.discard(rng.choice(sorted(chosen)))
        else:
            chosen.add(rng.choice(letters))
        out = "".join(sorted(chosen))
        if out != answer:
            return out


def fill_exams(app, args, users: list[tuple[int, str]]) -> tuple[list[int], float]:
    """--exams published exams spread over the past year (monthly-ish), every user sitting each once."""
    from sqlalchemy import func, insert, select, text

    from trainer import db
    from trainer.auth.models import Unit, User
    from trainer.banks.models import Question
    from trainer.demo import data as demo_data
    from trainer.exams import services as exsvc
    from trainer.exams.models import Attempt, AttemptItem

    t0 = time.perf_counter()
    rng = random.Random(f"{args.seed}:exams")
    today = datetime.now(LOCAL).date()
    with app.app_context():
        s = db.session
        admin = s.scalar(select(User).where(User.login == demo_data.ADMIN[0]))
        bureau = s.scalar(select(Unit).where(Unit.name == demo_data.BUREAU))
        exams = []
        for k in range(args.exams):
            day = today - timedelta(days=12 + round(k * 340 / max(1, args.exams)))
            open_at = datetime.combine(day, dtime(9), LOCAL)
            data = exsvc.ExamData(title=f"{day.year}年{day.month}月法律知识考试", open_at=open_at,
                                  close_at=open_at + timedelta(days=3), sections=SECTIONS, time_limit_minutes=60,
                                  pass_mark=60.0, unit_ids=(bureau.id,))
            exam, errors, _ = exsvc.save_exam(s, admin, data)
            if errors:
                raise SystemExit(f"cannot create an exam: {errors}")
            exsvc.set_status(s, admin, exam, "published")
            exams.append((exam.id, day))
        pool = exsvc.build_pool(s)
        answers = dict(s.execute(select(Question.id, Question.answer)
                                 .where(Question.id.in_([q.question_id for q in pool]))).all())
        s.commit()
        next_attempt = (s.scalar(select(func.max(Attempt.id))) or 0) + 1
        s.rollback()
    by_type: dict[str, list] = defaultdict(list)
    for q in pool:
        by_type[q.type].append(q)
    # The item model: P(right) = logistic(1.3 + 1.1 × ability + easiness − 0.35 × (difficulty − 2)); about 4 % of
    # the questions are faulty (the key is disputable): the better candidates tend to get them wrong.
    easiness = {q.question_id: rng.gauss(0.0, 0.8) for q in pool}
    faulty = {q.question_id for q in pool if rng.random() < 0.04}
    ability = {uid: random.Random(f"{args.seed}:ability:{uid}").gauss(0.0, 1.0) for uid, _ in users}

    engine = app.extensions["trainer.engine"]
    n_items = 0
    for exam_id, day in exams:
        attempts, items = [], []
        for uid, _login in users:
            aid = next_attempt
            next_attempt += 1
            started = _local_to_utc(day, 24 * rng.randrange(3) + rng.uniform(9.0, 17.0))   # office hours, 3 days
            used = timedelta(minutes=rng.uniform(18, 58))
            score = 0.0
            position = 0
            theta = ability[uid] + rng.gauss(0.0, 0.25)
            for section_no, section in enumerate(SECTIONS):
                for q in rng.sample(by_type[section["type"]], section["count"]):
                    position += 1
                    answer = json.loads(answers[q.question_id])
                    if q.question_id in faulty:
                        p_right = _logistic(0.2 - 0.9 * theta)
                    else:
                        p_right = _logistic(1.3 + 1.1 * theta + easiness[q.question_id] - 0.35 * (q.difficulty - 2))
                    blank = rng.random() < 0.015
                    right = not blank and rng.random() < p_right
                    if blank:
                        response = None
                    elif right:
                        response = json.dumps(answer, ensure_ascii=False)
                    else:
                        response = json.dumps(_wrong(rng, q.type, q.option_count, answer), ensure_ascii=False)
                    order = list(range(q.option_count))
                    rng.shuffle(order)
                    earned = float(section["points"]) if right else 0.0
                    score += earned
                    items.append({"attempt_id": aid, "position": position, "section": section_no,
                                  "question_id": q.question_id, "points": float(section["points"]),
                                  "option_order": json.dumps(order if q.option_count else []), "response": response,
                                  "seq": 0 if blank else 1, "saved_at": None if blank else started + used / 2,
                                  "flagged": False, "earned": earned})
            attempts.append({"id": aid, "exam_id": exam_id, "user_id": uid, "number": 1, "started_at": started,
                             "deadline_at": started + timedelta(minutes=60), "submitted_at": started + used,
                             "finalised_by": "candidate", "score": score, "max_score": 100.0, "pending_manual": 0,
                             "passed": score >= 60.0, "last_saved_at": started + used - timedelta(minutes=1),
                             "focus_events": 0})
        with engine.begin() as conn:
            conn.execute(insert(Attempt), attempts)
            conn.execute(insert(AttemptItem), items)
        n_items += len(items)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('attempts', 'id'), (SELECT max(id) FROM attempts))"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    elapsed = time.perf_counter() - t0
    log(f"  {len(exams)} exams × {len(users)} attempts, {n_items:,} attempt items, {len(faulty)} faulty questions "
        f"in a pool of {len(pool)}  [{elapsed:.1f} s]")
    return [e for e, _ in exams], elapsed


def make_drive(app, exam_ids: list[int]) -> int:
    """A drive over the past year (and two more weeks), with the first four courses and every exam."""
    from sqlalchemy import select

    from trainer import db
    from trainer.auth.models import User
    from trainer.contest.services import DriveData, save_drive
    from trainer.demo import data as demo_data
    from trainer.study.models import Course

    today = datetime.now(LOCAL).date()
    with app.app_context():
        s = db.session
        admin = s.scalar(select(User).where(User.login == demo_data.ADMIN[0]))
        courses = list(s.scalars(select(Course.id).order_by(Course.ordinal).limit(4)))
        drive = save_drive(s, admin, DriveData(title=f"{today.year}年度岗位大练兵", start_date=today - timedelta(days=364),
                                               end_date=today + timedelta(days=14), course_ids=courses,
                                               exam_ids=exam_ids))
        s.commit()
        return drive.id


def count_rows(app) -> dict[str, int]:
    from sqlalchemy import func, select

    from trainer.exams.models import Attempt, AttemptItem
    counts = practice_bench.count_rows(app)
    with app.extensions["trainer.engine"].connect() as conn:
        counts["attempts"] = conn.scalar(select(func.count()).select_from(Attempt))
        counts["attempt_items"] = conn.scalar(select(func.count()).select_from(AttemptItem))
    return counts


# ---- measuring ---------------------------------------------------------------------------------------------

class QueryLog(practice_bench.QueryLog):
    """bench/practice.py's statement log, keeping also the parameters of each statement's slowest execution."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        from sqlalchemy import event
        self.params: dict[tuple[str, str], tuple[float, object]] = {}

        @event.listens_for(engine, "after_cursor_execute")
        def _keep(conn, cursor, statement, parameters, context, executemany):
            if self.kind is None:
                return
            key = (self.kind, statement)
            last = self.by_sql[key][-1] if self.by_sql.get(key) else 0.0
            if key not in self.params or last > self.params[key][0]:
                self.params[key] = (last, parameters)

    def sql_seconds(self, kind: str) -> float:
        return sum(sum(ts) for (k, _), ts in self.by_sql.items() if k == kind)


def login(app, user: str, password: str):
    c = app.test_client()
    r = c.post("/login", data={"login": user, "password": password})
    if r.status_code != 302 or "/login" in r.headers.get("Location", ""):
        raise SystemExit(f"login as {user} failed: HTTP {r.status_code} {r.get_data(as_text=True)[:300]}")
    return c


def measure(app, args, exam_ids: list[int]) -> dict:
    from sqlalchemy import select

    from trainer import db
    from trainer.auth.models import User
    from trainer.demo import data as demo_data
    from trainer.reports.services import staff_in_scope

    engine = app.extensions["trainer.engine"]
    with app.app_context():
        s = db.session
        people = {}
        for role_login in (demo_data.ADMIN[0], SUPERVISOR):
            viewer = s.scalar(select(User).where(User.login == role_login))
            people[role_login] = [u.id for u in staff_in_scope(s, viewer)]
        s.rollback()
    latest_exam = exam_ids[0]
    qlog = QueryLog(engine)
    results: dict[str, dict[str, dict]] = {}
    for role, who in (("admin", demo_data.ADMIN[0]), ("supervisor", SUPERVISOR)):
        client = login(app, who, demo_data.DEMO_PASSWORD)
        ids = people[who]
        rng = random.Random(f"{args.seed}:{role}")
        urls = {
            "coverage": lambda: "/reports/coverage",
            "units": lambda: "/reports/units",
            "knowledge": lambda: "/reports/knowledge",
            "person": lambda: f"/reports/people/{rng.choice(ids)}",
            "drive": lambda: "/drive/",
            "item": lambda: f"/reports/exams/{latest_exam}",
            "export": lambda: "/reports/coverage?format=xlsx-people",
        }
        results[role] = {}
        for kind, url in urls.items():
            key = f"{role}:{kind}"
            times, errors = [], 0
            t_all = time.perf_counter()
            for i in range(args.warmup + args.samples):
                keep = i >= args.warmup
                path = url()
                qlog.kind = key if keep else None
                t = time.perf_counter()
                resp = client.get(path)
                dt = time.perf_counter() - t
                qlog.kind = None
                ok = resp.status_code == 200 and (kind != "export" or resp.mimetype == XLSX)
                if not ok:
                    errors += 1
                    if errors <= 2:
                        log(f"  ! {key} {path}: HTTP {resp.status_code} {resp.get_data(as_text=True)[:200]!r}")
                if keep:
                    times.append(dt)
            r = practice_bench.summarise(times)
            r["queries"] = qlog.count[key] / len(times)
            r["sql_ms"] = 1000 * qlog.sql_seconds(key) / len(times)
            r["errors"] = errors
            r["bytes"] = len(resp.data)
            results[role][kind] = r
            log(f"  {role:<10} {kind:<9} median {r['median']:8.1f} ms  [{time.perf_counter() - t_all:.1f} s]")
        if args.profile:
            for kind, r in results[role].items():
                if r["median"] > TARGET_MS[kind]:
                    profile(app, client, urls[kind](), f"{role}:{kind}")
    results["_slowest"] = sorted(((sum(ts) / len(ts), len(ts), kind, sql) for (kind, sql), ts in qlog.by_sql.items()),
                                 reverse=True)
    results["_params"] = qlog.params
    return results


def profile(app, client, path: str, key: str) -> None:
    """One request under cProfile: the app's own functions by cumulative time."""
    prof = cProfile.Profile()
    prof.enable()
    client.get(path)
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(r"trainer/(?!templates)", 14)
    lines = [ln for ln in out.getvalue().splitlines() if re.match(r"\s*\d", ln)]
    log(f"\n  profile of {key} {path} (cumulative s, own code):")
    for ln in lines[:14]:
        log("   " + ln)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(8)
    log("  costliest functions by own time:")
    for ln in [ln for ln in out.getvalue().splitlines() if re.match(r"\s*\d", ln)][:8]:
        log("   " + ln)


def explain(app, results: dict, top: int) -> None:
    engine = app.extensions["trainer.engine"]
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    log("\nQuery plans of the slowest statements:")
    for mean, _calls, kind, sql in results["_slowest"][:top]:
        params = results["_params"].get((kind, sql), (0, ()))[1]
        log(f"\n  {mean * 1000:.1f} ms  {kind}: {' '.join(sql.split())[:200]}")
        with engine.connect() as conn:
            try:
                rows = conn.exec_driver_sql(prefix + sql, params).all()
            except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
                log(f"    (no plan: {exc.__class__.__name__}: {str(exc)[:120]})")
                continue
        for row in rows[:30]:
            log("    " + " | ".join(str(v) for v in row))


def report(results: dict, backend: str, counts: dict[str, int], fill_s: float, top: int) -> None:
    log()
    log(f"Server time per request ({backend}; in-process Flask test client, ms)")
    log(f"  {'role':<10} {'request':<42} {'n':>3} {'median':>8} {'p95':>8} {'max':>8} {'SQL/req':>8} "
        f"{'SQL ms':>8} {'KB':>6}  target")
    for role in ("admin", "supervisor"):
        for kind, r in results[role].items():
            verdict = "ok" if r["median"] <= TARGET_MS[kind] else f"OVER {TARGET_MS[kind]:.0f} ms"
            errs = f" ({r['errors']} errors)" if r["errors"] else ""
            log(f"  {role:<10} {LABELS[kind]:<42} {r['n']:>3} {r['median']:>8.1f} {r['p95']:>8.1f} {r['max']:>8.1f} "
                f"{r['queries']:>8.1f} {r['sql_ms']:>8.1f} {r['bytes'] / 1024:>6.0f}  {verdict}{errs}")
    log(f"  fill time: {fill_s:.1f} s; " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    if top:
        log()
        log("Slowest SQL statements during the timed requests (mean cursor.execute time in ms, excluding "
            "fetching rows; executions; request):")
        for mean, calls, kind, sql in results["_slowest"][:top]:
            log(f"  {mean * 1000:8.2f} ms ×{calls:<4} {kind:<20} {' '.join(sql.split())[:140]}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    with practice_bench.bench_database(args) as database:
        url, backend = database.url, database.backend
        log("Preparing (migrations, laws, courses, banks, demo bureau) …")
        app = practice_bench.prepare(url)
        if practice_bench.count_rows(app)["practice_items"]:
            raise SystemExit("the database already holds practice history: use an empty database")
        log(f"Filling {args.users} users × {args.answers} practice answers …")
        fill_s, users, _bank = practice_bench.fill(app, argparse.Namespace(users=args.users, answers=args.answers,
                                                                           seed=args.seed))
        log(f"Filling {args.exams} exams …")
        exam_ids, exam_s = fill_exams(app, args, users)
        make_drive(app, exam_ids)
        fill_s += exam_s
        counts = count_rows(app)
        log("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        database.log_size()

        log("Measuring …")
        results = measure(app, args, exam_ids)
        report(results, backend, counts, fill_s, args.top_queries)
        if args.explain:
            explain(app, results, min(5, args.top_queries or 5))
        app.extensions["trainer.engine"].dispose()
        log(f"\nTotal run time: {time.perf_counter() - started:.0f} s")

    def med(role, kind):
        return round(results[role][kind]["median"], 1)
    pages = ("coverage", "units", "knowledge", "person", "drive")
    log(json.dumps({"report_ms": {k: med("admin", k) for k in pages}, "item_analysis_ms": med("admin", "item"),
                    "export_ms": med("admin", "export"),
                    "supervisor_ms": {k: med("supervisor", k) for k in pages + ("item", "export")}},
                   ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
