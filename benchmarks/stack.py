"""Moodlens scaled out on this machine, without containers: N gunicorn instances of the app on
loopback, optionally behind nginx, and video workers, sharing one PostgreSQL database and one
Redis -- the processes
compose.yaml runs, each with the configuration it gives them (APP_ENV=production, TRUSTED_PROXIES=1
behind the proxy, limits in Redis, migrations once before the instances start).

Used by tests/test_stack.py and benchmarks/scale_out.py. Each stack works in a PostgreSQL schema of
its own and under a Redis key prefix of its own, both removed when it stops, so it can share a
database server and a Redis with anything else.

The proxy is Debian's nginx (apt-get install nginx-light, or nginx) with compose's per-request
settings, deploy/nginx/moodlens-proxy.conf; its answers carry X-Upstream (the instance that
served them), which compose's proxy does not send.
"""
from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_frames import PASSWORD, free_port, start_gunicorn, stop_server  # noqa: E402

POSTGRES_URL = os.environ.get("STACK_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("STACK_REDIS_URL", "redis://127.0.0.1:6379/0")
# The video queue (Huey on Redis): a database of its own, apart from the limits' counters.
VIDEO_QUEUE_URL = os.environ.get("STACK_VIDEO_QUEUE_URL", "redis://127.0.0.1:6379/11")
PROXY_SETTINGS = ROOT / "deploy" / "nginx" / "moodlens-proxy.conf"


def nginx_binary() -> str | None:
    for candidate in (os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def reachable(url: str, default_port: int) -> bool:
    parsed = urllib.parse.urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def missing_services() -> list[str]:
    """What this machine lacks to run a stack (empty: everything is there)."""
    missing = []
    if not reachable(POSTGRES_URL, 5432):
        missing.append(f"PostgreSQL ({POSTGRES_URL})")
    if not reachable(REDIS_URL, 6379):
        missing.append(f"Redis ({REDIS_URL})")
    if not nginx_binary():
        missing.append("nginx (apt-get install nginx-light)")
    return missing


def nginx_config(workdir: Path, listen_port: int, instance_ports: list[int]) -> str:
    servers = "\n".join(f"        server 127.0.0.1:{port};" for port in instance_ports)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(f"    {kind}_temp_path {workdir / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 1;
daemon off;
pid {workdir / 'nginx.pid'};
error_log {workdir / 'nginx-error.log'} warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
{temp}
    upstream moodlens {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{listen_port};
        location / {{
            proxy_pass http://moodlens;
            include {PROXY_SETTINGS};
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


def wait_for(port: int, path: str = "/healthz", seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"nothing answered {path} on port {port} within {seconds} s")


class LocalStack:
    """``with LocalStack(instances=2, proxy=True, users=[...]) as stack:`` then ``stack.port`` (the
    proxy, or the one instance without it), ``stack.instance_ports``, ``stack.database_url``."""

    def __init__(self, instances: int = 2, proxy: bool = True, users: list[str] = (), environment: dict | None = None,
                 workers_per_instance: int = 1, video_workers: int = 0):
        self.instances, self.proxy, self.users = instances, proxy, list(users)
        self.extra_environment = dict(environment or {})
        self.workers_per_instance = workers_per_instance
        self.video_workers = video_workers
        self.worker_processes: list[subprocess.Popen] = []
        self.tag = f"stack_{os.getpid()}_{secrets.token_hex(3)}"
        self.schema = self.tag
        self.redis_prefix = self.tag
        self.servers: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None
        self.instance_ports: list[int] = []
        self.port = 0
        self.tokens: dict[str, str] = {}

    @property
    def database_url(self) -> str:
        """The stack's database, its schema first on the search path."""
        separator = "&" if "?" in POSTGRES_URL else "?"
        return POSTGRES_URL + separator + "options=" + urllib.parse.quote(f"-csearch_path={self.schema}")

    def environment(self, port: int) -> dict:
        env = dict(os.environ)
        for name in ("TEST_DATABASE_URL", "RATELIMIT_STORAGE_URI", "REDIS_URL", "INSTANCE_PATH"):
            env.pop(name, None)
        env.update(
            APP_ENV="production",
            SECRET_KEY=self.secret_key,  # one key for every instance, as in compose's .env
            DATABASE_URL=self.database_url,
            RATELIMIT_STORAGE_URI=REDIS_URL,
            RATELIMIT_KEY_PREFIX=self.redis_prefix,
            VIDEO_QUEUE_URL=VIDEO_QUEUE_URL,
            TRUSTED_PROXIES="1" if self.proxy else "0",
            INSTANCE_PATH=str(self.workdir / "instance"),
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY=str(self.workers_per_instance),
            LOG_LEVEL="warning",
        )
        env.pop("SESSION_COOKIE_SECURE", None)  # the production default: Secure only over HTTPS
        env.update(self.extra_environment)
        return env

    def prepare_database(self) -> None:
        """Schema, migrations (once, like compose's `migrate`), the users and one write token each."""
        from sqlalchemy import create_engine, text

        engine = create_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {self.schema}"))
        engine.dispose()
        script = (
            "import sys\n"
            "from flask_migrate import upgrade\n"
            "from app import create_app\n"
            "from app.auth.service import register_user\n"
            "from app.auth.tokens import create_token\n"
            "app = create_app()\n"
            "with app.app_context():\n"
            "    upgrade(directory='migrations')\n"
            "    for name in sys.argv[1:]:\n"
            f"        user = register_user(name, name + '@example.com', {PASSWORD!r})\n"
            "        print(name, create_token(user, 'stack', ['read', 'write']).secret)\n"
        )
        done = subprocess.run([sys.executable, "-c", script, *self.users], cwd=ROOT, env=self.environment(0),
                              check=True, capture_output=True, text=True)
        self.tokens = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)

    def start(self) -> "LocalStack":
        self._tmp = tempfile.TemporaryDirectory(prefix="moodlens-stack-")
        self.workdir = Path(self._tmp.name)
        self.secret_key = secrets.token_hex(32)
        try:
            self.prepare_database()
            self.instance_ports = [free_port() for _ in range(self.instances)]
            for port in self.instance_ports:
                self.servers.append(start_gunicorn(self.environment(port), port))
            for number in range(self.video_workers):  # compose's `worker` service
                log = (self.workdir / f"video-worker-{number}.log").open("w")
                self.worker_processes.append(subprocess.Popen(
                    [sys.executable, "-m", "app.video.worker"], cwd=ROOT, env=self.environment(0),
                    stdout=log, stderr=subprocess.STDOUT))
            if self.proxy:
                self.port = free_port()
                config = self.workdir / "nginx.conf"
                config.write_text(nginx_config(self.workdir, self.port, self.instance_ports))
                self.nginx = subprocess.Popen(
                    [nginx_binary(), "-p", str(self.workdir), "-c", str(config), "-e", str(self.workdir / "nginx-error.log")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                wait_for(self.port)
            else:
                self.port = self.instance_ports[0]
        except BaseException:
            self.stop()
            raise
        return self

    def redis_keys(self) -> list[str]:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        try:
            return [key.decode() for key in client.scan_iter(match=f"*{self.redis_prefix}*", count=1000)]
        finally:
            client.close()

    def stop(self) -> None:
        if self.nginx is not None:
            self.nginx.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
            self.nginx = None
        for server in self.servers + self.worker_processes:
            stop_server(server)
        self.servers, self.worker_processes = [], []
        try:
            from sqlalchemy import create_engine, text

            engine = create_engine(POSTGRES_URL)
            with engine.begin() as connection:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            engine.dispose()
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            keys = list(client.scan_iter(match=f"*{self.redis_prefix}*", count=1000))
            if keys:
                client.delete(*keys)
            client.close()
        finally:
            if getattr(self, "_tmp", None) is not None:
                self._tmp.cleanup()
                self._tmp = None

    def __enter__(self) -> "LocalStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
