#!/bin/sh
# Entry point of the Moodlens image (Dockerfile). Commands:
#   web      apply migrations (skipped with RUN_MIGRATIONS=0, when a one-off `migrate` does it),
#            start VIDEO_WORKERS video workers (default 1; 0 when a worker service runs them),
#            then replace this shell with gunicorn so that it receives docker stop's SIGTERM
#   migrate  apply migrations and exit (compose.yaml runs it once before the web instances)
#   other    run as given
set -eu

instance="${INSTANCE_PATH:-/srv/moodlens/instance}"

check_instance_folder() {
    # The SQLite database lives here when DATABASE_URL is unset; with PostgreSQL nothing is written.
    [ -n "${DATABASE_URL:-}" ] && return 0
    probe="$instance/.write-test.$$"
    if mkdir -p "$instance" 2>/dev/null && : > "$probe" 2>/dev/null; then
        rm -f "$probe"
        return 0
    fi
    owner="$(stat -c '%u:%g' "$instance" 2>/dev/null || echo unknown)"
    cat >&2 <<MESSAGE
Moodlens cannot write to $instance (owned by $owner; this container runs as uid $(id -u)).
It holds the SQLite database when DATABASE_URL is not set. Either:
  * use a named volume:        docker run -v moodlens-data:$instance ...
  * give a bind-mounted folder to uid 10001:   sudo chown -R 10001:10001 /path/on/host
  * or run as the folder's owner:               docker run --user "\$(id -u):\$(id -g)" -v /path/on/host:$instance ...
  * or set DATABASE_URL to a PostgreSQL database.
MESSAGE
    exit 1
}

case "${1:-web}" in
    web)
        check_instance_folder
        if [ "${RUN_MIGRATIONS:-1}" != 0 ]; then
            flask db upgrade
        fi
        i=0
        while [ "$i" -lt "${VIDEO_WORKERS:-1}" ]; do
            python -m app.video.worker &
            i=$((i + 1))
        done
        exec gunicorn --config gunicorn.conf.py
        ;;
    migrate)
        check_instance_folder
        exec flask db upgrade
        ;;
    *)
        exec "$@"
        ;;
esac
