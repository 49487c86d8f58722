#!/usr/bin/env bash
#! Installs what the end-to-end tests, the fuzz smoke run and the demo need (apt build tools, cargo-fuzz, the IdP's npm packages, the httpbin venv); idempotent.
#
# Usage: bash tests/setup.sh      (as root, non-interactive; a second run skips what is done)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IDP_DIR="$ROOT/tests/idp"
VENV="$ROOT/tests/.venv"
REQS="$ROOT/tests/httpbin/requirements.txt"

say() { printf 'setup: %s\n' "$*"; }

# --- Debian packages -------------------------------------------------------------------------
need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)      # pingora-core builds zlib-ng with it
command -v curl >/dev/null 2>&1 || need_apt+=(curl)        # demo.sh
command -v perl >/dev/null 2>&1 || need_apt+=(perl)        # pingora's openssl feature builds a vendored OpenSSL
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v c++ >/dev/null 2>&1 || need_apt+=(g++)          # libfuzzer-sys builds libFuzzer (tests/fuzz)
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)  # test certificates
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)                      # reload/upgrade under load
[[ -x /usr/sbin/dnsmasq ]] || need_apt+=(dnsmasq)                       # tests/dns.rs: a real DNS server on loopback
command -v systemd-analyze >/dev/null 2>&1 || need_apt+=(systemd)      # verify conf/oidc-gateway.service
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)    # rate-limiting's redis policy (tests/plugin_rate_limiting_redis.rs)
if ((${#need_apt[@]})); then
  say "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${need_apt[@]}"
else
  say "apt packages present (cmake curl perl make g++ openssl python3-venv node npm wrk dnsmasq systemd redis-server)"
fi

# --- cargo-fuzz (tests/fuzz/smoke.sh) --------------------------------------------------------
if cargo fuzz --version >/dev/null 2>&1; then
  say "cargo-fuzz present ($(cargo fuzz --version))"
else
  say "cargo install cargo-fuzz --locked"
  cargo install cargo-fuzz --locked
fi

# --- the IdP (npm oidc-provider) -------------------------------------------------------------
stamp_idp="$IDP_DIR/node_modules/.setup-stamp"
lock_sum="$(sha256sum "$IDP_DIR/package-lock.json" | cut -d' ' -f1)"
if [[ -f "$stamp_idp" && "$(cat "$stamp_idp")" == "$lock_sum" ]]; then
  say "tests/idp/node_modules up to date"
else
  say "npm ci in tests/idp"
  (cd "$IDP_DIR" && npm ci --no-audit --no-fund --loglevel=error)
  printf '%s' "$lock_sum" >"$stamp_idp"
fi

# --- httpbin venv ----------------------------------------------------------------------------
stamp_venv="$VENV/.setup-stamp"
reqs_sum="$(sha256sum "$REQS" | cut -d' ' -f1)"
if [[ -x "$VENV/bin/gunicorn" && -f "$stamp_venv" && "$(cat "$stamp_venv")" == "$reqs_sum" ]]; then
  say "tests/.venv up to date"
else
  if [[ ! -x "$VENV/bin/python" ]]; then
    say "python3 -m venv tests/.venv"
    python3 -m venv "$VENV"
  fi
  say "pip install -r tests/httpbin/requirements.txt"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQS"
  printf '%s' "$reqs_sum" >"$stamp_venv"
fi

say "done"
