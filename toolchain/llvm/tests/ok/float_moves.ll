; Moving f64 values without computing on them is accepted: llc softens it to
; 64-bit integer loads, stores and registers (solana-rent's Rent struct stores
; its 2.0 threshold; serde error types carry f64 fields).
define void @store_constant(ptr %p) {
  store double 2.0, ptr %p, align 8
  ret void
}
define i64 @copy_and_bits(ptr %p, ptr %q, i1 %c) {
  %d = load double, ptr %p, align 8
  %e = select i1 %c, double %d, double 1.0
  store double %e, ptr %q, align 8
  %b = bitcast double %e to i64
  ret i64 %b
}
