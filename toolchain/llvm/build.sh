#!/bin/sh
# Build the sbf-legalize opt plugin.  Usage: build.sh [OUTPUT.so]
# Idempotent: rebuilds only when the content of sbf_legalize.cpp, this script or the
# LLVM version changed (a content hash, not mtimes: a fresh clone must not reuse a
# plugin cached from other sources).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/libsbf-legalize.so}
SRC=$HERE/sbf_legalize.cpp
LLVM_CONFIG=${LLVM_CONFIG:-/usr/lib/llvm-22/bin/llvm-config}
CXX=${CXX:-g++}
STAMP=$(cat "$SRC" "$HERE/build.sh" | sha256sum | cut -c1-16)-$($LLVM_CONFIG --version)
if [ -f "$OUT" ] && [ "$(cat "$OUT.stamp" 2>/dev/null)" = "$STAMP" ]; then
  exit 0
fi
mkdir -p "$(dirname "$OUT")"
# opt-22 links libLLVM dynamically, so the plugin needs no LLVM libraries.
# Build to a temp name and rename, so a failed build never leaves a stale .so.
$CXX -shared -fPIC -O2 $($LLVM_CONFIG --cxxflags) -Wall -Wno-unused-parameter \
  "$SRC" -o "$OUT.tmp.$$"
mv -f "$OUT.tmp.$$" "$OUT"
echo "$STAMP" > "$OUT.stamp"
