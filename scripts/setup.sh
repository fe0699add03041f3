#!/usr/bin/env bash
# Creates .venv and installs paotui with its pinned dependencies; quiet when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)
if [ ! -f "$stamp" ]; then
    echo "installing paotui's dependencies into .venv ..." >&2
    log=.venv/install.log
    if ! { .venv/bin/python -m pip install --upgrade pip && .venv/bin/python -m pip install -e ".[test]"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "installation failed (log above)" >&2
        exit 1
    fi
    rm -f .venv/.installed-*
    touch "$stamp"
fi
