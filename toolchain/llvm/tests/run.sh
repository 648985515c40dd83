#!/bin/bash
# Tests for the sbf-legalize opt plugin.  Exit status != 0 on any failure.
#  1. differential: ops.ll run unchanged with lli vs. after the pass pipeline
#     (with and without cleanup passes), 40736 input tuples per case
#  2. llc-22 for bpfel/v2 on the legalised ops: no "error", no libcalls
#  3. hard errors (errors/*.ll must fail naming the function), ok/*.ll pass
#  4. every SBF_LEGALIZE_BREAK mutation must be caught by test 1
#  5. real rustc output (rust/rsdiff.rs, host target) before/after, via lli
# Env: LLVM_BIN (default /usr/lib/llvm-22/bin), SBF_LEGALIZE_PLUGIN (prebuilt
# .so; default: build into a temp dir), NRAND (random tuples, default 20000).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${LLVM_BIN:-/usr/lib/llvm-22/bin}
NRAND=${NRAND:-20000}
W=$(mktemp -d "${TMPDIR:-/tmp}/sbf-legalize-test.XXXXXX")
trap 'rm -rf "$W"' EXIT
PLUGIN=${SBF_LEGALIZE_PLUGIN:-$W/libsbf-legalize.so}
"$HERE/../build.sh" "$PLUGIN" || { echo "FAIL: plugin build"; exit 1; }

# The production pipeline (keep in sync with the README/report).
PIPE='require<libcall-lowering-info>,function(expand-ir-insts<O2>),sbf-legalize<no-check>,function(instcombine<no-verify-fixpoint>,simplifycfg),sbf-legalize'
# The same without cleanup: exercises the raw expansions.
RAW='require<libcall-lowering-info>,function(expand-ir-insts<O2>),sbf-legalize'
LLC_FLAGS="-march=bpfel -mcpu=v2 -mattr=+allows-misaligned-mem-access -bpf-stack-size=4096 -filetype=obj"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
legalize() { # triple pipeline in out
  "$BIN/opt" -mtriple="$1" -load-pass-plugin="$PLUGIN" -passes="$2" \
    -expand-div-rem-bits=64 "$3" -o "$4"
}
runops() { # ops.bc out.txt
  "$BIN/llvm-link" "$1" "$HERE/driver.ll" -o "$W/linked.bc" 2>/dev/null &&
    "$BIN/lli" "$W/linked.bc" "$NRAND" >"$2"
}

# ---- 1. differential -------------------------------------------------------
HOST=x86_64-unknown-linux-gnu
runops "$HERE/ops.ll" "$W/ref.txt" || { echo "FAIL: reference run"; exit 1; }
echo "reference: $(tail -1 "$W/ref.txt")"
for v in PIPE RAW; do
  if ! legalize $HOST "${!v}" "$HERE/ops.ll" "$W/ops.$v.bc"; then
    fail "opt ($v)"; continue
  fi
  if ! runops "$W/ops.$v.bc" "$W/$v.txt"; then fail "lli ($v)"; continue; fi
  if cmp -s "$W/ref.txt" "$W/$v.txt"; then
    echo "ok   differential $v: $(grep -c ' ' "$W/ref.txt") hash lines identical"
  else
    fail "differential $v; first differences (case chunk hash):"
    diff "$W/ref.txt" "$W/$v.txt" | head -20
  fi
done

# ---- 2. llc for BPF --------------------------------------------------------
# c_invoke is dropped here: upstream BPF llc crashes on landingpad/resume
# regardless of this pass (Solana code is panic=abort: no invokes).
"$BIN/llvm-extract" --delete --func=c_invoke "$HERE/ops.ll" -o "$W/ops_noeh.bc"
for v in PIPE RAW; do
  if ! legalize bpfel "${!v}" "$W/ops_noeh.bc" "$W/bpf.$v.bc"; then
    fail "opt bpfel ($v)"; continue
  fi
  "$BIN/llc" $LLC_FLAGS "$W/bpf.$v.bc" -o "$W/bpf.$v.o" 2>"$W/llc.$v.err"
  rc=$?
  if [ $rc -ne 0 ] || grep -qi error "$W/llc.$v.err"; then
    fail "llc ($v) rc=$rc"; head -20 "$W/llc.$v.err"; continue
  fi
  undef=$("$BIN/llvm-nm" -u "$W/bpf.$v.o" | awk '{print $NF}' |
          grep -vxE 'memcpy|memmove|memset' | tr '\n' ' ')
  if [ -n "$undef" ]; then
    fail "llc ($v): unexpected undefined symbols: $undef"
  else
    echo "ok   llc bpfel/v2 $v: no errors, undefined only mem*" \
         "($("$BIN/llvm-objdump" -d "$W/bpf.$v.o" | grep -c '^ ') insns)"
  fi
done

# ---- 3. hard errors ----------------------------------------------------------
for f in "$HERE"/errors/*.ll; do
  pipe=$(sed -n 's/^; PIPELINE: //p' "$f"); pipe=${pipe:-$PIPE}
  if legalize bpfel "$pipe" "$f" "$W/err.bc" 2>"$W/err.txt"; then
    fail "$(basename "$f"): opt succeeded, expected a hard error"; continue
  fi
  ok=1
  for name in $(sed -n 's/^; EXPECT: //p' "$f"); do
    grep -q "sbf-legalize: error: .*$name" "$W/err.txt" || { ok=0; fail "$(basename "$f"): '$name' not named"; }
  done
  for name in $(sed -n 's/^; NOT: //p' "$f"); do
    grep -q "$name" "$W/err.txt" && { ok=0; fail "$(basename "$f"): '$name' wrongly reported"; }
  done
  [ $ok = 1 ] && echo "ok   error $(basename "$f"): $(grep -c 'sbf-legalize: error' "$W/err.txt") error(s) reported"
done
for f in "$HERE"/ok/*.ll; do
  if legalize bpfel "$PIPE" "$f" "$W/ok.bc" 2>"$W/ok.txt"; then
    echo "ok   accepted $(basename "$f")"
  else
    fail "$(basename "$f") rejected:"; cat "$W/ok.txt"
  fi
done

# ---- 4. mutations are caught -------------------------------------------------
for m in mul128 umulo shift128 args memcpy; do
  if SBF_LEGALIZE_BREAK=$m legalize $HOST "$PIPE" "$HERE/ops.ll" "$W/mut.bc" &&
     runops "$W/mut.bc" "$W/mut.txt"; then
    n=$(diff "$W/ref.txt" "$W/mut.txt" | grep '^>' | awk '{print $2}' | sort -u | tr '\n' ' ')
    if [ -n "$n" ]; then echo "ok   mutation $m caught by: $n"; else fail "mutation $m NOT caught"; fi
  else
    fail "mutation $m: opt/lli failed"
  fi
done
SBF_LEGALIZE_BREAK=bogus legalize $HOST "$PIPE" "$HERE/ops.ll" "$W/mut.bc" 2>/dev/null &&
  fail "unknown SBF_LEGALIZE_BREAK name accepted"

# ---- 5. real rustc output (skipped when rustc is not installed) ------------
if command -v rustc >/dev/null 2>&1; then
  R="$W/rust"; mkdir -p "$R"
  RFLAGS="--edition 2021 --crate-name rsdiff -C panic=abort -C opt-level=2"
  if rustc $RFLAGS --crate-type=staticlib -C lto=fat --emit=llvm-bc \
       -o "$R/rs.bc" "$HERE/rust/rsdiff.rs" 2>"$R/rustc.err" &&
     rustc $RFLAGS --crate-type=staticlib -o "$R/full.a" "$HERE/rust/rsdiff.rs" 2>>"$R/rustc.err"; then
    # core/compiler_builtins objects for lli, minus our own crate's object
    cp "$R/full.a" "$R/core.a"
    "$BIN/llvm-ar" d "$R/core.a" $("$BIN/llvm-ar" t "$R/core.a" | grep '^rsdiff\.') 2>/dev/null
    "$BIN/llvm-ar" s "$R/core.a" 2>/dev/null
    { echo 'define i32 @rust_eh_personality(...) { ret i32 0 }'
      echo 'declare void @abort()'
      for s in $("$BIN/llvm-nm" -u "$R/core.a" 2>/dev/null | awk '{print $NF}' | grep rust_begin_unwind | sort -u); do
        echo "define void @$s(ptr %p) { call void @abort()"; echo ' unreachable }'
      done; } >"$R/stubs.ll"
    rrun() { "$BIN/lli" --extra-archive="$R/core.a" --extra-module="$R/stubs.ll" "$1" >"$2" 2>"$R/lli.err"; }
    if ! rrun "$R/rs.bc" "$R/ref.txt"; then
      fail "rust reference run"; head -c 500 "$R/lli.err"
    elif ! legalize $HOST "$PIPE" "$R/rs.bc" "$R/leg.bc" || ! rrun "$R/leg.bc" "$R/leg.txt"; then
      fail "rust legalised run"; head -c 500 "$R/lli.err"
    elif cmp -s "$R/ref.txt" "$R/leg.txt"; then
      echo "ok   rust differential: $(wc -l <"$R/ref.txt") lines identical"
    else
      fail "rust differential: $(diff "$R/ref.txt" "$R/leg.txt" | grep -c '^>') lines differ"
    fi
  else
    fail "rustc failed"; head -20 "$R/rustc.err"
  fi
else
  echo "skip rust differential (no rustc)"
fi

if [ $fails -ne 0 ]; then echo "$fails FAILURE(S)"; exit 1; fi
echo "all sbf-legalize tests passed"
