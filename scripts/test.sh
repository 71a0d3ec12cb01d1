#!/usr/bin/env bash
# Install, then run every check: lint (ruff), types (mypy), and the whole pytest suite
# (slow tests included; pass -m "not slow" for a quick local run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
uv run --locked ruff check src tests
uv run --locked mypy
exec uv run --locked pytest "$@"
