#!/usr/bin/env bash
# Sets up and runs paotui. With no TELEGRAM_TOKEN it starts the local console channel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python main.py "${@:-run}"
