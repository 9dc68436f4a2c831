# Moodlens web app and video worker: gunicorn serving Flask, model run with LiteRT (no training stack).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    APP_ENV=production \
    FLASK_APP=app \
    PORT=8000

WORKDIR /srv/moodlens

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY app ./app
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY models ./models
COPY gunicorn.conf.py ./

# Unprivileged user; /srv/moodlens/instance holds the SQLite database when no DATABASE_URL is set
# (mount a volume there to keep it).
RUN useradd --create-home --uid 10001 moodlens \
    && mkdir -p instance \
    && chown moodlens:moodlens instance
USER moodlens

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"

# Apply migrations, start VIDEO_WORKERS video workers (default 1; 0 when a worker service runs
# them, as on Render), then replace the shell with gunicorn so it receives signals directly.
# The worker service runs the same image with: python -m app.video.worker
ENV VIDEO_WORKERS=1
CMD ["sh", "-c", "flask db upgrade && for i in $(seq 1 $VIDEO_WORKERS); do python -m app.video.worker & done; exec gunicorn --config gunicorn.conf.py"]
