#!/usr/bin/env bash
# The main job on the embedded default: sets up what is missing (see scripts/setup.sh), then runs
# `rlnb main` (extra arguments are passed on, e.g. `bash scripts/run.sh -s seed=1`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
exec rlnb main "$@"
