"""The production configuration as the container runs it: cookies over plain HTTP and HTTPS,
which proxy headers are believed, and the container files' own promises."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from flask import request

from app.config import Config, ProductionConfig, cookie_security
from tests.conftest import csrf_token_from

PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parent.parent


def production_like(make_app, **overrides):
    """The container's settings (APP_ENV=production, nothing else set) on the test database."""
    settings = dict(ENV_NAME="production", COOKIE_SECURITY="auto", SESSION_COOKIE_SECURE=False,
                    REMEMBER_COOKIE_SECURE=False, TRUSTED_PROXIES=0, WTF_CSRF_ENABLED=True)
    settings.update(overrides)
    app = make_app(**settings)
    app.add_url_rule("/test-client-address", "client_address", lambda: request.remote_addr or "")
    return app


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def is_secure(cookie_header: str) -> bool:
    return "secure" in {part.strip().lower() for part in cookie_header.split(";")[1:]}


def register_and_log_in(client, origin: str = "http://localhost", headers: dict | None = None):
    """Register, log out and log in again through the forms, CSRF token and all, as a browser
    does (over HTTPS the CSRF check wants the same-origin Referer a browser sends)."""
    request_args = {"headers": {**(headers or {}), "Referer": origin + "/auth/login"}}
    if not headers:
        request_args["base_url"] = origin
    page = client.get("/auth/register", **request_args).get_data(as_text=True)
    response = client.post("/auth/register", data={
        "username": "dana", "email": "dana@example.com", "password": PASSWORD, "confirm": PASSWORD,
        "csrf_token": csrf_token_from(page)}, **request_args)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    token = csrf_token_from(client.get("/analyze", **request_args).get_data(as_text=True))
    assert client.post("/auth/logout", data={"csrf_token": token}, **request_args).status_code == 302
    page = client.get("/auth/login", **request_args).get_data(as_text=True)
    response = client.post("/auth/login", data={
        "username": "dana", "password": PASSWORD, "remember": "y", "csrf_token": csrf_token_from(page)},
        **request_args)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def test_defaults_follow_the_scheme_and_trust_no_proxy(monkeypatch):
    assert ProductionConfig.TRUSTED_PROXIES == Config.TRUSTED_PROXIES
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    assert cookie_security("auto") == "auto"
    for value, policy in (("1", "always"), ("true", "always"), ("0", "never"), ("auto", "auto")):
        monkeypatch.setenv("SESSION_COOKIE_SECURE", value)
        assert cookie_security("auto") == policy


def test_plain_http_login_works_in_production(make_app):
    """`docker run -p 8000:8000 -e SECRET_KEY=... moodlens`, then http://<host>:8000 from a browser."""
    client = production_like(make_app).test_client()
    response = register_and_log_in(client, "http://192.0.2.10:8000")
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    assert not any(is_secure(header) for header in cookies.values())
    assert client.get("/analyze", base_url="http://192.0.2.10:8000").status_code == 200


def test_cookies_are_secure_over_https(make_app):
    client = production_like(make_app).test_client()
    response = register_and_log_in(client, "https://moodlens.example")
    cookies = set_cookies(response)
    assert {"session", "remember_token"} <= cookies.keys()
    assert all(is_secure(header) for header in cookies.values())
    for header in cookies.values():
        assert "HttpOnly" in header and "SameSite=Lax" in header


def test_trusted_proxy_reports_https_and_the_client_address(make_app):
    client = production_like(make_app, TRUSTED_PROXIES=1).test_client()
    behind_tls = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    response = register_and_log_in(client, "https://localhost", behind_tls)
    assert all(is_secure(header) for header in set_cookies(response).values())
    assert client.get("/test-client-address", headers=behind_tls).get_data(as_text=True) == "203.0.113.7"
    # The proxy's own plain-HTTP listener (compose on a laptop): cookies without Secure.
    plain = client.get("/auth/login", headers={"X-Forwarded-Proto": "http", "X-Forwarded-For": "203.0.113.7"})
    assert not any(is_secure(header) for header in set_cookies(plain).values())


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(make_app):
    """Exposed directly, a client cannot pick its address (per-address limits) or the scheme."""
    client = production_like(make_app).test_client()
    spoofed = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.99"}
    response = client.get("/auth/login", headers=spoofed, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert set_cookies(response) and not any(is_secure(h) for h in set_cookies(response).values())
    address = client.get("/test-client-address", headers=spoofed, environ_base={"REMOTE_ADDR": "198.51.100.4"})
    assert address.get_data(as_text=True) == "198.51.100.4"


def test_secure_always_when_asked(make_app):
    client = production_like(make_app, COOKIE_SECURITY="always", SESSION_COOKIE_SECURE=True,
                             REMEMBER_COOKIE_SECURE=True).test_client()
    response = client.get("/auth/login", base_url="http://192.0.2.10:8000")
    assert all(is_secure(header) for header in set_cookies(response).values())


# --- The container files ---------------------------------------------------------------------------


def dockerfile_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of every COPY in the Dockerfile."""
    copies = []
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY "):
            *sources, destination = line.split()[1:]
            copies.append((sources, destination))
    return copies


def test_image_holds_only_what_serving_needs():
    sources = [source for found, _ in dockerfile_copies() for source in found]
    assert "models" not in sources and "." not in sources
    assert not any(source.endswith((".weights.h5", "serving.json")) for source in sources)
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert ignore[ignore.index("*") if "*" in ignore else -1] == "*", ".dockerignore must start from nothing"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    for source in sources:
        # Each file the Dockerfile copies is let into the build context, itself or by its folder.
        assert any(source == entry or source.startswith(entry + "/") for entry in allowed), source
    assert not any(entry.startswith((".git", ".venv", "instance", "runs", "tests", "training")) for entry in allowed)


def test_the_image_tree_serves(tmp_path):
    """The files the Dockerfile copies, alone in a folder, are enough to load the model, analyse
    the landing page's example and answer the pages that read model files."""
    tree = tmp_path / "srv"
    tree.mkdir()
    for sources, destination in dockerfile_copies():
        for source in sources:
            if destination.startswith("/") or source == "requirements.txt":
                continue
            target = tree / destination / Path(source).name if destination.endswith("/") else tree / destination
            if (ROOT / source).is_dir():
                shutil.copytree(ROOT / source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / source, target)
    script = (
        "from app import create_app\n"
        "from app.config import TestConfig\n"
        "from app.analysis.engine import warm_up\n"
        "from app.analysis.example import example_result\n"
        "from app.extensions import db\n"
        "app = create_app(TestConfig)\n"
        "warm_up(app)\n"
        "with app.app_context():\n"
        "    db.create_all()\n"
        "    assert example_result()['faces'], 'no face in the example'\n"
        "client = app.test_client()\n"
        "for path in ('/', '/about', '/healthz'):\n"
        "    assert client.get(path).status_code == 200, path\n"
        "print('served')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tree, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(tmp_path / "instance"), "PYTHONPATH": str(tree)})
    assert done.returncode == 0 and "served" in done.stdout, done.stderr[-2000:]


def test_stop_timeouts_fit_docker_stop():
    namespace = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    web = compose["services"]["web"]
    grace = int(str(web["stop_grace_period"]).rstrip("s"))
    assert namespace["graceful_timeout"] < 10 <= grace  # docker stop waits 10 s by default
    assert "STOPSIGNAL SIGTERM" in (ROOT / "Dockerfile").read_text()


def test_image_trusts_no_proxy_and_compose_trusts_its_one():
    assert re.search(r"^\s+TRUSTED_PROXIES=0\b", (ROOT / "Dockerfile").read_text(), re.M)
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    for name in ("web", "migrate"):
        assert compose["services"][name]["environment"]["TRUSTED_PROXIES"] == "1"
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    [web] = [service for service in render["services"] if service["type"] == "web"]
    assert {"key": "TRUSTED_PROXIES", "value": "1"} in web["envVars"]


def test_compose_stack():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"proxy", "web", "worker", "postgres", "redis", "migrate"} <= services.keys()
    assert services["web"]["deploy"]["replicas"] >= 2
    for name, service in services.items():
        if service.get("restart") != "no":  # the one-off migrate exits when done
            assert service["healthcheck"]["test"], name
    web = services["web"]
    assert web["env_file"] == ".env"
    assert web["environment"]["RATELIMIT_STORAGE_URI"].startswith("redis://")
    assert web["environment"]["DATABASE_URL"].startswith("postgresql://")
    assert web["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert web["environment"]["RUN_MIGRATIONS"] == "0"
    # Video jobs: queued in Redis by the web instances (which start no workers), run by `worker`.
    worker = services["worker"]
    assert worker["command"] == ["python", "-m", "app.video.worker"]
    assert web["environment"]["VIDEO_WORKERS"] == "0"
    assert web["environment"]["VIDEO_QUEUE_URL"] == worker["environment"]["VIDEO_QUEUE_URL"]
    assert worker["environment"]["VIDEO_QUEUE_URL"].startswith("redis://")
    # Every secret compose reads comes from .env, and .env.example names each one.
    example = (ROOT / ".env.example").read_text()
    for secret in set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text())):
        assert re.search(rf"^{secret}=", example, re.M), secret
    assert re.search(r"^SECRET_KEY=$", example, re.M)  # never a real key in the repository
    for mount in services["proxy"]["volumes"]:
        assert (ROOT / mount.split(":")[0]).exists(), mount


def test_render_has_key_value_for_the_limits():
    render = yaml.safe_load((ROOT / "render.yaml").read_text())
    [kv] = [service for service in render["services"] if service["type"] == "keyvalue"]
    [web] = [service for service in render["services"] if service["type"] == "web"]
    [limits] = [var for var in web["envVars"] if var["key"] == "RATELIMIT_STORAGE_URI"]
    assert limits["fromService"] == {"type": "keyvalue", "name": kv["name"], "property": "connectionString"}
    assert kv["maxmemoryPolicy"] == "noeviction"


def test_entrypoint_explains_an_unwritable_instance_folder(tmp_path):
    """A bind-mounted folder the container's user cannot write: the entrypoint says what to do."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # a file where the folder should be: unwritable for root too
    done = subprocess.run(["sh", str(ROOT / "scripts" / "docker-entrypoint.sh"), "web"], capture_output=True,
                          text=True, env={"PATH": "/usr/bin:/bin", "INSTANCE_PATH": str(blocked / "instance")})
    assert done.returncode == 1
    assert "--user" in done.stderr and "chown -R 10001:10001" in done.stderr and "named volume" in done.stderr
