#!/usr/bin/env bash
# Install what coinpilot needs on a fresh machine: uv (from PyPI) and the locked dependencies.
# Safe to run repeatedly; a warm run takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v uv >/dev/null 2>&1; then
  echo "bootstrap: installing uv from PyPI" >&2
  python3 -m pip install --quiet --disable-pip-version-check uv
fi
# Byte-compile once per lock file: machines that set PYTHONDONTWRITEBYTECODE would otherwise
# recompile every imported module on each start (seconds per command).
stamp=".venv/.coinpilot-bytecode-$(sha256sum uv.lock | cut -c1-16)"
if [ -f "$stamp" ]; then
  uv sync --locked --quiet
else
  uv sync --locked --quiet --compile-bytecode
  rm -f .venv/.coinpilot-bytecode-*
  touch "$stamp"
fi
uv run --locked python -m compileall -q src >/dev/null
# The report's browser test drives Debian's Chromium through Playwright (which cannot
# download its own browsers here); install it only when it is missing.
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: installing chromium for the browser tests" >&2
  apt-get update -qq && apt-get install -y -qq --no-upgrade chromium chromium-driver >/dev/null
fi
