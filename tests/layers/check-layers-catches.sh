#!/usr/bin/env bash
# Shows that scripts/check-layers fails on an upward include and an upward
# call: each is planted in a copy of the source tree, which must then fail
# with a message naming the file and line, while the untouched copy passes.
#   check-layers-catches.sh SOURCE_DIR
set -euo pipefail
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
copy() { # a fresh copy of the libraries' folders in $tmp/$1
  local d dirs=()
  mkdir -p "$tmp/$1"
  for d in common protocol runtime manifests releases control handler relman examples; do
    [ -d "$src/$d" ] && dirs+=("$d")
  done
  (cd "$src" && tar cf - --exclude='build*' "${dirs[@]}") | tar xf - -C "$tmp/$1"
}
expect_breach() { # tree, text the report must hold
  local out
  if out=$(bash "$src/scripts/check-layers" "$1" 2>&1); then
    echo "check-layers passed a tree with a planted breach ($2)"; exit 1
  fi
  grep -qF "$2" <<<"$out" || { echo "check-layers did not report '$2':"; echo "$out"; exit 1; }
}

copy clean
bash "$src/scripts/check-layers" "$tmp/clean" >/dev/null

copy up-include # the manifests library includes the runtime's header
sed -i '1i #include "relman/runtime.h"' "$tmp/up-include/manifests/app.c"
expect_breach "$tmp/up-include" 'manifests/app.c:1: manifests may not include "relman/runtime.h"'

if [ -e "$src/runtime/LAYERS" ]; then
  copy up-call # the runtime's lowest layer calls into its highest one
  layers=$tmp/up-call/runtime/LAYERS
  low=$(grep -v '^[[:space:]]*#' "$layers" | grep -m1 ':' )
  high=$(grep -v '^[[:space:]]*#' "$layers" | grep ':' | tail -1)
  low_file=$(awk '{for (i = 2; i <= NF; i++) if ($i ~ /\.c$/) { print $i; exit }}' <<<"$low")
  high_prefix=${high%%:*}
  echo "void rm__${high_prefix}_planted(void);" >>"$tmp/up-call/runtime/$low_file"
  expect_breach "$tmp/up-call" "uses rm__${high_prefix}_planted, a name of the higher layer '$high_prefix'"

  copy up-private # and includes its private header
  high_h=$(awk '{for (i = 2; i <= NF; i++) if ($i ~ /\.h$/) { print $i; exit }}' <<<"$high")
  if [ -n "$high_h" ]; then
    sed -i "1i #include \"$high_h\"" "$tmp/up-private/runtime/$low_file"
    expect_breach "$tmp/up-private" "runtime/$low_file:1: includes \"$high_h\", of a higher layer"
  fi
fi
echo "check-layers catches upward includes and calls"
