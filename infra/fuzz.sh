#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang + ASan/UBSan into build-fuzz and runs each one
# for a fixed time from its seed corpus (tests/fuzz/corpus/<target>/). Exits non-zero on any crash,
# sanitizer report, violated invariant or timeout; the input that caused it is kept in
# build-fuzz/findings/<target>/ (replay: build-fuzz/tests/fuzz/<target> <file>).
#
#   ./infra/fuzz.sh             30 s per target
#   ./infra/fuzz.sh 20          20 s per target (CI)
#   ./infra/fuzz.sh --long      10 minutes per target
#
# Settings (environment): FUZZ_BUILD_DIR (build-fuzz).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

seconds=30
case "${1:-}" in
  --long) seconds=600 ;;
  '') ;;
  *[!0-9]*) orders::die "usage: $0 [seconds-per-target | --long]" ;;
  *) seconds=$1 ;;
esac

FUZZ_BUILD_DIR="${FUZZ_BUILD_DIR:-$ORDERS_ROOT/build-fuzz}"
TARGETS=(event_codec_fuzzer command_parser_fuzzer ws_frame_fuzzer ws_protocol_fuzzer request_framer_fuzzer cursor_fuzzer
  jwt_fuzzer)

# clang, and compiler-rt for libFuzzer and the sanitizer runtimes (not pulled in by clang itself).
orders::fuzz_deps() {
  orders::install_deps
  local missing=() package
  for package in clang libclang-rt-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  ((${#missing[@]})) || return 0
  orders::log "installing: ${missing[*]}"
  local sudo=""
  ((EUID == 0)) || sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
    orders::die "could not install ${missing[*]}"
}

orders::fuzz_build() {
  cmake -S "$ORDERS_ROOT" -B "$FUZZ_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DORDERS_FUZZ=ON -DORDERS_SANITIZE=address,undefined \
    "-DORDERS_TEST_TIERS=" -DORDERS_BENCH=OFF >/dev/null ||
    orders::die "cmake configure of $FUZZ_BUILD_DIR failed"
  local before
  before="$(orders::ccache_counts)"
  cmake --build "$FUZZ_BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]}" || orders::die "fuzz build failed"
  orders::record_ccache "$before" "$(orders::ccache_counts)"
}

# orders::fuzz_run TARGET: runs one target; prints its executions per second and total runs.
orders::fuzz_run() {
  local target=$1 binary="$FUZZ_BUILD_DIR/tests/fuzz/$1"
  local corpus="$FUZZ_BUILD_DIR/corpus/$target" findings="$FUZZ_BUILD_DIR/findings/$target/"
  local log="$FUZZ_BUILD_DIR/logs/$target.log"
  mkdir -p "$corpus" "$findings" "$(dirname "$log")"
  orders::log "fuzzing $target for ${seconds}s"
  # New inputs go to the first directory (build-fuzz/corpus), so the seeds in the repository stay small.
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$findings" "$corpus" "$ORDERS_ROOT/tests/fuzz/corpus/$target" >"$log" 2>&1
  local status=$?
  local runs speed
  runs=$(grep -m1 'stat::number_of_executed_units' "$log" | awk '{print $2}')
  speed=$(grep -m1 'stat::average_exec_per_sec' "$log" | awk '{print $2}')
  if ((status != 0)); then
    tail -40 "$log" >&2
    orders::log "FAILED: $target (exit $status); input kept in $findings, log in $log"
    return 1
  fi
  printf '  %-22s %10s runs %8s exec/s\n' "$target" "${runs:-?}" "${speed:-?}" >&2
}

orders::timed install orders::fuzz_deps
orders::timed build orders::fuzz_build
failed=0
start=$SECONDS
for target in "${TARGETS[@]}"; do
  orders::fuzz_run "$target" || failed=$((failed + 1))
done
ORDERS_TIMINGS["fuzz"]=$((SECONDS - start))
orders::print_timings
passed=$((${#TARGETS[@]} - failed))
echo "fuzz: $passed passed, $failed failed"
exit $((failed > 0))
