#!/usr/bin/env bash
# Runs promtool (Debian package `prometheus`) in a folder: run_promtool.sh FOLDER PROMTOOL-ARGS...,
# e.g. `run_promtool.sh infra/observability test rules alerts_test.yml`. Without promtool the check is
# skipped (exit 77, ctest's SKIP_RETURN_CODE) with a message saying how to get it, unless
# ORDERS_TEST_REQUIRE_INFRA=1 (./infra/test.sh, which installs it): then a missing promtool fails.
set -uo pipefail
folder=${1:?usage: run_promtool.sh FOLDER PROMTOOL-ARGS...}
shift
if ! command -v promtool >/dev/null 2>&1; then
  if [[ ${ORDERS_TEST_REQUIRE_INFRA:-} == 1 ]]; then
    echo "promtool is missing; ./infra/test.sh installs it (Debian package prometheus)" >&2
    exit 1
  fi
  echo "SKIPPED: promtool is not installed (apt-get install prometheus, or run ./infra/test.sh)" >&2
  exit 77
fi
cd "$folder" && exec promtool "$@"
