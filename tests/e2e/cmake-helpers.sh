#!/usr/bin/env bash
# The README's CMake snippet, copied verbatim into a new project outside the
# tree, builds a module and packs a release against relman as installed:
# relative SPEC, PATH and OUTPUT_DIRECTORY are resolved against the calling
# directory (here a subdirectory of the project, to tell the two apart).
# usage: cmake-helpers.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$(realpath "$1") build=$(realpath "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/relman-cmake-helpers.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix proj=$work/proj

cmake --install "$build" --prefix "$prefix" >/dev/null

mkdir -p "$proj/service/rel-1" "$proj/service/lib/counter-1"
cp "$src/examples/counter/z-0.c" "$proj/service/z.c"
cp "$src/examples/counter/rel-1/release.yaml" "$proj/service/rel-1/"
cp "$src/examples/counter/lib/counter-1/counter.app.yaml" "$proj/service/lib/counter-1/"
cat >"$proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(uses_relman LANGUAGES C)
add_subdirectory(service)
CMAKE
# The README's snippet: the first ```cmake block.
sed -n '/^```cmake$/,/^```$/{/^```cmake$/d;/^```$/q;p}' "$src/README.md" \
  >"$proj/service/CMakeLists.txt"
grep -q relman_pack_release "$proj/service/CMakeLists.txt" || {
  echo "cmake-helpers: the README has no relman_pack_release snippet"; exit 1; }

if ! cmake -S "$proj" -B "$proj/build" -DCMAKE_PREFIX_PATH="$prefix" >"$work/log" 2>&1 ||
   ! cmake --build "$proj/build" >>"$work/log" 2>&1; then
  cat "$work/log"
  echo "cmake-helpers: the README's snippet does not build in a new project"
  exit 1
fi
archive=$proj/build/service/counter-1.tar.gz
[ -f "$archive" ] || { echo "cmake-helpers: no '$archive'"; exit 1; }
out=$("$prefix/bin/relman" unpack --root "$work/root" "$archive")
case $out in
  "unpacked release 'counter' version '1'"*) echo "cmake-helpers: $out" ;;
  *) echo "cmake-helpers: unpack said: $out"; exit 1 ;;
esac
