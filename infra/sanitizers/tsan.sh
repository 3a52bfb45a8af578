#!/usr/bin/env bash
# ThreadSanitizer run of the concurrency tests (documented in README.md beside this file; not part
# of CI): ./infra/sanitizers/tsan.sh [--services]. Builds the three services and the tests below
# into build-tsan with ORDERS_SANITIZE=thread and runs them; --services adds the tests against real
# service processes, which need the local Kafka and PostgreSQL running (./infra/run.sh or
# ./infra/test.sh start them; this script starts nothing).
# Every TSan report, from a test binary or from a service process it started, lands in
# build-tsan/tsan-reports/ and fails the run.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
BUILD_DIR="${TSAN_BUILD_DIR:-$ORDERS_ROOT/build-tsan}"
reports="$BUILD_DIR/tsan-reports"

# The in-process concurrency tests: the command processor's per-order queue (one writer per
# order), the projection's minVersion waiters, the notifier hub.
TESTS=(
  "command_unit_tests:CommandProcessorTest.*"
  "projection_unit_tests:ProjectionVersionWaiters.*"
  "notifier_unit_tests:HubTest.*"
)
# The same against real service processes (32 concurrent status changes, minVersion over HTTP, the
# notifier's feed -> hub -> sessions). With Debian's librdkafka 2.0.2 these crash under gcc 12's TSan
# before any test code runs: librdkafka starts its threads with C11 thrd_create, which TSan does not
# intercept, so the first malloc on such a thread faults (README.md). Tried with --services.
SERVICE_TESTS=(
  "command_integration_tests:CommandServiceTest.Concurrent*"
  "projection_integration_tests:ProjectionQueryTest.MinVersion*"
  "notifier_integration_tests:NotifierTest.SubscriberGetsSnapshotThenEveryUpdateInOrderExactlyOnce:NotifierTest.SlowSubscriberIsClosedWithoutDelayingOthers"
)
if [[ ${1:-} == --services ]]; then TESTS+=("${SERVICE_TESTS[@]}"); fi

rm -rf "$reports"
mkdir -p "$reports"
# halt_on_error=0: collect every report of a run, not only the first.
export TSAN_OPTIONS="suppressions=$ORDERS_ROOT/infra/sanitizers/tsan.supp:second_deadlock_stack=1:halt_on_error=0:log_path=$reports/tsan"
cmake -S "$ORDERS_ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DORDERS_SANITIZE=thread >/dev/null ||
  orders::die "cmake configure of $BUILD_DIR failed"
targets=(command-service projection-service notifier)
for entry in "${TESTS[@]}"; do targets+=("${entry%%:*}"); done
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${targets[@]}" || orders::die "TSan build failed"

export KAFKA_BROKERS DATABASE_URL ORDERS_TEST_REQUIRE_INFRA=1
failed=0
for entry in "${TESTS[@]}"; do
  binary=$(find "$BUILD_DIR/tests" -type f -name "${entry%%:*}" | head -1)
  orders::log "running ${entry%%:*} --gtest_filter=${entry#*:}"
  log="$BUILD_DIR/${entry%%:*}.log"
  "$binary" --gtest_filter="${entry#*:}" >"$log" 2>&1 || { status=$?; failed=1; orders::log "failed (exit $status), see $log"; }
done
if compgen -G "$reports/*" >/dev/null; then
  orders::log "TSan reports in $reports:"
  grep -h "^SUMMARY" "$reports"/* | sort | uniq -c | sort -rn >&2
  failed=1
fi
exit $failed
