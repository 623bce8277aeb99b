#!/usr/bin/env bash
# Web, Celery worker and Celery beat in one foreground command; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# Exported: settings derive SITE_URL (the links in emails) from it unless SITE_URL is set.
export PORT=${PORT:-8000}
VAR_DIR=${VAR_DIR:-var}
mkdir -p "$VAR_DIR/celery/queue" "$VAR_DIR/celery/processed" "$VAR_DIR/mail"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping web, worker and beat..."
  kill "${pids[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap stop INT TERM EXIT

"$VENV/bin/celery" -A clinic worker --loglevel=INFO --concurrency=2 --hostname="worker@%h" &
pids+=($!)
"$VENV/bin/celery" -A clinic beat --loglevel=INFO --schedule="$VAR_DIR/celerybeat-schedule" &
pids+=($!)
"$VENV/bin/python" manage.py runserver "127.0.0.1:$PORT" --noreload &
pids+=($!)

sleep 2
cat <<TXT

  Backstride is running on http://127.0.0.1:$PORT/
  Staff admin:   http://127.0.0.1:$PORT/admin/
  Health:        http://127.0.0.1:$PORT/healthz
  Mail sent:     $VAR_DIR/mail/   (text messages: $VAR_DIR/sms/)

$(SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}" "$VENV/bin/python" manage.py seed_demo --enrolment-links)

  Press Ctrl-C to stop.
TXT
# Any one of the three dying stops the others, so a half-running demo never hides a failure.
wait -n "${pids[@]}"
