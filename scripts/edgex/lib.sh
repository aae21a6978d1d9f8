# shellcheck shell=bash disable=SC2034
# Shared settings and helpers for scripts/edgex-stack.sh (sourced, never run).
#
# Pinned EdgeX releases. These go.mod files declare no /v4 suffix, so the Go client refuses the
# v4.x.y tags: the release commit is pinned instead and resolves to a pseudo-version.
EDGEX_GO_MOD="github.com/edgexfoundry/edgex-go"
EDGEX_GO_COMMIT="2526184332b489189495cbaa1266ec9db759a3df"     # v4.0.2
EDGEX_GO_VERSION="4.0.2"
DEVICE_VIRTUAL_MOD="github.com/edgexfoundry/device-virtual-go"
DEVICE_VIRTUAL_COMMIT="7521f709861839470c9039e8c0ee8676e19eefde" # v4.0.2
DEVICE_VIRTUAL_VERSION="4.0.2"
DEVICE_REST_MOD="github.com/edgexfoundry/device-rest-go"
DEVICE_REST_COMMIT="ca487622c2925da3c9cd401a273299193bdf8284"    # v4.0.1
DEVICE_REST_VERSION="4.0.1"
# Bump when the build recipe changes so cached binaries are rebuilt.
BUILD_RECIPE="r1"
BUILD_TAGS="non_delayedstart no_openziti"

# Start order; stop runs it backwards. Infrastructure (postgres, mosquitto) comes first.
ALL_SERVICES="core-metadata core-data core-command support-notifications core-keeper device-virtual device-rest"

STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_ROOT="${APP_VISION_EDGEX_CACHE:-$HOME/.cache/app-vision/edgex}"
CACHE_KEY="edgex-go-${EDGEX_GO_COMMIT:0:12}_dv-${DEVICE_VIRTUAL_COMMIT:0:12}_dr-${DEVICE_REST_COMMIT:0:12}_${BUILD_RECIPE}"
CACHE_DIR="$CACHE_ROOT/$CACHE_KEY"
RUN_DIR="${APP_VISION_EDGEX_RUN:-/tmp/app-vision-edgex}"
PG_PORT="${EDGEX_STACK_PG_PORT:-5432}"
MQTT_PORT="${EDGEX_STACK_MQTT_PORT:-1883}"
START_TIMEOUT="${EDGEX_STACK_START_TIMEOUT:-60}"
PG_USER_NAME="${EDGEX_STACK_PG_OS_USER:-edgexpg}"
NICE=(nice -n "${EDGEX_STACK_NICE:-10}")

log() { printf '[edgex-stack] %s\n' "$*" >&2; }
die() { printf '[edgex-stack] ERROR: %s\n' "$*" >&2; exit 1; }
# Print a command exactly as run, then run it.
run() { { printf '[edgex-stack] +'; printf ' %q' "$@"; printf '\n'; } >&2; "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

service_port() {
  case "$1" in
    core-metadata) echo 59881 ;;
    core-data) echo 59880 ;;
    core-command) echo 59882 ;;
    support-notifications) echo 59860 ;;
    core-keeper) echo 59890 ;;
    device-virtual) echo 59900 ;;
    device-rest) echo 59986 ;;
    *) die "unknown service: $1" ;;
  esac
}

# Upper-case env-style name: core-metadata -> CORE_METADATA.
env_name() { printf '%s' "$1" | tr 'a-z-' 'A-Z_'; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Alive and not a zombie (an orphan's zombie lingers until PID 1 reaps it).
pid_alive() {
  local stat
  [ -n "$1" ] && stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }"
  [ "${stat:0:1}" != Z ]
}

# The process behind a pid file, only if it is still the program we started (guards pid reuse).
pid_of() {
  local expect="$2" pidfile="$RUN_DIR/pids/$1.pid" pid cmdline
  [ -f "$pidfile" ] || return 1
  pid="$(cat "$pidfile")"
  pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmdline" == *"$expect"* ]] || return 1
  printf '%s' "$pid"
}

# Send SIGTERM (or $3), wait up to 15 s, then SIGKILL. Stops exactly one pid.
stop_pid() {
  local name="$1" pid="$2" sig="${3:-TERM}"
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 150); do
    pid_alive "$pid" || { log "stopped $name (pid $pid)"; return 0; }
    sleep 0.1
  done
  log "$name (pid $pid) ignored SIG$sig for 15 s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

log_tail() {
  local file="$1"
  printf '\n----- last 40 lines of %s -----\n' "$file" >&2
  tail -n 40 "$file" >&2 2>/dev/null || true
  printf -- '----- end of %s -----\n\n' "$file" >&2
}

python_bin() { printf '%s' "${EDGEX_STACK_PYTHON:-$STACK_ROOT/.venv/bin/python}"; }
