#!/usr/bin/env bash
#! Binary upgrade of a running oidc-gateway without a refused connection: start the new binary with -u -d, SIGQUIT the old, wait until the new one serves and the old one is gone.
#
# Usage: oidc-gateway-upgrade.sh -c SERVER_CONF [-b BINARY] [-w SECONDS] [--only-if FILE]
#   -c SERVER_CONF  the server file the running gateway was started with (pid_file, upgrade_sock,
#                   grace_period_seconds, graceful_shutdown_timeout_seconds are read from it;
#                   GATEWAY_PID_FILE etc. in the environment win, as for the gateway)
#   -b BINARY       the new binary (default: oidc-gateway on PATH)
#   -w SECONDS      longest wait for the old process to exit (default: 5 + grace period +
#                   graceful shutdown timeout + 10, from the server file)
#   --only-if FILE  do nothing (exit 0) unless FILE exists; it is removed first (the systemd
#                   unit's ExecReload uses this: `touch FILE && systemctl reload oidc-gateway`)
#
# Steps: check the new binary and config with -t; start `BINARY -u -d -c SERVER_CONF` (it waits
# on upgrade_sock for the listening sockets); once it listens there, SIGQUIT the old process (it
# hands its sockets over, keeps serving 5 s, then drains for grace_period_seconds); wait until the
# new daemon wrote its pid to pid_file; wait until the old pid is gone. Every wait is bounded;
# any failure exits non-zero with the reason on stderr. Exit 0 prints "upgraded: OLD -> NEW".
set -euo pipefail

say() { printf 'oidc-gateway-upgrade: %s\n' "$*"; }
fail() {
  printf 'oidc-gateway-upgrade: FAILED: %s\n' "$*" >&2
  exit 1
}

conf="" binary="" wait_old="" only_if=""
while (($#)); do
  case "$1" in
    -c) conf="${2:-}"; shift 2 ;;
    -b) binary="${2:-}"; shift 2 ;;
    -w) wait_old="${2:-}"; shift 2 ;;
    --only-if) only_if="${2:-}"; shift 2 ;;
    -h | --help) sed -n '4,13p' "$0"; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

if [[ -n "$only_if" ]]; then
  [[ -e "$only_if" ]] || exit 0
  rm -f -- "$only_if"
fi
[[ -n "$conf" ]] || fail "-c SERVER_CONF is required"
[[ -r "$conf" ]] || fail "cannot read server file $conf"
binary="${binary:-$(command -v oidc-gateway || true)}"
[[ -n "$binary" && -x "$binary" ]] || fail "no executable oidc-gateway binary (give -b BINARY)"

# A top-level `key: value` of the server file (Pingora's keys are top level), quotes removed.
conf_value() {
  sed -n -E "s/^$1:[[:space:]]*['\"]?([^'\"#]*[^'\"#[:space:]])['\"]?[[:space:]]*(#.*)?$/\1/p" "$conf" | tail -n 1
}
# As the gateway reads them: a GATEWAY_<KEY> variable wins over the file, else Pingora's default.
pid_file="${GATEWAY_PID_FILE:-$(conf_value pid_file)}"
pid_file="${pid_file:-/tmp/pingora.pid}"
upgrade_sock="${GATEWAY_UPGRADE_SOCK:-$(conf_value upgrade_sock)}"
upgrade_sock="${upgrade_sock:-/tmp/pingora_upgrade.sock}"
grace="${GATEWAY_GRACE_PERIOD_SECONDS:-$(conf_value grace_period_seconds)}"
shutdown_timeout="${GATEWAY_GRACEFUL_SHUTDOWN_TIMEOUT_SECONDS:-$(conf_value graceful_shutdown_timeout_seconds)}"
[[ "${grace:-300}" =~ ^[0-9]+$ ]] || fail "grace_period_seconds in $conf is not a number"
[[ "${shutdown_timeout:-5}" =~ ^[0-9]+$ ]] || fail "graceful_shutdown_timeout_seconds in $conf is not a number"
wait_old="${wait_old:-$((5 + ${grace:-300} + ${shutdown_timeout:-5} + 10))}"
[[ "$wait_old" =~ ^[0-9]+$ ]] || fail "-w needs a number of seconds"

# --- the running gateway -----------------------------------------------------------------------
[[ -r "$pid_file" ]] || fail "no pid file $pid_file: is the gateway running as a daemon (-d) with this server file?"
old_pid="$(tr -dc '0-9' <"$pid_file")"
[[ -n "$old_pid" ]] || fail "pid file $pid_file holds no pid"
kill -0 "$old_pid" 2>/dev/null || fail "the gateway in $pid_file (pid $old_pid) is not running"

# --- the new binary and its configuration, before anything is touched ------------------------
if ! check_output="$("$binary" -t -c "$conf" 2>&1)"; then
  printf '%s\n' "$check_output" >&2
  fail "the new binary rejects the configuration; the running gateway (pid $old_pid) is untouched"
fi

# --- start the new process; it waits on upgrade_sock for the sockets --------------------------
rm -f -- "$upgrade_sock" # a stale socket file would make the readiness check below pass early
"$binary" -u -d -c "$conf" &
launcher=$!
say "started $binary -u -d (launcher pid $launcher), waiting for it on $upgrade_sock"

# Pingora's new process gives up after 5 s without the sockets: SIGQUIT well before that.
deadline=$((SECONDS + 4))
until [[ -S "$upgrade_sock" ]]; do
  if ! kill -0 "$launcher" 2>/dev/null; then
    wait "$launcher" && status=0 || status=$?
    fail "the new process exited (status $status) before listening on $upgrade_sock; the running gateway (pid $old_pid) is untouched"
  fi
  if ((SECONDS >= deadline)); then
    kill -TERM "$launcher" 2>/dev/null || true
    fail "the new process did not listen on $upgrade_sock within 4 s; stopped it, the running gateway (pid $old_pid) is untouched"
  fi
  sleep 0.05
done

say "SIGQUIT to the old process $old_pid"
kill -QUIT "$old_pid" || fail "cannot signal pid $old_pid"

# The launcher exits 0 once it has the sockets and has forked the daemon.
deadline=$((SECONDS + 15))
while kill -0 "$launcher" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "the new process did not take the sockets within 15 s (old pid $old_pid is shutting down)"
  sleep 0.05
done
wait "$launcher" && status=0 || status=$?
((status == 0)) || fail "the new process failed to take over (status $status); old pid $old_pid is shutting down: start the gateway again"

new_pid=""
deadline=$((SECONDS + 10))
while :; do
  new_pid="$(tr -dc '0-9' <"$pid_file" 2>/dev/null || true)"
  if [[ -n "$new_pid" && "$new_pid" != "$old_pid" ]] && kill -0 "$new_pid" 2>/dev/null; then
    break
  fi
  ((SECONDS < deadline)) || fail "no new live pid in $pid_file within 10 s"
  sleep 0.05
done
say "new process $new_pid serves; waiting up to ${wait_old}s for the old process $old_pid to drain"

deadline=$((SECONDS + wait_old))
while kill -0 "$old_pid" 2>/dev/null; do
  ((SECONDS < deadline)) || fail "old pid $old_pid still running after ${wait_old}s (new pid $new_pid serves)"
  sleep 0.1
done
say "upgraded: $old_pid -> $new_pid"
