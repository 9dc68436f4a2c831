"""Mixed load against gunicorn as configured for production: webcam frames and photo uploads at
once, then a check that the database holds exactly what the clients were told.

    python benchmarks/load_mixed.py [--clients 8] [--seconds 60] [--photo-side 512]
                                    [--database-url URL] [--json OUT]
    python benchmarks/load_mixed.py --base http://127.0.0.1:8080 --database-url URL [...]

N clients (threads, one keep-alive connection and one logged-in user each) send, back to back,
one request at a time: a 640x480 one-face webcam frame, and every fifth request an upload of the
astronaut photo (multipart, like the upload page's script), 512x512 or, with --photo-side 2048,
the size of a phone picture once the server has reduced it. Without --database-url the
server runs on a temporary SQLite file; with a PostgreSQL URL it works in a schema of its own
that is dropped afterwards.

With --base URL it starts no server: the load goes to one already running there (an instance, or
a proxy in front of several: benchmarks/scale_out.py runs both on this machine), and
--database-url must be that server's database (the users are created and the results checked
there; a URL with ``options=-csearch_path=...`` works in that schema). Worker memory is then not
sampled.

It prints requests per second and p50/p95 latency per kind, counts 5xx and other failures, and
then checks correctness:

* every answer describes the one face of the picture, with the same box and label as a
  reference answer taken before the load (the same picture must give the same result);
* every upload answered 200 is stored with exactly the faces, boxes, labels and scores the client
  was told, and nothing else is stored;
* every webcam session counts exactly the frames its client got answers for, and its per-second
  rows hold exactly the frames that had a face.

Memory: each gunicorn worker's RSS is sampled every 0.2 s, once the workers have started (idle,
model loaded), during the load (peak) and after it (settled); the product's target is 150 MB.

The exit status is 1 when there was a 5xx or any mismatch.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_frames import (  # noqa: E402
    BrowserLikeClient,
    create_schema_and_users,
    free_port,
    one_face_frame,
    server_environment,
    start_gunicorn,
    stop_server,
)

UPLOAD_EVERY = 5
RSS_TARGET_MB = 150
BOUNDARY = "loadmixedboundary"


def upload_body(photo: bytes) -> bytes:
    return (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"astronaut.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n"
    ).encode() + photo + f"\r\n--{BOUNDARY}--\r\n".encode()


def face_signature(face: dict) -> tuple:
    box = face["box"]
    return (box["x"], box["y"], box["w"], box["h"], face["label"])


class Client:
    def __init__(self, port: int, username: str, host: str = "127.0.0.1"):
        self.http = BrowserLikeClient(port, host)
        self.http.log_in(username)
        self.session_id = 0
        self.latencies: dict[str, list[float]] = {"frame": [], "upload": []}
        self.statuses: dict[str, dict[str, int]] = {"frame": {}, "upload": {}}
        self.uploads: list[dict] = []  # the results the client was told
        self.frames_answered = 0
        self.frames_with_faces = 0
        self.answers: dict[str, list[tuple]] = {"frame": [], "upload": []}

    def count(self, kind: str, status) -> None:
        self.statuses[kind][str(status)] = self.statuses[kind].get(str(status), 0) + 1

    def send(self, kind: str, frame: bytes, upload: bytes) -> None:
        started = time.perf_counter()
        try:
            if kind == "frame":
                status, body = self.http.request(
                    "POST", f"/api/webcam/sessions/{self.session_id}/frames", frame, {"Content-Type": "image/jpeg"})
            else:
                status, body = self.http.request(
                    "POST", "/api/analyze", upload, {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
        except OSError as error:
            self.count(kind, type(error).__name__)
            return
        elapsed = time.perf_counter() - started
        self.count(kind, status)
        if status != 200:
            return
        self.latencies[kind].append(elapsed)
        data = json.loads(body)
        if kind == "frame":
            self.frames_answered += 1
            self.frames_with_faces += bool(data["faces"])
            self.answers["frame"].append(tuple(face_signature(face) for face in data["faces"]))
        else:
            [result] = data["results"]
            self.uploads.append(result)
            self.answers["upload"].append(tuple(face_signature(face) for face in result["faces"]))


def worker_pids(server_pid: int) -> list[int]:
    try:
        return [int(pid) for pid in Path(f"/proc/{server_pid}/task/{server_pid}/children").read_text().split()]
    except OSError:
        return []


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class WorkerMemory:
    """Samples the RSS of every gunicorn worker in a background thread (Linux /proc)."""

    def __init__(self, server_pid: int, every: float = 0.2):
        self.server_pid, self.every = server_pid, every
        self.peak: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def snapshot(self) -> dict[int, float]:
        sizes = {pid: rss_mb(pid) for pid in worker_pids(self.server_pid)}
        return {pid: size for pid, size in sizes.items() if size is not None}

    def steady(self, timeout: float = 30.0) -> dict[int, float]:
        """A snapshot once every worker has stopped growing (warm-up done), or after ``timeout``."""
        deadline = time.monotonic() + timeout
        last = self.snapshot()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            now = self.snapshot()
            if now and now.keys() == last.keys() and all(abs(now[p] - last[p]) < 0.5 for p in now):
                return now
            last = now
        return last

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for pid, size in self.snapshot().items():
                self.peak[pid] = max(size, self.peak.get(pid, 0.0))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def memory_report(idle: dict[int, float], peak: dict[int, float], settled: dict[int, float]) -> dict:
    def spread(sizes: dict[int, float]):
        return [round(min(sizes.values()), 1), round(max(sizes.values()), 1)] if sizes else None

    return {"workers": len(idle), "idle_mb": spread(idle), "peak_mb": spread(peak),
            "settled_mb": spread(settled), "target_mb": RSS_TARGET_MB}


def run_load(clients: list[Client], frame: bytes, upload: bytes, seconds: float) -> float:
    stop_at = [0.0]
    start_line = threading.Barrier(len(clients) + 1, action=lambda: stop_at.__setitem__(0, time.perf_counter() + seconds))

    def run(client: Client) -> None:
        _, body = client.http.request("POST", "/api/webcam/sessions")
        client.session_id = json.loads(body)["id"]
        start_line.wait()
        number = 0
        while time.perf_counter() < stop_at[0]:
            number += 1
            client.send("upload" if number % UPLOAD_EVERY == 0 else "frame", frame, upload)
        client.http.request("POST", f"/api/webcam/sessions/{client.session_id}/stop")

    threads = [threading.Thread(target=run, args=(client,), daemon=True) for client in clients]
    for thread in threads:
        thread.start()
    start_line.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def check_database(database_url: str, clients: list[Client], connect_args: dict) -> list[str]:
    """Compare the stored rows with what the clients were told; return the differences."""
    from sqlalchemy import create_engine, text

    problems = []
    engine = create_engine(database_url, connect_args=connect_args)
    with engine.connect() as db:
        for client in clients:
            told = {result["id"]: result for result in client.uploads}
            user_id = db.execute(text("SELECT user_id FROM webcam_sessions WHERE id = :id"),
                                 {"id": client.session_id}).scalar_one()
            stored_ids = set(db.execute(text(
                "SELECT id FROM analyses WHERE user_id = :user AND source = 'upload'"), {"user": user_id}).scalars())
            if stored_ids != set(told):
                problems.append(f"user {user_id}: {len(stored_ids)} uploads stored, {len(told)} answered 200 "
                                f"(extra {sorted(stored_ids - set(told))[:5]}, missing {sorted(set(told) - stored_ids)[:5]})")
            for analysis_id, result in told.items():
                rows = db.execute(text(
                    "SELECT x, y, w, h, label, confidence, angry, disgust, fear, happy, sad, surprise, neutral "
                    "FROM face_results WHERE analysis_id = :id ORDER BY face_index"), {"id": analysis_id}).all()
                expected = [(f["box"]["x"], f["box"]["y"], f["box"]["w"], f["box"]["h"], f["label"], f["confidence"],
                             *(f["scores"][e] for e in ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")))
                            for f in result["faces"]]
                if len(rows) != len(expected) or any(
                    tuple(row[:5]) != exp[:5] or not np.allclose(row[5:], exp[5:], atol=1e-6)
                    for row, exp in zip(rows, expected)
                ):
                    problems.append(f"analysis {analysis_id}: stored faces differ from the answer")
            frames, = db.execute(text("SELECT frames_analysed FROM webcam_sessions WHERE id = :id"),
                                 {"id": client.session_id}).one()
            seconds_frames = db.execute(text(
                "SELECT coalesce(sum(frame_count), 0) FROM analyses WHERE webcam_session_id = :id"),
                {"id": client.session_id}).scalar_one()
            if frames != client.frames_answered:
                problems.append(f"session {client.session_id}: {frames} frames counted, {client.frames_answered} answered")
            if seconds_frames != client.frames_with_faces:
                problems.append(f"session {client.session_id}: per-second rows hold {seconds_frames} frames, "
                                f"{client.frames_with_faces} were answered with a face")
    engine.dispose()
    return problems


def percentile(values: list[float], q: float):
    return round(float(np.percentile(np.array(values) * 1000, q)), 1) if values else None


def run_reference(port: int, host: str, frame: bytes, upload: bytes, username: str) -> tuple:
    """One upload and one frame, alone, before the load: the answers every later one must match."""
    reference = Client(port, username, host)
    _, body = reference.http.request("POST", "/api/webcam/sessions")
    reference.session_id = json.loads(body)["id"]
    reference.send("frame", frame, upload)
    reference.send("upload", frame, upload)
    return reference, {kind: reference.answers[kind][0] for kind in ("frame", "upload")}


def run_against_base(args, frame: bytes, upload: bytes):
    parsed = urllib.parse.urlsplit(args.base)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    suffix = secrets.token_hex(3)
    usernames = [f"load{i}_{suffix}" for i in range(args.clients)]
    with tempfile.TemporaryDirectory(prefix="load-mixed-") as tmp:
        env = server_environment(Path(tmp), port)
        env["DATABASE_URL"] = args.database_url
        create_schema_and_users(env, usernames + [f"loadref_{suffix}"])
    clients = [Client(port, name, host) for name in usernames]
    reference, expected = run_reference(port, host, frame, upload, f"loadref_{suffix}")
    elapsed = run_load(clients, frame, upload, args.seconds)
    reference.http.request("POST", f"/api/webcam/sessions/{reference.session_id}/stop")
    problems = check_database(args.database_url, clients + [reference], {})
    return clients, reference, expected, elapsed, problems, None


def run_own_server(args, frame: bytes, upload: bytes):
    schema = f"load_mixed_{os.getpid()}_{secrets.token_hex(3)}"
    with tempfile.TemporaryDirectory(prefix="load-mixed-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        env = server_environment(workdir, port)
        connect_args: dict = {}
        if args.database_url:
            from sqlalchemy import create_engine, text

            admin = create_engine(args.database_url)
            with admin.begin() as connection:
                connection.execute(text(f"CREATE SCHEMA {schema}"))
            admin.dispose()
            separator = "&" if "?" in args.database_url else "?"
            env["DATABASE_URL"] = args.database_url + separator + "options=" + urllib.parse.quote(f"-csearch_path={schema}")
            connect_args = {"options": f"-csearch_path={schema}"}
            check_url = args.database_url
        else:
            check_url = env["DATABASE_URL"]
        usernames = [f"load{i}" for i in range(args.clients)]
        create_schema_and_users(env, usernames + ["loadref"])
        server = start_gunicorn(env, port)
        try:
            memory = WorkerMemory(server.pid)
            idle = memory.steady()
            clients = [Client(port, name) for name in usernames]
            reference, expected = run_reference(port, "127.0.0.1", frame, upload, "loadref")
            with memory:
                elapsed = run_load(clients, frame, upload, args.seconds)
            reference.http.request("POST", f"/api/webcam/sessions/{reference.session_id}/stop")
            settled = memory.steady()
        finally:
            stop_server(server)
        problems = check_database(check_url, clients + [reference], connect_args)
        if args.database_url:
            from sqlalchemy import create_engine, text

            admin = create_engine(args.database_url)
            with admin.begin() as connection:
                connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()
    return clients, reference, expected, elapsed, problems, memory_report(idle, memory.peak, settled)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--photo-side", type=int, default=512,
                        help="side of the uploaded astronaut photo in pixels (2048: a phone picture after reduction)")
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a temporary SQLite file); with --base, "
                                               "the running server's database")
    parser.add_argument("--base", help="URL of a running server (or proxy) to load instead of starting gunicorn")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    if args.base and not args.database_url:
        parser.error("--base needs --database-url (the server's database)")

    from tests.images import astronaut_jpeg

    frame, photo = one_face_frame(), astronaut_jpeg(args.photo_side)
    upload = upload_body(photo)
    run = run_against_base if args.base else run_own_server
    clients, reference, expected, elapsed, problems, worker_rss = run(args, frame, upload)

    report = {"clients": args.clients, "seconds": round(elapsed, 1), "photo_side": args.photo_side,
              "database": "postgresql" if args.database_url else "sqlite", "kinds": {},
              "base": args.base, "worker_rss": worker_rss}
    server_errors = 0
    wrong_answers = 0
    for kind in ("frame", "upload"):
        latencies = [value for client in clients for value in client.latencies[kind]]
        statuses: dict[str, int] = {}
        for client in clients:
            for status, number in client.statuses[kind].items():
                statuses[status] = statuses.get(status, 0) + number
        wrong = sum(answer != expected[kind] for client in clients for answer in client.answers[kind])
        server_errors += sum(n for s, n in statuses.items() if s.startswith("5"))
        wrong_answers += wrong
        report["kinds"][kind] = {
            "answered_200": len(latencies), "per_second": round(len(latencies) / elapsed, 2),
            "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
            "statuses": statuses, "answers_unlike_the_reference": wrong,
        }
    report.update(server_errors=server_errors, wrong_answers=wrong_answers, database_mismatches=problems)

    print(f"{args.clients} clients, {report['seconds']} s, {report['database']}, "
          f"{args.photo_side}x{args.photo_side} photo")
    print(f"{'kind':>7} {'200s':>6} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7} {'wrong':>6}  statuses")
    for kind, row in report["kinds"].items():
        print(f"{kind:>7} {row['answered_200']:>6} {row['per_second']:>7} {row['p50_ms']!s:>7} {row['p95_ms']!s:>7} "
              f"{row['answers_unlike_the_reference']:>6}  {row['statuses']}")
    print(f"5xx: {server_errors}; answers unlike the reference: {wrong_answers}; "
          f"database mismatches: {len(problems)}")
    rss = report["worker_rss"]
    if rss:
        print(f"worker RSS, MB (min-max over {rss['workers']} workers; target {RSS_TARGET_MB}): "
              f"idle {rss['idle_mb']}, peak under load {rss['peak_mb']}, settled after {rss['settled_mb']}")
    for problem in problems[:20]:
        print("  ", problem)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 1 if server_errors or wrong_answers or problems else 0


if __name__ == "__main__":
    sys.exit(main())
