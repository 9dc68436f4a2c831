"""gunicorn settings, read from the environment (see README's configuration table)."""
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count(), 4)))
# Threads let a worker answer quick requests (pages, health checks) while another thread runs
# the model; LiteRT and OpenCV release the GIL while they compute.
threads = int(os.environ.get("GUNICORN_THREADS", 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 60))
# On SIGTERM, requests in flight get this long to finish: less than the 10 s that `docker stop`
# (and compose.yaml's stop_grace_period) waits before it kills the container.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 8))
keepalive = 5
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Never preload: the app (and with it the ONNX model) must be created in each worker after the
# fork, not in the master, so that no worker shares a model session or database connection.
preload_app = False
# Workers serve requests only: `flask db upgrade` runs before gunicorn starts (run.sh, Dockerfile).
wsgi_app = "app:create_app(migration_commands=False)"


def post_fork(server, worker):
    """Two malloc arenas per worker: with one arena per thread, memory freed by one thread's photo
    search is not reused by the other's, and each worker grows well past its idle size."""
    from app.vision.memory import cap_malloc_arenas

    cap_malloc_arenas(2)


def post_worker_init(worker):
    """Load the emotion model once per worker, right after the fork, before the first request."""
    if os.environ.get("WARM_MODEL", "1") == "1":
        from app.analysis.engine import warm_up

        warm_up(worker.wsgi)
