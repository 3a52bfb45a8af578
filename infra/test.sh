#!/usr/bin/env bash
# The same set-up as run.sh (install, build, Kafka, PostgreSQL, topic), then every test through
# ctest. Extra arguments go to ctest (e.g. -L unit, -R Lifecycle). Exits with ctest's status and
# stops whatever it started.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

trap 'orders::stop_started' EXIT
trap 'exit 130' INT TERM

orders::timed install orders::install_deps
orders::timed kafka-jars orders::kafka_jars
orders::timed browser orders::browser_test_deps
orders::timed build orders::build
orders::timed kafka orders::start_kafka
orders::timed postgres orders::start_postgres
orders::create_topic "$ORDERS_TOPIC" 6

export KAFKA_BROKERS DATABASE_URL ORDERS_TEST_REQUIRE_INFRA=1 ORDERS_KAFKA_PID_FILE="$ORDERS_DATA/kafka.pid"
start=$SECONDS
ctest --test-dir "$BUILD_DIR" --output-on-failure --timeout 600 "$@"
status=$?
ORDERS_TIMINGS["tests"]=$((SECONDS - start))
orders::print_timings
exit $status
