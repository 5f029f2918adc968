#!/usr/bin/env bash
# The same book on another machine: re-execute every chapter and re-run the notebook tests
# while numba compiles for a generic x86-64 CPU (fresh cache) and OpenBLAS uses its Sandy Bridge
# kernels, then require that nothing changed. Last binary digits move under this emulation;
# the stored and glued numbers (10 significant digits) and the figures must not.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
if [ -n "$(git status --porcelain)" ]; then
    echo "check_portable: the work tree is not clean; commit or stash first" >&2
    git status --short >&2
    exit 1
fi
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export NUMBA_CPU_NAME=generic OPENBLAS_CORETYPE=Sandybridge NUMBA_CACHE_DIR="$cache"
echo "check_portable: re-executing the chapters under NUMBA_CPU_NAME=$NUMBA_CPU_NAME OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
$BIN/python tools/run_chapters.py
if [ -n "$(git status --porcelain)" ]; then
    echo "check_portable: re-executing under the emulation changed the book:" >&2
    git status --short >&2
    git diff --stat >&2
    git diff -- data/results >&2
    exit 1
fi
echo "check_portable: notebook tests (nbval) under the emulation"
$BIN/python -m pytest book
echo "check_portable: the book and its results are identical under the emulation"
