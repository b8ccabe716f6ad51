#!/usr/bin/env bash
# scripts/demo into a pipe (with a TERM that has bold and dim) writes no
# terminal escape code, runs to its end and leaves nothing in TMPDIR.
# usage: demo-plain.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(realpath "$1") build=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/relman-demo-check.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$work/out
export TMPDIR=$work/tmp # the demo's own temporary files, checked below
mkdir "$TMPDIR"
if ! TERM=xterm-256color RELMAN_BUILD_DIR=$build "$src/scripts/demo" >"$out" 2>&1; then
  tail -n 20 "$out"
  echo "demo-plain: the demo failed"
  exit 1
fi
if grep -q $'\e' "$out"; then
  grep -n $'\e' "$out" | head -n 5 | cat -v
  echo "demo-plain: the demo wrote escape codes into a pipe"
  exit 1
fi
if [ -n "$(ls -A "$TMPDIR")" ]; then
  ls -A "$TMPDIR"
  echo "demo-plain: the demo left files in TMPDIR"
  exit 1
fi
echo "demo-plain: $(wc -l <"$out") lines, no escape code, nothing left behind"
