#!/usr/bin/env bash
#! Fuzz smoke run: builds the cargo-fuzz targets of tests/fuzz and runs each for a short fixed time over its committed corpus; fails on any crash.
#
# Usage: bash tests/fuzz/smoke.sh [SECONDS]    (per target; default 20, or $FUZZ_SMOKE_SECONDS)
#
# Stable toolchain: `-s none` (no sanitizer) keeps cargo-fuzz off every nightly-only flag;
# coverage instrumentation, debug assertions and overflow checks stay on. New inputs go to a
# scratch directory, so the committed corpus never changes; a crash input is kept in
# tests/fuzz/artifacts/<target>/ (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS_PER_TARGET="${1:-${FUZZ_SMOKE_SECONDS:-20}}"
FUZZ_ARGS=(--fuzz-dir tests/fuzz -s none)
SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/oidc-gateway-fuzz.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT

say() { printf 'fuzz smoke: %s\n' "$*"; }

say "cargo fuzz build ${FUZZ_ARGS[*]}"
cargo fuzz build "${FUZZ_ARGS[@]}"

passed=0
failed=0
for target in $(cargo fuzz list --fuzz-dir tests/fuzz); do
  mkdir -p "$SCRATCH/$target" "tests/fuzz/artifacts/$target"
  log="$SCRATCH/$target.log"
  started=$SECONDS
  if cargo fuzz run "${FUZZ_ARGS[@]}" "$target" "$SCRATCH/$target" "tests/fuzz/corpus/$target" -- \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    runs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')"
    say "$target ok ($runs inputs in $((SECONDS - started)) s)"
    passed=$((passed + 1))
  else
    say "$target FAILED; the end of its log:"
    tail -n 40 "$log" | sed 's/^/    /'
    failed=$((failed + 1))
  fi
done

say "$passed passed; $failed failed"
((failed == 0))
