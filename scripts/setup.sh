#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install the given requirement files into it.
# Skips pip when the same files were installed before (a hash is kept in .venv).
# Usage: scripts/setup.sh requirements.txt [more-requirements.txt ...]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Python 3.11 or newer is needed (tried '$PYTHON'; set PYTHON=/path/to/python3.11)." >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    echo "==> Creating virtual environment in .venv"
    if ! "$PYTHON" -m venv .venv; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            apt-get update -qq && apt-get install -y -qq python3-venv
            rm -rf .venv && "$PYTHON" -m venv .venv
        else
            echo "Could not create a virtual environment: install python3-venv." >&2
            exit 1
        fi
    fi
fi

stamp=.venv/.installed-requirements
wanted="$(cat "$@" | sha256sum | cut -d' ' -f1) $*"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    echo "==> Installing $*"
    .venv/bin/python -m pip install --quiet --upgrade pip
    args=()
    for file in "$@"; do args+=(-r "$file"); done
    .venv/bin/python -m pip install --quiet "${args[@]}"
    echo "$wanted" > "$stamp"
fi
