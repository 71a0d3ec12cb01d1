#!/usr/bin/env bash
# Install, then run coinpilot's main job on the bundled sample (no keys, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec uv run --locked coinpilot demo "$@"
