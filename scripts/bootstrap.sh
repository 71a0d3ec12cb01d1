#!/usr/bin/env bash
# Install what coinpilot needs on a fresh machine: uv (from PyPI) and the locked dependencies.
# Safe to run repeatedly; a warm run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
uv sync --locked --quiet
