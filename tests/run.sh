#!/usr/bin/env bash
#! The whole test suite: installs what it needs, checks style, runs every test, a benchmark smoke run and a fuzz smoke run.
#
# Usage: bash tests/run.sh     (as root on a fresh Debian machine; CI runs exactly this)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOG="$(mktemp "${TMPDIR:-/tmp}/oidc-gateway-tests.XXXXXX")"
trap 'rm -f "$LOG"' EXIT

bash tests/setup.sh

echo "run: cargo fmt --check"
cargo fmt --all -- --check
cargo fmt --manifest-path tests/fuzz/Cargo.toml -- --check
echo "run: cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "run: cargo test --all-targets (unit, config, CLI, fault injection with stub IdPs, end to end"
echo "     with the real IdP and httpbin, and one smoke pass of each criterion benchmark)"
cargo test --all-targets 2>&1 | tee "$LOG"
echo "run: fuzz smoke run (each cargo-fuzz target of tests/fuzz briefly over its corpus; one test each)"
fuzz_status=0
bash tests/fuzz/smoke.sh 2>&1 | tee -a "$LOG" || fuzz_status=$?

# One closing line over every test binary and the fuzz targets.
sum() { grep -Eo "[0-9]+ $1" "$LOG" | awk '{ total += $1 } END { print total + 0 }'; }
echo "tests: $(sum passed) passed, $(sum failed) failed"
exit "$fuzz_status"
