#!/usr/bin/env bash
# relman new: an application skeleton builds against relman as installed
# and packs release 1, which a node boots and serves; a module skeleton
# builds; a name or directory that cannot be used is refused.
# usage: templates.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
work=$(mktemp -d "${TMPDIR:-/tmp}/relman-new.XXXXXX")
prefix=$work/prefix
trap '"$prefix/bin/relman" node stop --root "$work/root" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
fail() { echo "templates: $*"; exit 1; }
cmake --install "$build" --prefix "$prefix" >/dev/null
relman=$prefix/bin/relman

"$relman" new app hello --dir "$work/hello" >/dev/null
for f in CMakeLists.txt hello.c lib/hello-1/hello.app.yaml rel-1/release.yaml; do
  [ -f "$work/hello/$f" ] || fail "new app wrote no '$f'"
done
if ! cmake -S "$work/hello" -B "$work/hello/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/log" 2>&1 ||
   ! cmake --build "$work/hello/build" >>"$work/log" 2>&1; then
  cat "$work/log"; fail "the application skeleton does not build"
fi
[ -f "$work/hello/build/hello-1.tar.gz" ] || fail "no release archive packed"
"$relman" node start --root "$work/root" --release "$work/hello/build/hello-1.tar.gz" --detach >/dev/null
[ "$("$relman" call hello incr --root "$work/root")" = 1 ] || fail "hello does not count"
[ "$("$relman" state hello --root "$work/root")" = "{count,1}" ] || fail "format_state"
"$relman" node stop --root "$work/root"
echo "ok: new app builds, packs release 1, and a node runs it"

"$relman" new module m --dir "$work/m" >/dev/null
if ! cmake -S "$work/m" -B "$work/m/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/log" 2>&1 ||
   ! cmake --build "$work/m/build" >>"$work/log" 2>&1; then
  cat "$work/log"; fail "the module skeleton does not build"
fi
[ -f "$work/m/build/lib/m-1/m.so" ] || fail "no m.so"
echo "ok: new module builds"

"$relman" new release r --dir "$work/r" >/dev/null
[ -f "$work/r/rel-1/release.yaml" ] || fail "new release wrote no rel-1/release.yaml"

set +e
out=$("$relman" new app hello --dir "$work/hello" 2>&1); rc=$?
[ $rc -eq 1 ] && grep -q "exists already" <<<"$out" || fail "an existing directory: $rc '$out'"
out=$("$relman" new app "../x" 2>&1); rc=$?
[ $rc -eq 2 ] && grep -q "not a usable name" <<<"$out" || fail "a bad name: $rc '$out'"
echo "ok: existing directories and bad names are refused"
