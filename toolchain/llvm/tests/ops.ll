; Operations under test.  Every exported @c_* has the legal signature
;   void (ptr %out, i64 %r0, i64 %r1, i64 %r2, i64 %r3)
; and writes up to four i64 words to %out; driver.ll feeds it edge/random
; words and hashes the words.  Only this module goes through sbf-legalize.
; No target triple/datalayout: the same file runs on the host (lli) and is
; compiled for bpfel (llc) by run.sh.

declare {i64, i1} @llvm.umul.with.overflow.i64(i64, i64)
declare {i64, i1} @llvm.smul.with.overflow.i64(i64, i64)
declare {i128, i1} @llvm.umul.with.overflow.i128(i128, i128)
declare {i128, i1} @llvm.smul.with.overflow.i128(i128, i128)
declare i128 @llvm.fshl.i128(i128, i128, i128)
declare i128 @llvm.fshr.i128(i128, i128, i128)
declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memmove.p0.p0.i64(ptr, ptr, i64, i1)
declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
declare i32 @__gxx_personality_v0(...)

define internal i128 @w128(i64 %lo, i64 %hi) alwaysinline {
  %l = zext i64 %lo to i128
  %h0 = zext i64 %hi to i128
  %h = shl i128 %h0, 64
  %r = or i128 %h, %l
  ret i128 %r
}

define internal void @put(ptr %o, i64 %i, i64 %v) alwaysinline {
  %p = getelementptr i64, ptr %o, i64 %i
  store i64 %v, ptr %p, align 8
  ret void
}

define internal void @put128(ptr %o, i64 %i, i128 %v) alwaysinline {
  %p = getelementptr i64, ptr %o, i64 %i
  store i128 %v, ptr %p, align 8
  ret void
}

; ---- 64-bit multiply with overflow (u64/i64 checked_mul) -----------------
define void @c_umulo64(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %r = call {i64, i1} @llvm.umul.with.overflow.i64(i64 %r0, i64 %r1)
  %v = extractvalue {i64, i1} %r, 0
  %f = extractvalue {i64, i1} %r, 1
  %fz = zext i1 %f to i64
  call void @put(ptr %o, i64 0, i64 %v)
  call void @put(ptr %o, i64 1, i64 %fz)
  ; smaller second operand: many non-overflowing products; flag as a branch
  %sh = and i64 %r2, 63
  %b2 = lshr i64 %r1, %sh
  %q = call {i64, i1} @llvm.umul.with.overflow.i64(i64 %r0, i64 %b2)
  %qf = extractvalue {i64, i1} %q, 1
  br i1 %qf, label %ovf, label %ok
ok:
  %qv = extractvalue {i64, i1} %q, 0
  call void @put(ptr %o, i64 2, i64 %qv)
  ret void
ovf:
  call void @put(ptr %o, i64 3, i64 1)
  ret void
}

define void @c_smulo64(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %r = call {i64, i1} @llvm.smul.with.overflow.i64(i64 %r0, i64 %r1)
  %v = extractvalue {i64, i1} %r, 0
  %f = extractvalue {i64, i1} %r, 1
  %fz = zext i1 %f to i64
  call void @put(ptr %o, i64 0, i64 %v)
  call void @put(ptr %o, i64 1, i64 %fz)
  %sh = and i64 %r2, 63
  %b2 = ashr i64 %r1, %sh
  %q = call {i64, i1} @llvm.smul.with.overflow.i64(i64 %r0, i64 %b2)
  %qv = extractvalue {i64, i1} %q, 0
  %qf = extractvalue {i64, i1} %q, 1
  %qz = zext i1 %qf to i64
  call void @put(ptr %o, i64 2, i64 %qv)
  call void @put(ptr %o, i64 3, i64 %qz)
  ret void
}

; ---- i128 multiply ----------------------------------------------------------
define void @c_mul128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %b = call i128 @w128(i64 %r2, i64 %r3)
  %p = mul i128 %a, %b
  call void @put128(ptr %o, i64 0, i128 %p)
  ; u64 x u64 -> u128 widening multiply (the common Rust pattern)
  %x = zext i64 %r0 to i128
  %y = zext i64 %r2 to i128
  %w = mul i128 %x, %y
  call void @put128(ptr %o, i64 2, i128 %w)
  ret void
}

; ---- mul i256 of two zero-extended i128: the multiply-high LLVM forms for u128
; division by a constant (core::fmt's u128 Display) ---------------------------
define void @c_mul256(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %b = call i128 @w128(i64 %r2, i64 %r3)
  %x = zext i128 %a to i256
  %y = zext i128 %b to i256
  %p = mul i256 %x, %y
  %lo = trunc i256 %p to i128
  %h = lshr i256 %p, 128
  %hi = trunc i256 %h to i128
  call void @put128(ptr %o, i64 0, i128 %lo)
  call void @put128(ptr %o, i64 2, i128 %hi)
  ret void
}

; ---- wide div/rem by constant powers of two (left alone by expand-ir-insts) ----
define void @c_div2k(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %q = sdiv i128 %a, 16
  %r = srem i128 %a, -8
  %q2 = sdiv i128 %a, -4
  %u = udiv i128 %a, 1180591620717411303424 ; 2^70
  %m = urem i128 %a, 32
  %x1 = xor i128 %q2, %u
  %x2 = add i128 %x1, %m
  call void @put128(ptr %o, i64 0, i128 %q)
  %y = xor i128 %r, %x2
  call void @put128(ptr %o, i64 2, i128 %y)
  ret void
}

define void @c_div2k_min(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r2, i64 %r3)
  ; divisor i128::MIN, and +1 (k = 0)
  %q = sdiv i128 %a, -170141183460469231731687303715884105728
  %r = srem i128 %a, -170141183460469231731687303715884105728
  %one = sdiv i128 %a, 1
  %z = srem i128 %a, 1
  %s = add i128 %one, %z
  call void @put128(ptr %o, i64 0, i128 %q)
  %y = xor i128 %r, %s
  call void @put128(ptr %o, i64 2, i128 %y)
  ret void
}

; ---- i128 shifts by variable amounts 0..127 ---------------------------------
define void @c_shl128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %x = call i128 @w128(i64 %r0, i64 %r1)
  %s1 = and i64 %r2, 127
  %s2 = and i64 %r3, 127
  %t1 = zext i64 %s1 to i128
  %t2 = zext i64 %s2 to i128
  %a = shl i128 %x, %t1
  %b = shl i128 %x, %t2
  call void @put128(ptr %o, i64 0, i128 %a)
  call void @put128(ptr %o, i64 2, i128 %b)
  ret void
}

define void @c_lshr128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %x = call i128 @w128(i64 %r0, i64 %r1)
  %s1 = and i64 %r2, 127
  %s2 = and i64 %r3, 127
  %t1 = zext i64 %s1 to i128
  %t2 = zext i64 %s2 to i128
  %a = lshr i128 %x, %t1
  %b = lshr i128 %x, %t2
  call void @put128(ptr %o, i64 0, i128 %a)
  call void @put128(ptr %o, i64 2, i128 %b)
  ret void
}

define void @c_ashr128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %x = call i128 @w128(i64 %r0, i64 %r1)
  %s1 = and i64 %r2, 127
  %s2 = and i64 %r3, 127
  %t1 = zext i64 %s1 to i128
  %t2 = zext i64 %s2 to i128
  %a = ashr i128 %x, %t1
  %b = ashr i128 %x, %t2
  call void @put128(ptr %o, i64 0, i128 %a)
  call void @put128(ptr %o, i64 2, i128 %b)
  ret void
}

; ---- i128 division (expanded by LLVM's expand-ir-insts) ---------------------
define void @c_udiv128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %b0 = call i128 @w128(i64 %r2, i64 %r3)
  %z = icmp eq i128 %b0, 0
  %b = select i1 %z, i128 1, i128 %b0
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  call void @put128(ptr %o, i64 0, i128 %q)
  call void @put128(ptr %o, i64 2, i128 %r)
  ret void
}

; divisor < 2^64, so quotients are large
define void @c_udiv128s(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %sh = and i64 %r3, 63
  %d = lshr i64 %r2, %sh
  %d1 = or i64 %d, 1
  %b = zext i64 %d1 to i128
  %q = udiv i128 %a, %b
  %r = urem i128 %a, %b
  call void @put128(ptr %o, i64 0, i128 %q)
  call void @put128(ptr %o, i64 2, i128 %r)
  ret void
}

define void @c_sdiv128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %b0 = call i128 @w128(i64 %r2, i64 %r3)
  %bz = icmp eq i128 %b0, 0
  %amin = icmp eq i128 %a, -170141183460469231731687303715884105728
  %bm1 = icmp eq i128 %b0, -1
  %ov = and i1 %amin, %bm1
  %bad = or i1 %bz, %ov
  %b = select i1 %bad, i128 1, i128 %b0
  %q = sdiv i128 %a, %b
  %r = srem i128 %a, %b
  call void @put128(ptr %o, i64 0, i128 %q)
  call void @put128(ptr %o, i64 2, i128 %r)
  ret void
}

; ---- signed division <= 64 bits (no sdiv on BPF v2) -------------------------
define void @c_sdiv64(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %bz = icmp eq i64 %r1, 0
  %amin = icmp eq i64 %r0, -9223372036854775808
  %bm1 = icmp eq i64 %r1, -1
  %ov = and i1 %amin, %bm1
  %bad = or i1 %bz, %ov
  %b = select i1 %bad, i64 1, i64 %r1
  %q = sdiv i64 %r0, %b
  %r = srem i64 %r0, %b
  %c1 = sdiv i64 %r2, 8
  %c2 = srem i64 %r2, -7
  call void @put(ptr %o, i64 0, i64 %q)
  call void @put(ptr %o, i64 1, i64 %r)
  call void @put(ptr %o, i64 2, i64 %c1)
  call void @put(ptr %o, i64 3, i64 %c2)
  ret void
}

define void @c_sdiv32(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = trunc i64 %r0 to i32
  %b0 = trunc i64 %r1 to i32
  %bz = icmp eq i32 %b0, 0
  %amin = icmp eq i32 %a, -2147483648
  %bm1 = icmp eq i32 %b0, -1
  %ov = and i1 %amin, %bm1
  %bad = or i1 %bz, %ov
  %b = select i1 %bad, i32 1, i32 %b0
  %q = sdiv i32 %a, %b
  %r = srem i32 %a, %b
  %qx = sext i32 %q to i64
  %rx = sext i32 %r to i64
  %c = trunc i64 %r2 to i8
  %d0 = trunc i64 %r3 to i8
  %dz = icmp eq i8 %d0, 0
  %cmin = icmp eq i8 %c, -128
  %dm1 = icmp eq i8 %d0, -1
  %ov8 = and i1 %cmin, %dm1
  %bad8 = or i1 %dz, %ov8
  %d = select i1 %bad8, i8 1, i8 %d0
  %q8 = sdiv i8 %c, %d
  %r8 = srem i8 %c, %d
  %q8x = sext i8 %q8 to i64
  %r8x = sext i8 %r8 to i64
  call void @put(ptr %o, i64 0, i64 %qx)
  call void @put(ptr %o, i64 1, i64 %rx)
  call void @put(ptr %o, i64 2, i64 %q8x)
  call void @put(ptr %o, i64 3, i64 %r8x)
  ret void
}

; ---- i128 multiply with overflow (u128/i128 checked_mul) --------------------
define void @c_umulo128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %sh = and i64 %r0, 63
  %bh = lshr i64 %r3, %sh
  %b = call i128 @w128(i64 %r2, i64 %bh)
  %r = call {i128, i1} @llvm.umul.with.overflow.i128(i128 %a, i128 %b)
  %v = extractvalue {i128, i1} %r, 0
  %f = extractvalue {i128, i1} %r, 1
  %fz = zext i1 %f to i64
  call void @put128(ptr %o, i64 0, i128 %v)
  call void @put(ptr %o, i64 2, i64 %fz)
  ret void
}

define void @c_smulo128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %sh = and i64 %r0, 63
  %bh = ashr i64 %r3, %sh
  %b = call i128 @w128(i64 %r2, i64 %bh)
  %r = call {i128, i1} @llvm.smul.with.overflow.i128(i128 %a, i128 %b)
  %v = extractvalue {i128, i1} %r, 0
  %f = extractvalue {i128, i1} %r, 1
  %fz = zext i1 %f to i64
  call void @put128(ptr %o, i64 0, i128 %v)
  call void @put(ptr %o, i64 2, i64 %fz)
  ret void
}

; ---- i128 funnel shifts / rotates by a variable amount (mod 128) ------------
define void @c_fsh128(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %a = call i128 @w128(i64 %r0, i64 %r1)
  %b = call i128 @w128(i64 %r2, i64 %r3)
  %s0 = xor i64 %r0, %r3
  %s1 = and i64 %s0, 1023
  %s = zext i64 %s1 to i128
  %l = call i128 @llvm.fshl.i128(i128 %a, i128 %b, i128 %s)
  %r = call i128 @llvm.fshr.i128(i128 %a, i128 %a, i128 %s)
  call void @put128(ptr %o, i64 0, i128 %l)
  call void @put128(ptr %o, i64 2, i128 %r)
  ret void
}

; ---- more than 5 argument registers ------------------------------------------
; 10 params, 14 slots: i8, i32, i64 stay; the rest (from the i128 on) are packed.
define internal i64 @many(i8 zeroext %a, i32 %b, i64 %c, i128 %d, ptr noalias %p,
                          i64 %e, i16 signext %f, ptr %s, i128 %g, i32 %h) noinline {
  %s0 = load i64, ptr %s, align 8
  %s1p = getelementptr {i64, i32}, ptr %s, i32 0, i32 1
  %s1 = load i32, ptr %s1p, align 8
  %az = zext i8 %a to i64
  %bz = zext i32 %b to i64
  %fz = sext i16 %f to i64
  %hz = zext i32 %h to i64
  %s1z = zext i32 %s1 to i64
  %dl = trunc i128 %d to i64
  %dh0 = lshr i128 %d, 64
  %dh = trunc i128 %dh0 to i64
  %gl = trunc i128 %g to i64
  %gh0 = lshr i128 %g, 64
  %gh = trunc i128 %gh0 to i64
  %x1 = mul i64 %az, 3
  %x2 = xor i64 %x1, %bz
  %x3 = mul i64 %x2, 5
  %x4 = xor i64 %x3, %c
  %x5 = mul i64 %x4, 7
  %x6 = xor i64 %x5, %dl
  %x7 = mul i64 %x6, 11
  %x8 = xor i64 %x7, %dh
  %x9 = mul i64 %x8, 13
  %x10 = xor i64 %x9, %e
  %x11 = mul i64 %x10, 17
  %x12 = xor i64 %x11, %fz
  %x13 = mul i64 %x12, 19
  %x14 = xor i64 %x13, %gl
  %x15 = mul i64 %x14, 23
  %x16 = xor i64 %x15, %gh
  %x17 = mul i64 %x16, 29
  %x18 = xor i64 %x17, %hz
  %x19 = mul i64 %x18, 31
  %x20 = xor i64 %x19, %s0
  %x21 = mul i64 %x20, 37
  %x22 = xor i64 %x21, %s1z
  %sum = add i128 %d, %g
  store i128 %sum, ptr %p, align 8
  ret i64 %x22
}

; 6 x i64: the first 4 stay, 2 are packed
define internal i64 @six(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) noinline {
  %1 = mul i64 %a, 3
  %2 = add i64 %1, %b
  %3 = mul i64 %2, 5
  %4 = sub i64 %3, %c
  %5 = mul i64 %4, 7
  %6 = xor i64 %5, %d
  %7 = mul i64 %6, 11
  %8 = add i64 %7, %e
  %9 = mul i64 %8, 13
  %10 = xor i64 %9, %f
  ret i64 %10
}

; recursive, 7 args, the callee's packed args are reloaded per activation
define internal i64 @rec(i64 %n, i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) noinline {
  %z = icmp eq i64 %n, 0
  br i1 %z, label %base, label %step
base:
  %1 = call i64 @six(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f)
  ret i64 %1
step:
  %n1 = sub i64 %n, 1
  %f2 = add i64 %f, %n
  %r = call i64 @rec(i64 %n1, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f2, i64 %a)
  %m = mul i64 %r, 3
  %x = xor i64 %m, %e
  ret i64 %x
}

define void @c_args(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %s = alloca {i64, i32}, align 8
  %p = alloca i128, align 8
  store i64 %r3, ptr %s, align 8
  %s1p = getelementptr {i64, i32}, ptr %s, i32 0, i32 1
  %r2t = trunc i64 %r2 to i32
  store i32 %r2t, ptr %s1p, align 8
  %a = trunc i64 %r0 to i8
  %b = trunc i64 %r1 to i32
  %d = call i128 @w128(i64 %r1, i64 %r2)
  %f = trunc i64 %r3 to i16
  %g = call i128 @w128(i64 %r3, i64 %r0)
  %h = trunc i64 %r0 to i32
  %x = call i64 @many(i8 zeroext %a, i32 %b, i64 %r2, i128 %d, ptr %p, i64 %r3,
                      i16 signext %f, ptr %s, i128 %g, i32 %h)
  call void @put(ptr %o, i64 0, i64 %x)
  %pv = load i128, ptr %p, align 8
  call void @put128(ptr %o, i64 1, i128 %pv)
  %n = and i64 %r0, 7
  %y = call i64 @rec(i64 %n, i64 %r0, i64 %r1, i64 %r2, i64 %r3, i64 %r0, i64 %r1)
  call void @put(ptr %o, i64 3, i64 %y)
  ret void
}

; the same packed-argument call in a loop (one caller slot reused)
define void @c_loop(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
entry:
  br label %loop
loop:
  %k = phi i64 [ 0, %entry ], [ %k1, %loop ]
  %acc = phi i64 [ %r0, %entry ], [ %v, %loop ]
  %v = call i64 @six(i64 %acc, i64 %k, i64 %r1, i64 %r2, i64 %r3, i64 %acc)
  %k1 = add i64 %k, 1
  %done = icmp eq i64 %k1, 5
  br i1 %done, label %exit, label %loop
exit:
  call void @put(ptr %o, i64 0, i64 %v)
  ret void
}

; ---- sret / aggregate / i128 returns ---------------------------------------
%T = type { i64, i32, i64 }

define internal void @mk(ptr sret(%T) align 8 %out, i64 %a, i64 %b) noinline {
  store i64 %a, ptr %out, align 8
  %f1 = getelementptr %T, ptr %out, i32 0, i32 1
  %bt = trunc i64 %b to i32
  store i32 %bt, ptr %f1, align 8
  %f2 = getelementptr %T, ptr %out, i32 0, i32 2
  %x = xor i64 %a, %b
  store i64 %x, ptr %f2, align 8
  ret void
}

; two return sites
define internal {i64, i32, i8} @agg(i64 %a, i64 %b) noinline {
  %c = icmp ult i64 %a, %b
  br i1 %c, label %lt, label %ge
lt:
  %s = sub i64 %b, %a
  %r1 = insertvalue {i64, i32, i8} undef, i64 %s, 0
  %r2 = insertvalue {i64, i32, i8} %r1, i32 7, 1
  %r3 = insertvalue {i64, i32, i8} %r2, i8 1, 2
  ret {i64, i32, i8} %r3
ge:
  %t = sub i64 %a, %b
  %bt = trunc i64 %b to i32
  %q1 = insertvalue {i64, i32, i8} undef, i64 %t, 0
  %q2 = insertvalue {i64, i32, i8} %q1, i32 %bt, 1
  %q3 = insertvalue {i64, i32, i8} %q2, i8 2, 2
  ret {i64, i32, i8} %q3
}

define internal i128 @r128(i64 %a, i64 %b) noinline {
  %x = call i128 @w128(i64 %a, i64 %b)
  %y = mul i128 %x, 340282366920938463463374607431768211297
  ret i128 %y
}

; aggregate return AND 7 slots: ret pointer + 3 kept + 3 packed
define internal {i64, i64} @bigret(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) noinline {
  %s = add i64 %a, %f
  %t = mul i64 %b, %e
  %u = xor i64 %s, %c
  %v = sub i64 %t, %d
  %r1 = insertvalue {i64, i64} undef, i64 %u, 0
  %r2 = insertvalue {i64, i64} %r1, i64 %v, 1
  ret {i64, i64} %r2
}

define void @c_sret(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %t = alloca %T, align 8
  call void @mk(ptr sret(%T) align 8 %t, i64 %r0, i64 %r1)
  %f0 = load i64, ptr %t, align 8
  %f1p = getelementptr %T, ptr %t, i32 0, i32 1
  %f1 = load i32, ptr %f1p, align 8
  %f2p = getelementptr %T, ptr %t, i32 0, i32 2
  %f2 = load i64, ptr %f2p, align 8
  %f1z = zext i32 %f1 to i64
  %h0 = add i64 %f0, %f1z
  %h = xor i64 %h0, %f2
  %a = call {i64, i32, i8} @agg(i64 %r2, i64 %r3)
  %a0 = extractvalue {i64, i32, i8} %a, 0
  %a1 = extractvalue {i64, i32, i8} %a, 1
  %a2 = extractvalue {i64, i32, i8} %a, 2
  %a1z = zext i32 %a1 to i64
  %a2z = zext i8 %a2 to i64
  %ah = shl i64 %a2z, 32
  %am = or i64 %a1z, %ah
  %ax = mul i64 %am, 1000003
  %ay = xor i64 %ax, %a0
  %w = call i128 @r128(i64 %r0, i64 %r3)
  %wl = trunc i128 %w to i64
  %wh0 = lshr i128 %w, 64
  %wh = trunc i128 %wh0 to i64
  %wx = xor i64 %wl, %wh
  %g = call {i64, i64} @bigret(i64 %r0, i64 %r1, i64 %r2, i64 %r3, i64 %r1, i64 %r0)
  %g0 = extractvalue {i64, i64} %g, 0
  %g1 = extractvalue {i64, i64} %g, 1
  %gx = mul i64 %g0, 3
  %gy = xor i64 %gx, %g1
  call void @put(ptr %o, i64 0, i64 %h)
  call void @put(ptr %o, i64 1, i64 %ay)
  call void @put(ptr %o, i64 2, i64 %wx)
  call void @put(ptr %o, i64 3, i64 %gy)
  ret void
}

; invoke of rewritten functions; the normal destination has two predecessors
define void @c_invoke(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) personality ptr @__gxx_personality_v0 {
entry:
  %c = icmp ult i64 %r0, %r1
  br i1 %c, label %A, label %B
A:
  %x = invoke {i64, i64} @bigret(i64 %r0, i64 %r1, i64 %r2, i64 %r3, i64 %r2, i64 %r1)
          to label %join unwind label %lp
B:
  %y = invoke i64 @six(i64 %r3, i64 %r2, i64 %r1, i64 %r0, i64 %r1, i64 %r2)
          to label %B2 unwind label %lp
B2:
  %yv = insertvalue {i64, i64} zeroinitializer, i64 %y, 1
  br label %join
join:
  %p = phi {i64, i64} [ %x, %A ], [ %yv, %B2 ]
  %p0 = extractvalue {i64, i64} %p, 0
  %p1 = extractvalue {i64, i64} %p, 1
  call void @put(ptr %o, i64 0, i64 %p0)
  call void @put(ptr %o, i64 1, i64 %p1)
  ret void
lp:
  %l = landingpad { ptr, i32 } cleanup
  resume { ptr, i32 } %l
}

; ---- variable-length / large memcpy, memmove (overlapping), memset ----------
define internal void @fill(ptr %b, i64 %seed) alwaysinline {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %k = mul i64 %i, -7046029254386353131
  %x0 = add i64 %seed, %k
  %x1 = lshr i64 %x0, 29
  %x2 = xor i64 %x0, %x1
  %x3 = mul i64 %x2, -4658895280553007687
  %p = getelementptr i64, ptr %b, i64 %i
  store i64 %x3, ptr %p, align 8
  %i1 = add i64 %i, 1
  %d = icmp eq i64 %i1, 32
  br i1 %d, label %exit, label %loop
exit:
  ret void
}

define internal i64 @hash(ptr %b) alwaysinline {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %h = phi i64 [ 14695981039346656037, %entry ], [ %h3, %loop ]
  %p = getelementptr i64, ptr %b, i64 %i
  %w = load i64, ptr %p, align 8
  %h1 = xor i64 %h, %w
  %h2 = mul i64 %h1, 1099511628211
  %h2s = lshr i64 %h2, 31
  %h3 = xor i64 %h2, %h2s
  %i1 = add i64 %i, 1
  %d = icmp eq i64 %i1, 32
  br i1 %d, label %exit, label %loop
exit:
  ret i64 %h3
}

define void @c_mem(ptr %o, i64 %r0, i64 %r1, i64 %r2, i64 %r3) {
  %buf = alloca [256 x i8], align 8
  %buf2 = alloca [256 x i8], align 8
  call void @fill(ptr %buf, i64 %r0)
  call void @fill(ptr %buf2, i64 %r3)
  ; overlapping memmove, either direction, length 0..159
  %d = and i64 %r1, 63
  %s = and i64 %r2, 63
  %n = urem i64 %r3, 160
  %dp = getelementptr i8, ptr %buf, i64 %d
  %sp = getelementptr i8, ptr %buf, i64 %s
  call void @llvm.memmove.p0.p0.i64(ptr %dp, ptr %sp, i64 %n, i1 false)
  ; disjoint memcpy, length 0..127
  %d2a = lshr i64 %r1, 8
  %d2 = and i64 %d2a, 127
  %s2a = lshr i64 %r2, 8
  %s2 = and i64 %s2a, 127
  %n2a = lshr i64 %r3, 8
  %n2 = and i64 %n2a, 127
  %dp2 = getelementptr i8, ptr %buf2, i64 %d2
  %sp2 = getelementptr i8, ptr %buf, i64 %s2
  call void @llvm.memcpy.p0.p0.i64(ptr %dp2, ptr %sp2, i64 %n2, i1 false)
  %h1 = call i64 @hash(ptr %buf2)
  ; memset, variable length 0..99
  %d3 = and i64 %r0, 63
  %v3a = lshr i64 %r1, 16
  %v3 = trunc i64 %v3a to i8
  %n3a = lshr i64 %r2, 16
  %n3 = urem i64 %n3a, 100
  %dp3 = getelementptr i8, ptr %buf2, i64 %d3
  call void @llvm.memset.p0.i64(ptr %dp3, i8 %v3, i64 %n3, i1 false)
  ; constant lengths above (100, 200) and below (24) the inline threshold
  %dp4 = getelementptr i8, ptr %buf2, i64 100
  %sp4 = getelementptr i8, ptr %buf, i64 3
  call void @llvm.memcpy.p0.p0.i64(ptr %dp4, ptr %sp4, i64 100, i1 false)
  %dp5 = getelementptr i8, ptr %buf, i64 5
  call void @llvm.memmove.p0.p0.i64(ptr %dp5, ptr %buf, i64 200, i1 false)
  %dp6 = getelementptr i8, ptr %buf2, i64 7
  call void @llvm.memcpy.p0.p0.i64(ptr %dp6, ptr %buf, i64 24, i1 false)
  %ha = call i64 @hash(ptr %buf)
  %hb = call i64 @hash(ptr %buf2)
  call void @put(ptr %o, i64 0, i64 %ha)
  call void @put(ptr %o, i64 1, i64 %hb)
  call void @put(ptr %o, i64 2, i64 %h1)
  ret void
}
