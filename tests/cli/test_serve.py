"""The production server `make run` starts (python -m trainer.serve): gunicorn on Linux, waitress on Windows. Both
must hold 1,000 simultaneous connections and refuse oversized request bodies. Each test starts the real server
as a subprocess on a fresh SQLite instance and talks raw HTTP to it."""
from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from trainer.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 1020  # at least 1,000: waitress accepts up to 1,022 besides its own sockets


def _run(coro):
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nofile():
    """Room for 1,000 client sockets here and 1,000 server sockets in the child (which inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if want < 2 * CONNECTIONS + 100:
        pytest.skip(f"the hard limit on open files ({hard}) is too low for {CONNECTIONS} connections")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture(params=["gunicorn", "waitress"])
def server(request, tmp_path, nofile):
    url = "sqlite:///" + str(tmp_path / "trainer.db")
    upgrade(url)
    port = _free_port()
    env = {**os.environ, "TRAINER_INSTANCE_PATH": str(tmp_path), "TRAINER_DATABASE_URL": url,
           "TRAINER_SECRET_KEY": "serve-test"}
    proc = subprocess.Popen([sys.executable, "-m", "trainer.serve", "--server", request.param, "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"{request.param} did not start: {proc.communicate()[0][-2000:]}")
            time.sleep(0.2)
    yield request.param, port
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def _request(reader, writer, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    writer.write(head + body)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 60)
    headers = {}
    while (line := await asyncio.wait_for(reader.readline(), 60)) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    data = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), 60)
    return int(status_line.split()[1]), data


def _get(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\r\n".encode()


async def _hold_connections(port: int) -> tuple[list[int], int, int]:
    """Open CONNECTIONS - 1 keep-alive connections, each served a request and kept open; then, with all of them
    still open, one more connection must be served too. Returns their statuses and the count still open."""
    opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(CONNECTIONS - 1)))
    statuses = await asyncio.gather(*(_request(r, w, _get(port, "/static/css/app.css")) for r, w in opened))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    last, _ = await _request(reader, writer, _get(port, "/login"))
    still_open = sum(1 for r, _ in opened if not r.at_eof())
    for _, w in [*opened, (reader, writer)]:
        w.close()
    return [s for s, _ in statuses], last, still_open


def test_server_holds_a_thousand_simultaneous_connections(server):
    """CONNECTIONS - 1 kept-alive connections that have each been served, and then one more, all open at once
    (waitress with select() instead of poll() dies here: descriptors pass 1,023)."""
    name, port = server
    statuses, last, still_open = _run(_hold_connections(port))
    assert statuses == [200] * (CONNECTIONS - 1), f"{name}: {sorted(set(statuses))}"
    assert last == 200 and still_open == CONNECTIONS - 1, name


async def _post_oversized(port: int, size: int) -> int:
    """Announce a body over the cap and wait for the answer before sending it (both servers decide on the
    Content-Length header, so the test does not race a connection reset against the response)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    writer.write(head)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 30)
    writer.close()
    return int(status_line.split()[1])


def test_server_refuses_oversized_request_bodies(server):
    """A 12 MB body is over the 10 MB upload cap: 413 (waitress answers before the app, the app under gunicorn)."""
    name, port = server
    assert _run(_post_oversized(port, 12 * 1024 * 1024)) == 413, name


def test_waitress_settings_per_platform():
    """POSIX waitress polls (select() cannot watch descriptors from 1,024 on); on Windows, where Python's select()
    takes at most 512 sockets and there is no poll(), it stops accepting below that instead of failing."""
    from trainer.serve import MAX_BODY_BYTES, waitress_options
    linux, windows = waitress_options("linux"), waitress_options("win32")
    assert linux["asyncore_use_poll"] is True and linux["connection_limit"] >= CONNECTIONS + 2
    assert windows["asyncore_use_poll"] is False and windows["connection_limit"] <= 510
    assert linux["max_request_body_size"] == windows["max_request_body_size"] == MAX_BODY_BYTES
