#!/usr/bin/env bash
# Install the peer backtesters (freqtrade, vectorbt) into their own venv, bench/.peers-venv.
#
# They stay out of the project's dependencies on purpose: freqtrade alone pulls in ~150
# packages and pins its own pandas/numpy, so mixing it into coinpilot's lock would couple
# the two. The versions are locked in bench/peers/requirements.lock (regenerate it with
# `uv pip compile --universal --python-version 3.11 bench/peers/requirements.in
#  -o bench/peers/requirements.lock`).
#
# Idempotent: a second run with an unchanged lock only checks a stamp and exits.
# COINPILOT_PEERS_VENV puts the venv elsewhere (bench/common.py reads the same variable).
# Needs uv and a local Python 3.11 (uv cannot download interpreters here) and PyPI.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$(dirname "$here")"
venv="${COINPILOT_PEERS_VENV:-$bench/.peers-venv}"
lock="$here/requirements.lock"
stamp="$venv/.coinpilot-peers-lock.sha256"

if ! command -v uv >/dev/null 2>&1; then
    echo "setup.sh: uv is not on PATH; install it with 'python3 -m pip install uv'" >&2
    exit 2
fi

want="$(sha256sum "$lock" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "peers venv up to date: $venv"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    uv venv --python 3.11 "$venv"
fi
# `sync` (not `install`) so that the venv holds exactly the lock, nothing left over.
uv pip sync --python "$venv/bin/python" "$lock"
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("freqtrade", "vectorbt", "pandas", "numpy", "ccxt", "ta-lib"):
    print(f"{name:10s} {md.version(name)}")
PY
echo "$want" > "$stamp"
echo "peers venv ready: $venv"
