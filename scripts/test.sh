#!/usr/bin/env bash
# Sets everything up (with test tools) and runs the whole test suite.
#   bash scripts/test.sh [pytest args]
# PostgreSQL tests run when DATABASE_URL_POSTGRES_TEST is set (.ci/run starts a server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
