# shellcheck shell=bash
# Start/readiness/stop of the EdgeX services built by `build`. Sourced after lib.sh.

SELECTED_SERVICES="${EDGEX_STACK_SERVICES:-$ALL_SERVICES}"
[ "$SELECTED_SERVICES" = none ] && SELECTED_SERVICES=""

service_url() { printf 'http://127.0.0.1:%s' "$(service_port "$1")"; }

is_device_service() { case "$1" in device-*) return 0 ;; *) return 1 ;; esac; }

# Folder a device service loads profiles/devices from: $EDGEX_STACK_<SVC>_{PROFILES,DEVICES}_DIR,
# else the service's own samples in its res/ copy.
device_dir() {
  local svc="$1" kind="$2" var
  var="EDGEX_STACK_$(env_name "$svc")_${kind}_DIR"
  local project="$STACK_ROOT/device-profiles/$svc/${kind,,}"
  if [ -n "${!var:-}" ]; then
    [ -d "${!var}" ] || die "$var=${!var} is not a folder"
    (cd "${!var}" && pwd)
  elif [ -d "$project" ]; then
    # app-vision's own demo site (the same files docker-compose.yml mounts).
    printf '%s' "$project"
  else
    printf '%s/svc/%s/res/%s' "$RUN_DIR" "$svc" "${kind,,}"
  fi
}

# app-vision's result profile: core-data needs no device for it, but the UI and core-metadata
# users find its resources described.
upload_result_profile() {
  local profile="$STACK_ROOT/device-profiles/app-vision-result.yaml"
  [ -f "$profile" ] || return 0
  curl -fsS -o /dev/null -F "file=@$profile" "$(service_url core-metadata)/api/v3/deviceprofile/uploadfile" \
    || die "uploading $profile to core-metadata failed"
}

# Environment of one service: loopback hosts, no secret store, then the caller's extra variables
# (EDGEX_STACK_EXTRA_ENV for all services, EDGEX_STACK_ENV_<SVC> for one), which win.
service_env() {
  local svc="$1" var pair
  SVC_ENV=(
    EDGEX_SECURITY_SECRET_STORE=false
    SERVICE_HOST=127.0.0.1
    DATABASE_HOST=127.0.0.1 "DATABASE_PORT=$PG_PORT"
    MESSAGEBUS_HOST=127.0.0.1 "MESSAGEBUS_PORT=$MQTT_PORT"
    CLIENTS_CORE_METADATA_HOST=127.0.0.1 CLIENTS_CORE_DATA_HOST=127.0.0.1
    CLIENTS_CORE_COMMAND_HOST=127.0.0.1 CLIENTS_SUPPORT_NOTIFICATIONS_HOST=127.0.0.1
    CLIENTS_CORE_KEEPER_HOST=127.0.0.1
  )
  if is_device_service "$svc"; then
    SVC_ENV+=("DEVICE_PROFILESDIR=$(device_dir "$svc" PROFILES)" "DEVICE_DEVICESDIR=$(device_dir "$svc" DEVICES)")
  fi
  var="EDGEX_STACK_ENV_$(env_name "$svc")"
  for pair in ${EDGEX_STACK_EXTRA_ENV:-} ${!var:-}; do
    [[ "$pair" == *=* ]] || die "extra env entry '$pair' is not KEY=VALUE"
    SVC_ENV+=("$pair")
  done
}

launch_service() {
  local svc="$1" dir="$RUN_DIR/svc/$1" args=()
  port_open "$(service_port "$svc")" && die "port $(service_port "$svc") ($svc) is already in use"
  rm -rf "$dir" && mkdir -p "$dir" && cp -r "$CACHE_DIR/res/$svc" "$dir/res"
  # core-keeper's own configuration is complete; every other service takes the common one.
  [ "$svc" = core-keeper ] || args=(-cc "$CACHE_DIR/common/configuration.yaml")
  service_env "$svc"
  (cd "$dir" && exec env "${SVC_ENV[@]}" "$CACHE_DIR/bin/$svc" "${args[@]}") \
    >"$RUN_DIR/logs/$svc.log" 2>&1 </dev/null &
  printf '%s\n' "$!" >"$RUN_DIR/pids/$svc.pid"
}

start_failed() {
  local svc="$1" why="$2"
  log_tail "$RUN_DIR/logs/$svc.log"
  die "$svc: $why (log: $RUN_DIR/logs/$svc.log)"
}

ready_probe() {
  local svc="$1"
  curl -fsS -m 2 -o /dev/null "$(service_url "$svc")/api/v3/ping" 2>/dev/null || return 1
  is_device_service "$svc" || return 0
  "$(python_bin)" "$STACK_ROOT/scripts/edgex/devices_ready.py" \
    "$(service_url core-metadata)" "$svc" "$(device_dir "$svc" DEVICES)" >"$RUN_DIR/ready-$svc.txt"
}

wait_ready() {
  local svc="$1" t0="$2" deadline pid
  deadline=$(( $(date +%s) + START_TIMEOUT ))
  pid="$(cat "$RUN_DIR/pids/$svc.pid")"
  until ready_probe "$svc"; do
    pid_alive "$pid" || start_failed "$svc" "exited before it was ready"
    [ "$(date +%s)" -lt "$deadline" ] || start_failed "$svc" "not ready after ${START_TIMEOUT}s $(cat "$RUN_DIR/ready-$svc.txt" 2>/dev/null)"
    sleep 0.1
  done
  log "$svc ready on $(service_url "$svc") in $(elapsed "$t0") s"
}

# Launch a group of services together, then wait until each is ready.
start_group() {
  local t0 svc
  t0="$(now)"
  for svc in "$@"; do launch_service "$svc"; done
  for svc in "$@"; do wait_ready "$svc" "$t0"; done
}

selected() {
  local svc out=()
  for svc in "$@"; do [[ " $SELECTED_SERVICES " == *" $svc "* ]] && out+=("$svc"); done
  printf '%s\n' "${out[@]}"
}

start_services() {
  local group members
  for group in "core-metadata" "core-data core-command support-notifications core-keeper" \
               "device-virtual device-rest"; do
    # shellcheck disable=SC2086
    mapfile -t members < <(selected $group)
    [ "${#members[@]}" -eq 0 ] || [ -z "${members[0]}" ] || start_group "${members[@]}"
    if [ "$group" = "core-metadata" ] && [[ " $SELECTED_SERVICES " == *" core-metadata "* ]]; then
      upload_result_profile
    fi
  done
}

stop_services() {
  local svc pid order=""
  for svc in $ALL_SERVICES; do order="$svc $order"; done
  for svc in $order; do
    pid="$(pid_of "$svc" "bin/$svc")" || { rm -f "$RUN_DIR/pids/$svc.pid"; continue; }
    stop_pid "$svc" "$pid" TERM
    rm -f "$RUN_DIR/pids/$svc.pid"
  done
}
