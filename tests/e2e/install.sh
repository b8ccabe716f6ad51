#!/usr/bin/env bash
# What `cmake --install` promises (docs/operations.md): every file in its
# place; the runtime library with its soname exporting only the names of
# its public headers; docs/runtime.md's embedding example built against the
# installed prefix with pkg-config and with find_package(relman), and run;
# `uninstall` removing it all again; and the Debian package of cpack -G DEB
# holding the same files.
# usage: install.sh SOURCE_DIR BUILD_DIR INSTALL_PREFIX LIBDIR
set -euo pipefail
src=$(realpath "$1") build=$(realpath "$2") dest_prefix=$3 libdir=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/relman-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "install: $*"; exit 1; }

# 1. Into a DESTDIR, as a package build does.
DESTDIR=$work/dest cmake --install "$build" >/dev/null
p=$work/dest$dest_prefix
expected=(
  bin/relman
  include/relman/module.h include/relman/runtime.h include/relman/apply.h
  include/relman/error.h include/relman/config.h include/relman/vocab.h
  "$libdir/librelman-runtime.so" "$libdir/librelman-runtime.so.0"
  "$libdir/pkgconfig/relman-module.pc" "$libdir/pkgconfig/relman-runtime.pc"
  "$libdir/cmake/relman/relmanConfig.cmake" "$libdir/cmake/relman/relmanConfigVersion.cmake"
  "$libdir/cmake/relman/relmanTargets.cmake" "$libdir/cmake/relman/RelmanHelpers.cmake"
  share/man/man1/relman.1 share/man/man5/relman-manifests.5 share/man/man3/relman-module.3
  share/bash-completion/completions/relman share/zsh/vendor-completions/_relman
  lib/systemd/system/relman@.service
)
for f in "${expected[@]}"; do
  [ -e "$p/$f" ] || fail "'$f' is not installed under the prefix"
done
echo "ok: ${#expected[@]} files installed"

# Every header an installed header includes is installed.
for h in "$p"/include/relman/*.h; do
  for inc in $(sed -n 's/^#include "\(relman\/[a-z-]*\.h\)"/\1/p' "$h"); do
    [ -e "$p/include/$inc" ] || fail "$(basename "$h") includes '$inc', which is not installed"
  done
done

# 2. The library: soname, and only the public names exported.
lib=$p/$libdir/librelman-runtime.so
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = librelman-runtime.so.0 ] || fail "soname '$soname'"
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort -u)
bad=$(grep -v '^rm_' <<<"$exported" | grep -v '^rm__assert_fail$' || true)
[ -z "$bad" ] || fail "exported beyond the public API: $(tr '\n' ' ' <<<"$bad")"
for name in rm_node_new rm_txn_begin rm_module_apply rm_error_set; do
  grep -qx "$name" <<<"$exported" || fail "'$name' is not exported"
done
grep -q '^rm__' <<<"$(grep -v rm__assert_fail <<<"$exported")" && fail "an internal rm__ name is exported"
echo "ok: soname $soname, $(wc -l <<<"$exported") public symbols exported"

# 3. docs/runtime.md's embedding example against the installed prefix.
mkdir -p "$work/app/lib/counter-1" "$work/app/lib/counter-2"
sed -n '/^## Embedding the runtime/,$p' "$src/docs/runtime.md" |
  sed -n '/^```c$/,/^```$/{/^```c$/d;/^```$/q;p}' >"$work/app/main.c"
grep -q rm_node_new "$work/app/main.c" || fail "no embedding example in docs/runtime.md"
cp "$build/examples/counter/lib/counter-1/z.so" "$work/app/lib/counter-1/"
cp "$build/examples/counter/lib/counter-2/z.so" "$work/app/lib/counter-2/"
export PKG_CONFIG_PATH=$p/$libdir/pkgconfig
# A library built with the sanitizers needs them in the program too.
san=()
if readelf -d "$lib" | grep -q 'libasan'; then
  san=(-fsanitize=address,undefined)
fi
# shellcheck disable=SC2046
cc "${san[@]}" -o "$work/app/with-pkg-config" "$work/app/main.c" $(pkg-config --cflags --libs relman-runtime) ||
  fail "the embedding example does not build with pkg-config relman-runtime"
cat >"$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(embeds_relman LANGUAGES C)
find_package(relman REQUIRED)
add_executable(with-cmake main.c)
target_link_libraries(with-cmake PRIVATE relman::runtime)
CMAKE
if ! cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$p" \
     -DCMAKE_C_FLAGS="${san[*]}" >"$work/log" 2>&1 ||
   ! cmake --build "$work/app/build" >>"$work/log" 2>&1; then
  cat "$work/log"
  fail "the embedding example does not build with find_package(relman)"
fi
for exe in "$work/app/with-pkg-config" "$work/app/build/with-cmake"; do
  out=$(cd "$work/app" && LD_LIBRARY_PATH=$p/$libdir "$exe")
  [ "$out" = $'0\n1' ] || fail "$(basename "$exe") printed '$out', not 0 and 1"
done
echo "ok: the embedding example builds with pkg-config and find_package(relman), and runs"

# 4. uninstall removes what install installed.
DESTDIR=$work/dest cmake --build "$build" --target uninstall >/dev/null
left=$(find "$work/dest" -type f -o -type l)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "ok: uninstall removed every file"

# 5. The Debian package.
if ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "skipped the .deb: no dpkg-deb"
  exit 0
fi
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log"; fail "cpack -G DEB failed"; }
deb=$(ls "$work"/pkg/*.deb)
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in "${expected[@]}"; do
  grep -qx "\\.$dest_prefix/$f" <<<"$contents" || fail "the package lacks '$dest_prefix/$f'"
done
depends=$(dpkg-deb -f "$deb" Depends)
[ "$(dpkg-deb -f "$deb" Package)" = relman ] || fail "package name"
echo "ok: $(basename "$deb") holds every file (Depends: $depends)"
