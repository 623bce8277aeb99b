#!/usr/bin/env bash
# Benchmarks at clinic-network scale (bench/README.md). Needs the throwaway PostgreSQL and Redis
# of scripts/with-services.sh (DATABASE_URL, REDIS_URL):
#
#   make bench                       full scale; writes bench/results.json and the README table
#   BENCH_SCALE=small WITH_BROWSER=0 scripts/with-services.sh bench/run.sh
#                                    development scale; writes var/bench-small/ only
#   BENCH_PROFILE=always             profile every measurement, not only the ones that miss
#
# Steps: migrate, seed the network and the first 1,000 intakes, count the admin queue's queries,
# seed the rest, measure (among them the FHIR search page), report. A measurement that fails is reported and the others still run;
# the exit status is then 1. gunicorn and Celery are started and always stopped by the steps.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${VENV:-.venv}/bin/python
SCALE=${BENCH_SCALE:-full}

if [[ ${DATABASE_URL:-} != postgres* || -z ${REDIS_URL:-} ]]; then
  echo "bench/run.sh needs PostgreSQL and Redis; run it through scripts/with-services.sh" \
    "(make bench)." >&2
  exit 2
fi

BENCH_WORK=$(mktemp -d -t backstride-bench.XXXXXX)
if [[ $SCALE == full ]]; then
  BENCH_OUT=bench
  report_args=(--readme bench/README.md)
else
  BENCH_OUT=var/bench-$SCALE
  report_args=()
fi
export BENCH_SCALE=$SCALE BENCH_WORK BENCH_OUT DJANGO_SETTINGS_MODULE=bench.settings
rm -rf "$BENCH_OUT/profiles"
mkdir -p "$BENCH_OUT"

failed=()
child=''

finish() {
  local rc=$?
  if ((rc == 0 && ${#failed[@]} == 0)); then
    rm -rf "$BENCH_WORK"
  else
    echo "Logs of this run (gunicorn, Celery, partial results): $BENCH_WORK" >&2
  fi
}
trap finish EXIT

# A step runs in the background so that a TERM reaches this script at once and is passed on;
# the step's own cleanup then stops its gunicorn or Celery worker. On Ctrl-C the step got the
# INT itself (same process group): wait for it to clean up.
on_signal() {
  local sig=$1 code=$2
  trap '' INT TERM HUP
  if [[ -n $child ]]; then
    if [[ $sig != INT ]]; then kill -TERM "$child" 2>/dev/null || true; fi
    wait "$child" 2>/dev/null || true
  fi
  exit "$code"
}
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

reset_signals=()
if env --default-signal=INT true 2>/dev/null; then
  reset_signals=(env '--default-signal=INT,QUIT')
fi

run() {
  "${reset_signals[@]}" "$@" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=''
  return "$rc"
}

# step ID ARGS...: one measurement; a failure is recorded and the run goes on.
step() {
  local id=$1 began=$SECONDS
  shift
  echo "== $id"
  if run "$PY" -m bench "$@"; then
    echo "   ($((SECONDS - began)) s)"
  else
    echo "   $id FAILED after $((SECONDS - began)) s" >&2
    failed+=("$id")
  fi
}

# setup ID ARGS...: a step the rest depends on; a failure ends the run.
setup() {
  local id=$1 began=$SECONDS
  shift
  echo "== $id"
  run "$@"
  echo "   ($((SECONDS - began)) s)"
}

started=$SECONDS
awk '{ printf "[%s, %s, %s]\n", $1, $2, $3 }' /proc/loadavg >"$BENCH_WORK/load-at-start"
echo "Benchmarks at the $SCALE scale; results go to $BENCH_OUT/"

setup migrate "$PY" manage.py migrate --noinput --verbosity 0
setup seed_first "$PY" -m bench seed first
step admin_queue_first admin_queue --stage first
setup seed_rest "$PY" -m bench seed rest
step triage_engine triage_engine
step availability availability
step admin_queue_full admin_queue --stage full
step fhir_search fhir_search
step outcomes_dashboard outcomes_dashboard
step notification_dispatch notification_dispatch
step booking_storm booking_storm
step intake_http intake_http

echo "== report"
run "$PY" -m bench report "${report_args[@]}" --duration "$((SECONDS - started))" \
  --failed "${failed[@]}"
echo "Benchmarks done in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s."
if ((${#failed[@]})); then
  echo "Failed: ${failed[*]}" >&2
  exit 1
fi
