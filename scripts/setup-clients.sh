#!/usr/bin/env bash
# Installs the outside clients the integration tests run against kubesim (issue 11): Debian's
# python3-kubernetes, the official Python client, for Debian's own /usr/bin/python3. Idempotent:
# when the client is in place it only checks. A client that cannot be installed fails the run;
# the tests that use it are never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "setup-clients: $*"; }
fail() { echo "setup-clients: $*" >&2; exit 1; }

PACKAGES=(python3-kubernetes)
# The interpreter the package installs for (a python3 earlier in PATH, pyenv's say, would not see
# /usr/lib/python3/dist-packages); test/integration/kubesim.python.test.ts runs this one too.
PYTHON=/usr/bin/python3

missing=()
for pkg in "${PACKAGES[@]}"; do
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
fi

version=$("$PYTHON" -c 'import kubernetes, kubernetes.stream, kubernetes.watch; print(kubernetes.__version__)') ||
  fail "$PYTHON cannot import the kubernetes client after installing ${PACKAGES[*]}"
say "ready: python3-kubernetes $version ($PYTHON)"
