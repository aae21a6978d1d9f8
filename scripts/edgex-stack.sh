#!/usr/bin/env bash
# Real EdgeX 4.0 services on loopback for app-vision's integration tests (docs/EDGEX-STACK.md).
#
#   scripts/edgex-stack.sh build    compile the pinned services into the cache (no-op when cached)
#   scripts/edgex-stack.sh start    PostgreSQL + Mosquitto + EdgeX services, wait until ready
#   scripts/edgex-stack.sh stop     stop everything started, by pid
#   scripts/edgex-stack.sh status   pid, RSS and ping of each process
#   scripts/edgex-stack.sh env      KEY=VALUE description of the running stack (URLs, ports, dirs)
#   scripts/edgex-stack.sh logs [SERVICE]   list the logs, or print one
#   scripts/edgex-stack.sh cached   exit 0 when the binaries are in the cache
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/edgex/lib.sh
. "$HERE/edgex/lib.sh"
# shellcheck source=scripts/edgex/build.sh
. "$HERE/edgex/build.sh"
# shellcheck source=scripts/edgex/infra.sh
. "$HERE/edgex/infra.sh"
# shellcheck source=scripts/edgex/services.sh
. "$HERE/edgex/services.sh"

STATE_FILE="$RUN_DIR/stack.env"

anything_running() {
  local svc
  pid_of postgres postgres >/dev/null && return 0
  pid_of mosquitto mosquitto >/dev/null && return 0
  for svc in $ALL_SERVICES; do pid_of "$svc" "bin/$svc" >/dev/null && return 0; done
  return 1
}

write_state() {
  local svc
  {
    printf 'EDGEX_STACK_RUN_DIR=%s\nEDGEX_STACK_LOG_DIR=%s\n' "$RUN_DIR" "$RUN_DIR/logs"
    printf 'EDGEX_STACK_CACHE_DIR=%s\n' "$CACHE_DIR"
    printf 'EDGEX_STACK_PG_PORT=%s\nEDGEX_STACK_MQTT_HOST=127.0.0.1\nEDGEX_STACK_MQTT_PORT=%s\n' "$PG_PORT" "$MQTT_PORT"
    printf 'EDGEX_STACK_SERVICES=%s\n' "$SELECTED_SERVICES"
    printf 'EDGEX_STACK_EXTRA_ENV=%s\n' "${EDGEX_STACK_EXTRA_ENV:-}"
    for svc in $SELECTED_SERVICES; do
      printf 'EDGEX_STACK_URL_%s=%s\n' "$(env_name "$svc")" "$(service_url "$svc")"
      if is_device_service "$svc"; then
        printf 'EDGEX_STACK_%s_PROFILES_DIR=%s\n' "$(env_name "$svc")" "$(device_dir "$svc" PROFILES)"
        printf 'EDGEX_STACK_%s_DEVICES_DIR=%s\n' "$(env_name "$svc")" "$(device_dir "$svc" DEVICES)"
      fi
    done
  } >"$STATE_FILE"
}

on_start_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return 0
  log "start failed (exit $rc); stopping what was started"
  cmd_stop || true
}

cmd_start() {
  local t0 svc
  t0="$(now)"
  for svc in $SELECTED_SERVICES; do
    [ -x "$CACHE_DIR/bin/$svc" ] || die "$svc is not built: run 'scripts/edgex-stack.sh build' first"
    if is_device_service "$svc"; then device_dir "$svc" PROFILES >/dev/null; device_dir "$svc" DEVICES >/dev/null; fi
  done
  anything_running && die "a stack is already running under $RUN_DIR: run 'scripts/edgex-stack.sh stop' first"
  mkdir -p "$RUN_DIR/logs" "$RUN_DIR/pids" && chmod 755 "$RUN_DIR" "$RUN_DIR/logs"
  rm -f "$STATE_FILE"
  trap on_start_exit EXIT
  start_postgres
  start_mosquitto
  start_services
  write_state
  trap - EXIT
  log "stack ready in $(elapsed "$t0") s (run dir $RUN_DIR)"
  cmd_status
}

cmd_stop() {
  stop_services
  stop_mosquitto
  stop_postgres
  rm -f "$STATE_FILE"
}

rss_kib() {
  local pid="$1" own kids
  own="$(ps -o rss= -p "$pid" 2>/dev/null | tr -d ' ')"
  kids="$(ps -o rss= --ppid "$pid" 2>/dev/null | awk '{s += $1} END {print s + 0}')"
  printf '%s' "$(( ${own:-0} + kids ))"
}

status_line() {
  local name="$1" pid="$2" port="$3" health="$4" rss
  rss="$(rss_kib "$pid")"
  TOTAL_RSS=$(( TOTAL_RSS + rss ))
  printf '%-22s pid %-8s port %-6s rss %6.1f MiB  %s\n' "$name" "$pid" "$port" "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$health"
}

cmd_status() {
  local svc pid health edgex_rss edgex_rss_start running=0
  TOTAL_RSS=0
  if pid="$(pid_of postgres postgres)"; then status_line postgres "$pid" "$PG_PORT" "up"; running=1; fi
  if pid="$(pid_of mosquitto mosquitto)"; then status_line mosquitto "$pid" "$MQTT_PORT" "up"; running=1; fi
  edgex_rss_start=$TOTAL_RSS
  for svc in $ALL_SERVICES; do
    pid="$(pid_of "$svc" "bin/$svc")" || continue
    running=1
    health="ping failed"
    curl -fsS -m 2 -o /dev/null "$(service_url "$svc")/api/v3/ping" 2>/dev/null && health="ping ok"
    status_line "$svc" "$pid" "$(service_port "$svc")" "$health"
  done
  [ "$running" = 1 ] || { echo "not running (run dir $RUN_DIR)"; return 3; }
  edgex_rss=$(( TOTAL_RSS - edgex_rss_start ))
  awk -v e="$edgex_rss" -v t="$TOTAL_RSS" 'BEGIN { printf "RSS: EdgeX services %.1f MiB, total %.1f MiB\n", e/1024, t/1024 }'
}

cmd_logs() {
  if [ $# -eq 0 ]; then ls -l "$RUN_DIR/logs"; else cat "$RUN_DIR/logs/$1.log"; fi
}

case "${1:-}" in
  build) cmd_build ;;
  cached) cache_complete ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) [ -f "$STATE_FILE" ] || die "no running stack under $RUN_DIR"; cat "$STATE_FILE" ;;
  logs) shift; cmd_logs "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
