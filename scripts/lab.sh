#!/usr/bin/env bash
# Explore the notebooks: sets up what is missing (scripts/setup.sh installs JupyterLab with rlnb[dev]), then serves
# JupyterLab on 127.0.0.1 only, with a token, and prints the address to open (extra arguments go to `rlnb lab`,
# e.g. `bash scripts/lab.sh --port 8890`). The kernel is the set-up's Python, which imports rlnb.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
cd "$ROOT"
exec rlnb lab "$@"
