#!/usr/bin/env bash
# The suite as `make test` and CI run it, inside scripts/with-services.sh:
#
#   scripts/suite.sh            every test today, then the non-browser tests a year ahead
#   scripts/suite.sh ARGS...    pytest ARGS only (`make test PYTEST_ARGS="tests/triage -x"`)
#
# The second run moves the clock (tests/support/clock.py) so that a test which would break when
# the calendar moves on breaks now. SECOND_RUN_DAYS_AHEAD changes how far; 0 skips that run.
set -euo pipefail
cd "$(dirname "$0")/.."
pytest=${VENV:-.venv}/bin/pytest

if (($#)); then
  exec "$pytest" "$@"
fi
"$pytest"
days=${SECOND_RUN_DAYS_AHEAD:-365}
if ((days)); then
  echo "suite: the non-browser tests again, with the clock $days days ahead" >&2
  "$pytest" -q -m "not browser" --clock-ahead="$days"
fi
