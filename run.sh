#!/usr/bin/env bash
# Set everything up and start Moodlens: virtual environment, dependencies, database schema,
# then gunicorn on http://127.0.0.1:8000 (HOST/PORT to change). Safe to run again at any time.
set -euo pipefail
cd "$(dirname "$0")"

scripts/setup.sh requirements.txt
echo "==> Applying database migrations"
.venv/bin/flask --app app db upgrade
export HOST="${HOST:-127.0.0.1}" PORT="${PORT:-8000}"
echo "==> Moodlens on http://$HOST:$PORT  (Ctrl+C to stop)"
exec .venv/bin/gunicorn --config gunicorn.conf.py
