"""Exam storm: N candidates released at once against the server `make run` starts, then saturation.

Prepares a fresh instance (migrations, default law library, shipped banks, demo bureau, extra staff when
N > 180 sharing one password hash, a published 50-question exam — 30 single + 10 multiple + 10 judge, 2 points
each, 120 minutes — open now for the whole bureau, and a second one for the saturation phase), then starts
`python -m trainer.serve --host 127.0.0.1 --port <free>` (gunicorn gthread 4 × 8 on Linux, or --server
waitress) as a subprocess with TRAINER_INSTANCE_PATH / TRAINER_DATABASE_URL / TRAINER_SECRET_KEY pointing at
that instance.

Phase 1, the storm: N virtual candidates, all released at once, each on its own keep-alive connection with
its own cookies (a raw asyncio HTTP/1.1 client, bench/_client.py): GET+POST /login, GET /exams/<id>,
POST /exams/<id>/start, GET /exams/a/<attempt>, then every question in order after a think time drawn
uniformly from --think-min..--think-max seconds, saved with POST /exams/a/<attempt>/save (X-CSRFToken,
{"position", "seq", "response"} in displayed letters); after ~20 % of the answers the candidate has second
thoughts and changes that answer or an earlier one (a quarter of the think time); finally
POST /exams/a/<attempt>/submit. A failed request is counted as an error and retried (up to 3 times) as a
browser would.

Phase 2, saturation: 50 of the candidates start the second exam and save back to back (no think time) for
--saturation-seconds → save_rps_max; then 50 connections GET /static/css/app.css (the app has no smaller
route; served by Flask) for as long → trivial_rps.

Then the database is checked: every save the server acknowledged (200 with saved=true, or saved=false with a
seq at least the one sent) must be stored with that value (the displayed letters mapped back through
attempt_items.option_order), every storm attempt finalised exactly once by its candidate (a trigger the
benchmark adds to its own database logs every change of attempts.submitted_at / finalised_by), and nobody
may have two attempts at one exam.

Targets: 0 errors and 0 lost answers; save p99 ≤ 150 ms at N=180 and ≤ 1 s at N=1000; save_rps_max ≥ 300.
Nothing is asserted; the exit code is 0 when the run completes. The last line is one JSON object.

    .venv/bin/python bench/exam_storm.py                        # N=180, SQLite, gunicorn (as make run)
    .venv/bin/python bench/exam_storm.py --server waitress
    .venv/bin/python bench/exam_storm.py --candidates 1000
    .venv/bin/python bench/exam_storm.py --postgres             # a throw-away PostgreSQL (tests/pg.py)
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _client as bc  # noqa: E402
from _client import log, percentile, r1  # noqa: E402

SAVE_P99_TARGET_MS = {180: 150.0, 1000: 1000.0}
SAVE_RPS_TARGET = 300.0


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=int, default=180, help="virtual candidates (default 180)")
    bc.add_server_args(p)
    p.add_argument("--think-min", type=float, default=2.0, help="seconds (default 2)")
    p.add_argument("--think-max", type=float, default=8.0, help="seconds (default 8)")
    p.add_argument("--change-share", type=float, default=0.2, help="share of answers changed later (0.2)")
    p.add_argument("--saturation-seconds", type=float, default=20.0, help="per saturation measurement (20)")
    p.add_argument("--saturation-clients", type=int, default=50, help="(default 50)")
    p.add_argument("--timeout", type=float, default=60.0, help="client timeout per request, seconds (60)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--keep", action="store_true", help="keep the temporary instance (database, server log)")
    args = p.parse_args(argv)
    if args.candidates < 1 or args.think_min < 0 or args.think_max < args.think_min:
        p.error("need --candidates ≥ 1 and 0 ≤ --think-min ≤ --think-max")
    return args


async def progress(cands: list[bc.Candidate], rec: bc.Recorder, t0: float, server: bc.ServerProcess,
                   every: float = 15.0) -> None:
    last = 0
    while True:
        await asyncio.sleep(every)
        if server.proc.poll() is not None and not server.died:
            server.died = f"the server exited (code {server.proc.returncode}) at +{time.perf_counter() - t0:.0f} s"
            log(f"  !!! {server.died}: not by this benchmark (another process killed it?)")
        states = Counter(c.state.split(":")[0] for c in cands)
        window = [s for t, s in rec.timeline[last:]]
        last = len(rec.timeline)
        log(f"  [{time.perf_counter() - t0:5.0f} s] " + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
            + f" | saves {len(rec.latency['save'])} (last {every:.0f} s: {len(window)}, p50 "
              f"{percentile(window, 50):.0f} ms, p99 {percentile(window, 99):.0f} ms) | errors {rec.total_errors()}")


async def storm(args, prep: bc.Prepared, server: bc.ServerProcess, rec: bc.Recorder) -> tuple[list, float]:
    rng = random.Random(args.seed)
    behaviour = bc.Behaviour(args.think_min, args.think_max, args.change_share)
    cands = [bc.Candidate(login, prep.password, prep.exam_ids["storm"], server.port, rec,
                          random.Random(rng.random()), behaviour, timeout=args.timeout, retries=3)
             for login in prep.logins]
    t0 = time.perf_counter()
    ticker = asyncio.create_task(progress(cands, rec, t0, server))
    await asyncio.gather(*(c.run() for c in cands))
    ticker.cancel()
    return cands, time.perf_counter() - t0


def stats_table(rec: bc.Recorder, kinds: list[tuple[str, str]]) -> None:
    log(f"  {'request':<40} {'n':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  errors")
    for kind, label in kinds:
        v = rec.latency.get(kind, [])
        log(f"  {label:<40} {len(v):>6} {percentile(v, 50):>8.1f} {percentile(v, 95):>8.1f} "
            f"{percentile(v, 99):>8.1f} {percentile(v, 100):>8.1f}  {rec.errors.get(kind, 0)}")


def main(argv=None) -> int:
    args = parse_args(argv)
    nofile = bc.raise_nofile()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="trainer-storm-"))
    pg = server = None
    try:
        url, backend, pg = bc.database_for(args, tmp)
        log(f"Instance {tmp}; database {bc.redact(url)}; RLIMIT_NOFILE {nofile}")
        log(f"Preparing ({args.candidates} candidates) …")
        prep = bc.prepare_database(url, args.candidates, [
            {"name": "storm", "title": "压测考试（50 题）"}, {"name": "saturation", "title": "压测考试（饱和）"}])
        log(f"  done in {prep.seconds:.1f} s; exam pool: " + ", ".join(f"{k} {v}" for k, v in
                                                                      sorted(prep.pool_sizes.items())))
        server = bc.ServerProcess(tmp, url, args.server, tmp / "server.log", args.plain_argv)
        server.start()
        ready = server.wait_ready()
        server_name = args.server or ("waitress" if sys.platform == "win32" else
                                      os.environ.get("TRAINER_SERVER", "gunicorn"))
        log(f"Server ({server_name}, port {server.port}, {len(server.pids())} processes) ready in {ready:.1f} s")

        rec = bc.Recorder()
        cpu_srv0, ru0, sys0 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_SELF), bc.system_cpu()
        log(f"Phase 1: {args.candidates} candidates at once, think {args.think_min:g}–{args.think_max:g} s …")
        cands, storm_s = asyncio.run(storm(args, prep, server, rec))
        cpu_srv1, ru1, sys1 = server.cpu_seconds(), resource.getrusage(resource.RUSAGE_SELF), bc.system_cpu()
        load = os.getloadavg()
        failed = Counter(c.state for c in cands if c.state != "done")
        log(f"  storm over in {storm_s:.0f} s; candidates done {sum(c.state == 'done' for c in cands)}"
            + (f", failed {dict(failed)}" if failed else ""))
        storm_errors = rec.total_errors()

        log(f"Phase 2: saturation, {args.saturation_clients} clients × {args.saturation_seconds:g} s …")
        sat_cpu0, sat_sys0 = server.cpu_seconds(), bc.system_cpu()
        sat = asyncio.run(bc.saturate_saves(cands[:args.saturation_clients], prep.exam_ids["saturation"],
                                            args.saturation_seconds, rec))
        log(f"  saves: {sat['saves']} in {sat['seconds']:.1f} s by {sat['clients']} clients = {sat['rps']:.0f}/s")
        triv = asyncio.run(bc.saturate_get(server.port, "/static/css/app.css", args.saturation_clients,
                                           args.saturation_seconds, rec))
        log(f"  GET /static/css/app.css: {triv['requests']} in {triv['seconds']:.1f} s = {triv['rps']:.0f}/s")
        sat_cpu, sat_sys = server.cpu_seconds() - sat_cpu0, bc.system_cpu()
        sat_busy, sat_total = sat_sys[0] - sat_sys0[0], sat_sys[1] - sat_sys0[1]
        log(f"  during phase 2 the machine was {sat_busy / sat_total * 100 if sat_total else 0:.0f} % busy; "
            f"server {sat_cpu:.0f} s CPU, everything else (this client and other processes) "
            f"{max(0.0, sat_busy - sat_cpu):.0f} s")
        problems = server.log_problems()
        if server.proc.poll() is not None and not server.died:
            server.died = f"the server exited (code {server.proc.returncode}) before the end of the run"
        server.stop()

        log("Checking the database …")
        verdict = bc.verify(url, rec, prep.exam_ids["storm"], (prep.exam_ids["saturation"],))

        # ---- report ----
        log()
        log(f"Exam storm: {args.candidates} candidates, {backend}, {server_name}")
        stats_table(rec, [("login", "login        POST /login"),
                          ("login_total", "(until logged in, with retries)"), ("exam_page", "exam page    GET  /exams/<id>"),
                          ("start", "start        POST /exams/<id>/start"),
                          ("take_page", "paper        GET  /exams/a/<id>"),
                          ("save", "save         POST /exams/a/<id>/save"),
                          ("submit", "submit       POST /exams/a/<id>/submit"),
                          ("sat_save", "(saturation) save, no think time"),
                          ("trivial", "(saturation) GET /static/css/app.css")])
        tl = rec.timeline
        if tl:
            t_first = min(t for t, _ in tl)
            early = [s for t, s in tl if t - t_first < 60]
            late = [s for t, s in tl if t - t_first >= 60]
            log(f"  storm saves in the first minute: n {len(early)}, p99 {percentile(early, 99):.0f} ms; "
                f"afterwards: n {len(late)}, p99 {percentile(late, 99):.0f} ms")
        srv_cpu = cpu_srv1 - cpu_srv0
        cli_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        log(f"  CPU during the storm ({storm_s:.0f} s): server {srv_cpu:.0f} s ({srv_cpu / storm_s * 100:.0f} % of "
            f"one core), benchmark client {cli_cpu:.0f} s; requests {bc.COUNTERS.requests}, new connections "
            f"{bc.COUNTERS.connects}, resent on a closed keep-alive connection {bc.COUNTERS.stale_retries}")
        busy, total = sys1[0] - sys0[0], sys1[1] - sys0[1]
        log(f"  machine ({os.cpu_count()} CPUs) during the storm: {busy / total * 100 if total else 0:.0f} % busy; "
            f"CPU used by other processes (not this server or client) {max(0.0, busy - srv_cpu - cli_cpu):.0f} s; "
            f"load average at the end {load[0]:.1f}")
        log(f"  errors: {rec.total_errors()} (storm {storm_errors})"
            + (" — " + ", ".join(f"{k} {v}" for k, v in sorted(rec.errors.items())) if rec.errors else ""))
        for line in rec.error_samples[:15]:
            log(f"    {line}")
        if rec.busy:
            log("  503 + Retry-After answers (retried after the delay, not errors): "
                + ", ".join(f"{k} {v}" for k, v in sorted(rec.busy.items())))
        if server.died:
            log(f"  !!! {server.died}")
        if problems:
            log(f"  server log ({server.log_path}): " + ", ".join(f"{k} {v}" for k, v in problems.items()))
        log(f"  answers checked {verdict.checked_answers}: lost {verdict.lost_answers}")
        for line in verdict.lost_samples:
            log(f"    {line}")
        log(f"  storm attempts {verdict.attempts}: finalised by {verdict.finalised_by}; unfinished "
            f"{verdict.unfinished}, finalised more than once {verdict.double_finished}, duplicate attempts "
            f"{verdict.duplicate_attempts}, wrong finaliser {verdict.wrong_finaliser}")
        for line in verdict.issues[:10]:
            log(f"    {line}")
        save_p99 = percentile(rec.latency["save"], 99)
        target = SAVE_P99_TARGET_MS.get(args.candidates, 150.0 if args.candidates <= 180 else 1000.0)
        verdicts = [("errors", rec.total_errors() == 0), ("lost answers", verdict.lost_answers == 0),
                    (f"save p99 ≤ {target:.0f} ms", save_p99 <= target),
                    (f"save_rps_max ≥ {SAVE_RPS_TARGET:.0f}", sat["rps"] >= SAVE_RPS_TARGET)]
        log("  targets: " + ", ".join(f"{name} {'ok' if ok else 'MISSED'}" for name, ok in verdicts))
        log(f"\nTotal run time: {time.perf_counter() - started:.0f} s")
        if args.keep:
            log(f"(instance kept in {tmp})")
        double = verdict.double_finished + verdict.duplicate_attempts
        log(json.dumps({
            "candidates": args.candidates, "errors": rec.total_errors(), "lost_answers": verdict.lost_answers,
            "double_finished": double, "login_p99_ms": r1(percentile(rec.latency["login"], 99)),
            "start_p99_ms": r1(percentile(rec.latency["start"], 99)),
            "save_p50_ms": r1(percentile(rec.latency["save"], 50)), "save_p99_ms": r1(save_p99),
            "submit_p99_ms": r1(percentile(rec.latency["submit"], 99)), "save_rps_max": r1(sat["rps"]),
            "trivial_rps": r1(triv["rps"]), "unfinished": verdict.unfinished,
            "server_died": bool(server.died),
            "other_cpu_s": r1(max(0.0, busy - srv_cpu - cli_cpu)),
            "busy_retries": sum(rec.busy.values()), "database": backend, "server": server_name}, ensure_ascii=False))
        return 0
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
