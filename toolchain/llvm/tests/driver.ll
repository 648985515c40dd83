; Test driver (never passed through sbf-legalize).  For every input tuple
; (r0..r3) it calls each case of ops.ll and folds its 4 output words into a
; per-case hash; one line "case chunk hash" is printed per case every 1024
; tuples.  Tuples: all 12^4 = 20736 combinations of the edge table, then
; NRAND (default 20000, or argv[1]) pseudo-random tuples mixing edge values,
; small/large magnitudes and negatives.

declare i32 @printf(ptr, ...)
declare i64 @strtoull(ptr, ptr, i32)

%case = type { ptr, ptr }
declare void @c_umulo64(ptr, i64, i64, i64, i64)
declare void @c_smulo64(ptr, i64, i64, i64, i64)
declare void @c_mul128(ptr, i64, i64, i64, i64)
declare void @c_shl128(ptr, i64, i64, i64, i64)
declare void @c_lshr128(ptr, i64, i64, i64, i64)
declare void @c_ashr128(ptr, i64, i64, i64, i64)
declare void @c_udiv128(ptr, i64, i64, i64, i64)
declare void @c_udiv128s(ptr, i64, i64, i64, i64)
declare void @c_sdiv128(ptr, i64, i64, i64, i64)
declare void @c_sdiv64(ptr, i64, i64, i64, i64)
declare void @c_sdiv32(ptr, i64, i64, i64, i64)
declare void @c_umulo128(ptr, i64, i64, i64, i64)
declare void @c_smulo128(ptr, i64, i64, i64, i64)
declare void @c_fsh128(ptr, i64, i64, i64, i64)
declare void @c_args(ptr, i64, i64, i64, i64)
declare void @c_loop(ptr, i64, i64, i64, i64)
declare void @c_sret(ptr, i64, i64, i64, i64)
declare void @c_invoke(ptr, i64, i64, i64, i64)
declare void @c_mem(ptr, i64, i64, i64, i64)
declare void @c_mul256(ptr, i64, i64, i64, i64)
declare void @c_div2k(ptr, i64, i64, i64, i64)
declare void @c_div2k_min(ptr, i64, i64, i64, i64)

@n0 = private constant [9 x i8] c"umulo64\00\00"
@n1 = private constant [9 x i8] c"smulo64\00\00"
@n2 = private constant [9 x i8] c"mul128\00\00\00"
@n3 = private constant [9 x i8] c"shl128\00\00\00"
@n4 = private constant [9 x i8] c"lshr128\00\00"
@n5 = private constant [9 x i8] c"ashr128\00\00"
@n6 = private constant [9 x i8] c"udiv128\00\00"
@n7 = private constant [9 x i8] c"udiv128s\00"
@n8 = private constant [9 x i8] c"sdiv128\00\00"
@n9 = private constant [9 x i8] c"sdiv64\00\00\00"
@n10 = private constant [9 x i8] c"sdiv32\00\00\00"
@n11 = private constant [9 x i8] c"umulo128\00"
@n12 = private constant [9 x i8] c"smulo128\00"
@n13 = private constant [9 x i8] c"fsh128\00\00\00"
@n14 = private constant [9 x i8] c"args\00\00\00\00\00"
@n15 = private constant [9 x i8] c"argloop\00\00"
@n16 = private constant [9 x i8] c"sret\00\00\00\00\00"
@n17 = private constant [9 x i8] c"invoke\00\00\00"
@n18 = private constant [9 x i8] c"mem\00\00\00\00\00\00"
@n19 = private constant [9 x i8] c"mul256\00\00\00"
@n20 = private constant [9 x i8] c"div2k\00\00\00\00"
@n21 = private constant [9 x i8] c"div2kmin\00"

@cases = private constant [22 x %case] [
  %case { ptr @n0, ptr @c_umulo64 }, %case { ptr @n1, ptr @c_smulo64 },
  %case { ptr @n2, ptr @c_mul128 }, %case { ptr @n3, ptr @c_shl128 },
  %case { ptr @n4, ptr @c_lshr128 }, %case { ptr @n5, ptr @c_ashr128 },
  %case { ptr @n6, ptr @c_udiv128 }, %case { ptr @n7, ptr @c_udiv128s },
  %case { ptr @n8, ptr @c_sdiv128 }, %case { ptr @n9, ptr @c_sdiv64 },
  %case { ptr @n10, ptr @c_sdiv32 }, %case { ptr @n11, ptr @c_umulo128 },
  %case { ptr @n12, ptr @c_smulo128 }, %case { ptr @n13, ptr @c_fsh128 },
  %case { ptr @n14, ptr @c_args }, %case { ptr @n15, ptr @c_loop },
  %case { ptr @n16, ptr @c_sret }, %case { ptr @n17, ptr @c_invoke },
  %case { ptr @n18, ptr @c_mem }, %case { ptr @n19, ptr @c_mul256 },
  %case { ptr @n20, ptr @c_div2k }, %case { ptr @n21, ptr @c_div2k_min } ]

@edges = private constant [12 x i64] [i64 0, i64 1, i64 2, i64 63, i64 64,
  i64 127, i64 9223372036854775807, i64 -9223372036854775808, i64 -1,
  i64 4294967295, i64 4294967296, i64 6148914691236517205]

@fmt = private constant [18 x i8] c"%-9s %3lu %016lx\0A\00", align 1
@fmtn = private constant [22 x i8] c"tuples %lu cases %lu\0A\00", align 1

@state = internal global i64 88172645463325252

; splitmix64
define internal i64 @next() {
  %s = load i64, ptr @state
  %s1 = add i64 %s, -7046029254386353131
  store i64 %s1, ptr @state
  %a = lshr i64 %s1, 30
  %b = xor i64 %s1, %a
  %c = mul i64 %b, -4658895280553007687
  %d = lshr i64 %c, 27
  %e = xor i64 %c, %d
  %f = mul i64 %e, -7723592293110705685
  %g = lshr i64 %f, 31
  %h = xor i64 %f, %g
  ret i64 %h
}

; 2/8 edge value, 2/8 small positive, 1/8 small negative, 3/8 full random
define internal i64 @word() {
entry:
  %k0 = call i64 @next()
  %k = and i64 %k0, 7
  switch i64 %k, label %full [ i64 0, label %edge
                               i64 1, label %edge
                               i64 2, label %small
                               i64 3, label %small
                               i64 4, label %neg ]
edge:
  %e0 = call i64 @next()
  %e1 = urem i64 %e0, 12
  %ep = getelementptr [12 x i64], ptr @edges, i64 0, i64 %e1
  %ev = load i64, ptr %ep
  ret i64 %ev
small:
  %s0 = call i64 @next()
  %s1 = call i64 @next()
  %s2 = and i64 %s1, 63
  %sv = lshr i64 %s0, %s2
  ret i64 %sv
neg:
  %n0 = call i64 @next()
  %n1 = call i64 @next()
  %n2 = and i64 %n1, 63
  %n3 = lshr i64 %n0, %n2
  %nv = sub i64 0, %n3
  ret i64 %nv
full:
  %f = call i64 @next()
  ret i64 %f
}

define internal i64 @edge(i64 %i) {
  %e = urem i64 %i, 12
  %p = getelementptr [12 x i64], ptr @edges, i64 0, i64 %e
  %v = load i64, ptr %p
  ret i64 %v
}

define i32 @main(i32 %argc, ptr %argv) {
entry:
  %out = alloca [4 x i64], align 16
  %hashes = alloca [22 x i64], align 8
  call void @llvm.memset.p0.i64(ptr %hashes, i8 0, i64 176, i1 false) ; 22 x 8 bytes
  %has = icmp sgt i32 %argc, 1
  br i1 %has, label %parse, label %start
parse:
  %a1p = getelementptr ptr, ptr %argv, i64 1
  %a1 = load ptr, ptr %a1p
  %nr = call i64 @strtoull(ptr %a1, ptr null, i32 10)
  br label %start
start:
  %nrand = phi i64 [ 20000, %entry ], [ %nr, %parse ]
  %total = add i64 %nrand, 20736
  br label %iter

iter:
  %it = phi i64 [ 0, %start ], [ %it1, %next ]
  %isedge = icmp ult i64 %it, 20736
  br i1 %isedge, label %gen.edge, label %gen.rand
gen.edge:
  %q1 = udiv i64 %it, 12
  %q2 = udiv i64 %it, 144
  %q3 = udiv i64 %it, 1728
  %e0 = call i64 @edge(i64 %it)
  %e1 = call i64 @edge(i64 %q1)
  %e2 = call i64 @edge(i64 %q2)
  %e3 = call i64 @edge(i64 %q3)
  br label %run
gen.rand:
  %w0 = call i64 @word()
  %w1 = call i64 @word()
  %w2 = call i64 @word()
  %w3 = call i64 @word()
  br label %run
run:
  %r0 = phi i64 [ %e0, %gen.edge ], [ %w0, %gen.rand ]
  %r1 = phi i64 [ %e1, %gen.edge ], [ %w1, %gen.rand ]
  %r2 = phi i64 [ %e2, %gen.edge ], [ %w2, %gen.rand ]
  %r3 = phi i64 [ %e3, %gen.edge ], [ %w3, %gen.rand ]
  br label %case

case:
  %c = phi i64 [ 0, %run ], [ %c1, %case ]
  call void @llvm.memset.p0.i64(ptr %out, i8 0, i64 32, i1 false)
  %fpp = getelementptr [22 x %case], ptr @cases, i64 0, i64 %c, i32 1
  %fp = load ptr, ptr %fpp
  call void %fp(ptr %out, i64 %r0, i64 %r1, i64 %r2, i64 %r3)
  %hp = getelementptr [22 x i64], ptr %hashes, i64 0, i64 %c
  %h0 = load i64, ptr %hp
  %o0 = load i64, ptr %out
  %o1p = getelementptr i64, ptr %out, i64 1
  %o1 = load i64, ptr %o1p
  %o2p = getelementptr i64, ptr %out, i64 2
  %o2 = load i64, ptr %o2p
  %o3p = getelementptr i64, ptr %out, i64 3
  %o3 = load i64, ptr %o3p
  %h1 = call i64 @mix(i64 %h0, i64 %o0)
  %h2 = call i64 @mix(i64 %h1, i64 %o1)
  %h3 = call i64 @mix(i64 %h2, i64 %o2)
  %h4 = call i64 @mix(i64 %h3, i64 %o3)
  store i64 %h4, ptr %hp
  %c1 = add i64 %c, 1
  %cdone = icmp eq i64 %c1, 22
  br i1 %cdone, label %iter.end, label %case

iter.end:
  %it1 = add i64 %it, 1
  %low = and i64 %it1, 1023
  %chunk = icmp eq i64 %low, 0
  %last = icmp eq i64 %it1, %total
  %pr = or i1 %chunk, %last
  br i1 %pr, label %print, label %next
print:
  %pc = phi i64 [ 0, %iter.end ], [ %pc1, %print ]
  %np = getelementptr [22 x %case], ptr @cases, i64 0, i64 %pc, i32 0
  %name = load ptr, ptr %np
  %php = getelementptr [22 x i64], ptr %hashes, i64 0, i64 %pc
  %ph = load i64, ptr %php
  %chn = lshr i64 %it, 10
  call i32 (ptr, ...) @printf(ptr @fmt, ptr %name, i64 %chn, i64 %ph)
  %pc1 = add i64 %pc, 1
  %pdone = icmp eq i64 %pc1, 22
  br i1 %pdone, label %next, label %print
next:
  %more = icmp ult i64 %it1, %total
  br i1 %more, label %iter, label %done
done:
  call i32 (ptr, ...) @printf(ptr @fmtn, i64 %total, i64 22)
  ret i32 0
}

define internal i64 @mix(i64 %h, i64 %w) {
  %a = xor i64 %h, %w
  %b = mul i64 %a, 1099511628211
  %c = lshr i64 %b, 29
  %d = xor i64 %b, %c
  ret i64 %d
}

declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)
