#!/usr/bin/env bash
# Formats every tracked C++ file with the repository's .clang-format (Debian's clang-format 14).
#
#   ./infra/format.sh           rewrites the files in place
#   ./infra/format.sh --check   changes nothing; lists the files that differ and fails if any does
#                               (.ci/run runs this first)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

command -v clang-format >/dev/null 2>&1 || orders::install_deps
cd "$ORDERS_ROOT" || exit 1
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h')
case "${1:-}" in
  --check)
    unformatted=()
    for file in "${files[@]}"; do
      clang-format --dry-run -Werror "$file" >/dev/null 2>&1 || unformatted+=("$file")
    done
    if ((${#unformatted[@]})); then
      orders::log "not formatted (run ./infra/format.sh): ${unformatted[*]}"
      exit 1
    fi
    orders::log "formatting: ${#files[@]} files checked, all formatted"
    orders::write_timings
    ;;
  '') clang-format -i "${files[@]}" ;;
  *) orders::die "usage: $0 [--check]" ;;
esac
