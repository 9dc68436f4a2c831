# Moodlens web app and video worker: gunicorn serving Flask, model run with LiteRT (no training stack).
#   docker build -t moodlens .
#   docker run -p 8000:8000 -e SECRET_KEY=... moodlens            (README: Deploy)
FROM python:3.11-slim

# TRUSTED_PROXIES=0: reached directly, the server believes no X-Forwarded-* header (a client could
# name any address and escape the per-address limits). Behind a proxy set it to the number of
# proxies (compose.yaml and render.yaml do).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    APP_ENV=production \
    FLASK_APP=app \
    PORT=8000 \
    TRUSTED_PROXIES=0 \
    VIDEO_WORKERS=1

WORKDIR /srv/moodlens

# The lock: every package pinned with its hashes, so every build runs what the tests passed with.
COPY requirements.txt .
RUN pip install --no-deps --require-hashes -r requirements.txt

# Only what serving needs (.dockerignore keeps the rest out of the build context too): the Keras
# weights, serving.json and the training logs are for training and the tests.
COPY app ./app
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY models/emotion.tflite models/model_card.json ./models/
COPY models/yunet ./models/yunet
COPY gunicorn.conf.py ./
COPY scripts/docker-entrypoint.sh /usr/local/bin/moodlens-entrypoint

# Unprivileged user; /srv/moodlens/instance holds the SQLite database when no DATABASE_URL is set.
# A named volume mounted there starts as a copy of this folder (owned by uid 10001); a bind-mounted
# host folder must be writable by the user the container runs as (the entrypoint checks and says
# how: chown it to 10001, or run with --user "$(id -u):$(id -g)").
RUN useradd --create-home --uid 10001 moodlens \
    && mkdir -p instance \
    && chown moodlens:moodlens instance
USER moodlens

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=4)"

# docker stop sends SIGTERM and kills 10 s later; gunicorn.conf.py's graceful timeout (8 s) lets
# requests in flight finish within that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["moodlens-entrypoint"]
# web: migrations (unless RUN_MIGRATIONS=0), VIDEO_WORKERS video workers beside gunicorn (0 when a
# worker service runs them: compose, Render), then gunicorn; migrate: migrations only; anything
# else is run as given (`python -m app.video.worker` for a worker service).
CMD ["web"]
