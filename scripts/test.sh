#!/usr/bin/env bash
# Sets up and runs the whole test suite. With CI=true the PostgreSQL and Redis tests must run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# One worker per core (pytest-xdist), at most 16: each worker flushes a Redis database of its own, and Redis has 16.
# TEST_WORKERS=0 runs everything in this process.
cores=$(nproc 2>/dev/null || echo 2)
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-$(( cores < 16 ? cores : 16 ))}" "$@"
