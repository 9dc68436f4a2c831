#!/usr/bin/env bash
# Set everything up and start Moodlens: virtual environment, dependencies, database schema,
# then the video worker(s) and gunicorn on http://127.0.0.1:8000 (HOST/PORT to change). Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")"

scripts/setup.sh requirements.txt
echo "==> Applying database migrations"
.venv/bin/flask --app app db upgrade
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
# Video jobs run in worker processes fed by the queue (a SQLite file in instance/ unless
# VIDEO_QUEUE_URL names a Redis). VIDEO_WORKERS=0 when the workers run elsewhere.
WORKER_PIDS=()
for _ in $(seq 1 "${VIDEO_WORKERS:-1}"); do
  .venv/bin/python -m app.video.worker &
  WORKER_PIDS+=("$!")
done
stop_workers() { for pid in "${WORKER_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap stop_workers EXIT
echo "==> Moodlens on http://$HOST:$PORT with ${VIDEO_WORKERS:-1} video worker(s)  (Ctrl+C to stop)"
.venv/bin/gunicorn --config gunicorn.conf.py
