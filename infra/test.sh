#!/usr/bin/env bash
# The same set-up as run.sh (install, build, Kafka, PostgreSQL, topic), then every test through
# ctest. Extra arguments go to ctest (e.g. -L unit, -R Lifecycle). Exits with ctest's status and
# stops whatever it started.
#
# Tests run two at a time (ctest -j); the fault tests are SERIAL (nothing runs beside them).
#
#   ./infra/test.sh --sanitize [ctest args]   the same with ASan + UBSan: builds build-asan (or
#       $BUILD_DIR) with ORDERS_SANITIZE=address,undefined, only the unit and integration tiers
#       (the e2e browser test and the fault tests are left out, and not built: under ASan they
#       exceed their timing budgets), and runs them. Any sanitizer report, from a test or from a
#       service process it started, fails the run (infra/sanitizers/README.md).
set -uo pipefail
sanitize=0
if [[ ${1:-} == --sanitize ]]; then
  sanitize=1
  shift
  BUILD_DIR="${BUILD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build-asan}"
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

trap 'orders::stop_started' EXIT
trap 'exit 130' INT TERM

orders::timed install orders::install_deps
orders::timed kafka-jars orders::kafka_jars
# Only the SCRAM-SHA-512 test needs it (infra/local/kafka-3.9/pom.xml says why).
orders::timed kafka-3.9-jars orders::kafka_3_9_jars
orders::timed promtool orders::observability_test_deps
# Both runs: the integration tier verifies webhook signatures with a PyPI library (standardwebhooks).
orders::timed python-tools orders::python_test_tools
if ((sanitize)); then
  reports="$BUILD_DIR/sanitizer-reports"
  rm -rf "$reports"
  orders::sanitizer_env "$reports"  # also for the build: test discovery runs the binaries
  orders::timed build orders::build -DORDERS_SANITIZE=address,undefined "-DORDERS_TEST_TIERS=unit;integration" \
    -DORDERS_BENCH=OFF
else
  orders::timed browser orders::browser_test_deps
  orders::timed build orders::build "-DORDERS_TEST_TIERS=unit;integration;e2e;fault" -DORDERS_BENCH=ON
fi
orders::timed kafka orders::start_kafka
orders::timed postgres orders::start_postgres
orders::create_topic "$ORDERS_TOPIC" 6
orders::create_topic "$INVENTORY_TOPIC" 6

export KAFKA_BROKERS DATABASE_URL ORDERS_TEST_REQUIRE_INFRA=1 ORDERS_KAFKA_PID_FILE="$ORDERS_DATA/kafka.pid"
start=$SECONDS
results="$BUILD_DIR/ctest-results.xml"
rm -f "$results"
if ((sanitize)); then
  ctest --test-dir "$BUILD_DIR" --output-on-failure --output-junit "$results" --timeout 900 -j"$(nproc)" "$@"
  status=$?
  if compgen -G "$reports/*" >/dev/null; then
    orders::log "sanitizer reports (each one fails the run):"
    for report in "$reports"/*; do
      printf '==== %s\n' "$report" >&2
      head -60 "$report" >&2
    done
    status=1
  else
    orders::log "no sanitizer reports"
  fi
else
  ctest --test-dir "$BUILD_DIR" --output-on-failure --output-junit "$results" --timeout 600 -j"$(nproc)" "$@"
  status=$?
fi
# Which tests failed and how each ended, again at the end (ORDERS_FAILURES_FILE: .ci/run prints it last).
if ((status)); then
  "$ORDERS_ROOT/infra/lib/failed_tests.py" "$results" >>"${ORDERS_FAILURES_FILE:-/dev/stderr}"
fi
ORDERS_TIMINGS["tests"]=$((SECONDS - start))
orders::print_timings
exit $status
