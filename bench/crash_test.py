"""Crash test: the exam storm while the server is killed with SIGKILL (whole process group) and restarted.

Prepares a fresh instance like bench/exam_storm.py (the same 50-question exam, 120 minutes) plus a short exam
(--laggard-minutes, default 2) for a few "laggards", and starts `python -m trainer.serve` (what `make run`
runs). Then --candidates (100) candidates answer every question with think times of --think-min..--think-max
(1–3 s), change ~20 % of their answers and submit, while --laggards (10) candidates start the short exam,
answer a few questions and leave; they come back 45 s after their deadline and its 30 s grace, send one more
save (must be refused: 409) and press submit (must show the result; the attempt was finalised at the deadline by
the periodic job or by that request).

Meanwhile the server is killed at random moments — the first during the login/start rush, one as the first
candidates submit, the others spread over the run (--kills, at least 5) — with SIGKILL to its whole process
group (gunicorn master and workers), and restarted after 0–--downtime-max seconds. Clients treat connection
failures while the server is down as an outage and retry with backoff (as the exam page does with its queue of
unacknowledged saves): a save is re-sent with the same sequence number until the server acknowledges it.

At the end:
* lost_answers: acknowledged saves (200 with saved=true, or saved=false with a seq covering the one sent) not
  stored with their value (a save that the server committed but whose answer was lost in a crash may leave a
  *newer* value stored: counted apart as newer_than_acked, not lost);
* double_finished: attempts finalised more than once (a trigger in the benchmark's own database logs every
  change of attempts.submitted_at / finalised_by) plus duplicate attempts of one candidate;
* wrong_finaliser / unfinished: candidates' attempts must be finalised by "candidate", laggards' by "timeout";
* clock: every save answer's seconds_left against deadline_at − the time the answer arrived (the server's
  clock is the only clock): clock_errors counts answers off by more than --clock-tolerance seconds, also for
  the first save of every attempt after each restart (resumed_*);
* errors_outside_outages: failures and unexpected answers that no outage explains.
The last line is one JSON object with "kills", "lost_answers", "double_finished", "errors_outside_outages" and
more. Nothing is asserted; the exit code is 0 when the run completes.

    .venv/bin/python bench/crash_test.py
    .venv/bin/python bench/crash_test.py --server waitress --kills 8
    .venv/bin/python bench/crash_test.py --postgres
"""
from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _client as bc  # noqa: E402
from _client import log, percentile, r1  # noqa: E402

GRACE_SECONDS = 30          # trainer.exams.timing.GRACE_SECONDS
COME_BACK_AFTER_GRACE = 45  # the periodic job runs every 20 s in every server process


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--candidates", type=int, default=100, help="(default 100)")
    p.add_argument("--laggards", type=int, default=10, help="candidates of the short exam who time out (10)")
    p.add_argument("--laggard-minutes", type=int, default=2, help="time limit of the short exam (2)")
    bc.add_server_args(p)
    p.add_argument("--think-min", type=float, default=1.0)
    p.add_argument("--think-max", type=float, default=3.0)
    p.add_argument("--change-share", type=float, default=0.2)
    p.add_argument("--kills", type=int, default=6, help="SIGKILLs (at least 5; default 6)")
    p.add_argument("--downtime-max", type=float, default=2.0, help="seconds before the restart (0–2)")
    p.add_argument("--timeout", type=float, default=30.0, help="client timeout per request (30 s)")
    p.add_argument("--clock-tolerance", type=float, default=3.0, help="seconds (3)")
    p.add_argument("--seed", type=int, default=2027)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    if args.kills < 5:
        p.error("--kills must be at least 5")
    if args.candidates + args.laggards > 100000 - 1 or args.candidates < 1:
        p.error("bad --candidates / --laggards")
    return args


class Killer:
    """Kills the server at the planned moments (and once when the first candidates submit), restarts it."""

    def __init__(self, server: bc.ServerProcess, rec: bc.Recorder, rng: random.Random, plan: list[float],
                 downtime_max: float) -> None:
        self.server, self.rec, self.rng, self.plan, self.downtime_max = server, rec, rng, plan, downtime_max
        self.kills: list[dict] = []
        self.submit_kill_done = False

    async def kill_once(self, why: str) -> None:
        t_kill = time.time()
        self.rec.down_since = t_kill
        await asyncio.to_thread(self.server.kill)
        down = self.rng.uniform(0, self.downtime_max)
        await asyncio.sleep(down)
        await asyncio.to_thread(self.server.start)
        ready = await asyncio.to_thread(self.server.wait_ready)
        t_ready = time.time()
        self.rec.outages.append((t_kill, t_ready))
        self.rec.down_since = None
        self.rec.epoch += 1
        self.kills.append({"at": t_kill, "why": why, "outage_s": t_ready - t_kill, "restart_s": ready})
        log(f"  ✝ kill #{len(self.kills)} ({why}): down {t_ready - t_kill:.1f} s "
            f"(restart after {down:.1f} s, ready {ready:.1f} s later)")

    async def run(self, t0: float, cands: list[bc.Candidate], main: list[bc.Candidate], want: int) -> None:
        plan = sorted(self.plan)
        while len(self.kills) < want and not all(c.done for c in cands):
            now = time.time() - t0
            submitting = sum(1 for c in main if c.state in ("submit", "done"))
            if not self.submit_kill_done and submitting >= max(1, len(main) // 5):
                self.submit_kill_done = True
                await self.kill_once(f"{submitting} candidates submitting or done")
                continue
            if plan and now >= plan[0]:
                plan.pop(0)
                await self.kill_once(f"planned at {now:.0f} s")
                continue
            await asyncio.sleep(0.1)


def kill_plan(rng: random.Random, args, expected_end: float) -> list[float]:
    """The first kill during the login/start rush, the rest spread over the run with at least 8 s between."""
    want = args.kills - 1  # one kill is triggered by the first submits
    plan = [rng.uniform(2.0, 6.0)]
    lo, hi = 12.0, max(20.0, expected_end * 0.95)
    for _ in range(1000):
        if len(plan) >= want:
            break
        t = rng.uniform(lo, hi)
        if all(abs(t - x) >= 8.0 for x in plan):
            plan.append(t)
    return sorted(plan)


async def crash_run(args, prep: bc.Prepared, server: bc.ServerProcess, rec: bc.Recorder):
    rng = random.Random(args.seed)
    limit_s = args.laggard_minutes * 60
    retry_until = time.time() + 3600
    main_b = bc.Behaviour(args.think_min, args.think_max, args.change_share)
    main = [bc.Candidate(login, prep.password, prep.exam_ids["storm"], server.port, rec,
                         random.Random(rng.random()), main_b, timeout=args.timeout, retry_until=retry_until)
            for login in prep.logins[:args.candidates]]
    laggards = []
    t0 = time.time()
    for login in prep.logins[args.candidates:]:
        b = bc.Behaviour(args.think_min, args.think_max, 0.0, stop_after=rng.randint(3, 10),
                         come_back_at=t0 + limit_s + GRACE_SECONDS + COME_BACK_AFTER_GRACE)
        laggards.append(bc.Candidate(login, prep.password, prep.exam_ids["laggard"], server.port, rec,
                                     random.Random(rng.random()), b, timeout=args.timeout,
                                     retry_until=retry_until))
    cands = main + laggards
    mean_think = (args.think_min + args.think_max) / 2
    expected_main = 50 * mean_think * (1 + args.change_share * 0.25) + 20
    expected_end = max(expected_main, limit_s + GRACE_SECONDS + COME_BACK_AFTER_GRACE + 10 if laggards else 0)
    plan = kill_plan(rng, args, expected_end)
    log(f"  expected run ≈ {expected_end:.0f} s; kills planned at " + ", ".join(f"{t:.0f}" for t in plan)
        + " s, plus one when the first fifth of the candidates submit")
    killer = Killer(server, rec, rng, plan, args.downtime_max)

    async def ticker():
        while True:
            await asyncio.sleep(15)
            states = Counter(c.state.split(":")[0] for c in cands)
            log(f"  [{time.time() - t0:5.0f} s] " + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
                + f" | saves {len(rec.latency['save'])}, outage failures {sum(rec.outage_failures.values())}, "
                  f"errors {rec.total_errors()}, kills {len(killer.kills)}")
    tick = asyncio.create_task(ticker())
    # laggards come back relative to their own start: their deadline is start + limit
    for c in laggards:
        orig = c.start

        async def start_and_schedule(exam_id=None, c=c, orig=orig):
            result = await orig(exam_id)
            c.b.come_back_at = time.time() + limit_s + GRACE_SECONDS + COME_BACK_AFTER_GRACE
            return result
        c.start = start_and_schedule
    kill_task = asyncio.create_task(killer.run(t0, cands, main, args.kills))
    await asyncio.gather(*(c.run() for c in cands))
    while len(killer.kills) < 5:  # the run ended early: still kill at least 5 times (an idle server)
        await killer.kill_once("after the run")
    kill_task.cancel()
    tick.cancel()
    return main, laggards, killer, time.time() - t0


def check_clock(url: str, rec: bc.Recorder, tolerance: float) -> dict:
    """seconds_left of each save answer against deadline − arrival time."""
    deadline = bc.deadlines(url, {a for a, *_ in rec.clock})
    worst = worst_resumed = 0.0
    errors = resumed_errors = resumed = 0
    seen_epoch: dict[int, int] = {}
    samples = []
    for attempt, t_sent, t_recv, left, epoch in sorted(rec.clock, key=lambda r: r[2]):
        if attempt not in deadline or left < 0:
            continue
        remaining = deadline[attempt] - t_recv
        # the server computes floor(deadline − its now), its now lying between t_sent and t_recv
        dev = left - remaining
        bad = dev < -1.0 - tolerance or dev > (t_recv - t_sent) + tolerance
        if remaining < 0:  # past the deadline, within grace: the server says 0
            bad = left != 0
        errors += bad
        worst = max(worst, abs(dev) if remaining >= 0 else 0)
        first_after_restart = epoch > 0 and seen_epoch.get(attempt) != epoch
        seen_epoch[attempt] = epoch
        if first_after_restart:
            resumed += 1
            resumed_errors += bad
            worst_resumed = max(worst_resumed, abs(dev) if remaining >= 0 else 0)
        if bad and len(samples) < 5:
            samples.append(f"attempt {attempt}: seconds_left {left}, deadline − now {remaining:.1f}")
    return {"checked": len(rec.clock), "errors": errors, "max_dev_s": worst, "resumed": resumed,
            "resumed_errors": resumed_errors, "resumed_max_dev_s": worst_resumed, "samples": samples}


def main(argv=None) -> int:
    args = parse_args(argv)
    bc.raise_nofile()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="trainer-crash-"))
    pg = server = None
    try:
        url, backend, pg = bc.database_for(args, tmp)
        log(f"Instance {tmp}; database {bc.redact(url)}")
        prep = bc.prepare_database(url, args.candidates + args.laggards, [
            {"name": "storm", "title": "断电测试（50 题）"},
            {"name": "laggard", "title": "断电测试（限时）", "time_limit": args.laggard_minutes}])
        log(f"  prepared in {prep.seconds:.1f} s")
        server = bc.ServerProcess(tmp, url, args.server, tmp / "server.log", args.plain_argv)
        server.start()
        server.wait_ready()
        server_name = args.server or "gunicorn"
        log(f"Server ({server_name}) on port {server.port}. {args.candidates} candidates + {args.laggards} "
            f"laggards, think {args.think_min:g}–{args.think_max:g} s, {args.kills} kills …")
        rec = bc.Recorder()
        main_c, laggards, killer, run_s = asyncio.run(crash_run(args, prep, server, rec))
        problems = server.log_problems()
        server.stop()
        failed = Counter(c.state for c in main_c + laggards if c.state != "done")
        log(f"  run over in {run_s:.0f} s" + (f"; candidates that gave up: {dict(failed)}" if failed else ""))

        log("Checking the database …")
        verdict = bc.verify(url, rec, prep.exam_ids["storm"], (prep.exam_ids["laggard"],))
        # the laggards' attempts: finalised once, by "timeout" (their answers were checked with everyone's above)
        lag = bc.verify(url, _only(rec, {c.attempt_id for c in laggards}), prep.exam_ids["laggard"])
        clock = check_clock(url, rec, args.clock_tolerance)

        errors_outside = rec.total_errors()
        log()
        log(f"Crash test: {args.candidates} candidates + {args.laggards} laggards, {backend}, {server_name}, "
            f"{len(killer.kills)} kills")
        for k in killer.kills:
            log(f"  kill at +{k['at'] - killer.kills[0]['at']:5.1f} s ({k['why']}): outage {k['outage_s']:.1f} s")
        log(f"  requests failed during outages (retried): {sum(rec.outage_failures.values())} — "
            + ", ".join(f"{k} {v}" for k, v in sorted(rec.outage_failures.items())))
        log(f"  errors outside outages: {errors_outside}"
            + (" — " + ", ".join(f"{k} {v}" for k, v in sorted(rec.errors.items())) if rec.errors else ""))
        for line in rec.error_samples[:12]:
            log(f"    {line}")
        if problems:
            log(f"  server log ({server.log_path}): " + ", ".join(f"{k} {v}" for k, v in problems.items()))
        log(f"  save latency: n {len(rec.latency['save'])}, p50 {percentile(rec.latency['save'], 50):.0f} ms, "
            f"p99 {percentile(rec.latency['save'], 99):.0f} ms (answered requests; those queued while a restarted "
            f"server booted included)")
        log(f"  answers checked {verdict.checked_answers}: lost {verdict.lost_answers}; stored a newer unacknowledged "
            f"save {verdict.newer_than_acked}; re-sent saves the server had already stored (answer lost in a "
            f"kill or a reset) {rec.replayed}")
        for line in verdict.lost_samples:
            log(f"    {line}")
        log(f"  main exam attempts {verdict.attempts}: finalised by {verdict.finalised_by}; unfinished "
            f"{verdict.unfinished}, finalised more than once {verdict.double_finished}, duplicates "
            f"{verdict.duplicate_attempts}, wrong finaliser {verdict.wrong_finaliser}")
        log(f"  laggard attempts {lag.attempts}: finalised by {lag.finalised_by}; finalised by the periodic job "
            f"before the candidate came back {lag.finalised_by_job}; more than once "
            f"{lag.double_finished}, duplicates {lag.duplicate_attempts}, wrong finaliser "
            f"{lag.wrong_finaliser}, unfinished {lag.unfinished}")
        for line in (verdict.issues + lag.issues)[:12]:
            log(f"    {line}")
        log(f"  clock: {clock['checked']} save answers, off by more than {args.clock_tolerance:g} s: "
            f"{clock['errors']} (max deviation {clock['max_dev_s']:.1f} s); first save after a restart: "
            f"{clock['resumed']}, off {clock['resumed_errors']} (max {clock['resumed_max_dev_s']:.1f} s)")
        for line in clock["samples"]:
            log(f"    {line}")
        log(f"\nTotal run time: {time.perf_counter() - started:.0f} s")
        if args.keep:
            log(f"(instance kept in {tmp})")
        log(json.dumps({
            "kills": len(killer.kills), "lost_answers": verdict.lost_answers,
            "double_finished": verdict.double_finished + verdict.duplicate_attempts + lag.double_finished
            + lag.duplicate_attempts,
            "errors_outside_outages": errors_outside, "outage_failures": sum(rec.outage_failures.values()),
            "unfinished": verdict.unfinished + lag.unfinished,
            "wrong_finaliser": verdict.wrong_finaliser + lag.wrong_finaliser,
            "answers_checked": verdict.checked_answers, "newer_than_acked": verdict.newer_than_acked,
            "acked_by_replay": rec.replayed,
            "clock_errors": clock["errors"], "clock_max_dev_s": r1(clock["max_dev_s"]),
            "resumed_clock_errors": clock["resumed_errors"], "laggards_finalised_by_job": lag.finalised_by_job,
            "candidates": args.candidates, "laggards": args.laggards,
            "save_p99_ms": r1(percentile(rec.latency["save"], 99)), "database": backend, "server": server_name,
        }, ensure_ascii=False))
        return 0
    finally:
        if server is not None:
            server.stop()
        if pg is not None:
            pg.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


def _only(rec: bc.Recorder, attempt_ids: set) -> bc.Recorder:
    """A view of the recorder restricted to some attempts (for the laggards' finaliser check)."""
    sub = bc.Recorder()
    sub.finished = {a: f for a, f in rec.finished.items() if a in attempt_ids}
    return sub


if __name__ == "__main__":
    sys.exit(main())
