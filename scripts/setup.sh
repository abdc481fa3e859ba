#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine (Python 3.11, root):
#   a virtual env in .venv, torch==2.13.0 (a CUDA torch already there is kept), rlnb with its
#   pinned dev extras, and the Vulkan driver ManiSkill needs (Mesa from bookworm-backports).
# A second call skips what is done. Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PY=${PYTHON:-python3}
VENV=$ROOT/.venv
say() { [ -n "${RLNB_SETUP_QUIET:-}" ] || echo "[setup] $*"; }

# 1. Vulkan (lavapipe, Mesa >= 25) for SAPIEN / ManiSkill, even for state observations.
vulkan_ok() { dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -qvE '^2[0-4]\.'; }
if ! vulkan_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing the Vulkan driver (mesa-vulkan-drivers from bookworm-backports)"
    src=/etc/apt/sources.list.d/rlnb-backports.sources
    if [ ! -f "$src" ] && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      uri=$(awk '/^URIs:/ && $2 ~ /debian$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "${uri:-http://deb.debian.org/debian}" > "$src"
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    say "warning: no Vulkan driver and not root; ManiSkill environments will not start (see README)"
  fi
fi

# 2. The virtual env, torch and the package.
[ -x "$VENV/bin/python" ] || { say "creating $VENV"; "$PY" -m venv "$VENV"; }
PIP="$VENV/bin/python -m pip -q --disable-pip-version-check"
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  say "installing torch==2.13.0"
  $PIP install torch==2.13.0 2>&1 | grep -v "is ignored" || true
fi
stamp=$VENV/.rlnb-installed
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing rlnb[dev] (editable) with pinned versions"
  $PIP install -e ".[dev]" 2>&1 | grep -v "is ignored" || true
  "$VENV/bin/python" -c "import rlnb" && echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/runtime-$(id -u)}
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
