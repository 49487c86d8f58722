#!/usr/bin/env bash
#! The main job end to end: real IdP + httpbin + the gateway with conf/kong.yaml, then the workshop's verification call.
#
# Usage: bash tests/demo.sh   (from a fresh clone; as root for setup.sh's apt step)
# Starts the IdP on 127.0.0.1:8080, httpbin on 127.0.0.1:9080 and the gateway on 127.0.0.1:8000,
# calls GET /oidc-route/get with Basic kong_id:SECRET, prints the Bearer token that httpbin saw,
# decoded like `jwt decode`, and stops everything it started. Exit 0 on success.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/oidc-gateway-demo.XXXXXX")"
PIDS=()

say() { printf 'demo: %s\n' "$*" >&2; }
fail() {
  say "FAILED: $*"
  for log in "$WORK"/*.log; do
    [[ -f "$log" ]] || continue
    say "---- last lines of $(basename "$log") ----"
    tail -n 20 "$log" >&2 || true
  done
  exit 1
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local secs="$1" what="$2" i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  fail "timed out after ${secs}s waiting for $what"
}

say "setup"
bash tests/setup.sh >&2 || fail "tests/setup.sh"
say "cargo build --release"
cargo build --release >&2 || fail "cargo build --release"

for port in 8080 9080 8000; do
  port_free "$port" || fail "127.0.0.1:$port is already in use; stop whatever listens there"
done

say "starting the IdP on 127.0.0.1:8080"
node tests/idp/idp.mjs --port 8080 >"$WORK/idp.out" 2>"$WORK/idp.log" &
PIDS+=($!)
wait_for 20 "the IdP (IDP_READY)" grep -q '^IDP_READY ' "$WORK/idp.out"

say "starting httpbin on 127.0.0.1:9080"
(cd tests && exec .venv/bin/gunicorn --no-control-socket --threads 8 -b 127.0.0.1:9080 httpbin:app) \
  >"$WORK/httpbin.log" 2>&1 &
PIDS+=($!)
wait_for 30 "httpbin /get" curl -sf --max-time 2 http://127.0.0.1:9080/get

say "starting the gateway on 127.0.0.1:8000"
RUST_LOG="${RUST_LOG:-info}" target/release/oidc-gateway \
  --declarative-config conf/kong.yaml --proxy-listen 127.0.0.1:8000 >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
wait_for 30 "the gateway to listen on 127.0.0.1:8000" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8000'

say 'curl -sX GET http://127.0.0.1:8000/oidc-route/get -u "kong_id:RVXO9SOJskjw4LeVupjRbIMJIAyyil8j"'
status="$(curl -sS --max-time 15 -o "$WORK/response.json" -w '%{http_code}' \
  -X GET http://127.0.0.1:8000/oidc-route/get -u "kong_id:RVXO9SOJskjw4LeVupjRbIMJIAyyil8j")" \
  || fail "the call to the gateway failed"
[[ "$status" == "200" ]] || fail "gateway answered HTTP $status: $(head -c 500 "$WORK/response.json")"

python3 - "$WORK/response.json" <<'PY' || fail "could not decode the token httpbin received"
import base64, json, sys

def part(segment):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

body = json.load(open(sys.argv[1]))
auth = body["headers"].get("Authorization", "")
scheme, _, token = auth.partition(" ")
if scheme != "Bearer" or token.count(".") != 2:
    sys.exit(f"upstream did not receive a Bearer JWT (Authorization: {scheme} ...)")
header, claims, _sig = token.split(".")
print("\nToken header\n------------")
print(json.dumps(part(header), indent=2))
print("\nToken claims\n------------")
print(json.dumps(part(claims), indent=2, sort_keys=True))
PY
say "OK: the gateway exchanged kong_id's credentials for an RS256 JWT and forwarded it to httpbin"
