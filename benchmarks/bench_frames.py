"""Speed of the webcam frame API over HTTP, against gunicorn as configured for production.

    python benchmarks/bench_frames.py [--clients 1,4,8] [--seconds 10] [--json OUT]

What it does: creates a temporary SQLite database (schema by the project's migrations) with one
user per simulated client, starts gunicorn with the project's gunicorn.conf.py (APP_ENV=production,
a temporary SECRET_KEY) on 127.0.0.1, logs every client in over HTTP like a browser (login form +
CSRF token), and then, for each N, drives POST /api/webcam/sessions/<id>/frames with N concurrent
clients. Each client is a thread with its own keep-alive connection that waits for the answer
before it sends its next frame, exactly like the page. The frame is a 640x480 JPEG (quality 80)
with one face: skimage's astronaut fitted into 640x480. Prints frames per second, p50/p95 latency
and the error count per N; each N runs for --seconds after a short warm-up.

Target on a 2-core machine: >= 15 frames/s for one client with p95 <= 100 ms, and no
error at 8 clients.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.cookies import SimpleCookie
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PASSWORD = "bench password 123"
WARM_UP_FRAMES = 3


def one_face_frame() -> bytes:
    from tests.faces import astronaut_bgr

    canvas = np.full((480, 640, 3), 170, np.uint8)
    canvas[:, 80:560] = cv2.resize(astronaut_bgr(), (480, 480), interpolation=cv2.INTER_AREA)
    ok, data = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return data.tobytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(workdir: Path, port: int) -> dict:
    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}",
        INSTANCE_PATH=str(workdir / "instance"),
        HOST="127.0.0.1",
        PORT=str(port),
        SESSION_COOKIE_SECURE="0",  # plain HTTP on loopback; production behind TLS keeps it on
        TRUSTED_PROXIES="0",
        LOG_LEVEL="warning",
        # A client here sends its next frame the moment an answer arrives, faster than any camera;
        # the per-user frame limit (60 a second) would turn capacity into 429s, so it is lifted.
        WEBCAM_FRAME_LIMIT="100000 per second",
    )
    return env


def create_schema_and_users(env: dict, usernames: list[str]) -> None:
    """Migrations, then the users, in a child process that sees the server's environment."""
    script = (
        "import sys\n"
        "from flask_migrate import upgrade\n"
        "from app import create_app\n"
        "from app.auth.service import register_user\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade(directory='migrations')\n"
        "    for name in sys.argv[1:]:\n"
        f"        register_user(name, name + '@example.com', {PASSWORD!r})\n"
    )
    subprocess.run([sys.executable, "-c", script, *usernames], cwd=ROOT, env=env, check=True)


def start_gunicorn(env: dict, port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.stderr.read()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer /healthz within 90 s")


class BrowserLikeClient:
    """One keep-alive HTTP connection with cookies and the CSRF header, like the page's fetch()."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.connection = http.client.HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.csrf_token = ""

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.csrf_token and method == "POST":
            headers.setdefault("X-CSRFToken", self.csrf_token)
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection (gunicorn's keepalive timeout);
                # like a browser, reconnect and send the request once more.
                self.reconnect()
                if attempt == 2:
                    raise
            except (http.client.HTTPException, OSError):
                self.reconnect()
                raise
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, data

    def log_in(self, username: str) -> None:
        status, page = self.request("GET", "/auth/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
        if status != 200 or not token:
            raise RuntimeError(f"login page: {status}")
        form = urllib.parse.urlencode(
            {"csrf_token": token.group(1).decode(), "username": username, "password": PASSWORD}
        ).encode()
        status, _ = self.request("POST", "/auth/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login of {username} answered {status}")
        status, body = self.request("GET", "/api/csrf-token")
        if status != 200:
            raise RuntimeError(f"csrf token: {status}")
        self.csrf_token = json.loads(body)["csrf_token"]

    def start_session(self) -> int:
        status, body = self.request("POST", "/api/webcam/sessions")
        if status != 201:
            raise RuntimeError(f"start session: {status} {body[:200]!r}")
        return json.loads(body)["id"]

    def send_frame(self, session_id: int, frame: bytes) -> int:
        status, _ = self.request(
            "POST", f"/api/webcam/sessions/{session_id}/frames", frame, {"Content-Type": "image/jpeg"}
        )
        return status


def drive(clients: list[BrowserLikeClient], frame: bytes, seconds: float) -> dict:
    """Every client sends frames back to back (one in flight each) for `seconds`."""
    latencies: list[list[float]] = [[] for _ in clients]
    errors = [0] * len(clients)
    error_kinds: dict[str, int] = {}
    lock = threading.Lock()
    began = [0.0]
    stop_at = [0.0]

    def start_clock() -> None:  # runs once, before any client is let through
        began[0] = time.perf_counter()
        stop_at[0] = began[0] + seconds

    start_line = threading.Barrier(len(clients) + 1, action=start_clock)

    def run(index: int, client: BrowserLikeClient) -> None:
        session_id = client.start_session()
        for _ in range(WARM_UP_FRAMES):
            client.send_frame(session_id, frame)
        start_line.wait()
        while time.perf_counter() < stop_at[0]:
            sent = time.perf_counter()
            try:
                status = client.send_frame(session_id, frame)
            except (http.client.HTTPException, OSError) as error:
                status = type(error).__name__
            if status == 200:
                latencies[index].append(time.perf_counter() - sent)
            else:
                errors[index] += 1
                with lock:
                    error_kinds[str(status)] = error_kinds.get(str(status), 0) + 1
        client.request("POST", f"/api/webcam/sessions/{session_id}/stop")

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    start_line.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began[0]
    all_ms = np.array([ms * 1000 for per_client in latencies for ms in per_client])
    return {
        "clients": len(clients),
        "seconds": round(elapsed, 2),
        "frames": int(all_ms.size),
        "frames_per_second": round(all_ms.size / elapsed, 2),
        "frames_per_second_per_client": round(all_ms.size / elapsed / len(clients), 2),
        "p50_ms": round(float(np.percentile(all_ms, 50)), 1) if all_ms.size else None,
        "p95_ms": round(float(np.percentile(all_ms, 95)), 1) if all_ms.size else None,
        "errors": sum(errors),
        "error_kinds": error_kinds,
    }


def stop_server(server: subprocess.Popen) -> None:
    """gunicorn stops gracefully on SIGTERM; one that hangs is killed after 30 s."""
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured time per client count")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    counts = [int(n) for n in args.clients.split(",")]
    frame = one_face_frame()

    with tempfile.TemporaryDirectory(prefix="bench-frames-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = server_environment(workdir, port)
        usernames = [f"bench{i}" for i in range(max(counts))]
        create_schema_and_users(env, usernames)
        server = start_gunicorn(env, port)
        try:
            clients = []
            for name in usernames:
                client = BrowserLikeClient(port)
                client.log_in(name)
                clients.append(client)
            results = []
            print(f"gunicorn on 127.0.0.1:{port}; frame {len(frame) // 1024} KB 640x480 JPEG, one face")
            print(f"{'clients':>7} {'frames/s':>9} {'per client':>10} {'p50 ms':>7} {'p95 ms':>7} {'errors':>6}")
            for count in counts:
                result = drive(clients[:count], frame, args.seconds)
                results.append(result)
                print(f"{count:>7} {result['frames_per_second']:>9} {result['frames_per_second_per_client']:>10} "
                      f"{result['p50_ms']!s:>7} {result['p95_ms']!s:>7} {result['errors']:>6}"
                      + (f"  {result['error_kinds']}" if result["errors"] else ""))
        finally:
            stop_server(server)

    one = next((r for r in results if r["clients"] == 1), None)
    eight = next((r for r in results if r["clients"] == 8), None)
    verdict = {
        "one_client_at_least_15_fps": bool(one and one["frames_per_second"] >= 15),
        "one_client_p95_at_most_100_ms": bool(one and one["p95_ms"] is not None and one["p95_ms"] <= 100),
        "no_error_at_8_clients": bool(eight and eight["errors"] == 0),
    }
    print("targets:", ", ".join(f"{name}={'yes' if ok else 'NO'}" for name, ok in verdict.items()))
    if args.json:
        args.json.write_text(json.dumps({"cpu_count": os.cpu_count(), "results": results, "targets": verdict}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
