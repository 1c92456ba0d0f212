"""Shared helpers of the exam benchmarks (exam_storm.py, crash_test.py).

* `prepare_database`: a database as `make run` prepares one (migrations, default law library, shipped banks,
  demo bureau), extra staff when more than 180 candidates are needed, and published exams open now.
* `ServerProcess`: `python -m trainer.serve` (what `make run` runs) as a subprocess in its own process group,
  with TRAINER_INSTANCE_PATH / TRAINER_DATABASE_URL / TRAINER_SECRET_KEY pointing at the benchmark's instance.
* `Client`: a light HTTP/1.1 client over asyncio.open_connection (keep-alive, cookies by hand): httpx
  saturates a core at a few hundred requests per second, this one costs a fraction of that.
* `Candidate`: one virtual candidate (log in, open the exam, start, answer every question with think times,
  change some answers, submit) that records every save it sent and every save the server acknowledged.
* `verify`: compares the database with what the server acknowledged (lost answers, attempts finished
  exactly once, one attempt per candidate).
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import random
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAM_SECTIONS = [
    {"title": "单项选择题", "type": "single", "count": 30, "points": 2},
    {"title": "多项选择题", "type": "multiple", "count": 10, "points": 2},
    {"title": "判断题", "type": "judge", "count": 10, "points": 2},
]
FINALISE_LOG = "bench_finalise_log"


def log(msg: str = "") -> None:
    print(msg, flush=True)


def raise_nofile(want: int = 65536) -> int:
    """Raise the soft RLIMIT_NOFILE as far as the hard limit allows (the server subprocess inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of seconds, returned in ms; NaN for no values."""
    if not values:
        return float("nan")
    ms = sorted(v * 1000 for v in values)
    return ms[min(len(ms) - 1, max(0, math.ceil(p / 100 * len(ms)) - 1))]


def r1(x: float):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(x, 1)


def redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


def add_server_args(p) -> None:
    """The options the storm and the crash test share: where the database is, which server, how it is started
    (read by database_for and ServerProcess)."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an empty database to prepare (default: a fresh SQLite file in "
                                              "the temporary instance)")
    where.add_argument("--postgres", action="store_true", help="start a throw-away PostgreSQL (tests/pg.py)")
    p.add_argument("--server", choices=("gunicorn", "waitress"), default=None,
                   help="default: what `make run` uses (python -m trainer.serve without --server)")
    p.add_argument("--plain-argv", action="store_true",
                   help="start the server literally as `python -m trainer.serve …` (default: the same through "
                        "runpy, without 'trainer.serve' in the command line, safe from others' pkill -f)")


def database_for(args, tmp: Path):
    """(url, backend, PostgreSQL server or None): a throw-away PostgreSQL with --postgres (stop it afterwards),
    the --database-url given, or a fresh SQLite file in the temporary instance `tmp`."""
    pg = None
    if args.postgres:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg import PostgresServer
        log("Starting a throw-away PostgreSQL server (tests/pg.py) …")
        pg = PostgresServer().start()
        url = pg.create_database("bench")
    else:
        url = args.database_url or "sqlite:///" + str(tmp / "trainer.db")
    return url, url.split(":", 1)[0].split("+", 1)[0], pg


# ---- preparing the database --------------------------------------------------------------------------

@dataclass
class Prepared:
    url: str
    exam_ids: dict[str, int]          # name -> exam id
    logins: list[str]                 # staff logins, 100001…
    password: str
    pool_sizes: dict[str, int]        # question type -> usable questions
    seconds: float


def _finalise_log_ddl(dialect: str) -> list[str]:
    """A trigger that logs every change of attempts.submitted_at / finalised_by (the benchmark's own table and
    trigger in its own database): an attempt finalised twice shows up as two rows."""
    if dialect == "sqlite":
        return [
            f"CREATE TABLE IF NOT EXISTS {FINALISE_LOG} (id INTEGER PRIMARY KEY, attempt_id INTEGER, "
            "old_submitted_at TIMESTAMP, submitted_at TIMESTAMP, old_finalised_by TEXT, finalised_by TEXT)",
            f"""CREATE TRIGGER IF NOT EXISTS bench_finalise AFTER UPDATE OF submitted_at, finalised_by ON attempts
                WHEN NEW.submitted_at IS NOT OLD.submitted_at OR NEW.finalised_by IS NOT OLD.finalised_by
                BEGIN INSERT INTO {FINALISE_LOG} (attempt_id, old_submitted_at, submitted_at, old_finalised_by,
                      finalised_by) VALUES (NEW.id, OLD.submitted_at, NEW.submitted_at, OLD.finalised_by,
                      NEW.finalised_by); END""",
        ]
    if dialect == "postgresql":
        return [
            f"CREATE TABLE IF NOT EXISTS {FINALISE_LOG} (id SERIAL PRIMARY KEY, attempt_id INTEGER, "
            "old_submitted_at TIMESTAMP, submitted_at TIMESTAMP, old_finalised_by TEXT, finalised_by TEXT)",
            f"""CREATE OR REPLACE FUNCTION bench_finalise() RETURNS trigger AS $$ BEGIN
                  IF NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
                     OR NEW.finalised_by IS DISTINCT FROM OLD.finalised_by THEN
                    INSERT INTO {FINALISE_LOG} (attempt_id, old_submitted_at, submitted_at, old_finalised_by,
                                                finalised_by)
                    VALUES (NEW.id, OLD.submitted_at, NEW.submitted_at, OLD.finalised_by, NEW.finalised_by);
                  END IF; RETURN NEW; END $$ LANGUAGE plpgsql""",
            "DROP TRIGGER IF EXISTS bench_finalise ON attempts",
            "CREATE TRIGGER bench_finalise AFTER UPDATE ON attempts FOR EACH ROW EXECUTE FUNCTION bench_finalise()",
        ]
    return []


def prepare_database(url: str, users: int, exams: list[dict]) -> Prepared:
    """Migrate and fill `url` like `make run` does for a new database, make sure `users` staff accounts exist
    (the 180 demo staff plus bulk-inserted ones sharing the demo password hash), and create the `exams`
    (dicts: name, title, time_limit, sections?) published, open from a minute ago for a day, for the whole
    bureau. Runs in this process; the engine is disposed afterwards."""
    from sqlalchemy import insert, select, text

    from trainer import create_app, db
    from trainer.db import utcnow
    from trainer.migrate import upgrade

    t0 = time.perf_counter()
    upgrade(url)
    app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        from trainer.auth.models import Unit, User
        from trainer.banks.services import bank_files, import_files
        from trainer.demo import data as demo_data
        from trainer.demo.services import seed
        from trainer.exams import services as exsvc
        from trainer.laws.services import import_default

        import_default(db.session)
        _, issues = import_files(db.session, bank_files())
        for issue in issues:
            if issue.level == "error":
                log(f"  bank error: {issue}")
        seed(db.session)
        db.session.commit()

        staff = [login for login, _, _ in demo_data.staff_people()]
        if users > len(staff):
            pw = db.session.scalar(select(User.password_hash).where(User.login == staff[0]))
            units = {u.name: u.id for u in db.session.scalars(select(Unit))}
            staff_units = [units[name] for name in demo_data.STAFF_PER_UNIT]
            existing = set(db.session.scalars(select(User.login)))
            rows = []
            for n in range(len(staff) + 1, users + 1):
                login = f"{100000 + n}"
                staff.append(login)
                if login not in existing:
                    rows.append(dict(login=login, name=f"压测学员{n}", unit_id=staff_units[n % len(staff_units)],
                                     role="staff", active=True, password_hash=pw, must_change_password=False,
                                     is_demo=True, failed_logins=0, created_at=utcnow()))
            for i in range(0, len(rows), 1000):
                db.session.execute(insert(User), rows[i:i + 1000])
            db.session.commit()

        admin = db.session.scalar(select(User).where(User.login == demo_data.ADMIN[0]))
        bureau = db.session.scalar(select(Unit).where(Unit.name == demo_data.BUREAU))
        now = datetime.now(timezone.utc)
        exam_ids = {}
        for spec in exams:
            data = exsvc.ExamData(title=spec["title"], open_at=now - timedelta(minutes=1),
                                  close_at=now + timedelta(days=1), sections=spec.get("sections", EXAM_SECTIONS),
                                  time_limit_minutes=spec.get("time_limit", 120), unit_ids=(bureau.id,))
            exam, errors, _warnings = exsvc.save_exam(db.session, admin, data)
            if errors:
                raise SystemExit(f"cannot create exam {spec['title']!r}: {errors}")
            exsvc.set_status(db.session, admin, exam, "published")
            exam_ids[spec["name"]] = exam.id
        pool = exsvc.build_pool(db.session)
        db.session.commit()
        sizes: dict[str, int] = defaultdict(int)
        for q in pool:
            sizes[q.type] += 1
        engine = app.extensions["trainer.engine"]
        with engine.begin() as conn:
            for ddl in _finalise_log_ddl(engine.dialect.name):
                conn.exec_driver_sql(ddl)
        db.session.remove()
        engine.dispose()
    return Prepared(url=url, exam_ids=exam_ids, logins=staff[:users], password=demo_data.DEMO_PASSWORD,
                    pool_sizes=dict(sizes), seconds=time.perf_counter() - t0)


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat), to tell our load from others'."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


# ---- the server --------------------------------------------------------------------------------------

class ServerProcess:
    """`python -m trainer.serve --host 127.0.0.1 --port P [--server S]` in its own process group."""

    # `python -m trainer.serve ARGS` is runpy.run_module("trainer.serve", run_name="__main__", alter_sys=True)
    # with ARGS in sys.argv: run it that way so that the command line does not contain "trainer.serve" (a
    # `pkill -f trainer.serve` by someone else on the machine took the benchmark's server down mid-run).
    LAUNCHER = "import runpy; runpy.run_module('trainer' + '.serve', run_name='__main__', alter_sys=True)"

    def __init__(self, instance: Path, url: str, server: str | None, log_path: Path,
                 plain_argv: bool = False) -> None:
        self.instance, self.url, self.server = instance, url, server
        self.plain_argv = plain_argv
        self.port = free_port()
        self.log_path = log_path
        self.secret = "bench-" + secrets.token_hex(24)
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.died: str | None = None  # set when the server exited without being told to
        python = ROOT / ".venv" / "bin" / "python"
        self.python = str(python if python.exists() else Path(sys.executable))

    @property
    def pgid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self) -> None:
        env = dict(os.environ, TRAINER_INSTANCE_PATH=str(self.instance), TRAINER_DATABASE_URL=self.url,
                   TRAINER_SECRET_KEY=self.secret, PYTHONUNBUFFERED="1")
        cmd = [self.python] + (["-m", "trainer.serve"] if self.plain_argv else ["-c", self.LAUNCHER]) \
            + ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.server:
            cmd += ["--server", self.server]
        out = open(self.log_path, "ab")
        out.write(f"\n===== start #{self.starts + 1} at {time.strftime('%H:%M:%S')}: {' '.join(cmd)}\n".encode())
        out.flush()
        self.proc = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        self.starts += 1

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Seconds until GET /static/css/app.css answers 200."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited with code {self.proc.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                    s.sendall(b"GET /static/css/app.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    s.settimeout(5)
                    if s.recv(64).startswith(b"HTTP/1.1 200"):
                        return time.perf_counter() - t0
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"the server did not answer within {timeout:.0f} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """Processes of the server's process group (master and workers)."""
        out = []
        if self.pgid is None:
            return out
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.getpgid(int(entry)) == self.pgid:
                        out.append(int(entry))
                except OSError:
                    pass
        return out

    def cpu_seconds(self) -> float:
        """utime + stime of the live processes of the group (children that exited are not counted)."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / tick
            except (OSError, IndexError, ValueError):
                pass
        return total

    def kill(self) -> None:
        """SIGKILL the whole process group (master and every worker) and reap the leader."""
        if self.proc is None:
            return
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        for _ in range(100):  # workers are not our children: wait until the group is gone
            if not self.pids():
                break
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.pgid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        for _ in range(100):
            if not self.pids():
                break
            time.sleep(0.05)

    def log_problems(self) -> dict[str, int]:
        """Counts of tracebacks and some known error lines in the server log."""
        try:
            text_ = self.log_path.read_text(errors="replace")
        except OSError:
            return {}
        counts = {"tracebacks": text_.count("Traceback (most recent call last)")}
        for label, pattern in (("database is locked", "database is locked"),
                               ("worker timeout", "WORKER TIMEOUT"), ("exception", "Exception on "),
                               ("deadlock", "deadlock detected"), ("pool timeout", "QueuePool limit")):
            n = text_.count(pattern)
            if n:
                counts[label] = n
        return counts


# ---- the HTTP client ---------------------------------------------------------------------------------

class ConnectionFailed(Exception):
    """No response: refused, reset, closed before the answer, or timed out (`timeout` True)."""

    def __init__(self, message: str, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Counters:
    def __init__(self) -> None:
        self.requests = 0
        self.connects = 0
        self.stale_retries = 0


COUNTERS = Counters()


class Client:
    """One browser: a keep-alive connection and a cookie jar. Requests on one client are sequential."""

    IDLE_REUSE_SECONDS = 4.0  # gunicorn closes idle keep-alive connections after 5 s: open a new one before

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    def close(self) -> None:
        if self.writer is not None:
            try:
                self.writer.close()
            except Exception:
                pass
        self.reader = self.writer = None

    async def _connect(self) -> None:
        self.close()
        COUNTERS.connects += 1
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port, limit=1 << 22)

    def _usable(self) -> bool:
        return (self.writer is not None and not self.writer.is_closing() and not self.reader.at_eof()
                and time.monotonic() - self.last_used < self.IDLE_REUSE_SECONDS)

    async def request(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> Response:
        t0 = time.perf_counter()
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers or {}, t0), self.timeout)
        except asyncio.TimeoutError:
            self.close()
            raise ConnectionFailed(f"timeout after {self.timeout:.0f} s", timeout=True) from None

    async def _request(self, method, path, body, headers, t0) -> Response:
        lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}", "Connection: keep-alive"]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for k, v in headers.items():
            lines.append(f"{k}: {v}")
        if body or method in ("POST", "PUT"):
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        COUNTERS.requests += 1
        for attempt in (1, 2):
            reused = self._usable()
            try:
                if not reused:
                    await self._connect()
                self.writer.write(raw)
                await self.writer.drain()
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
                self.close()
                partial = getattr(exc, "partial", b"")
                if reused and attempt == 1 and not partial:
                    COUNTERS.stale_retries += 1  # the server closed the idle connection as we sent: resend
                    continue
                raise ConnectionFailed(f"{type(exc).__name__}: {exc}") from None
            break
        try:
            resp = await self._read_rest(head, method)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, OSError, ValueError) as exc:
            self.close()
            raise ConnectionFailed(f"{type(exc).__name__} reading the body: {exc}") from None
        resp.seconds = time.perf_counter() - t0
        self.last_used = time.monotonic()
        for c in resp.cookies:
            self._set_cookie(c)
        return resp

    async def _read_rest(self, head: bytes, method: str) -> Response:
        text_ = head.decode("latin-1")
        status_line, *header_lines = text_.split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        headers: dict[str, str] = {}
        cookies: list[str] = []
        for line in header_lines:
            if not line:
                continue
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                cookies.append(v)
            else:
                headers[k] = v
        status = int(status)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                if size == 0:
                    while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        else:
            body = await self.reader.read()
            self.close()
        conn = headers.get("connection", "").lower()
        if conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive"):
            self.close()
        return Response(status, headers, cookies, body, 0.0)

    def _set_cookie(self, header: str) -> None:
        first, *attrs = header.split(";")
        name, _, value = first.strip().partition("=")
        expired = any(a.strip().lower() in ("max-age=0",) or
                      (a.strip().lower().startswith("expires=") and "1970" in a) for a in attrs)
        if expired or value == "":
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    async def get(self, path: str) -> Response:
        return await self.request("GET", path, headers={"Accept": "text/html"})

    async def post_form(self, path: str, data: dict) -> Response:
        return await self.request("POST", path, body=urlencode(data).encode(),
                                  headers={"Content-Type": "application/x-www-form-urlencoded",
                                           "Accept": "text/html"})

    async def post_json(self, path: str, data, headers: dict | None = None) -> Response:
        return await self.request("POST", path, body=json.dumps(data).encode(),
                                  headers={"Content-Type": "application/json", "Accept": "application/json",
                                           **(headers or {})})


_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"|<input[^>]*value="([^"]+)"[^>]*'
                         r'name="csrf_token"')
_TITLE = re.compile(r"<title>(.*?)</title>", re.S)
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_SECTION = re.compile(r'<section class="exam-q[^"]*" data-position="(\d+)" data-type="(\w+)"')
_OPTION = re.compile(r'id="q(\d+)-([A-H]|true|false)"')
_ATTEMPT = re.compile(r"/exams/a/(\d+)")
_RESUME = re.compile(r'id="resume-exam" href="/exams/a/(\d+)"')


def csrf_from_form(html: str) -> str | None:
    m = _CSRF_INPUT.search(html)
    return (m.group(1) or m.group(2)) if m else None


def parse_take_page(html: str) -> tuple[str | None, dict[int, tuple[str, list[str]]]]:
    """(csrf token, {position: (type, displayed option values)}) from GET /exams/a/<id>."""
    m = _CSRF_META.search(html)
    items = {int(p): (t, []) for p, t in _SECTION.findall(html)}
    for pos, value in _OPTION.findall(html):
        if int(pos) in items:
            items[int(pos)][1].append(value)
    return (m.group(1) if m else None), items


def random_response(rng: random.Random, qtype: str, options: list[str], avoid=None):
    """A displayed response for a question: one letter, several letters, or "true"/"false"."""
    for _ in range(20):
        if qtype == "single":
            value = rng.choice(options)
        elif qtype == "multiple":
            k = rng.randint(2, max(2, len(options) - 1)) if len(options) > 2 else len(options)
            value = "".join(sorted(rng.sample(options, k)))
        elif qtype == "judge":
            value = rng.choice(["true", "false"])
        else:
            raise ValueError(f"the benchmark does not answer {qtype} questions")
        if value != avoid:
            return value
    return value


# ---- recording -------------------------------------------------------------------------------------------

@dataclass
class SaveTrack:
    sent: dict[int, str] = field(default_factory=dict)  # seq -> displayed response sent
    acked: int = 0                                      # highest seq the server acknowledged


class Recorder:
    """Latencies, errors and the acknowledged saves of a run."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.error_kinds: Counter = Counter()
        self.error_first: dict[tuple[str, str], str] = {}
        self.replayed = 0  # saves acknowledged as already stored (saved=false, seq covered)
        self.busy: dict[str, int] = defaultdict(int)  # 503 + Retry-After answers (retried, not errors)
        self.outage_failures: dict[str, int] = defaultdict(int)  # crash test: failures while the server was down
        self.saves: dict[int, dict[int, SaveTrack]] = defaultdict(dict)  # attempt -> position -> track
        self.clock: list[tuple[int, float, float, int, int]] = []  # (attempt, t_sent, t_recv, seconds_left, epoch)
        self.epoch = 0  # crash test: bumped at each restart (saves answered by the n-th server)
        self.outages: list[tuple[float, float]] = []  # (kill time, ready time), wall clock
        self.down_since: float | None = None
        self.finished: dict[int, dict] = {}  # attempt -> {"t0", "t1", "ok", "by"}
        self.attempt_of: dict[str, int] = {}  # login -> attempt id (the storm's exam)
        self.timeline: list[tuple[float, float]] = []  # (wall-clock start, seconds) of successful saves

    def error(self, kind: str, message: str) -> None:
        self.errors[kind] += 1
        short = message[:160]
        key = (kind, re.sub(r"\d+", "#", short))
        if key not in self.error_first:
            self.error_first[key] = f"{time.strftime('%H:%M:%S')} {short}"
        self.error_kinds[key] += 1

    @property
    def error_samples(self) -> list[str]:
        return [f"{n:6d} × {kind}: {self.error_first[(kind, msg)]}" for (kind, msg), n in self.error_kinds.most_common()]

    def in_outage(self, t0: float, t1: float) -> bool:
        """Whether the wall-clock interval [t0, t1] touches a server outage (kill .. ready, plus a margin)."""
        if self.down_since is not None and t1 >= self.down_since - 0.5:
            return True
        return any(t0 <= ready + 1.0 and t1 >= kill - 0.5 for kill, ready in self.outages)

    def total_errors(self) -> int:
        return sum(self.errors.values())


class Failed(Exception):
    """A step could not be completed (after the allowed retries); the candidate gives up."""


async def call(rec: Recorder, kind: str, fn, expect, *, retry_until: float | None = None, retries: int = 0,
               time_kind: str | None = None) -> Response:
    """Run one request (fn() -> awaitable Response) and record its latency under `kind` (or `time_kind`).

    expect: a predicate on the response. Unexpected statuses and connection failures are errors; with
    `retry_until` (a wall-clock time: the crash test), connection failures while the server is down are
    outages and are retried with backoff until then; otherwise the request is retried `retries` times (each
    failure counted as an error) as a browser would."""
    backoff = 0.2
    tries = 0
    while True:
        tries += 1
        t_wall = time.time()
        try:
            resp = await fn()
        except ConnectionFailed as exc:
            t_end = time.time()
            if retry_until is not None and rec.in_outage(t_wall, t_end):
                rec.outage_failures[kind] += 1
                if t_end > retry_until:
                    rec.error(kind, f"gave up after outages: {exc}")
                    raise Failed(kind) from None
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 2.0)
                continue
            rec.error(kind, str(exc))
            if retry_until is not None and t_end < retry_until or tries <= retries:
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 2.0)
                continue
            raise Failed(kind) from None
        if resp.status == 503 and "retry-after" in resp.headers and rec.busy[kind] < 100000:
            # the server asks to come back later (back-pressure): not an error, retried after the delay
            rec.busy[kind] += 1
            try:
                delay = float(resp.headers["retry-after"])
            except ValueError:
                delay = 2.0
            await asyncio.sleep(delay * random.uniform(0.7, 1.5))
            tries -= 1
            continue
        if expect(resp):
            rec.latency[time_kind or kind].append(resp.seconds)
            if kind == "save":
                rec.timeline.append((t_wall, resp.seconds))
            return resp
        title = _TITLE.search(resp.text[:2000])
        rec.error(kind, f"HTTP {resp.status} {resp.location} " + (f"page “{title.group(1).strip()}”" if title
                                                                  else repr(resp.text[:200])))
        if tries <= retries or (retry_until is not None and time.time() < retry_until and resp.status >= 500):
            await asyncio.sleep(backoff * (0.5 + random.random()))
            backoff = min(backoff * 2, 2.0)
            continue
        raise Failed(kind)


def _redirect_ok(resp: Response, not_to: str = "/login") -> bool:
    return resp.status == 302 and not_to not in resp.location


# ---- a virtual candidate ---------------------------------------------------------------------------------

@dataclass
class Behaviour:
    think_min: float = 2.0
    think_max: float = 8.0
    change_share: float = 0.2      # answers changed later (another save of the same position)
    stop_after: int | None = None  # laggard: stop answering after this many questions and leave
    come_back_at: float | None = None  # laggard: wall-clock time to come back (save → 409, submit)


class Candidate:
    def __init__(self, login: str, password: str, exam_id: int, port: int, rec: Recorder, rng: random.Random,
                 behaviour: Behaviour, *, timeout: float, retry_until: float | None = None,
                 retries: int = 0) -> None:
        self.login, self.password, self.exam_id = login, password, exam_id
        self.client = Client(port, timeout)
        self.rec, self.rng, self.b = rec, rng, behaviour
        self.retry_until, self.retries = retry_until, retries
        self.attempt_id: int | None = None
        self.csrf: str | None = None
        self.items: dict[int, tuple[str, list[str]]] = {}
        self.seq: dict[int, int] = defaultdict(int)
        self.done = False
        self.state = "new"
        self.back_at: float | None = None

    LOGIN_RETRIES = 10  # a person whose login fails presses the button again (each failure is an error)

    async def _call(self, kind, fn, expect, time_kind=None):
        retries = max(self.retries, self.LOGIN_RETRIES) if kind == "login" else self.retries
        return await call(self.rec, kind, fn, expect, retry_until=self.retry_until, retries=retries,
                          time_kind=time_kind)

    async def log_in(self) -> None:
        self.state = "login"

        async def login_once():
            page = await self.client.get("/login")
            if page.status != 200:
                return page
            token = csrf_from_form(page.text)
            resp = await self.client.post_form("/login", {"login": self.login, "password": self.password,
                                                          "csrf_token": token or "", "next": ""})
            return resp
        t0 = time.perf_counter()
        await self._call("login", login_once, _redirect_ok)
        self.rec.latency["login_total"].append(time.perf_counter() - t0)

    async def start(self, exam_id: int | None = None) -> tuple[int, str, dict]:
        exam_id = exam_id or self.exam_id
        self.state = "start"
        page = await self._call("exam_page", lambda: self.client.get(f"/exams/{exam_id}"),
                                lambda r: r.status == 200)
        token = csrf_from_form(page.text)
        resume = _RESUME.search(page.text)
        if resume:  # already started (a start retried after an outage, a reload): resume it
            attempt_id = int(resume.group(1))
        elif f'action="/exams/{exam_id}/start"' not in page.text or not token:
            self.rec.error("start", "no start form and no attempt to resume on the exam page")
            raise Failed("start")
        else:
            resp = await self._call("start", lambda: self.client.post_form(f"/exams/{exam_id}/start",
                                                                            {"csrf_token": token}),
                                    lambda r: r.status == 302 and _ATTEMPT.search(r.location) is not None)
            attempt_id = int(_ATTEMPT.search(resp.location).group(1))
        take = await self._call("take_page", lambda: self.client.get(f"/exams/a/{attempt_id}"),
                                lambda r: r.status == 200 and "exam-q" in r.text)
        csrf, items = parse_take_page(take.text)
        if not csrf or not items:
            self.rec.error("take_page", "no csrf token or no questions on the exam page")
            raise Failed("take_page")
        return attempt_id, csrf, items

    async def save(self, attempt_id: int, csrf: str, position: int, value: str, *, kind: str = "save",
                   seq_of: dict | None = None) -> dict | None:
        """Send one save with the next sequence number; record what was sent and what was acknowledged."""
        seq_of = self.seq if seq_of is None else seq_of
        seq_of[position] += 1
        seq = seq_of[position]
        track = self.rec.saves[attempt_id].setdefault(position, SaveTrack())
        track.sent[seq] = value
        body = {"position": position, "seq": seq, "response": value}
        t_sent = time.time()
        resp = await self._call(kind, lambda: self.client.post_json(f"/exams/a/{attempt_id}/save", body,
                                                                    {"X-CSRFToken": csrf}),
                                lambda r: r.status == 200 and r.body.startswith(b"{"))
        try:
            data = resp.json()
        except ValueError:
            self.rec.error(kind, f"not JSON: {resp.text[:100]!r}")
            raise Failed(kind) from None
        if data.get("saved") or int(data.get("seq", 0)) >= seq:
            track.acked = max(track.acked, seq)
            if not data.get("saved"):
                self.rec.replayed += 1  # a re-sent save the server had already stored (its answer was lost)
        else:
            self.rec.error(kind, f"save not acknowledged: sent seq {seq}, answer {data}")
        self.rec.clock.append((attempt_id, t_sent, time.time(), int(data.get("seconds_left", -1)), self.rec.epoch))
        return data

    async def think(self, scale: float = 1.0) -> None:
        await asyncio.sleep(self.rng.uniform(self.b.think_min, self.b.think_max) * scale)

    async def run(self) -> None:
        try:
            await self._run()
            self.state = "done"
        except Failed:
            self.state = "failed:" + self.state
        except Exception as exc:  # a bug in the benchmark or a response it cannot read: keep the others going
            self.rec.error("client", f"{self.state}: {type(exc).__name__}: {exc}")
            self.state = "failed:" + self.state
        finally:
            self.done = True
            self.client.close()

    async def _run(self) -> None:
        await self.log_in()
        attempt_id, csrf, items = await self.start()
        self.attempt_id, self.csrf, self.items = attempt_id, csrf, items
        self.rec.attempt_of[self.login] = attempt_id
        self.state = "answering"
        answered: dict[int, str] = {}
        for n, position in enumerate(sorted(items), 1):
            if self.b.stop_after is not None and n > self.b.stop_after:
                break
            qtype, options = items[position]
            await self.think()
            value = random_response(self.rng, qtype, options)
            await self.save(attempt_id, csrf, position, value)
            answered[position] = value
            if self.rng.random() < self.b.change_share:  # second thoughts: this one or an earlier one
                other = self.rng.choice(list(answered))
                await self.think(0.25)
                value = random_response(self.rng, items[other][0], items[other][1], avoid=answered[other])
                await self.save(attempt_id, csrf, other, value)
                answered[other] = value
        if self.b.come_back_at is not None:  # a laggard: gone until after the deadline
            self.client.close()
            self.state = "away"
            await asyncio.sleep(max(0.0, self.b.come_back_at - time.time()))
            self.state = "late"
            self.back_at = time.time()
            position = sorted(items)[-1]
            self.seq[position] += 1
            late = await self._call("late_save", lambda: self.client.post_json(
                f"/exams/a/{attempt_id}/save", {"position": position, "seq": self.seq[position],
                                                "response": random_response(self.rng, *items[position])},
                {"X-CSRFToken": csrf}), lambda r: r.status == 409)
            del late
        self.state = "submit"
        t0 = time.time()
        resp = await self._call("submit", lambda: self.client.post_form(f"/exams/a/{attempt_id}/submit",
                                                                         {"csrf_token": csrf}),
                                lambda r: r.status == 302 and "/result" in r.location)
        self.rec.finished[attempt_id] = {"t0": t0, "t1": time.time(), "login": self.login,
                                         "laggard": self.b.come_back_at is not None, "back": self.back_at}
        del resp


# ---- saturation --------------------------------------------------------------------------------------

async def saturate_saves(cands: list[Candidate], exam_id: int, seconds: float, rec: Recorder) -> dict:
    """Each candidate starts `exam_id` (already logged in) and saves answers back to back for `seconds`."""
    prepared = []

    async def setup(c: Candidate):
        try:
            if c.state != "done":  # it never got in (or gave up): a fresh browser
                c.client.close()
                c.client.cookies.clear()
                await c.log_in()
            prepared.append((c, *await c.start(exam_id)))
        except Failed:
            pass
    await asyncio.gather(*(setup(c) for c in cands))
    stop = time.perf_counter() + seconds
    count = [0]

    async def loop(c: Candidate, attempt_id: int, csrf: str, items: dict):
        seq: dict[int, int] = defaultdict(int)
        positions = sorted(items)
        while time.perf_counter() < stop:
            p = c.rng.choice(positions)
            try:
                await c.save(attempt_id, csrf, p, random_response(c.rng, *items[p]), kind="sat_save", seq_of=seq)
                count[0] += 1
            except Failed:
                await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    await asyncio.gather(*(loop(*p) for p in prepared))
    elapsed = time.perf_counter() - t0
    return {"clients": len(prepared), "saves": count[0], "seconds": elapsed, "rps": count[0] / elapsed}


async def saturate_get(port: int, path: str, clients: int, seconds: float, rec: Recorder,
                       timeout: float = 30.0) -> dict:
    stop = time.perf_counter() + seconds
    count = [0]

    async def loop():
        c = Client(port, timeout)
        try:
            while time.perf_counter() < stop:
                try:
                    r = await c.get(path)
                except ConnectionFailed as exc:
                    rec.error("trivial", str(exc))
                    continue
                if r.status == 200:
                    count[0] += 1
                    rec.latency["trivial"].append(r.seconds)
                else:
                    rec.error("trivial", f"HTTP {r.status}")
        finally:
            c.close()
    t0 = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(clients)))
    elapsed = time.perf_counter() - t0
    return {"clients": clients, "requests": count[0], "seconds": elapsed, "rps": count[0] / elapsed}


# ---- checking the database -------------------------------------------------------------------------------

@dataclass
class Verdict:
    checked_answers: int = 0
    lost_answers: int = 0
    newer_than_acked: int = 0        # stored a later save whose answer never reached the client (outages)
    lost_samples: list[str] = field(default_factory=list)
    attempts: int = 0
    unfinished: int = 0
    double_finished: int = 0
    duplicate_attempts: int = 0
    wrong_finaliser: int = 0
    finalised_by: dict[str, int] = field(default_factory=dict)
    finalised_by_job: int = 0        # laggards finalised before they came back (the periodic job)
    issues: list[str] = field(default_factory=list)


def verify(url: str, rec: Recorder, exam_id: int, other_exam_ids: tuple[int, ...] = (),
           expect_finished: set[int] | None = None) -> Verdict:
    """Compare the database with the acknowledged saves, and check that every attempt of `exam_id` was
    finalised exactly once (bench trigger log), by the expected party, and that nobody has two attempts."""
    from sqlalchemy import create_engine, func, select, text

    from trainer.banks.types import display_to_canonical
    from trainer.exams.models import Attempt, AttemptItem

    v = Verdict()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            ids = list(rec.saves)
            items = {}
            for i in range(0, len(ids), 500):
                chunk = ids[i:i + 500]
                for row in conn.execute(select(AttemptItem.attempt_id, AttemptItem.position, AttemptItem.seq,
                                               AttemptItem.response, AttemptItem.option_order)
                                        .where(AttemptItem.attempt_id.in_(chunk))):
                    items[(row.attempt_id, row.position)] = row
            for attempt_id, positions in rec.saves.items():
                for position, track in positions.items():
                    if track.acked == 0:
                        continue
                    v.checked_answers += 1
                    row = items.get((attempt_id, position))
                    problem = None
                    if row is None:
                        problem = "item missing"
                    elif (row.seq or 0) < track.acked:
                        problem = f"stored seq {row.seq} < acknowledged {track.acked}"
                    elif row.seq not in track.sent:
                        problem = f"stored seq {row.seq} was never sent"
                    else:
                        if row.seq > track.acked:
                            v.newer_than_acked += 1
                        sent = track.sent[row.seq]
                        order = json.loads(row.option_order or "[]")
                        if sent in ("true", "false"):
                            expected = sent == "true"
                        else:
                            expected = display_to_canonical(sent, order) if order else sent
                        stored = json.loads(row.response) if row.response is not None else None
                        if stored != expected:
                            problem = f"seq {row.seq}: stored {stored!r}, expected {expected!r} (sent {sent!r})"
                    if problem:
                        v.lost_answers += 1
                        if len(v.lost_samples) < 10:
                            v.lost_samples.append(f"attempt {attempt_id} position {position}: {problem}")

            all_exams = (exam_id, *other_exam_ids)
            dup = conn.execute(select(Attempt.exam_id, Attempt.user_id, func.count()).where(
                Attempt.exam_id.in_(all_exams)).group_by(Attempt.exam_id, Attempt.user_id)
                .having(func.count() > 1)).all()
            v.duplicate_attempts = sum(n - 1 for _, _, n in dup)
            changes: dict[int, list] = defaultdict(list)
            for row in conn.execute(text(f"SELECT attempt_id, old_submitted_at, submitted_at, finalised_by "
                                         f"FROM {FINALISE_LOG} ORDER BY id")):
                changes[row.attempt_id].append(row)
            rows = conn.execute(select(Attempt.id, Attempt.user_id, Attempt.submitted_at, Attempt.finalised_by,
                                       Attempt.deadline_at).where(Attempt.exam_id == exam_id)).all()
            by: dict[str, int] = defaultdict(int)
            for a in rows:
                v.attempts += 1
                by[a.finalised_by or "(open)"] += 1
                n_changes = len(changes.get(a.id, []))
                if n_changes > 1:
                    v.double_finished += 1
                    v.issues.append(f"attempt {a.id} finalised {n_changes} times: "
                                    f"{[(str(c.submitted_at), c.finalised_by) for c in changes[a.id]]}")
                if a.submitted_at is None:
                    if expect_finished is None or a.id in expect_finished:
                        v.unfinished += 1
                        v.issues.append(f"attempt {a.id} never finalised")
                    continue
                fin = rec.finished.get(a.id)
                submitted = a.submitted_at.replace(tzinfo=timezone.utc).timestamp()
                if fin is not None:
                    expected_by = "timeout" if fin["laggard"] else "candidate"
                    if a.finalised_by != expected_by:
                        v.wrong_finaliser += 1
                        v.issues.append(f"attempt {a.id}: finalised_by {a.finalised_by}, expected {expected_by}")
                    if fin["laggard"] and submitted < (fin.get("back") or fin["t0"]) - 1:
                        v.finalised_by_job += 1
                    if not fin["laggard"] and not (fin["t0"] - 2 <= submitted <= fin["t1"] + 2):
                        v.issues.append(f"attempt {a.id}: submitted_at {a.submitted_at} outside the submit "
                                        f"request")
            v.finalised_by = dict(by)
    finally:
        engine.dispose()
    return v


def deadlines(url: str, attempt_ids) -> dict[int, float]:
    from sqlalchemy import create_engine, select

    from trainer.exams.models import Attempt
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {a: d.replace(tzinfo=timezone.utc).timestamp() for a, d in conn.execute(
                select(Attempt.id, Attempt.deadline_at).where(Attempt.id.in_(list(attempt_ids))))}
    finally:
        engine.dispose()
