#!/usr/bin/env bash
# The whole test suite: sets up what is missing, checks that rlnb/ is what the notebooks export,
# runs the notebooks (nbdev-test, fast cells only) and the pytest suite in tests/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
# Headless Chromium, for the test that screenshots an analysis page (tests/test_ranking.py).
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[setup] installing chromium (headless screenshots of analysis pages)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
fi
start=$(date +%s)
echo "== nbdev-export (rlnb/ must not change)"
before=$(git status --porcelain -- rlnb 2>/dev/null | sha256sum || true)
nbdev-export
after=$(git status --porcelain -- rlnb 2>/dev/null | sha256sum || true)
if [ "$before" != "$after" ]; then
  echo "nbdev-export changed rlnb/: edit the notebooks in nbs/, run nbdev-export and commit both" >&2
  git status --short -- rlnb >&2; exit 1
fi
echo "== nbdev-test"
nbdev-test --n-workers 2
echo "== pytest (one worker per core, up to 4; each worker and what it starts uses one thread)"
python -m pytest -n auto --maxprocesses 4 tests "$@"
echo "== all tests passed in $(( $(date +%s) - start )) s"
