# shellcheck shell=bash
# `build`: compile the pinned EdgeX services with the ordinary Go client (module proxy) into
# $CACHE_DIR/{bin,res,common}. Sourced by scripts/edgex-stack.sh after lib.sh.

EDGEX_GO_SERVICES="core-metadata core-data core-command support-notifications core-keeper"

cache_complete() {
  local svc
  [ -f "$CACHE_DIR/BUILD-OK" ] || return 1
  for svc in $ALL_SERVICES; do
    [ -x "$CACHE_DIR/bin/$svc" ] && [ -d "$CACHE_DIR/res/$svc" ] || return 1
  done
  [ -f "$CACHE_DIR/common/configuration.yaml" ]
}

# Debian packages the build needs; installed with apt-get when running as root.
ensure_build_deps() {
  command -v go >/dev/null || die "go not found (Go 1.26 is expected on this machine)"
  command -v gcc >/dev/null || die "gcc not found: support-notifications needs cgo"
  if ! { command -v pkg-config >/dev/null && pkg-config --exists libzmq; }; then
    [ "$(id -u)" = 0 ] || die "libzmq3-dev missing: run 'sudo apt-get install -y libzmq3-dev pkg-config'"
    log "installing libzmq3-dev pkg-config (support-notifications needs cgo with ZeroMQ)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends libzmq3-dev pkg-config >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y --no-install-recommends libzmq3-dev pkg-config >&2; } \
      || die "apt-get install libzmq3-dev pkg-config failed"
  fi
}

# Download MOD@COMMIT through the module proxy; print "<dir> <pseudo-version>".
download_module() {
  local mod="$1" commit="$2" json dir version
  log "+ go mod download -json $mod@$commit"
  json="$(cd "$WORK" && go mod download -json "$mod@$commit" 2>&1)" || {
    printf '%s\n' "$json" >&2
    die "go mod download $mod@$commit failed (command and Go's answer above)"
  }
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  version="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Version": "\(.*\)",\{0,1\}$/\1/p')"
  [ -d "$dir" ] || { printf '%s\n' "$json" >&2; die "no module directory for $mod@$commit"; }
  printf '%s %s\n' "$dir" "$version"
}

# Copy a module out of the (read-only) module cache so it can be the main module of a build.
writable_copy() {
  local dir="$1" name="$2"
  rm -rf "${WORK:?}/src/$name"
  mkdir -p "$WORK/src"
  cp -r "$dir" "$WORK/src/$name"
  chmod -R u+w "$WORK/src/$name"
  printf '%s' "$WORK/src/$name"
}

go_build() {
  local src="$1" ldflags="$2" out="$3"
  shift 3
  (cd "$src" && run env CGO_ENABLED=1 "${NICE[@]}" go build -trimpath -mod=readonly -tags "$BUILD_TAGS" \
    -ldflags "$ldflags" -o "$out" "$@")
}

build_edgex_go() {
  local t0 dir version src svc pkgs=()
  t0="$(now)"
  read -r dir version < <(download_module "$EDGEX_GO_MOD" "$EDGEX_GO_COMMIT") || exit 1
  src="$(writable_copy "$dir" edgex-go)"
  for svc in $EDGEX_GO_SERVICES; do pkgs+=("./cmd/$svc"); done
  # Without the Version ldflag the core services' database schema setup fails.
  go_build "$src" "-X $EDGEX_GO_MOD.Version=$EDGEX_GO_VERSION" "$STAGE/bin/" "${pkgs[@]}" \
    || die "building edgex-go ($EDGEX_GO_SERVICES) failed"
  for svc in $EDGEX_GO_SERVICES; do cp -r "$src/cmd/$svc/res" "$STAGE/res/$svc"; done
  cp "$src/cmd/core-common-config-bootstrapper/res/configuration.yaml" "$STAGE/common/configuration.yaml"
  printf 'edgex-go %s %s\n' "$EDGEX_GO_COMMIT" "$version" >>"$STAGE/BUILD-INFO"
  log "edgex-go $version built in $(elapsed "$t0") s"
}

build_device_service() {
  local name="$1" mod="$2" commit="$3" version_x="$4" t0 dir version src
  t0="$(now)"
  read -r dir version < <(download_module "$mod" "$commit") || exit 1
  src="$(writable_copy "$dir" "$name")"
  go_build "$src" "-X $mod.Version=$version_x" "$STAGE/bin/$name" ./cmd || die "building $name failed"
  cp -r "$src/cmd/res" "$STAGE/res/$name"
  printf '%s %s %s\n' "$name" "$commit" "$version" >>"$STAGE/BUILD-INFO"
  log "$name $version built in $(elapsed "$t0") s"
}

cmd_build() {
  local t0
  t0="$(now)"
  if cache_complete; then
    log "cached: $CACHE_DIR (checked in $(elapsed "$t0") s)"
    return 0
  fi
  ensure_build_deps
  mkdir -p "$CACHE_ROOT"
  WORK="$(mktemp -d "$CACHE_ROOT/.work.XXXXXX")"
  STAGE="$WORK/stage"
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$STAGE/bin" "$STAGE/res" "$STAGE/common"
  log "building into $CACHE_DIR with $(go version) (GOMODCACHE=$(go env GOMODCACHE), GOCACHE=$(go env GOCACHE))"
  build_edgex_go
  build_device_service device-virtual "$DEVICE_VIRTUAL_MOD" "$DEVICE_VIRTUAL_COMMIT" "$DEVICE_VIRTUAL_VERSION"
  build_device_service device-rest "$DEVICE_REST_MOD" "$DEVICE_REST_COMMIT" "$DEVICE_REST_VERSION"
  printf 'go %s\nbuilt %s\n' "$(go env GOVERSION)" "$(date -u +%FT%TZ)" >>"$STAGE/BUILD-INFO"
  touch "$STAGE/BUILD-OK"
  rm -rf "$CACHE_DIR"
  mv "$STAGE" "$CACHE_DIR"
  log "build complete in $(elapsed "$t0") s: $CACHE_DIR"
}
