#!/usr/bin/env bash
# Re-pin requirements.lock and requirements-dev.lock from the .in files in clean virtualenvs,
# so each lock holds exactly what its own list pulls in.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/run"
"$tmp/run/bin/pip" install -q -r requirements.in
{ echo "# Pinned by scripts/lock.sh from requirements.in; install with pip install -r requirements.lock"
  "$tmp/run/bin/pip" freeze --exclude-editable; } > requirements.lock
python3 -m venv "$tmp/dev"
"$tmp/dev/bin/pip" install -q -r requirements.lock -r requirements-dev.in
{ echo "# Pinned by scripts/lock.sh from requirements-dev.in (includes requirements.lock)"
  echo "-r requirements.lock"
  "$tmp/dev/bin/pip" freeze --exclude-editable | grep -vxF -f <(grep -v '^#' requirements.lock); } > requirements-dev.lock
