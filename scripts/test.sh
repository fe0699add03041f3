#!/usr/bin/env bash
# Sets up and runs the whole test suite. With CI=true the PostgreSQL and Redis tests must run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One worker per core (pytest-xdist); TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" "$@"
