#!/usr/bin/env bash
#! The whole test suite: installs what it needs, checks style, runs every test and a benchmark smoke run.
#
# Usage: bash tests/run.sh     (as root on a fresh Debian machine; CI runs exactly this)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash tests/setup.sh

echo "run: cargo fmt --check"
cargo fmt --all -- --check
echo "run: cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "run: cargo test (unit, config, fault injection with stub IdPs, end to end with the real IdP and httpbin)"
cargo test --all-targets
echo "run: criterion benches, one pass each (smoke, no timing)"
cargo test --benches -q
