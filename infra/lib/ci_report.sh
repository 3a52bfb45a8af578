#!/usr/bin/env bash
# Prints the CI timing table from the lines the steps appended to a timings file
# (infra/lib/common.sh, orders::write_timings), and the compiler cache's hit rate.
#
#   infra/lib/ci_report.sh TIMINGS_FILE TOTAL_SECONDS
set -uo pipefail
file=$1 total=$2
awk -v total="$total" '
  function value(field,   parts) { split(field, parts, "="); return parts[2] }
  BEGIN { printf "\n%-22s %8s %8s %8s %10s\n", "step", "build s", "tests s", "total s", "ccache hit" }
  {
    step = ""; for (i = 1; i <= NF; i++) if ($i ~ /^(build|tests|total|hits|misses)=/) break; else step = step (step ? " " : "") $i
    sub(/^step=/, "", step)
    build = value($(i)); tests = value($(i + 1)); sum = value($(i + 2)); hits = value($(i + 3)); misses = value($(i + 4))
    rate = (hits + misses) ? sprintf("%.0f%%", 100 * hits / (hits + misses)) : "-"
    printf "%-22s %8d %8d %8d %10s\n", step, build, tests, sum, rate
    all_build += build; all_tests += tests; all_hits += hits; all_misses += misses
  }
  END {
    rate = (all_hits + all_misses) ? sprintf("%.0f%%", 100 * all_hits / (all_hits + all_misses)) : "-"
    printf "%-22s %8d %8d %8d %10s\n", "all (wall clock)", all_build, all_tests, total, rate
    printf "compiler cache: %d hits, %d misses\n", all_hits, all_misses
  }' "$file"
