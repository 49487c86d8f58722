#!/usr/bin/env bash
#! The load kit: the gateway beside nginx and haproxy on loopback, under wrk, one markdown table.
#
# Usage: bash benches/load/load.sh            (from a fresh clone, as root for apt-get)
#        QUICK=1 bash benches/load/load.sh    (3 s per case, smaller client counts: a smoke run)
#
# Installs (apt-get) nginx, haproxy and wrk, runs tests/setup.sh (the IdP's npm packages),
# builds the gateway (cargo build --release), then starts on 127.0.0.1 only:
#   the real IdP (tests/idp, with IDP_LOAD_CLIENTS generated clients load-1..load-N),
#   a static upstream (nginx `return 200`), and in turn each proxy under test in front of it:
#   nginx (keepalive upstream), haproxy, haproxy + jwt_verify of an RS256 token on every request,
#   and the gateway (plain route, client_credentials route with 1 / 1,000 / LARGE cached
#   clients, bearer route). The proxy under test runs alone on PROXY_CPU; wrk, the upstream
#   and the IdP share LOAD_CPU. Each case: WARMUP s of load, then DURATION s measured.
# Then a cold start (COLD distinct clients, each one IdP token call through the gateway, versus
# the same token requests made to the IdP directly) and the gateway's memory per credential.
# Everything it starts is stopped on exit; its files live in a temp dir (KEEP=1 keeps it).
#
# Environment (defaults; QUICK=1 changes the ones marked *):
#   DURATION=10* WARMUP=3* CONNS=64 LARGE=100000* MID=1000 COLD=10000* PROXY_CPU=1 LOAD_CPU=0
#   THREADS=1 (gateway worker threads)  CASES="direct nginx haproxy haproxy-jwt gw-plain gw-plain-token gw-cc-1
#   gw-cc-mid gw-cc-large gw-bearer cold" (a subset runs only those)  SKIP_SETUP=1 (no apt, no
#   setup.sh, no build)  GATEWAY_BIN=target/release/oidc-gateway (compare two builds)
#   PROFILE_DIR=DIR: perf record (cpu-clock, 999 Hz) of the proxy during each measured run; flat
#   profiles in DIR/<case>.txt (by symbol) and DIR/<case>.dso.txt (kernel / libc / gateway), the
#   data in DIR/<case>.perf.data; slows the proxy a little, so its figures are not for the table
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KIT="$ROOT/benches/load"
# Paths given relative to the caller's directory.
[[ -z "${PROFILE_DIR:-}" ]] || PROFILE_DIR="$(realpath -m "$PROFILE_DIR")"
[[ -z "${GATEWAY_BIN:-}" ]] || GATEWAY_BIN="$(realpath -m "$GATEWAY_BIN")"
cd "$ROOT"

if [[ "${QUICK:-0}" == "1" ]]; then
  DURATION="${DURATION:-3}" WARMUP="${WARMUP:-1}" LARGE="${LARGE:-10000}" COLD="${COLD:-2000}"
fi
DURATION="${DURATION:-10}"
WARMUP="${WARMUP:-3}"
CONNS="${CONNS:-64}"
LARGE="${LARGE:-100000}"
MID="${MID:-1000}"
COLD="${COLD:-10000}"
PROXY_CPU="${PROXY_CPU:-1}"
LOAD_CPU="${LOAD_CPU:-0}"
THREADS="${THREADS:-1}"
CASES="${CASES:-direct nginx haproxy haproxy-jwt gw-plain gw-plain-token gw-cc-1 gw-cc-mid gw-cc-large gw-bearer cold}"
GATEWAY_BIN="${GATEWAY_BIN:-$ROOT/target/release/oidc-gateway}"
export LOAD_KIT_DIR="$KIT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/oidc-gateway-load.XXXXXX")"
PIDS=()
CLK_TCK="$(getconf CLK_TCK)"

say() { printf 'load: %s\n' "$*" >&2; }
fail() {
  say "FAILED: $*"
  for log in "$WORK"/*.log; do
    [[ -s "$log" ]] || continue
    say "---- last lines of $(basename "$log") ----"
    tail -n 15 "$log" >&2 || true
  done
  exit 1
}
# stop_pid PID: SIGINT (Pingora's fast shutdown; nginx and haproxy stop on it too), SIGKILL
# after 5 s.
stop_pid() {
  local pid="$1" i
  kill -INT "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
}
# forget_pid PID: no longer ours to stop at exit.
forget_pid() {
  local kept=() p
  for p in "${PIDS[@]}"; do [[ "$p" == "$1" ]] || kept+=("$p"); done
  PIDS=("${kept[@]}")
}
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if [[ "${KEEP:-0}" == "1" ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
wants() { [[ " $CASES " == *" $1 "* ]]; }

# --- install and build --------------------------------------------------------------------
if [[ "${SKIP_SETUP:-0}" != "1" ]]; then
  need=()
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || need+=(nginx-light)
  command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || need+=(haproxy)
  command -v wrk >/dev/null 2>&1 || need+=(wrk)
  command -v taskset >/dev/null 2>&1 || need+=(util-linux)
  if ((${#need[@]})); then
    say "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q "${need[@]}" >&2
  fi
  say "tests/setup.sh"
  bash tests/setup.sh >&2 || fail "tests/setup.sh"
  say "cargo build --release"
  cargo build --release >&2 || fail "cargo build --release"
fi
export PATH="$PATH:/usr/sbin"
[[ -z "${PROFILE_DIR:-}" ]] || { mkdir -p "$PROFILE_DIR" && command -v perf >/dev/null 2>&1; } ||
  fail "PROFILE_DIR needs perf (apt-get install linux-perf)"
for tool in nginx haproxy wrk taskset node curl python3; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is missing (run without SKIP_SETUP=1)"
done
[[ -x "$GATEWAY_BIN" ]] || fail "no gateway binary at $GATEWAY_BIN"
((PROXY_CPU < $(nproc) && LOAD_CPU < $(nproc))) || fail "PROXY_CPU/LOAD_CPU beyond the $(nproc) CPUs here"

# --- helpers ---------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s until it succeeds.
wait_for() {
  local secs="$1" what="$2" i
  shift 2
  for ((i = 0; i < secs * 10; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  fail "timed out after ${secs}s waiting for $what"
}
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# wait_listening WHAT PID PORT: until PORT accepts connections; fails at once if PID exits.
wait_listening() {
  local i
  for ((i = 0; i < 300; i++)); do
    listening "$3" && return 0
    kill -0 "$2" 2>/dev/null || fail "$1 exited at start"
    sleep 0.1
  done
  fail "timed out after 30s waiting for $1 to listen on 127.0.0.1:$3"
}
# render TEMPLATE OUT KEY=VALUE...: copies a template replacing @KEY@ by VALUE.
render() {
  local template="$1" out="$2" pair text
  shift 2
  text="$(cat "$KIT/$template")"
  for pair in "$@"; do text="${text//@${pair%%=*}@/${pair#*=}}"; done
  printf '%s\n' "$text" >"$out"
}
# The process and its children (nginx's master and worker).
tree_pids() { printf '%s\n' "$1"; pgrep -P "$1" || true; }
# CPU ticks (user + system, all threads) of a process tree.
cpu_ticks() {
  local total=0 pid fields
  for pid in $(tree_pids "$1"); do
    [[ -r "/proc/$pid/stat" ]] || continue
    fields="$(sed 's/.*) //' "/proc/$pid/stat")"
    read -r -a f <<<"$fields"
    total=$((total + f[11] + f[12]))
  done
  printf '%s\n' "$total"
}
# /proc status field in KiB summed over a process tree (VmHWM: peak RSS, VmRSS: now).
mem_kib() {
  local total=0 pid value
  for pid in $(tree_pids "$1"); do
    value="$(awk -v k="$2:" '$1 == k { print $2 }' "/proc/$pid/status" 2>/dev/null || true)"
    total=$((total + ${value:-0}))
  done
  printf '%s\n' "$total"
}
# start NAME CPU COMMAND...: runs COMMAND pinned to CPU in the background, logging to NAME.log.
start() {
  local name="$1" cpu="$2"
  shift 2
  taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  LAST_PID=$!
}
# wrk_run SECONDS URL [wrk args...]: prints the LOADKIT line.
wrk_run() {
  local secs="$1" url="$2"
  shift 2
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${secs}s" --latency "$@" "$url" >"$WORK/wrk.out" 2>&1 ||
    fail "wrk failed: $(cat "$WORK/wrk.out")"
  grep '^LOADKIT ' "$WORK/wrk.out" || fail "wrk printed no summary: $(cat "$WORK/wrk.out")"
}
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
# wrk_once N URL AFTER_PATH [env...]: each of clients 1..N once at CONNS concurrency; prints the
# ONCE line (seconds, ok, failed).
wrk_once() {
  local count="$1" url="$2" after="$3" wrk_pid i
  shift 3
  rm -f "$WORK/once.txt"
  env LOAD_CLIENTS="$count" LOAD_ONCE="$WORK/once.txt" LOAD_AFTER_PATH="$after" "$@" \
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d3600s -s "$KIT/clients.lua" "$url" >"$WORK/wrk-once.out" 2>&1 &
  wrk_pid=$!
  PIDS+=("$wrk_pid")
  for ((i = 0; i < 36000; i++)); do
    [[ -s "$WORK/once.txt" ]] && break
    kill -0 "$wrk_pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -INT "$wrk_pid" 2>/dev/null || true
  wait "$wrk_pid" 2>/dev/null || true
  forget_pid "$wrk_pid"
  [[ -s "$WORK/once.txt" ]] || fail "wrk (once over $count clients) did not finish: $(cat "$WORK/wrk-once.out")"
  cat "$WORK/once.txt"
}

ROWS=()     # markdown rows
declare -A RPS CPU_US P99 # by case, for the ratios

# measure CASE LABEL PID URL [wrk args...]: warm-up, then a measured run; appends a table row.
measure() {
  local case="$1" label="$2" pid="$3" url="$4" before after line requests secs rps cpu_us hwm flag=""
  shift 4
  say "$label: warm-up ${WARMUP}s, then ${DURATION}s"
  wrk_run "$WARMUP" "$url" "$@" >/dev/null
  local perf_pid=""
  if [[ -n "${PROFILE_DIR:-}" ]]; then
    taskset -c "$LOAD_CPU" perf record -q -e cpu-clock -F 999 -o "$WORK/$case.perf.data" \
      -p "$(tree_pids "$pid" | paste -sd,)" >"$WORK/perf-$case.log" 2>&1 &
    perf_pid=$!
    sleep 0.5
  fi
  before="$(cpu_ticks "$pid")"
  line="$(wrk_run "$DURATION" "$url" "$@")"
  after="$(cpu_ticks "$pid")"
  if [[ -n "$perf_pid" ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
    perf report -i "$WORK/$case.perf.data" --stdio --no-children --sort dso,symbol --percent-limit 0.1 \
      -g none >"$PROFILE_DIR/$case.txt" 2>/dev/null || say "perf report failed for $case"
    perf report -i "$WORK/$case.perf.data" --stdio --no-children --sort dso \
      -g none >"$PROFILE_DIR/$case.dso.txt" 2>/dev/null || true
    cp "$WORK/$case.perf.data" "$PROFILE_DIR/"
  fi
  hwm="$(mem_kib "$pid" VmHWM)"
  requests="$(field "$line" requests)"
  ((requests > 0)) || fail "$label: no requests completed"
  local errors=$(($(field "$line" connect_errors) + $(field "$line" read_errors) + $(field "$line" write_errors) + $(field "$line" status_errors) + $(field "$line" timeouts)))
  ((errors == 0)) || flag=" (!${errors} errors)"
  secs="$(field "$line" duration_us)"
  rps="$(awk -v r="$requests" -v d="$secs" 'BEGIN { printf "%.0f", r / (d / 1e6) }')"
  cpu_us="$(awk -v t="$((after - before))" -v h="$CLK_TCK" -v r="$requests" 'BEGIN { printf "%.1f", t / h / r * 1e6 }')"
  RPS[$case]="$rps" CPU_US[$case]="$cpu_us" P99[$case]="$(field "$line" p99)"
  ROWS+=("$(awk -v l="$label$flag" -v rps="$rps" -v p50="$(field "$line" p50)" -v p99="$(field "$line" p99)" \
    -v p999="$(field "$line" p999)" -v cpu="$cpu_us" -v hwm="$hwm" 'BEGIN {
      printf "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f |", l, rps, p50 / 1000, p99 / 1000,
        p999 / 1000, cpu / 100, cpu, hwm / 1024 }')")
  say "$label: $rps req/s, ${cpu_us} us CPU/request${flag}"
}
# expect_200 URL [curl args...]: the route answers 200 before it is measured.
expect_200() {
  local url="$1" status
  shift
  status="$(curl -s -o "$WORK/probe.body" -w '%{http_code}' --max-time 10 "$@" "$url" || true)"
  [[ "$status" == "200" ]] || fail "$url answered $status: $(head -c 300 "$WORK/probe.body" 2>/dev/null)"
}

# --- the IdP, the upstream, the token and key for the JWT cases ---------------------------
IDP_CLIENTS=$((LARGE > COLD ? LARGE : COLD))
IDP_CLIENTS=$((IDP_CLIENTS > MID ? IDP_CLIENTS : MID))
IDP_PORT="$(free_port)"
say "the IdP on 127.0.0.1:$IDP_PORT with $IDP_CLIENTS load clients"
IDP_LOAD_CLIENTS="$IDP_CLIENTS" start idp "$LOAD_CPU" \
  node tests/idp/idp.mjs --port "$IDP_PORT" --token-ttl 3600 --key-file "$WORK/idp-key.json"
wait_for 30 "the IdP" grep -q '^IDP_READY ' "$WORK/idp.log"
ISSUER="http://127.0.0.1:$IDP_PORT/realms/kong"
TOKEN_URL="$ISSUER/protocol/openid-connect/token"

UPSTREAM_PORT="$(free_port)"
mkdir -p "$WORK/upstream-tmp"
render upstream-nginx.conf "$WORK/upstream.conf" WORK="$WORK" NAME=upstream PORT="$UPSTREAM_PORT"
start upstream "$LOAD_CPU" nginx -e "$WORK/upstream.error.log" -c "$WORK/upstream.conf"
wait_listening "the upstream" "$LAST_PID" "$UPSTREAM_PORT"
expect_200 "http://127.0.0.1:$UPSTREAM_PORT/"

# An access token from the IdP (kong_id), for the bearer route and haproxy's jwt_verify.
BEARER="$(curl -sf --max-time 10 -u 'kong_id:RVXO9SOJskjw4LeVupjRbIMJIAyyil8j' \
  -d grant_type=client_credentials "$TOKEN_URL" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')" || fail "no token from the IdP"
# The IdP's signing key as a public PEM (haproxy reads PEM, not JWKS).
node -e 'const c = require("node:crypto"); const j = JSON.parse(require("node:fs").readFileSync(process.argv[1]));
  process.stdout.write(c.createPublicKey({ key: j, format: "jwk" }).export({ type: "spki", format: "pem" }));' \
  "$WORK/idp-key.json" >"$WORK/idp-public.pem" || fail "could not convert the IdP key to PEM"

# --- the cases -------------------------------------------------------------------------------
# The gateway, fresh for each group of cases so that peak RSS belongs to that case.
GW_PID=""
start_gateway() {
  [[ -z "$GW_PID" ]] || stop_pid "$GW_PID"
  GW_PORT="$(free_port)"
  render kong.yaml "$WORK/kong.yaml" ISSUER="$ISSUER" UPSTREAM_PORT="$UPSTREAM_PORT"
  render gateway.yaml "$WORK/gateway.yaml" WORK="$WORK" PORT="$GW_PORT" THREADS="$THREADS" \
    CACHE_MAX="$((IDP_CLIENTS * 2))"
  start gateway "$PROXY_CPU" env -u RUST_LOG "$GATEWAY_BIN" -c "$WORK/gateway.yaml"
  GW_PID=$LAST_PID
  wait_listening "the gateway" "$GW_PID" "$GW_PORT"
  GW="http://127.0.0.1:$GW_PORT"
}
# gateway_cc COUNT CASE LABEL: a fresh gateway, its cache filled with COUNT clients, measured.
gateway_cc() {
  local count="$1" case="$2" label="$3" once
  start_gateway
  say "$label: filling the cache with $count clients through the IdP"
  once="$(wrk_once "$count" "$GW/cc/" /plain/)"
  [[ "$(field "$once" failed)" == "0" ]] || fail "$label: cache fill failed: $once"
  RSS_AT[$count]="$(mem_kib "$GW_PID" VmRSS)"
  export LOAD_CLIENTS="$count"
  measure "$case" "$label" "$GW_PID" "$GW/cc/" -s "$KIT/clients.lua"
  unset LOAD_CLIENTS
}
declare -A RSS_AT

if wants direct; then
  port="$(free_port)"
  mkdir -p "$WORK/direct-tmp"
  render upstream-nginx.conf "$WORK/direct.conf" WORK="$WORK" NAME=direct PORT="$port"
  start direct "$PROXY_CPU" nginx -e "$WORK/direct.error.log" -c "$WORK/direct.conf"
  wait_listening "the direct upstream" "$LAST_PID" "$port"
  measure direct "direct upstream (nginx return 200)" "$LAST_PID" "http://127.0.0.1:$port/" -s "$KIT/plain.lua"
  stop_pid "$LAST_PID"
fi
if wants nginx; then
  port="$(free_port)"
  mkdir -p "$WORK/nginx-proxy-tmp"
  render nginx-proxy.conf "$WORK/nginx-proxy.conf" WORK="$WORK" PORT="$port" UPSTREAM_PORT="$UPSTREAM_PORT"
  start nginx-proxy "$PROXY_CPU" nginx -e "$WORK/nginx-proxy.error.log" -c "$WORK/nginx-proxy.conf"
  wait_listening "nginx" "$LAST_PID" "$port"
  expect_200 "http://127.0.0.1:$port/"
  measure nginx "nginx $(nginx -v 2>&1 | sed 's|.*/||')" "$LAST_PID" "http://127.0.0.1:$port/" -s "$KIT/plain.lua"
  stop_pid "$LAST_PID"
fi
HAPROXY_VERSION="$(haproxy -v | awk 'NR == 1 { print $3 }' | cut -d- -f1)"
if wants haproxy; then
  port="$(free_port)"
  render haproxy.cfg "$WORK/haproxy.cfg" WORK="$WORK" PORT="$port" UPSTREAM_PORT="$UPSTREAM_PORT"
  start haproxy "$PROXY_CPU" haproxy -db -f "$WORK/haproxy.cfg"
  wait_listening "haproxy" "$LAST_PID" "$port"
  expect_200 "http://127.0.0.1:$port/"
  measure haproxy "haproxy $HAPROXY_VERSION" "$LAST_PID" "http://127.0.0.1:$port/" -s "$KIT/plain.lua"
  stop_pid "$LAST_PID"
fi
if wants haproxy-jwt; then
  port="$(free_port)"
  render haproxy-jwt.cfg "$WORK/haproxy-jwt.cfg" WORK="$WORK" PORT="$port" UPSTREAM_PORT="$UPSTREAM_PORT" \
    ISSUER="$ISSUER" PEM="$WORK/idp-public.pem"
  start haproxy-jwt "$PROXY_CPU" haproxy -db -f "$WORK/haproxy-jwt.cfg"
  wait_listening "haproxy (jwt)" "$LAST_PID" "$port"
  expect_200 "http://127.0.0.1:$port/" -H "Authorization: Bearer $BEARER"
  sig="${BEARER##*.}"
  [[ "${sig:20:1}" == "A" ]] && bad_char=B || bad_char=A
  tampered="${BEARER%.*}.${sig:0:20}${bad_char}${sig:21}"
  status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $tampered" "http://127.0.0.1:$port/")"
  [[ "$status" == "401" ]] || fail "haproxy jwt_verify let a bad signature through ($status)"
  measure haproxy-jwt "haproxy $HAPROXY_VERSION + jwt_verify RS256" "$LAST_PID" "http://127.0.0.1:$port/" \
    -s "$KIT/plain.lua" -H "Authorization: Bearer $BEARER"
  stop_pid "$LAST_PID"
fi
if wants gw-plain; then
  start_gateway
  expect_200 "$GW/plain/"
  RSS_AT[0]="$(mem_kib "$GW_PID" VmRSS)"
  measure gw-plain "gateway plain route" "$GW_PID" "$GW/plain/" -s "$KIT/plain.lua"
fi
if wants gw-plain-token; then
  # The plain route carrying the IdP token both ways: the bytes of an authenticated request
  # without any authentication work, to tell the two costs apart.
  start_gateway
  expect_200 "$GW/plain/" -H "Authorization: Bearer $BEARER"
  measure gw-plain-token "gateway plain route, 1.2 KB token passed through" "$GW_PID" "$GW/plain/" \
    -s "$KIT/plain.lua" -H "Authorization: Bearer $BEARER"
fi
wants gw-cc-1 && gateway_cc 1 gw-cc-1 "gateway client_credentials, 1 client"
wants gw-cc-mid && gateway_cc "$MID" gw-cc-mid "gateway client_credentials, $MID clients"
wants gw-cc-large && gateway_cc "$LARGE" gw-cc-large "gateway client_credentials, $LARGE clients"
if wants gw-bearer; then
  start_gateway
  expect_200 "$GW/bearer/" -H "Authorization: Bearer $BEARER"
  measure gw-bearer "gateway bearer (IdP RS256 JWT)" "$GW_PID" "$GW/bearer/" \
    -s "$KIT/plain.lua" -H "Authorization: Bearer $BEARER"
fi

COLD_LINE=""
if wants cold; then
  say "cold start: $COLD clients, IdP directly (one pass to warm the IdP, one measured)"
  direct_env=(LOAD_METHOD=POST LOAD_BODY=grant_type=client_credentials)
  wrk_once "$COLD" "$TOKEN_URL" /_test/stats "${direct_env[@]}" >/dev/null
  idp_once="$(wrk_once "$COLD" "$TOKEN_URL" /_test/stats "${direct_env[@]}")"
  say "cold start: $COLD clients through a fresh gateway"
  start_gateway
  gw_once="$(wrk_once "$COLD" "$GW/cc/" /plain/)"
  [[ "$(field "$idp_once" failed)" == "0" && "$(field "$gw_once" failed)" == "0" ]] ||
    fail "cold start had failures: IdP $idp_once, gateway $gw_once"
  COLD_LINE="$(awk -v n="$COLD" -v c="$CONNS" -v i="$(field "$idp_once" seconds)" -v g="$(field "$gw_once" seconds)" 'BEGIN {
    printf "Cold start, %d distinct clients at %d connections: IdP directly %.2f s, through the gateway %.2f s: the gateway adds %.2f s (%.0f us per first request, %+.1f%%).",
      n, c, i, g, g - i, (g - i) / n * 1e6, (g / i - 1) * 100 }')"
fi
[[ -z "$GW_PID" ]] || stop_pid "$GW_PID"

# --- the report ------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
cpu_name="$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
{
  echo
  echo "oidc-gateway load kit, $(date -u +%Y-%m-%dT%H:%MZ): $(nproc) CPUs ($cpu_name), kernel $(uname -r)."
  echo "Proxy under test alone on CPU $PROXY_CPU ($THREADS gateway thread, 1 nginx worker, 1 haproxy thread);"
  echo "wrk (1 thread, $CONNS connections), the upstream and the IdP on CPU $LOAD_CPU; ${WARMUP} s warm-up, ${DURATION} s measured per case."
  echo
  echo "| case | requests/s | p50 ms | p99 ms | p99.9 ms | CPU s / 10k req | CPU us / req | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  for case in gw-cc-1 gw-cc-mid gw-cc-large gw-bearer; do
    [[ -n "${RPS[$case]:-}" ]] || continue
    line="$case:"
    [[ -n "${RPS[gw-plain]:-}" ]] && line+=" req/s $(ratio "${RPS[$case]}" "${RPS[gw-plain]}")x plain route (goal >= 0.97),
      CPU $(awk -v a="${CPU_US[$case]}" -v b="${CPU_US[gw-plain]}" 'BEGIN { printf "%+.1f", a - b }') us/req vs plain (goal <= +2),
      p99 $(ratio "${P99[$case]}" "${P99[gw-plain]}")x plain (goal <= 1.10);"
    [[ -n "${RPS[haproxy-jwt]:-}" ]] && line+=" req/s $(ratio "${RPS[$case]}" "${RPS[haproxy-jwt]}")x haproxy+jwt_verify (goal >= 1.5)"
    line="$(tr -s ' \n' ' ' <<<"$line")"
    echo "- $(sed 's/[; ]*$//' <<<"$line")"
  done
  if [[ -n "${RPS[gw-plain]:-}" && -n "${RPS[nginx]:-}" ]]; then
    echo "- gateway plain route: CPU ${CPU_US[gw-plain]} us/req vs nginx ${CPU_US[nginx]} us/req (stretch goal: at or below nginx)"
  fi
  [[ -z "$COLD_LINE" ]] || echo "- $COLD_LINE"
  base_rss="${RSS_AT[1]:-${RSS_AT[0]:-}}"
  if [[ -n "$base_rss" && -n "${RSS_AT[$LARGE]:-}" ]]; then
    awk -v n="$LARGE" -v base="$base_rss" -v full="${RSS_AT[$LARGE]}" 'BEGIN {
      printf "- gateway RSS after filling the cache with %d credentials through the IdP: %.1f MiB (%.1f MiB with one): %.0f bytes per credential\n",
        n, full / 1024, base / 1024, (full - base) * 1024 / (n - 1) }'
  fi
} | tee "$WORK/table.md"
