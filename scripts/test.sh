#!/usr/bin/env bash
# The whole test suite: sets up what is missing, checks that rlnb/ is what the notebooks export,
# runs the notebooks (nbdev-test, fast cells only) and the pytest suite in tests/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
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
echo "== pytest"
python -m pytest tests "$@"
echo "== all tests passed in $(( $(date +%s) - start )) s"
