#!/usr/bin/env bash
# README.md is nbs/index.ipynb converted to markdown (offline; nbdev-readme needs Quarto).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PATH="$(pwd)/.venv/bin:$PATH" jupyter nbconvert --to markdown --stdout nbs/index.ipynb 2>/dev/null > README.md
