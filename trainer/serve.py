"""Serve the app in production.

Linux: gunicorn with several worker processes (threads inside each), which spreads the exam-storm load over both
cores and keeps requests flowing while one process waits on the database. Windows (or --server waitress):
waitress, pure Python. Both accept at least 1,000 simultaneous connections and cap request bodies; every process
also runs the job that finalises exam attempts whose deadline has passed (idempotent, so several processes
running it is harmless).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import time

FINALISE_EVERY_SECONDS = 20
MAX_BODY_BYTES = 11 * 1024 * 1024  # 10 MB uploads plus form overhead (the app answers 413 above its own limit)


def start_finaliser(app, every: float = FINALISE_EVERY_SECONDS) -> threading.Thread:
    """Finalise attempts past their deadline even when no browser is open (runs in the server process)."""
    def loop() -> None:
        from trainer import db
        from trainer.exams.jobs import finalise_expired_in_batches
        while True:
            time.sleep(every)
            try:
                with app.app_context():
                    finalise_expired_in_batches()
                    db.session.remove()
            except Exception:  # keep the job alive; the next round retries
                logging.getLogger("trainer.finaliser").exception("finalising expired attempts failed")
    thread = threading.Thread(target=loop, name="exam-finaliser", daemon=True)
    thread.start()
    return thread


def waitress_options(platform: str = sys.platform) -> dict:
    """waitress settings. Its event loop uses select() unless told to poll(): select() cannot watch a descriptor
    numbered 1,024 or more on Linux (the server then dies at about a thousand connections), so POSIX systems
    poll. Windows has no poll(), and Python's select() there takes at most 512 sockets: the limit is set below
    that (waitress stops accepting at the limit instead of failing). waitress also counts its listening socket
    and wake-up pipe among the connections."""
    windows = platform == "win32"
    return {"threads": 8, "connection_limit": 500 if windows else 1024, "asyncore_use_poll": not windows,
            "backlog": 2048, "max_request_body_size": MAX_BODY_BYTES, "channel_timeout": 120, "ident": "trainer"}


def serve_waitress(host: str, port: int, threads: int) -> None:
    from waitress import serve

    from trainer import create_app
    app = create_app()
    start_finaliser(app)
    serve(app, host=host, port=port, **{**waitress_options(), "threads": threads})


def serve_gunicorn(host: str, port: int, workers: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in {
                "bind": f"{host}:{port}", "workers": workers, "threads": threads, "worker_class": "gthread",
                "worker_connections": 1000, "backlog": 2048, "keepalive": 5, "timeout": 60,
                "limit_request_line": 8190, "accesslog": None, "errorlog": "-", "loglevel": "warning",
                "post_worker_init": lambda worker: start_finaliser(worker.wsgi),
            }.items():
                self.cfg.set(key, value)

        def load(self):
            from trainer import create_app
            return create_app()

    Server().run()


def raise_open_file_limit(want: int = 8192) -> int:
    """1,000 connections need 1,000+ file descriptors; many systems start processes with a soft limit of 1,024.
    Raise the soft limit towards the hard one (POSIX; worker processes inherit it). Returns the limit now."""
    try:
        import resource
    except ImportError:  # Windows: no such limit for sockets
        return -1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve trainer")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    default_server = "waitress" if sys.platform == "win32" else "gunicorn"
    parser.add_argument("--server", choices=("gunicorn", "waitress"),
                        default=os.environ.get("TRAINER_SERVER", default_server))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("TRAINER_WORKERS", "4")))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("TRAINER_THREADS", "8")))
    args = parser.parse_args()
    if 0 <= raise_open_file_limit() < 1100:
        logging.getLogger("trainer.serve").warning("open-file limit below 1,100: fewer than 1,000 connections fit")
    print(f"\n岗位大练兵学习平台已启动：http://{args.host}:{args.port}/  （{args.server}，Ctrl+C 停止）\n", flush=True)
    if args.server == "waitress":
        serve_waitress(args.host, args.port, args.threads)
    else:
        serve_gunicorn(args.host, args.port, args.workers, args.threads)


if __name__ == "__main__":
    main()
